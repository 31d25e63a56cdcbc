"""Resolve the URIs Azure ML accepts wherever a path is into files of the local workspace."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import NotFoundError, ValidationError
from .store import Store
from .uploads import DEFAULT_DATASTORE

__all__ = ["resolve_uri", "datastore_root", "job_output_dir", "is_remote_uri"]

_DATASTORE = re.compile(r"^azureml://datastores/(?P<ds>[^/]+)/paths/(?P<path>.*)$")
_JOB_OUTPUT = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<out>[^/]+)(?:/paths/(?P<path>.*))?$")
_REMOTE = ("https://", "http://", "wasbs://", "abfss://", "adl://", "s3://", "gs://")


def is_remote_uri(path: str) -> bool:
    return str(path).startswith(_REMOTE)


def datastore_root(store: Store, name: str) -> Path:
    if name in (DEFAULT_DATASTORE, "workspaceartifactstore"):
        return store.root / "datastores" / name
    record = store.get("datastores", name)
    if record is None:
        raise NotFoundError(f"datastore {name!r} not found: list them with %aml datastore list")
    return Path(record["spec"]["local_path"])


def job_output_dir(store: Store, job: str, output: str) -> Path:
    job_dir = store.root / "jobs" / job
    if not job_dir.is_dir():
        raise NotFoundError(f"job {job!r} not found: list jobs with %aml job list")
    return job_dir / "artifacts" if output in ("artifacts", "default") else job_dir / "outputs" / output


def resolve_uri(store: Store, uri: str, base: Path | None = None) -> Path:
    """Local path for a local path, `file://`, datastore or job-output URI."""
    text = str(uri)
    m = _DATASTORE.match(text)
    if m:
        return datastore_root(store, m["ds"]) / unquote(m["path"]).rstrip("/")
    m = _JOB_OUTPUT.match(text)
    if m:
        return job_output_dir(store, m["job"], m["out"]) / unquote(m["path"] or "").rstrip("/")
    if text.startswith("file://"):
        return Path(unquote(urlparse(text).path))
    if text.startswith("azureml:") or is_remote_uri(text):
        raise ValidationError(f"{text!r} is not a local path: the local backend reads local files, datastore and job-output URIs")
    path = Path(text).expanduser()
    return path if path.is_absolute() else (Path(base or ".") / path).resolve()
