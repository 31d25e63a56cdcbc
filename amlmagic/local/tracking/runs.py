"""Create a job's MLflow run before the job starts, and end it with the job's outcome.

Azure ML gives each job its own MLflow run (run id == job name) and hands the job's process
MLFLOW_TRACKING_URI / MLFLOW_RUN_ID / MLFLOW_EXPERIMENT_ID, so `mlflow.log_metric` without
`start_run`, and `with mlflow.start_run():`, both log into it. We do the same with MLflow's file
store under <workspace>/mlruns, written here directly in the store's own format (no mlflow import:
the engine calls this for every job and sweep trial).

Store choice: the sqlite store costs ~4 ms per logged metric and needs SQLAlchemy; the file store
is an O_APPEND of one line per metric into the run's own folder, so parallel jobs never block each
other and another process can tail the files (see reader.py). MLflow 3 refuses the file store unless
MLFLOW_ALLOW_FILE_STORE=true, which we set knowingly. The stock file store re-finds the run and
re-parses meta.yaml on every call (~0.5 ms, growing with the number of runs), so the job's
PYTHONPATH also gets plugin/, an MLflow entry point that swaps in a cached subclass (~0.06 ms).
"""

from __future__ import annotations

import getpass
import os
import time
import uuid
from pathlib import Path

from amlmagic.errors import AlreadyExistsError, UsageError, ValidationError
from amlmagic.local.osutil import locked, write_text_atomic
from amlmagic.local.tracking.layout import (
    META,
    PLUGIN_DIR,
    RUN_STATUS_CODES,
    TRASH,
    check_run_id,
    file_uri,
    mlruns_dir,
    require_run_dir,
    tracking_uri,
)

__all__ = ["prepare_run", "end_run", "ENDED_STATUSES"]

ENDED_STATUSES = ("FINISHED", "FAILED", "KILLED")
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
_LOCK = ".amlmagic.lock"
_PREPARED_META = ".meta.prepared.yaml"  # kept to rebuild meta.yaml if a killed script tore it
_SOURCE_TYPE_JOB = 2  # mlflow.entities.SourceType.JOB


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dump_yaml(data: dict) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(
        data, Dumper=dumper, default_flow_style=False, allow_unicode=True, sort_keys=True
    )


def _load_yaml(path: Path):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


