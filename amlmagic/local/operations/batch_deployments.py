"""`client.batch_deployments`: batch deployments of local batch endpoints. A model deployment's
code and model are snapshotted at create (editing the source later changes no job) and its
environment described then, realized by each job as a command job's is.

    deployment = load_batch_deployment("deployment.yml")  # ModelBatchDeployment (type: model)
    client.batch_deployments.begin_create_or_update(deployment).result()
    client.batch_deployments.list_jobs("mnist-batch", name="mnist-torch-dpl")
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ...errors import ValidationError
from ...rules.batch import AZURE_RUNTIME_PACKAGES, batch_settings, settings_problems
from ..batch.records import deployment_record, deployments_kind, endpoint_record, new_snapshot, prune_snapshots
from ..endpoints.layout import layout_model, snapshot_code
from ..endpoints.records import validate_endpoint_name
from ..endpoints.sources import describe_deployment_environment, resolve_code, resolve_model
from ..pollers import CompletedPoller
from ..workspace import LocalWorkspace, current_user, now_iso
from .batch_endpoints import batch_jobs

__all__ = ["BatchDeploymentOperations"]

_SETTINGS = ("mini_batch_size", "max_concurrency_per_instance", "output_action", "output_file_name",
             "error_threshold", "logging_level", "environment_variables")


def _output_action(value: Any) -> str | None:
    if value is None:
        return None
    text = str(getattr(value, "value", value)).lower().replace("_", "")
    return {"appendrow": "append_row", "summaryonly": "summary_only"}.get(text, str(value))


def settings_of(deployment: Any) -> dict:
    """The settings as given (None: unset), from `settings:` (type: model) or the top level
    (a legacy deployment without type)."""
    source = getattr(deployment, "settings", None) or deployment
    settings = {f: getattr(source, f, None) for f in _SETTINGS}
    settings["output_action"] = _output_action(settings["output_action"])
    retry = getattr(source, "retry_settings", None)
    if retry is not None:
        settings["retry_settings"] = {k: getattr(retry, k, None) for k in ("max_retries", "timeout")}
    resources = getattr(deployment, "resources", None)
    count = getattr(resources, "instance_count", None) if resources is not None else None
    settings["instance_count"] = count if count is not None else getattr(source, "instance_count", None)
    if settings["environment_variables"] is not None:
        settings["environment_variables"] = {str(k): str(v) for k, v in settings["environment_variables"].items()}
    return {k: v for k, v in settings.items() if v is not None}


def without_azure_runtime(described: dict) -> dict:
    """The environment without the packages only Azure's batch runtime needs (rules.batch)."""
    requirements = described.get("requirements") or []
    kept = [r for r in requirements if not any(r.lower().replace("_", "-").startswith(p) for p in AZURE_RUNTIME_PACKAGES)]
    if len(kept) == len(requirements):
        return described
    dropped = sorted(set(requirements) - set(kept))
    notice = f"environment {described.get('label')}: a local batch run skips {', '.join(dropped)} (Azure's batch runtime)"
    digest = hashlib.sha256(json.dumps(sorted(kept)).encode()).hexdigest()[:16]
    return {**described, "requirements": kept, "hash": digest,
            "notice": "; ".join(n for n in (described.get("notice"), notice) if n)}


class BatchDeploymentOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any):
        self._ws = workspace
        self._store = workspace.store
        self._client = client

    # -- MLClient interface ------------------------------------------------------------------
    def begin_create_or_update(self, deployment: Any, *, skip_script_validation: bool = False,
                               **_: Any) -> CompletedPoller:
        del skip_script_validation  # the script is checked when a job's workers import it
        name = validate_endpoint_name(getattr(deployment, "name", None), "deployment")
        endpoint = getattr(deployment, "endpoint_name", None)
        if not endpoint:
            raise ValidationError(f"deployment {name} has no endpoint_name: set it in the YAML or give -e/--endpoint-name")
        endpoint_record(self._store, endpoint)
        base = Path(getattr(deployment, "_base_path", None) or os.getcwd()).resolve()
        kind = str(getattr(deployment, "type", None) or "").lower() or None
        if kind == "pipeline":
            from ..batch.pipeline import pipeline_deployment_record

            record = pipeline_deployment_record(self._client, deployment, name, endpoint, base)
            return self._save(record, None)
        compute = getattr(deployment, "compute", None)
        if compute:
            from ..jobs.plan import resolve_compute

            resolve_compute(self._store, compute)  # NotFoundError: create the compute first, as on Azure
        settings = settings_of(deployment)
        problems = settings_problems({**batch_settings(settings), "output_action": str(
            batch_settings(settings)["output_action"]).lower()})
        if problems:
            raise ValidationError(f"deployment {name}: {'; '.join(problems)}")
        model = resolve_model(self._client, getattr(deployment, "model", None), base)
        if model is None:
            raise ValidationError(f"deployment {name} has no model: give model: (a path or azureml:name:version)")
        code_dir, script = resolve_code(self._store, getattr(deployment, "code_configuration", None), base)
        if code_dir is None and model.type != "mlflow_model":
            raise ValidationError(f"deployment {name} scores a {model.type} without a scoring script: add "
                                  "code_configuration (code, scoring_script); only an mlflow_model needs none")
        environment = getattr(deployment, "environment", None)
        described = without_azure_runtime(describe_deployment_environment(self._store, environment, base))
        with self._store.lock(f"batch-endpoint-{endpoint}"):
            existing = self._store.get(deployments_kind(endpoint), name)
            snapshot = new_snapshot(self._store, endpoint, name)
            try:
                if code_dir is not None:
                    snapshot_code(code_dir, snapshot)
                model_dir = layout_model(model.path, snapshot, model.name, model.version,
                                         link=model.reference is not None)
            except BaseException:
                prune_snapshots(self._store, endpoint, name, Path(existing["snapshot"]) if existing else None)
                raise
            spec = {
                "name": name, "endpoint_name": endpoint, "type": kind, "description": getattr(deployment, "description", None),
                "tags": dict(getattr(deployment, "tags", None) or {}),
                "properties": dict(getattr(deployment, "properties", None) or {}),
                "model": {"name": model.name, "version": model.version, "type": model.type, "reference": model.reference,
                          "path": str(model_dir / model.path.name)},
                "code_configuration": {"code": str(snapshot / "code"), "scoring_script": script, "source": str(code_dir)}
                if code_dir is not None else None,
                "environment": environment if isinstance(environment, str) else _inline_environment(environment),
                "compute": compute, "settings": settings,
            }
            run = {"mlflow": code_dir is None, "code": code_dir is not None, "scoring_script": script,
                   "model_dir": str(model_dir.relative_to(snapshot)), "environment": described}
            record = {"spec": spec, "run": run, "snapshot": str(snapshot), "meta": self._meta(existing)}
            self._store.put(deployments_kind(endpoint), name, record)
            prune_snapshots(self._store, endpoint, name, snapshot)
        return CompletedPoller(self._entity(record))

    def _meta(self, existing: dict | None) -> dict:
        now = now_iso()
        return {**(existing or {}).get("meta", {"created_at": now, "created_by": current_user()}), "modified_at": now}

    def _save(self, record: dict, snapshot: Path | None) -> CompletedPoller:
        spec = record["spec"]
        with self._store.lock(f"batch-endpoint-{spec['endpoint_name']}"):
            record["meta"] = self._meta(self._store.get(deployments_kind(spec["endpoint_name"]), spec["name"]))
            self._store.put(deployments_kind(spec["endpoint_name"]), spec["name"], record)
        return CompletedPoller(self._entity(record))

    def get(self, name: str, endpoint_name: str, **_: Any) -> Any:
        return self._entity(deployment_record(self._store, name, endpoint_name))

    def list(self, endpoint_name: str, **_: Any) -> list:
        endpoint_record(self._store, endpoint_name)
        return [self._entity(r) for r in self._store.records(deployments_kind(endpoint_name)).values()]

    def begin_delete(self, name: str, endpoint_name: str, **_: Any) -> CompletedPoller:
        with self._store.lock(f"batch-endpoint-{endpoint_name}"):
            deployment_record(self._store, name, endpoint_name)
            endpoint = endpoint_record(self._store, endpoint_name)
            # Our rule: the default deployment cannot be deleted while it is the default (invoke would
            # have nothing to route to); docs/batch.md.
            if (endpoint["spec"].get("defaults") or {}).get("deployment_name") == name:
                raise ValidationError(f"deployment {name} is the default of batch endpoint {endpoint_name}: make "
                                      f"another one the default first (%aml batch-endpoint update -n {endpoint_name} "
                                      "--set defaults.deployment_name=OTHER), or delete the endpoint")
            self._store.delete(deployments_kind(endpoint_name), name)
            prune_snapshots(self._store, endpoint_name, name, None)
        return CompletedPoller(None)

    def list_jobs(self, endpoint_name: str, *, name: str | None = None, **_: Any) -> list:
        if name is not None:
            deployment_record(self._store, name, endpoint_name)
        else:
            endpoint_record(self._store, endpoint_name)
        return batch_jobs(self._ws, endpoint_name, name)

    # -- entities ----------------------------------------------------------------------------
    def _entity(self, record: dict) -> Any:
        from ..batch.entities import deployment_entity

        return deployment_entity(self._ws, record)


def _inline_environment(environment: Any) -> dict | None:
    if environment is None:
        return None
    from ..jobs.environments import read_conda_file

    conda = getattr(environment, "conda_file", None)
    base = Path(getattr(environment, "_base_path", None) or ".")
    return {"name": getattr(environment, "name", None), "image": getattr(environment, "image", None),
            "conda_file": read_conda_file(conda, base) if conda else None}
