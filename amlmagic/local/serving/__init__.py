"""The local online-endpoint server: one detached process per endpoint on 127.0.0.1, with
Azure ML's scoring contract, key auth, traffic split, mirroring and per-deployment logs.

    write_config(state_dir, config)      # validated, atomic
    start_endpoint(state_dir)            # -> EndpointState once every init() finished
    reload_endpoint(state_dir)           # apply a new config on the same port
    endpoint_state(state_dir)            # -> EndpointState | None
    deployment_logs(state_dir, name, lines=None)
    stop_endpoint(state_dir)
"""

from amlmagic.local.serving.config import write_config
from amlmagic.local.serving.control import (
    DeploymentState,
    EndpointState,
    deployment_logs,
    endpoint_state,
    reload_endpoint,
    start_endpoint,
    stop_endpoint,
)

__all__ = [
    "DeploymentState",
    "EndpointState",
    "deployment_logs",
    "endpoint_state",
    "reload_endpoint",
    "start_endpoint",
    "stop_endpoint",
    "write_config",
]
