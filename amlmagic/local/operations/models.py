"""`client.models`: model versions from local paths or job outputs, with lineage."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, ValidationError
from ...rules import MODEL_TYPES
from ..uploads import upload_local_path
from ..uris import resolve_uri
from .data import local_source_path
from .versioned import VersionedOperations

__all__ = ["ModelOperations"]

_JOB_URI = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/")
_RUNS_URI = re.compile(r"^runs:/(?P<job>[^/]+)/(?P<path>.*)$")


class ModelOperations(VersionedOperations):
    kind = "models"
    noun = "model"

    def _prepare(self, model: Any) -> tuple[dict, dict]:
        model_type = model.type or "custom_model"
        if model_type not in MODEL_TYPES:
            raise ValidationError(f"model type {model_type!r} is not one of {', '.join(MODEL_TYPES)}: set -t/--type")
        if not model.path:
            raise ValidationError("a model needs a path: give -p/--path (a local path or azureml://jobs/... URI)")
        source = local_source_path(model)
        runs = _RUNS_URI.match(source)
        if runs:  # MLflow's runs:/<run>/<path> is the job's artifacts output (run id == job name)
            source = f"azureml://jobs/{runs['job']}/outputs/artifacts/paths/{runs['path']}"
        local = resolve_uri(self._store, source)
        if not local.exists():
            raise NotFoundError(f"model path {source} does not exist: check -p/--path")
        if local.is_dir() and not any(p.is_file() for p in local.rglob("*")):
            job = _JOB_URI.match(source)
            why = f" (job {job['job']} is {self._job_status(job['job'])})" if job else ""
            raise ValidationError(f"model path {source} is empty{why}: register a folder that holds the model files")
        if model_type == "mlflow_model" and not (local / "MLmodel").is_file():
            raise ValidationError(f"mlflow_model {source} has no MLmodel file: use -t custom_model")
        lineage: dict[str, Any] = {}
        job = _JOB_URI.match(source)
        if job:  # Azure keeps the job's output as the model's location; so do we
            path = source
            lineage = self._job_lineage(job["job"])
        elif source.startswith("azureml://datastores/"):  # kept as registered, as Azure (and data) do
            path = source
        else:
            path = upload_local_path(self._store, local)
        spec = {"type": model_type, "path": path}
        for field in ("description", "tags", "properties"):
            if getattr(model, field, None):
                spec[field] = getattr(model, field)
        return spec, {"source": source, "lineage": lineage}

    def _job_status(self, job_name: str) -> str:
        from ..jobs.state import job_dir, read_status

        return read_status(job_dir(self._store.root, job_name)).get("status") or "unknown"

    def _job_lineage(self, job_name: str) -> dict:
        from ..jobs.state import job_dir, read_record

        try:
            record = read_record(job_dir(self._store.root, job_name))
        except FileNotFoundError:
            record = {}
        spec = record.get("spec", {})
        inputs = {
            key: value.get("path") for key, value in (spec.get("inputs") or {}).items()
            if isinstance(value, dict) and value.get("path")
        }
        return {"job": job_name, "environment": spec.get("environment"), "inputs": inputs}

    def _entity(self, spec: dict, meta: dict) -> Any:
        from azure.ai.ml.entities import Model

        lineage = meta.get("lineage") or {}
        return Model(type=spec["type"], path=spec["path"], job_name=lineage.get("job"), **self._common(spec, meta))

    def lineage(self, name: str, version: str | None = None) -> dict:
        return self._record(name, version, None)["meta"].get("lineage") or {}

    def local_path(self, name: str, version: str | None = None) -> Path:
        return resolve_uri(self._store, self.get(name, version).path)

    def download(self, name: str, version: str | None = None, download_path: str = ".", **_: Any) -> Path:
        source = self.local_path(name, version)
        target = Path(download_path).expanduser().resolve() / name / source.name
        if target.exists():
            raise ValidationError(f"{target} exists: choose another --download-path or remove it")
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
        return target
