"""`client.batch_endpoints`: local batch endpoints; `invoke` starts a batch scoring job on this
machine (amlmagic.local.batch) and returns azure-ai-ml's `BatchJob` (name, status), as MLClient.

    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="mnist-batch")).result()
    job = client.batch_endpoints.invoke("mnist-batch", input=Input(type="uri_folder", path="digits"))
    client.jobs.wait(job.name); client.jobs.download(job.name, output_name="score")
    client.batch_endpoints.list_jobs("mnist-batch")
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ...errors import DamagedStateError, UsageError, ValidationError
from ...rules.batch import default_output_path, settings_problems
from ..batch.invocation import choose_deployment, flatten_overrides, one_input, output_path
from ..batch.records import ENDPOINTS, deployments_kind, endpoint_folder, endpoint_record
from ..endpoints.records import validate_endpoint_name
from ..jobs.state import jobs_root, read_record, read_status
from ..pollers import CompletedPoller
from ..uploads import DEFAULT_DATASTORE
from ..uris import resolve_uri
from ..workspace import LocalWorkspace, current_user, now_iso

__all__ = ["BatchEndpointOperations", "batch_jobs"]


def _defaults(value: Any) -> dict:
    if value is None:
        return {}
    name = value.get("deployment_name") if isinstance(value, dict) else getattr(value, "deployment_name", None)
    return {"deployment_name": name} if name else {}


def batch_jobs(workspace: LocalWorkspace, endpoint: str, deployment: str | None = None) -> list:
    """The batch jobs of an endpoint (of one deployment), newest first, as `BatchJob`s."""
    from azure.ai.ml.entities import BatchJob

    root = jobs_root(workspace.root)
    found = []
    for entry in os.scandir(root) if root.is_dir() else ():
        folder = Path(entry.path)
        if entry.name.startswith(".") or not (folder / "record.json").is_file():
            continue
        try:
            meta = read_record(folder)["meta"]
        except DamagedStateError:
            continue
        if meta.get("batch_endpoint") == endpoint and deployment in (None, meta.get("batch_deployment")):
            found.append((meta.get("created_at", ""), entry.name, folder))
    found.sort(reverse=True)
    return [BatchJob(id=workspace.arm_id("jobs", name), name=name, type="Microsoft.MachineLearningServices/jobs",
                     status=read_status(folder)["status"]) for _, name, folder in found]


class BatchEndpointOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any):
        self._ws = workspace
        self._store = workspace.store
        self._client = client

    # -- MLClient interface ------------------------------------------------------------------
    def begin_create_or_update(self, endpoint: Any, **_: Any) -> CompletedPoller:
        """Create or overwrite (as `az ml batch-endpoint create`); `update` is the same call with
        the fields it may change (description, tags, defaults)."""
        name = validate_endpoint_name(getattr(endpoint, "name", None))
        auth_mode = str(getattr(endpoint, "auth_mode", None) or "aad_token").lower()
        if auth_mode != "aad_token":
            raise ValidationError(f"auth_mode {auth_mode!r}: batch endpoints take aad_token only")
        defaults = _defaults(getattr(endpoint, "defaults", None))
        with self._store.lock(f"batch-endpoint-{name}"):
            existing = self._store.get(ENDPOINTS, name)
            default = defaults.get("deployment_name")
            if default and self._store.get(deployments_kind(name), default) is None:
                raise ValidationError(f"defaults.deployment_name: endpoint {name} has no deployment {default!r}: "
                                      f"use one of {self._store.names(deployments_kind(name)) or 'none yet'}")
            now = now_iso()
            record = {
                "spec": {"name": name, "auth_mode": auth_mode, "description": getattr(endpoint, "description", None),
                         "tags": dict(getattr(endpoint, "tags", None) or {}),
                         "properties": dict(getattr(endpoint, "properties", None) or {}),
                         "defaults": defaults or (existing or {}).get("spec", {}).get("defaults") or {}},
                "meta": {**(existing or {}).get("meta", {"created_at": now, "created_by": current_user()}),
                         "modified_at": now},
            }
            self._store.put(ENDPOINTS, name, record)
        return CompletedPoller(self._entity(record))

    def get(self, name: str, **_: Any) -> Any:
        return self._entity(endpoint_record(self._store, name))

    def list(self, **_: Any) -> list:
        return [self._entity(record) for record in self._store.records(ENDPOINTS).values()]

    def begin_delete(self, name: str | None = None, **_: Any) -> CompletedPoller:
        """Delete the endpoint and its deployments; its jobs stay (as on Azure, in the job list)."""
        if not name:
            raise UsageError("give the endpoint's name: %aml batch-endpoint delete -n NAME")
        with self._store.lock(f"batch-endpoint-{name}"):
            try:
                endpoint_record(self._store, name)
            except DamagedStateError:
                pass  # what deleting a damaged endpoint needs is its name
            for dep in self._store.names(deployments_kind(name)):
                self._store.delete(deployments_kind(name), dep)
            self._store.delete(ENDPOINTS, name)
            shutil.rmtree(endpoint_folder(self._store, name), ignore_errors=True)
            shutil.rmtree(self._store.root / "registry" / deployments_kind(name), ignore_errors=True)
        return CompletedPoller(None)

    def invoke(self, endpoint_name: str, *, deployment_name: str | None = None, inputs: dict | None = None,
               **kwargs: Any) -> Any:
        """Start a batch scoring job (model deployment) or a pipeline job (pipeline component
        deployment); returns its `BatchJob`. kwargs as MLClient's: input, outputs, job_name,
        params_override, experiment_name."""
        from azure.ai.ml.entities import BatchJob

        endpoint = endpoint_record(self._store, endpoint_name)
        record = choose_deployment(self._store, endpoint, deployment_name)
        params_override = list(kwargs.get("params_override") or [])
        if record["spec"].get("type") == "pipeline":
            from ..batch.pipeline import invoke_pipeline

            name = invoke_pipeline(self._client, record, inputs=inputs or {}, input=kwargs.get("input"),
                                   outputs=kwargs.get("outputs"), params_override=params_override,
                                   job_name=kwargs.get("job_name"), experiment_name=kwargs.get("experiment_name"))
        else:
            name = self._invoke_model(record, one_input(kwargs.get("input"), inputs), kwargs, params_override)
        return BatchJob(id=self._ws.arm_id("jobs", name), name=name, type="Microsoft.MachineLearningServices/jobs",
                        status=read_status(jobs_root(self._ws.root) / name)["status"])

    def _invoke_model(self, record: dict, given: Any, kwargs: dict, params_override: list) -> str:
        from ...rules.batch import batch_settings
        from ..batch.inputs import resolve_input
        from ..batch.submit import submit_batch_job

        input_type = getattr(given, "type", None) if not isinstance(given, (str, dict)) else (
            given.get("type") if isinstance(given, dict) else None)
        path = given.get("path") if isinstance(given, dict) else getattr(given, "path", given)
        local = resolve_input(self._store, path, Path(os.getcwd()), input_type)
        settings = batch_settings(record["spec"]["settings"], flatten_overrides(params_override))
        settings["output_action"] = str(settings["output_action"]).lower()
        problems = settings_problems(settings)
        if problems:
            raise ValidationError("; ".join(problems))
        job_name = kwargs.get("job_name")
        uri = output_path(kwargs.get("outputs"), params_override)
        if uri is not None and not uri.startswith("azureml://datastores/"):
            raise ValidationError(f"output path {uri}: give a datastore path, azureml://datastores/<name>/paths/<path>")
        from ...names import generate_job_name, validate_job_name

        name = validate_job_name(job_name) if job_name else generate_job_name()
        uri = uri or default_output_path(DEFAULT_DATASTORE, name)
        return submit_batch_job(
            self._store, record, settings=settings, output_uri=uri, output_folder=resolve_uri(self._store, uri),
            input={"path": str(path), "type": input_type or ("uri_file" if local.is_file() else "uri_folder"),
                   "local_path": str(local)},
            job_name=name, experiment_name=kwargs.get("experiment_name"))

    def list_jobs(self, endpoint_name: str, **_: Any) -> list:
        endpoint_record(self._store, endpoint_name)
        return batch_jobs(self._ws, endpoint_name)

    # -- entities ----------------------------------------------------------------------------
    def _entity(self, record: dict) -> Any:
        from azure.ai.ml.entities import BatchEndpoint

        spec = record["spec"]
        return BatchEndpoint(
            name=spec["name"], auth_mode=spec["auth_mode"], description=spec.get("description"),
            tags=spec.get("tags") or {}, properties=spec.get("properties") or {},
            defaults=dict(spec.get("defaults") or {}) or None, location="local", provisioning_state="Succeeded",
            id=self._ws.arm_id("batchEndpoints", spec["name"]), creation_context=self._ws.system_data(record["meta"]),
        )
