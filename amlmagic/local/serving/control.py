"""The caller's side: start, reload, inspect and stop an endpoint's detached server process."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from amlmagic.errors import BackendError, NotFoundError
from amlmagic.local.osutil import launch_detached, locked, process_alive
from amlmagic.local.serving.config import EndpointPaths, config_digest, read_config
from amlmagic.local.serving.pool import CREATING

__all__ = [
    "DeploymentState",
    "EndpointState",
    "deployment_logs",
    "endpoint_state",
    "reload_endpoint",
    "start_endpoint",
    "stop_endpoint",
]


@dataclass
class DeploymentState:
    name: str
    state: str  # Creating | Succeeded | Failed
    worker_pids: list[int] = field(default_factory=list)
    error: str | None = None
    restarts: int = 0


@dataclass
class EndpointState:
    endpoint: str
    pid: int
    alive: bool
    port: int
    scoring_uri: str
    config_digest: str
    deployments: dict[str, DeploymentState]
    reloading: bool = False


def _read_state(paths: EndpointPaths) -> dict | None:
    try:
        return json.loads(paths.state.read_bytes())
    except (FileNotFoundError, ValueError):
        return None


def endpoint_state(state_dir: Path) -> EndpointState | None:
    """What the server reports, or None if it was never started here."""
    raw = _read_state(EndpointPaths(Path(state_dir)))
    if raw is None:
        return None
    alive = not raw.get("stopped") and process_alive(raw["pid"])
    deployments = {name: DeploymentState(name, d["state"] if alive else "Stopped", d["worker_pids"] if alive else [],
                                         d.get("error"), d.get("restarts", 0))
                   for name, d in raw["deployments"].items()}
    return EndpointState(raw["endpoint"], raw["pid"], alive, raw["port"], raw["scoring_uri"],
                         raw["config_digest"], deployments, raw.get("reloading", False))


def _tail(path: Path, lines: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            chunk = 8192
            data = b""
            while size > 0 and data.count(b"\n") <= lines:
                step = min(chunk, size)
                size -= step
                f.seek(size)
                data = f.read(step) + data
                chunk *= 2
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", "replace")
    return "".join(text.splitlines(keepends=True)[-lines:])


def _wait_applied(paths: EndpointPaths, pid: int, timeout: float) -> EndpointState:
    """Poll state.json until the server runs the current config.json with every deployment's
    init() finished; raise BackendError if it exits or the deadline passes."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        state = endpoint_state(paths.root)
        if state is not None and state.pid == pid:
            if not state.alive:
                break
            want = config_digest(paths.config.read_bytes())
            if (state.config_digest == want and not state.reloading
                    and all(d.state != CREATING for d in state.deployments.values())):
                return state
        elif not process_alive(pid):
            break
        if time.monotonic() > deadline:
            raise BackendError(f"The endpoint server (pid {pid}) did not finish starting its deployments within "
                               f"{timeout:g}s: check the deployment logs in {paths.root / 'logs'}.")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    raise BackendError(f"The endpoint server exited while starting: {_tail(paths.server_log, 5).strip()[-500:]}")


def _spawn(paths: EndpointPaths) -> int:
    # The server gives workers the caller's own PYTHONPATH (the score script's imports).
    env = {**os.environ, "AMLMAGIC_CALLER_PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    return launch_detached("amlmagic.local.serving.server", str(paths.root), log=paths.server_log,
                           cwd=paths.root, env=env)


def start_endpoint(state_dir: Path, timeout: float = 30) -> EndpointState:
    """Start the endpoint's server unless it runs; return once it listens and every deployment's
    init() has finished (Succeeded or Failed)."""
    paths = EndpointPaths(Path(state_dir).resolve())
    read_config(paths)  # fail here, in the caller, on a missing or invalid config
    with locked(paths.lock):
        current = endpoint_state(paths.root)
        if current is not None and current.alive:
            pid = current.pid
        else:
            pid = _spawn(paths)
    return _wait_applied(paths, pid, timeout)


def reload_endpoint(state_dir: Path, timeout: float = 30) -> EndpointState:
    """Apply config.json to the running server (same port): traffic, keys and mirror take effect,
    new deployments start, removed ones stop, changed ones restart. Starts the server if needed."""
    paths = EndpointPaths(Path(state_dir).resolve())
    read_config(paths)
    current = endpoint_state(paths.root)
    if current is None or not current.alive:
        return start_endpoint(paths.root, timeout)
    os.kill(current.pid, signal.SIGHUP)
    return _wait_applied(paths, current.pid, timeout)


def stop_endpoint(state_dir: Path, timeout: float = 10) -> None:
    """Stop the server and its workers; the port is free when this returns."""
    paths = EndpointPaths(Path(state_dir).resolve())
    raw = _read_state(paths)
    if raw is None or not process_alive(raw["pid"]):
        return
    workers = [pid for d in raw["deployments"].values() for pid in d["worker_pids"]]
    os.kill(raw["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(raw["pid"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    if process_alive(raw["pid"]):
        os.kill(raw["pid"], signal.SIGKILL)
        for pid in workers:  # the server could not stop them itself
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while process_alive(raw["pid"]) and time.monotonic() < deadline + 5:
            time.sleep(0.01)


def deployment_logs(state_dir: Path, deployment: str, lines: int | None = None) -> str:
    """The deployment's log (its workers' output and server events), or its last `lines` lines."""
    paths = EndpointPaths(Path(state_dir))
    path = paths.deployment_log(deployment)
    if not path.exists():
        try:
            config, _ = read_config(paths)
        except NotFoundError:
            config = {"deployments": {}}
        if deployment not in config["deployments"]:
            raise NotFoundError(f"Deployment '{deployment}' has no logs in {paths.root}: check its name.")
        return ""
    if lines is None:
        return path.read_text(errors="replace")
    return _tail(path, lines) if lines > 0 else ""
