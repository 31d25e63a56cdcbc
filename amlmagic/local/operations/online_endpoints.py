"""`client.online_endpoints`: local online endpoints, each served by a detached process on
127.0.0.1 (amlmagic.local.serving) that outlives the kernel, with key auth as on Azure.

    poller = client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="ep"))
    endpoint = poller.result()            # scoring_uri, traffic, mirror_traffic, auth_mode, ...
    endpoint.traffic = {"blue": 90, "green": 10}
    client.online_endpoints.begin_create_or_update(endpoint).result()
    client.online_endpoints.invoke("ep", request_file="req.json", deployment_name="green")  # -> str
    client.online_endpoints.get_keys("ep").primary_key
    client.online_endpoints.begin_delete("ep").result()   # stops the processes, frees the port

`begin_*` do their work before returning (as `az ml` waits); the poller's `result()` returns
the entity or raises the operation's error.
"""

from __future__ import annotations

import http.client
import json
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ...errors import BackendError, DamagedStateError, NotFoundError, UnsupportedError, UsageError, ValidationError
from ..endpoints.records import (
    ENDPOINTS,
    deployments_kind,
    endpoint_record,
    new_key,
    state_dir,
    validate_endpoint_name,
)
from ..endpoints.runtime import apply_config, build_config, check_traffic, deployment_records, live_state, running_state
from ..pollers import CompletedPoller
from ..serving import stop_endpoint
from ..workspace import LocalWorkspace, current_user, now_iso

__all__ = ["OnlineEndpointOperations", "EndpointInvokeError", "AUTH_MODES"]

AUTH_MODES = ("key", "aml_token")
# Our rule: an aml_token endpoint takes its primary key as the token, and the token does not
# expire locally; get_keys reports Azure's 24-hour lifetime.
_TOKEN_HOURS = 24


class EndpointInvokeError(BackendError):
    """The endpoint answered an error status; `status` and `body` hold its answer."""

    def __init__(self, message: str, status: int, body: str):
        super().__init__(message)
        self.status = status
        self.body = body


