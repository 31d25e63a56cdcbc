"""What a command displays beneath its result: a sweep's trials under the sweep, an endpoint's
deployments under the endpoint, one line for each damaged entry a list left out.

A command returns the entity it names (`ep = %aml online-endpoint show -n ep; ep.scoring_uri`);
IPython displays that result when the cell's code has run, so what goes beneath it is displayed
after that, when the cell ends (IPython's `post_run_cell` event).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable, Iterator

from ..display import TextBlock
from ..errors import DamagedStateWarning

__all__ = ["beneath_result", "damaged_state_notices"]


def beneath_result(shell: Any, show: Callable[[Any], None]) -> Callable[[Any], None]:
    """A `show` for what goes beneath the result of a `%aml` line run by `shell`. Outside a
    running cell (no result will be displayed) it is `show` itself."""
    pending: list[Any] = []

    def flush(*_: Any) -> None:
        shell.events.unregister("post_run_cell", flush)
        shown, pending[:] = list(pending), []
        for obj in shown:
            show(obj)

    def beneath(obj: Any) -> None:
        if getattr(getattr(shell, "displayhook", None), "exec_result", None) is None:
            show(obj)
            return
        if not pending:
            shell.events.register("post_run_cell", flush)
        pending.append(obj)

    return beneath


@contextlib.contextmanager
def damaged_state_notices(show: Callable[[Any], None]) -> Iterator[None]:
    """Show each DamagedStateWarning raised inside (a list left out a damaged entry) as one
    line, once; any other warning goes on to Python's usual handling."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DamagedStateWarning)
            yield
    finally:
        seen: set[str] = set()
        for warning in caught:
            if not issubclass(warning.category, DamagedStateWarning):
                warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
            elif str(warning.message) not in seen:
                seen.add(str(warning.message))
                show(TextBlock(str(warning.message)))
