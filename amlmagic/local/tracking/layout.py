"""Where a job's MLflow run lives on disk, in MLflow's own file-store layout.

    <workspace>/mlruns/<experiment id>/meta.yaml            the experiment
    <workspace>/mlruns/<experiment id>/<job name>/          the job's run (run id == job name)
        meta.yaml  metrics/<key>  params/<key>  tags/<key>  artifacts/ (empty: see artifact_uri)

Keys may contain "/", which MLflow stores as sub-folders. No mlflow import here: the engine and
the widgets read and write these files directly, which is fast and needs no heavy import.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from amlmagic.errors import NotFoundError, ValidationError

__all__ = [
    "MLRUNS",
    "RUN_STATUS_CODES",
    "PLUGIN_DIR",
    "mlruns_dir",
    "tracking_uri",
    "file_uri",
    "check_run_id",
    "find_run_dir",
    "require_run_dir",
    "walk_keys",
]

MLRUNS = "mlruns"
TRASH = ".trash"
META = "meta.yaml"

# MLflow's RunStatus numbers as persisted in meta.yaml.
RUN_STATUS_CODES = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}

# The folder put on a job's PYTHONPATH: MLflow's file store with its per-call lookups cached.
PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"

# MLflow's own run id rule (mlflow.utils.validation._RUN_ID_REGEX); Azure job names fit it.
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


def mlruns_dir(workspace_dir: Path) -> Path:
    return Path(workspace_dir).resolve() / MLRUNS


def file_uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


def tracking_uri(workspace_dir: Path) -> str:
    return file_uri(mlruns_dir(workspace_dir))


def check_run_id(job_name: str) -> None:
    if not isinstance(job_name, str) or not _RUN_ID.match(job_name):
        raise ValidationError(
            f"Job name {job_name!r} cannot be an MLflow run id: use letters, digits, '-' and '_', "
            "starting with a letter or digit."
        )


def find_run_dir(workspace_dir: Path, job_name: str) -> Path | None:
    """The run's folder, or None while it does not exist. One stat per experiment."""
    root = mlruns_dir(workspace_dir)
    try:
        experiments = os.scandir(root)
    except FileNotFoundError:
        return None
    with experiments:
        for entry in experiments:
            if entry.name == TRASH or not entry.is_dir():
                continue
            run_dir = Path(entry.path) / job_name
            if (run_dir / META).is_file():
                return run_dir
    return None


def require_run_dir(workspace_dir: Path, job_name: str) -> Path:
    run_dir = find_run_dir(workspace_dir, job_name)
    if run_dir is None:
        raise NotFoundError(
            f"Job {job_name!r} has no MLflow run in {mlruns_dir(workspace_dir)}: "
            "check the job name, or prepare the run first."
        )
    return run_dir


def walk_keys(folder: Path):
    """Yield (key, path) for every file under folder; sub-folders join the key with '/'."""
    stack = [(str(folder), "")]
    while stack:
        path, prefix = stack.pop()
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            key = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, key + "/"))
            elif not (entry.name.startswith(".") and entry.name.endswith(".tmp")):  # osutil's temp files
                yield key, entry.path
