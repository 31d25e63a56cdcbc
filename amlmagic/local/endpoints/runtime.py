"""The serving config of an endpoint, built from its records, and applying it to the detached
server (amlmagic.local.serving): start it if it is not running, else reload it on its port."""

from __future__ import annotations

from typing import Any

from ...errors import ValidationError
from ..serving import EndpointState, endpoint_state, reload_endpoint, write_config
from ..serving.config import normalize_config
from .records import deployments_kind, endpoint_record, state_dir

__all__ = ["build_config", "check_traffic", "apply_config", "running_state", "deployment_records", "live_state"]


def deployment_records(store: Any, endpoint: str) -> dict[str, dict]:
    kind = deployments_kind(endpoint)
    return {name: store.get(kind, name) for name in store.names(kind)}


def check_traffic(endpoint: str, traffic: dict, deployments: dict) -> dict[str, int]:
    """Azure's rule: live traffic names existing deployments, whole percents summing to 100 (or
    all 0: then only requests naming a deployment are served)."""
    out = {}
    for name, pct in (traffic or {}).items():
        if name not in deployments:
            raise ValidationError(f"traffic names deployment {name!r}, which endpoint {endpoint} does not have: "
                                  f"use one of {sorted(deployments) or 'none (create a deployment first)'}")
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or pct != int(pct) or not 0 <= pct <= 100:
            raise ValidationError(f"traffic for {name} must be a whole percent from 0 to 100, got {pct!r}")
        out[name] = int(pct)
    total = sum(out.values())
    if out and total not in (0, 100):
        raise ValidationError(f"traffic of endpoint {endpoint} must sum to 100, got {total} ({out}): "
                              'e.g. --traffic "blue=90 green=10"')
    return out


def build_config(endpoint: dict, deployments: dict[str, dict]) -> dict:
    """The serving config (validated: raises ValidationError naming the bad field)."""
    spec = endpoint["spec"]
    keys = endpoint["keys"]
    config = {
        "endpoint": spec["name"], "auth_mode": spec.get("auth_mode") or "key",
        "keys": [keys["primary"], keys["secondary"]],
        "deployments": {name: record["serving"] for name, record in deployments.items()},
        "traffic": {k: v for k, v in (spec.get("traffic") or {}).items() if k in deployments},
        "mirror_traffic": {k: v for k, v in (spec.get("mirror_traffic") or {}).items() if k in deployments and v},
    }
    return normalize_config(config)


def apply_config(store: Any, endpoint: dict, timeout: float = 300) -> EndpointState:
    """Write the config from the records and have the server serve it; returns once every
    deployment's init() has finished. Callers hold the endpoint's store lock."""
    name = endpoint["spec"]["name"]
    folder = state_dir(store, name)
    write_config(folder, build_config(endpoint, deployment_records(store, name)))
    return reload_endpoint(folder, timeout=timeout)  # starts the server when it is not running


def live_state(store: Any, endpoint: str) -> EndpointState | None:
    return endpoint_state(state_dir(store, endpoint))


def running_state(store: Any, name: str, timeout: float = 300) -> EndpointState:
    """The running server's state; a server that is not running (the machine restarted, or it
    was killed) is started again from the records. Our rule: Azure endpoints are always up, so
    operations that need the server (invoke, updates) bring it back; reads (get, list) do not."""
    state = live_state(store, name)
    if state is not None and state.alive:
        return state
    with store.lock(f"endpoint-{name}"):
        state = live_state(store, name)
        if state is not None and state.alive:
            return state
        return apply_config(store, endpoint_record(store, name), timeout)
