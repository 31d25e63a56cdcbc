"""Cancel a job: SIGTERM to its runner (which stops the job's process tree and ends it Canceled);
when the runner is gone, stop what it left running and end the job Canceled at once, with the
children of a parent job whose driver is gone (a dead sweep controller's trials)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from ...rules import TERMINAL_STATUSES
from ..osutil import process_alive, read_json
from .state import job_dir, jobs_root, read_status, stop_left_processes, update_status

__all__ = ["cancel_job", "child_job_names"]


def child_job_names(workspace_root: Path, parent: str) -> list[str]:
    """The jobs whose record names `parent` as their parent job."""
    root = jobs_root(workspace_root)
    names = []
    for entry in os.scandir(root) if root.is_dir() else ():
        if entry.name.startswith("."):
            continue
        try:
            meta = read_json(Path(entry.path) / "record.json").get("meta") or {}
        except (OSError, ValueError):
            continue
        if meta.get("parent_job_name") == parent:
            names.append(entry.name)
    return names


def cancel_job(workspace_root: Path, name: str) -> None:
    """Ask the job to stop; does not wait for it to end."""
    folder = job_dir(workspace_root, name)
    status = read_status(folder)
    if status["status"] in TERMINAL_STATUSES:
        return
    status = update_status(folder, "CancelRequested")
    pid = status.get("pid")
    if process_alive(pid, status.get("pid_start")):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        return
    stop_left_processes(status)  # the runner is gone: what it left running (every rank, or mpirun)
    update_status(folder, "Canceled")
    for trial in child_job_names(workspace_root, name):
        cancel_job(workspace_root, trial)