def _key_path(folder: Path, key: str) -> Path:
    """MLflow stores a key with '/' as sub-folders; refuse keys that would leave the folder."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValidationError(f"Tag name {key!r} is not a valid MLflow key: use a relative name.")
    return folder.joinpath(*parts)


def _write_experiment(root: Path, experiment_id: str, name: str) -> None:
    folder = root / experiment_id
    folder.mkdir(exist_ok=True)
    now = _now_ms()
    meta = {
        "artifact_location": file_uri(folder),
        "creation_time": now,
        "experiment_id": experiment_id,
        "last_update_time": now,
        "lifecycle_stage": "active",
        "name": name,
    }
    write_text_atomic(folder / META, _dump_yaml(meta))


def _active_experiments(root: Path) -> dict[str, str]:
    """name -> id of the experiments in the store, also those a script created with MLflow."""
    found = {}
    for entry in os.scandir(root):
        if entry.name == TRASH or entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            meta = _load_yaml(Path(entry.path) / META)
        except Exception:  # a missing or half-written meta.yaml (yaml errors, OSError)
            continue
        if isinstance(meta, dict) and meta.get("lifecycle_stage", "active") == "active":
            found.setdefault(str(meta.get("name")), str(meta.get("experiment_id", entry.name)))
    return found


def _experiment_id(root: Path, name: str) -> str:
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / _LOCK):  # parallel sweep trials create experiments at once
        (root / TRASH).mkdir(exist_ok=True)
        if not (root / DEFAULT_EXPERIMENT_ID / META).is_file():
            _write_experiment(root, DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME)
        existing = _active_experiments(root)
        if name in existing:
            return existing[name]
        while True:  # MLflow's file store uses random 18-digit integer ids too
            experiment_id = str(uuid.uuid4().int % 10**18)
            if experiment_id != DEFAULT_EXPERIMENT_ID and not (root / experiment_id).exists():
                break
        _write_experiment(root, experiment_id, name)
        return experiment_id


def _job_env(workspace_dir: Path, job_name: str, experiment_id: str, experiment_name: str) -> dict:
    uri = tracking_uri(workspace_dir)
    inherited = os.environ.get("PYTHONPATH")
    return {
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_RUN_ID": job_name,
        "MLFLOW_EXPERIMENT_ID": experiment_id,
        "MLFLOW_EXPERIMENT_NAME": experiment_name,
        # MLflow 3 refuses the file store without it; chosen on purpose (module docstring).
        "MLFLOW_ALLOW_FILE_STORE": "true",
        # Set explicitly so MLflow does not probe for a Spark session (an import) on every call.
        "MLFLOW_REGISTRY_URI": uri,
        # A local job sends nothing anywhere.
        "MLFLOW_DISABLE_TELEMETRY": "true",
        # Must stay first on the job's PYTHONPATH: registers the cached file store.
        "PYTHONPATH": os.pathsep.join(p for p in (str(PLUGIN_DIR), inherited) if p),
    }


def prepare_run(
    workspace_dir: Path,
    job_name: str,
    *,
    experiment_name: str,
    display_name: str | None,
    artifacts_dir: Path,
    tags: dict[str, str] | None = None,
    parent_job_name: str | None = None,
) -> dict[str, str]:
    """Create the job's run (id = job name, name = display name, artifacts in artifacts_dir) and
    return the environment variables its process needs so unchanged MLflow scripts log into it."""
    check_run_id(job_name)
    if parent_job_name is not None:
        check_run_id(parent_job_name)
    experiment_name = experiment_name or DEFAULT_EXPERIMENT_NAME
    root = mlruns_dir(workspace_dir)
    experiment_id = _experiment_id(root, experiment_name)
    run_dir = root / experiment_id / job_name
    try:
        run_dir.mkdir()
    except FileExistsError:
        raise AlreadyExistsError(
            f"Job {job_name!r} already has an MLflow run: give the job another name."
        ) from None
    for sub in ("metrics", "params", "tags", "artifacts"):
        (run_dir / sub).mkdir()
    artifacts_dir = Path(artifacts_dir).resolve()
    artifacts_dir.mkdir(parents=True, exist_ok=True)

    run_name = display_name or job_name
    all_tags = {
        "mlflow.runName": run_name,
        "mlflow.user": _user(),
        "mlflow.source.type": "JOB",
        **({"mlflow.parentRunId": parent_job_name} if parent_job_name else {}),
        **{str(k): str(v) for k, v in (tags or {}).items()},
    }
    for key, value in all_tags.items():
        path = _key_path(run_dir / "tags", key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, value)

    meta = {
        "artifact_uri": file_uri(artifacts_dir),
        "deleted_time": None,
        "end_time": None,
        "entry_point_name": "",
        "experiment_id": experiment_id,
        "lifecycle_stage": "active",
        "run_id": job_name,
        "run_name": run_name,
        "source_name": "",
        "source_type": _SOURCE_TYPE_JOB,
        "source_version": "",
        "start_time": _now_ms(),
        "status": RUN_STATUS_CODES["RUNNING"],
        "tags": [],
        "user_id": _user(),
    }
    text = _dump_yaml(meta)
    write_text_atomic(run_dir / _PREPARED_META, text)
    write_text_atomic(run_dir / META, text)  # last: the run counts as existing from here on
    return _job_env(workspace_dir, job_name, experiment_id, experiment_name)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without passwd entry
        return "unknown"


def end_run(workspace_dir: Path, job_name: str, status: str) -> None:
    """Set the run's final status and end time, whatever the script left (MLflow's atexit hook
    marks a run FINISHED even when the script raised)."""
    if status not in ENDED_STATUSES:
        raise UsageError(f"Run status {status!r} is not one of {', '.join(ENDED_STATUSES)}.")
    run_dir = require_run_dir(workspace_dir, job_name)
    try:
        meta = _load_yaml(run_dir / META)
    except Exception:
        meta = None
    if not isinstance(meta, dict) or meta.get("run_id") != job_name:
        meta = _load_yaml(run_dir / _PREPARED_META)  # a killed writer left meta.yaml torn
    meta["status"] = RUN_STATUS_CODES[status]
    meta["end_time"] = _now_ms()
    write_text_atomic(run_dir / META, _dump_yaml(meta))
