"""`client.online_deployments`: managed online deployments served locally with Azure's scoring
contract (`init()` once per worker, `run(raw_data)` per request, AZUREML_MODEL_DIR laid out as
on Azure), one worker process per instance (`instance_count`).

    deployment = load_online_deployment("blue.yml")
    poller = client.online_deployments.begin_create_or_update(deployment)
    poller.result()      # the deployment (Succeeded), or raises BackendError when init() failed
    client.online_deployments.get_logs("blue", "ep", lines=50)

Code is snapshotted at create: editing the source later does not change a running deployment.
`--all-traffic` is left to the caller (the magic), as `az ml` does it: once the deployment
succeeded, set `endpoint.traffic = {name: 100}` and update the endpoint.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...errors import BackendError, NotFoundError, ValidationError
from ...rules.data_collection import data_collector_spec
from ..endpoints.collection import collection_config, data_collector_entity
from ..endpoints.layout import layout_model, new_snapshot, prune_snapshots, snapshot_code
from ..endpoints.records import (
    ENDPOINTS,
    deployments_kind,
    endpoint_record,
    validate_endpoint_name,
)
from ..endpoints.runtime import apply_config, build_config, deployment_records, live_state
from ..endpoints.sources import describe_deployment_environment, python_for, resolve_code, resolve_model
from ..pollers import CompletedPoller
from ..serving import deployment_logs
from ..serving.config import EndpointPaths, check_request_timeout
from ..workspace import LocalWorkspace, current_user, now_iso

__all__ = ["OnlineDeploymentOperations"]

_SERVER_LOG = (None, "", "inference-server", "InferenceServer", "inference_server")
_SETUP_LOG = ("storage-initializer", "StorageInitializer", "storage_initializer")
_REQUEST_SETTINGS = ("request_timeout_ms", "max_concurrent_requests_per_instance", "max_queue_wait_ms")


def _request_settings(deployment: Any) -> dict | None:
    """`request_settings` as given (an OnlineRequestSettings, or a dict on a hand-built entity),
    without unset fields; None when nothing is set. The timeout is checked here, before anything
    runs; the other fields are kept for show and export but not enforced locally."""
    settings = getattr(deployment, "request_settings", None)
    if settings is None:
        return None
    get = settings.get if isinstance(settings, dict) else (lambda f: getattr(settings, f, None))
    given = {f: get(f) for f in _REQUEST_SETTINGS if get(f) is not None}
    check_request_timeout(given.get("request_timeout_ms"))
    return given or None


def _setup_logger(path: Path):
    def log(line: str) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{now_iso()} {line.rstrip()}\n")
    return log


class OnlineDeploymentOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any):
        self._ws = workspace
        self._store = workspace.store
        self._client = client

    # -- MLClient interface ------------------------------------------------------------------
    def begin_create_or_update(self, deployment: Any, *, local: bool = False, vscode_debug: bool = False,
                               skip_script_validation: bool = False, local_enable_gpu: bool = False,
                               timeout: float = 300, **_: Any) -> CompletedPoller:
        # MLClient's flags for its Docker-based local endpoints: nothing to debug, validate
        # separately or pass a GPU to here (the deployment runs in this machine's Python).
        del vscode_debug, skip_script_validation, local_enable_gpu
        name = validate_endpoint_name(getattr(deployment, "name", None), "deployment")
        endpoint = getattr(deployment, "endpoint_name", None)
        if not endpoint:
            raise ValidationError(f"deployment {name} has no endpoint_name: set it in the YAML or give "
                                  "-e/--endpoint-name")
        endpoint_record(self._store, endpoint)
        base = Path(getattr(deployment, "_base_path", None) or os.getcwd()).resolve()
        # Resolve everything before touching the running endpoint: a mistake fails here, whole.
        model = resolve_model(self._client, getattr(deployment, "model", None), base)
        code_dir, script = resolve_code(self._store, getattr(deployment, "code_configuration", None), base)
        if model is None and code_dir is None:
            raise ValidationError(f"deployment {name} has neither a model nor code_configuration: give a "
                                  "scoring script (code_configuration) or an mlflow_model model")
        if code_dir is None and model.type != "mlflow_model":
            raise ValidationError(f"deployment {name} serves a {model.type} without a scoring script: add "
                                  "code_configuration with code and scoring_script (only mlflow_model needs none)")
        count = getattr(deployment, "instance_count", None)
        count = 1 if count is None else count
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValidationError(f"instance_count must be a whole number >= 1, got {count!r}")
        request_settings = _request_settings(deployment)
        collector = data_collector_spec(getattr(deployment, "data_collector", None))
        environment = getattr(deployment, "environment", None)
        described = describe_deployment_environment(self._store, environment, base)

        with self._store.lock(f"endpoint-{endpoint}"):
            kind = deployments_kind(endpoint)
            existing = self._store.get(kind, name)
            snapshot = new_snapshot(self._store, endpoint, name)
            setup = _setup_logger(snapshot / "setup.log")
            try:
                code = snapshot_code(code_dir, snapshot) if code_dir else None
                if code:
                    setup(f"code: copied {code_dir} to {code}")
                model_dir = layout_model(model.path, snapshot, model.name, model.version,
                                         link=model.reference is not None) if model else None
                if model:
                    setup(f"model: {model.reference or model.path} laid out at AZUREML_MODEL_DIR={model_dir}")
                python = python_for(self._client, described, setup)
                setup(f"environment: workers run {python}")
                record = self._record(deployment, name, endpoint, model, code, code_dir, script, model_dir,
                                      python, described, environment, snapshot, count, request_settings, existing)
                record["spec"]["data_collector"] = collector
                record["serving"]["collection"] = collection_config(
                    self._client, self._store, self._arm_id(endpoint, name), endpoint, name, collector, model)
                endpoint_rec = self._store.get(ENDPOINTS, endpoint)
                build_config(endpoint_rec, {**deployment_records(self._store, endpoint), name: record})
            except BaseException:
                prune_snapshots(self._store, endpoint, name, Path(existing["snapshot"]) if existing else None)
                raise
            self._store.put(kind, name, record)
            state = apply_config(self._store, endpoint_rec, timeout)
            served = state.deployments.get(name)
            record["status"] = {"state": served.state if served else "Failed",
                                "error": served.error if served else "the server does not serve it"}
            self._store.put(kind, name, record)
            prune_snapshots(self._store, endpoint, name, snapshot)
        entity = self._entity(record, state)
        if record["status"]["state"] == "Failed":
            reason = (record["status"]["error"] or "").strip().splitlines() or ["unknown error"]
            return CompletedPoller(entity, BackendError(
                f"deployment {name} of endpoint {endpoint} failed: {reason[-1]}; see "
                f"%aml online-deployment get-logs -n {name} -e {endpoint}"))
        return CompletedPoller(entity)

    def get(self, name: str, endpoint_name: str, *, local: bool = False, **_: Any) -> Any:
        record = self._deployment_record(name, endpoint_name)
        return self._entity(record, live_state(self._store, endpoint_name))

    def list(self, endpoint_name: str, *, local: bool = False, **_: Any) -> list:
        endpoint_record(self._store, endpoint_name)
        state = live_state(self._store, endpoint_name)
        return [self._entity(record, state) for record in self._store.records(deployments_kind(endpoint_name)).values()]

    def get_logs(self, name: str, endpoint_name: str, lines: int | None = None, *, container_type: str | None = None,
                 local: bool = False, **_: Any) -> str:
        """The deployment's log: its workers' output (init() tracebacks, prints, run() errors)
        and the server's events; `container_type="storage-initializer"` gives the setup log
        (code snapshot, model layout, environment)."""
        record = self._deployment_record(name, endpoint_name)
        if lines is not None and (isinstance(lines, bool) or int(lines) < 0):
            raise ValidationError(f"lines must be a whole number >= 0, got {lines!r}")
        if container_type in _SETUP_LOG:
            path = Path(record["snapshot"]) / "setup.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            return text if lines is None else "".join(text.splitlines(keepends=True)[-int(lines):] if lines else [])
        if container_type not in _SERVER_LOG:
            raise ValidationError(f"container_type {container_type!r} is not known: use inference-server or "
                                  "storage-initializer")
        return deployment_logs(self._state_dir(endpoint_name), name, None if lines is None else int(lines))

    def begin_delete(self, name: str, endpoint_name: str, *, local: bool = False, timeout: float = 300,
                     **_: Any) -> CompletedPoller:
        with self._store.lock(f"endpoint-{endpoint_name}"):
            self._deployment_record(name, endpoint_name)
            endpoint = self._store.get(ENDPOINTS, endpoint_name)
            traffic = endpoint["spec"].get("traffic") or {}
            # Our rule, as Azure refuses it: a deployment taking live traffic cannot be deleted.
            if traffic.get(name):
                raise ValidationError(f"deployment {name} takes {traffic[name]}% of endpoint {endpoint_name}'s "
                                      "traffic: move it to other deployments first (online-endpoint update --traffic)")
            if endpoint["spec"].get("mirror_traffic", {}).pop(name, None) is not None:
                endpoint["meta"]["modified_at"] = now_iso()
                self._store.put(ENDPOINTS, endpoint_name, endpoint)
            self._store.delete(deployments_kind(endpoint_name), name)
            apply_config(self._store, endpoint, timeout)  # the server stops its workers
            prune_snapshots(self._store, endpoint_name, name, None)
            EndpointPaths(self._state_dir(endpoint_name)).deployment_log(name).unlink(missing_ok=True)
        return CompletedPoller(None)

    # -- records and entities ----------------------------------------------------------------
    def _state_dir(self, endpoint: str) -> Path:
        from ..endpoints.records import state_dir

        return state_dir(self._store, endpoint)

    def _arm_id(self, endpoint: str, name: str) -> str:
        return self._ws.arm_id("onlineEndpoints", endpoint) + f"/deployments/{name}"

    def _deployment_record(self, name: str, endpoint_name: str) -> dict:
        endpoint_record(self._store, endpoint_name)
        record = self._store.get(deployments_kind(endpoint_name), name)
        if record is None:
            raise NotFoundError(f"deployment {name!r} not found in endpoint {endpoint_name}: list them with "
                                f"%aml online-deployment list -e {endpoint_name}")
        return record

    def _record(self, deployment, name, endpoint, model, code, code_dir, script, model_dir, python, described,
                environment, snapshot, count, request_settings, existing) -> dict:
        if environment is not None and not isinstance(environment, str):  # inline: kept as a plain dict
            from ..jobs.environments import read_conda_file

            conda = getattr(environment, "conda_file", None)
            base = Path(getattr(environment, "_base_path", None) or getattr(deployment, "_base_path", None) or ".")
            environment = {"image": getattr(environment, "image", None),
                           "conda_file": read_conda_file(conda, base) if conda else None}
        model_spec = None
        if model is not None:
            model_spec = {"name": model.name, "version": model.version, "type": model.type,
                          "reference": model.reference,
                          "path": str(model_dir / model.path.name)}  # the snapshot's copy, for a re-deploy
        now = now_iso()
        # A model with its own scoring script is served by that script, mlflow_model or not.
        no_code_mlflow = model is not None and model.type == "mlflow_model" and not code
        model_type = "mlflow_model" if no_code_mlflow else "custom_model"
        return {
            "spec": {
                "name": name, "endpoint_name": endpoint, "model": model_spec,
                "code_configuration": {"code": str(code), "scoring_script": script, "source": str(code_dir)}
                if code else None,
                "environment": environment, "instance_type": getattr(deployment, "instance_type", None),
                "instance_count": count,
                "environment_variables": dict(getattr(deployment, "environment_variables", None) or {}),
                "description": getattr(deployment, "description", None), "tags": dict(deployment.tags or {}),
                "properties": dict(getattr(deployment, "properties", None) or {}),
                "request_settings": request_settings,
            },
            "serving": {
                "code_dir": str(code) if code else None, "scoring_script": script,
                "model_dir": str(model_dir) if model_dir else None, "model_type": model_type,
                "instance_count": count, "python": python,
                "environment_variables": {str(k): str(v) for k, v in
                                          (getattr(deployment, "environment_variables", None) or {}).items()},
                # None: the serving config applies Azure's default (serving.config.check_request_timeout)
                "request_timeout_ms": (request_settings or {}).get("request_timeout_ms"),
            },
            "environment_described": described,
            "snapshot": str(snapshot),
            "status": {"state": "Creating", "error": None},
            "meta": {**(existing or {}).get("meta", {"created_at": now, "created_by": current_user()}),
                     "modified_at": now},
        }

    def _entity(self, record: dict, state: Any) -> Any:
        from azure.ai.ml.entities import (
            CodeConfiguration,
            Environment,
            ManagedOnlineDeployment,
            Model,
            OnlineRequestSettings,
        )

        spec = record["spec"]
        served = state.deployments.get(spec["name"]) if state is not None else None
        # Our rule: the server's live state (Creating, Succeeded, Failed; "Stopped" when its
        # process is gone: an invoke or update restarts it), else the state recorded at create.
        provisioning = served.state if served is not None else record["status"]["state"]
        model = spec.get("model")
        if model is not None:
            model = model["reference"] or Model(name=model["name"], version=model["version"], type=model["type"],
                                                path=model["path"])
        env = spec.get("environment")
        if isinstance(env, dict):
            env = Environment(image=env.get("image"), conda_file=env.get("conda_file"))
        code = spec.get("code_configuration")
        settings = spec.get("request_settings")
        arm = self._arm_id(spec["endpoint_name"], spec["name"])
        return ManagedOnlineDeployment(
            name=spec["name"], endpoint_name=spec["endpoint_name"], model=model, environment=env,
            code_configuration=CodeConfiguration(code=code["code"], scoring_script=code["scoring_script"])
            if code else None,
            instance_type=spec.get("instance_type"), instance_count=spec["instance_count"],
            environment_variables=spec.get("environment_variables") or {}, description=spec.get("description"),
            tags=spec.get("tags") or {}, properties=spec.get("properties") or {},
            request_settings=OnlineRequestSettings(**settings) if settings else None,
            data_collector=data_collector_entity(spec.get("data_collector")),
            provisioning_state=provisioning, id=arm, creation_context=self._ws.system_data(record["meta"]),
        )
