"""Azure's no-code scoring of an MLflow model in a batch deployment (../shared/azureml-semantics-2.md
2.5), run by the workers as the scoring module when the deployment has no code_configuration.

`init()` loads the `pyfunc` flavor from AZUREML_MODEL_DIR; `run(files)` calls `predict()` once
per file: `.csv`, `.parquet`, `.pqt` as a DataFrame (one output row per input row), images
(`.png`, `.jpg`, ...) as an ndarray (one row). The rows have Azure's columns in order: `row`
(the row's index in its file; tables only), `prediction`, `file` (the file's name),
comma-separated: the notebooks read it with pandas' default separator (2.5; the delimiter is
unsettled there: our rule, docs/batch.md). Any other file type fails the job before scoring
starts (driver.py).
"""

from __future__ import annotations

import csv
import glob
import io
import os

from ...rules.batch import MLFLOW_FILE_TYPES

__all__ = ["init", "run", "find_mlmodel_folder"]

_model = None


def find_mlmodel_folder(model_dir: str) -> str:
    """The folder holding `MLmodel` under AZUREML_MODEL_DIR (the model sits in a sub-folder)."""
    for pattern in ("MLmodel", "*/MLmodel", "*/*/MLmodel"):
        found = sorted(glob.glob(os.path.join(model_dir, pattern)))
        if found:
            return os.path.dirname(found[0])
    raise FileNotFoundError(f"no MLmodel file under {model_dir}: an MLflow deployment needs an mlflow_model")


def init() -> None:
    global _model
    import mlflow.pyfunc

    _model = mlflow.pyfunc.load_model(find_mlmodel_folder(os.environ["AZUREML_MODEL_DIR"]))


def _values(predictions) -> list:
    if hasattr(predictions, "to_numpy"):  # a DataFrame or Series
        predictions = predictions.to_numpy()
    if hasattr(predictions, "tolist"):
        predictions = predictions.tolist()
    return list(predictions) if isinstance(predictions, (list, tuple)) else [predictions]


def _image(path: str):
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image)


def _line(*fields) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def run(mini_batch: list[str]) -> list[str]:
    """One CSV line per prediction: `row,prediction,file` (tables), `prediction,file` (images)."""
    import pandas as pd

    lines = []
    for path in mini_batch:
        name = os.path.basename(path)
        kind = MLFLOW_FILE_TYPES.get(os.path.splitext(path)[1].lower())
        if kind == "table":
            data = pd.read_csv(path) if path.lower().endswith(".csv") else pd.read_parquet(path)
            lines.extend(_line(index, value, name) for index, value in enumerate(_values(_model.predict(data))))
        elif kind == "image":
            values = _values(_model.predict(_image(path)))
            lines.append(_line(values[0] if len(values) == 1 else values, name))
        else:
            raise ValueError(f"file {name} is not a type an MLflow deployment scores")
    return lines
