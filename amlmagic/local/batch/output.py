"""What `run(mini_batch)` returned, as the lines `append_row` adds to the output file.

Azure's format (../shared/azureml-semantics-2.md 2.3): each element of a returned list is one
line (`str()` of it: complex objects are stringified); a returned DataFrame is written without
its header and index, space-separated. The official notebooks read it back with
`pd.read_csv(f, header=None, sep=" ", names=[...])`. (The MLflow no-code scorer returns its
lines ready, comma-separated: mlflow_scorer.py.)

Imports nothing heavy: pandas is only touched through the object run() returned.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["count_items", "format_rows"]

DELIMITER = " "


def _is_dataframe(value: Any) -> bool:
    return hasattr(value, "to_csv") and hasattr(value, "columns")


def count_items(result: Any) -> int:
    """How many items succeeded: each element or row counts as one (2.3)."""
    if result is None:
        return 0
    if _is_dataframe(result):
        return len(result.index)
    if isinstance(result, (str, bytes)):
        return 1
    return len(result)


def format_rows(result: Any) -> str:
    """The text appended to the output file for `result`."""
    if result is None:
        return ""
    if _is_dataframe(result):
        buffer = io.StringIO()
        result.to_csv(buffer, sep=DELIMITER, header=False, index=False)
        return buffer.getvalue().replace("\r\n", "\n")
    if isinstance(result, (str, bytes)):
        result = [result]
    return "".join(f"{item}\n" for item in result)