def _percentages(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must map deployment names to percents, e.g. {{'blue': 100}}")
    return dict(value)


class OnlineEndpointOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any):
        self._ws = workspace
        self._store = workspace.store
        self._client = client

    # -- MLClient interface ------------------------------------------------------------------
    def begin_create_or_update(self, endpoint: Any, *, local: bool = False, timeout: float = 300,
                               **_: Any) -> CompletedPoller:
        name = validate_endpoint_name(getattr(endpoint, "name", None))
        auth_mode = str(getattr(endpoint, "auth_mode", None) or "key").lower()
        if auth_mode not in AUTH_MODES:
            raise ValidationError(f"auth_mode {auth_mode!r} is not available locally: use key or aml_token")
        traffic = _percentages(getattr(endpoint, "traffic", None), "traffic")
        mirror = _percentages(getattr(endpoint, "mirror_traffic", None), "mirror_traffic")
        with self._store.lock(f"endpoint-{name}"):
            existing = self._store.get(ENDPOINTS, name)
            deployments = deployment_records(self._store, name)
            old = existing["spec"] if existing else {}
            # Our rule: an empty traffic (or mirror) keeps what the endpoint has, so re-running
            # `online-endpoint create -f endpoint.yml` does not cut live traffic; a non-empty one
            # replaces it (`{"green": 0}` clears green). Zeros are dropped, as the SDK does.
            traffic = check_traffic(name, traffic, deployments) if traffic else old.get("traffic", {})
            if mirror:
                for dep in mirror:
                    if dep not in deployments:
                        raise ValidationError(f"mirror_traffic names deployment {dep!r}, which endpoint {name} "
                                              f"does not have: use one of {sorted(deployments) or 'none'}")
            else:
                mirror = old.get("mirror_traffic", {})
            spec = {
                "name": name, "auth_mode": auth_mode,
                "description": getattr(endpoint, "description", None) or old.get("description"),
                "tags": dict(getattr(endpoint, "tags", None) or old.get("tags") or {}),
                "properties": dict(getattr(endpoint, "properties", None) or old.get("properties") or {}),
                "traffic": {k: int(v) for k, v in traffic.items() if v},
                "mirror_traffic": {k: v for k, v in mirror.items() if v},
            }
            now = now_iso()
            record = {
                "spec": spec,
                "keys": existing["keys"] if existing else {"primary": new_key(), "secondary": new_key()},
                "meta": {**(existing or {}).get("meta", {"created_at": now, "created_by": current_user()}),
                         "modified_at": now},
            }
            build_config(record, deployments)  # validate everything (mirror caps too) before saving
            self._store.put(ENDPOINTS, name, record)
            state = apply_config(self._store, record, timeout)
        return CompletedPoller(self._entity(record, state))

    def get(self, name: str, *, local: bool = False, **_: Any) -> Any:
        record = endpoint_record(self._store, name)
        return self._entity(record, live_state(self._store, name))

    def list(self, *, local: bool = False, **_: Any) -> list:
        return [self._entity(record, live_state(self._store, name))
                for name, record in self._store.records(ENDPOINTS).items()]

    def begin_delete(self, name: str | None = None, *, local: bool = False, **_: Any) -> CompletedPoller:
        if not name:
            raise UsageError("give the endpoint's name: %aml online-endpoint delete -n NAME")
        with self._store.lock(f"endpoint-{name}"):
            try:
                endpoint_record(self._store, name)
            except DamagedStateError:
                pass  # what deleting a damaged endpoint needs is its name
            folder = state_dir(self._store, name)
            stop_endpoint(folder)  # the server and its workers are gone, the port is free
            for dep in self._store.names(deployments_kind(name)):
                self._store.delete(deployments_kind(name), dep)
            self._store.delete(ENDPOINTS, name)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(self._store.root / "registry" / deployments_kind(name), ignore_errors=True)
        return CompletedPoller(None)

    def get_keys(self, name: str, **_: Any) -> Any:
        from azure.ai.ml.entities import EndpointAuthKeys, EndpointAuthToken

        record = endpoint_record(self._store, name)
        keys = record["keys"]
        if record["spec"]["auth_mode"] == "aml_token":
            now = time.time()
            return EndpointAuthToken(access_token=keys["primary"], expiry_time_utc=now + _TOKEN_HOURS * 3600,
                                     refresh_after_time_utc=now + _TOKEN_HOURS * 1800, token_type="Bearer")
        return EndpointAuthKeys(primary_key=keys["primary"], secondary_key=keys["secondary"])

    def begin_regenerate_keys(self, name: str, *, key_type: str = "primary", timeout: float = 300,
                              **_: Any) -> CompletedPoller:
        if key_type not in ("primary", "secondary"):
            raise ValidationError(f"key_type must be primary or secondary, got {key_type!r}")
        with self._store.lock(f"endpoint-{name}"):
            record = endpoint_record(self._store, name)
            if record["spec"]["auth_mode"] != "key":
                raise ValidationError(f"endpoint {name} uses {record['spec']['auth_mode']} auth: only key "
                                      "endpoints have keys to regenerate")
            record["keys"][key_type] = new_key()
            record["meta"]["modified_at"] = now_iso()
            self._store.put(ENDPOINTS, name, record)
            apply_config(self._store, record, timeout)  # keys change without restarting workers
        return CompletedPoller(None)

    def invoke(self, endpoint_name: str, *, request_file: str | None = None, deployment_name: str | None = None,
               input_data: Any = None, params_override: Any = None, local: bool = False, timeout: float = 90,
               **_: Any) -> str:
        """POST the request file to the endpoint with its key (and `azureml-model-deployment`
        to target one deployment); return the answer's body. An error status raises
        EndpointInvokeError with the endpoint's message."""
        if input_data is not None:  # MLClient's registered-data input: a batch feature, not local
            raise UnsupportedError("input_data is not supported by the local backend: give --request-file")
        if request_file is None:
            raise UsageError("give the request body in a file: --request-file request.json")
        path = Path(request_file).expanduser()
        if not path.is_file():
            raise NotFoundError(f"request file {path} does not exist: check --request-file")
        body = path.read_bytes()
        record = endpoint_record(self._store, endpoint_name)
        if deployment_name is not None and self._store.get(deployments_kind(endpoint_name), deployment_name) is None:
            raise NotFoundError(f"deployment {deployment_name!r} not found in endpoint {endpoint_name}: use one of "
                                f"{self._store.names(deployments_kind(endpoint_name))}")
        state = running_state(self._store, endpoint_name)
        headers = {"Authorization": f"Bearer {record['keys']['primary']}", "Content-Type": "application/json"}
        if deployment_name:
            headers["azureml-model-deployment"] = deployment_name
        status, answer = _post(state.scoring_uri, body, headers, timeout)
        if status >= 400:
            try:
                message = json.loads(answer).get("message", answer)
            except (ValueError, AttributeError):
                message = answer
            raise EndpointInvokeError(f"endpoint {endpoint_name} answered {status}: {message}", status, answer)
        return answer

    # -- entities ----------------------------------------------------------------------------
    def _entity(self, record: dict, state: Any) -> Any:
        from azure.ai.ml.entities import ManagedOnlineEndpoint

        spec = record["spec"]
        return ManagedOnlineEndpoint(
            name=spec["name"], auth_mode=spec["auth_mode"], description=spec.get("description"),
            tags=spec.get("tags") or {}, properties=spec.get("properties") or {},
            traffic=dict(spec.get("traffic") or {}), mirror_traffic=dict(spec.get("mirror_traffic") or {}),
            scoring_uri=state.scoring_uri if state is not None else None, location="local",
            provisioning_state="Succeeded", id=self._ws.arm_id("onlineEndpoints", spec["name"]),
            creation_context=self._ws.system_data(record["meta"]),
        )


def _post(scoring_uri: str, body: bytes, headers: dict, timeout: float) -> tuple[int, str]:
    url = urlparse(scoring_uri)
    conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=timeout)  # never another host
    try:
        conn.request("POST", url.path or "/score", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError as ex:
        raise BackendError(f"could not reach the endpoint server at {scoring_uri}: {ex}; check "
                           "%aml online-endpoint show") from None
    finally:
        conn.close()
