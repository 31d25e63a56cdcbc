"""A job's folder and its status file: statuses with timestamps, the runner's pid, the error.

    <workspace>/jobs/<name>/record.json   {"spec": CLI v2 dict, "meta": {...}}  (never changes)
    <workspace>/jobs/<name>/status.json   {"status", "history": [[status, iso time]], "pid",
                                           "pid_start", "error", "exit_code", ...}
    <workspace>/jobs/<name>/plan.json     what the runner executes (plan.py)

The runner writes the status; a cancel from another process writes CancelRequested. Writers hold
an flock on `.status.lock`; readers need no lock (the file is replaced atomically). Once a job has
a terminal status it never changes. A runner that died without writing one (its pid is gone, or
now belongs to another process: pid + start time are compared) is reported Failed by
`read_status` and that verdict is persisted.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from ..store import read_json, write_json_atomic
from ..workspace import now_iso

__all__ = [
    "STATUSES", "TERMINAL", "IN_PROGRESS", "jobs_root", "job_dir", "read_record", "read_status",
    "set_status", "update_status", "process_start_time", "process_alive", "raw_status", "record_launched_pid",
    "own_job", "MAX_CONTROLLER_RESTARTS", "SWEEP_STATE_FILE",
]

# ../shared/azureml-semantics.md, "Job status".
STATUSES = (
    "NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing",
    "CancelRequested", "Completed", "Failed", "Canceled", "NotResponding", "Paused",
)
TERMINAL = frozenset({"Completed", "Failed", "Canceled", "NotResponding", "Paused"})
IN_PROGRESS = frozenset(STATUSES) - TERMINAL


def jobs_root(workspace_root: Path) -> Path:
    return Path(workspace_root) / "jobs"


def job_dir(workspace_root: Path, name: str) -> Path:
    return jobs_root(workspace_root) / name


def read_record(folder: Path) -> dict:
    return read_json(Path(folder) / "record.json")


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or
    None when there is no such live process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except (OSError, ValueError):
        return None
    fields = data[data.rfind(")") + 2:].split()  # the command name may contain spaces
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def process_alive(pid: int | None, start: str | None) -> bool:
    if not pid:
        return False
    now = process_start_time(pid)
    return now is not None and (start is None or now == start)


_held = threading.local()  # folders whose status lock this thread holds: nested use re-enters


@contextlib.contextmanager
def _locked(folder: Path):
    key = os.path.abspath(folder)
    held = _held.__dict__.setdefault("folders", set())
    if key in held:  # flock would wait for ourselves: a second open file is a second lock
        yield
        return
    with open(Path(folder) / ".status.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(f, fcntl.LOCK_UN)


def raw_status(folder: Path) -> dict:
    try:
        return read_json(Path(folder) / "status.json")
    except FileNotFoundError:
        return {"status": "NotStarted", "history": []}


def update_status(folder: Path, status: str | None = None, **fields) -> dict:
    """Move to `status` (None keeps it) and merge `fields`; a terminal status is final, and only
    a terminal status replaces CancelRequested."""
    with _locked(folder):
        current = raw_status(folder)
        old = current.get("status")
        if old in TERMINAL:
            return current
        if status is not None and status != old and not (old == "CancelRequested" and status not in TERMINAL):
            stamp = now_iso()
            current["status"] = status
            current.setdefault("history", []).append([status, stamp])
            if status == "Running":
                current["start_time"] = stamp
            if status in TERMINAL:
                current["end_time"] = stamp
        current.update(fields)
        write_json_atomic(Path(folder) / "status.json", current)
        return current


def record_launched_pid(folder: Path, pid: int) -> None:
    """Record a just-launched runner's pid unless a live runner is recorded already (the runner
    records itself once it owns the job; a second launch must not hide the first)."""
    with _locked(folder):
        current = raw_status(folder)
        if current.get("status") in TERMINAL or process_alive(current.get("pid"), current.get("pid_start")):
            return
        current.update(pid=pid, pid_start=process_start_time(pid))
        write_json_atomic(Path(folder) / "status.json", current)


def own_job(folder: Path, lock_name: str):
    """One process drives a job (a runner) or a sweep (a controller): hold `lock_name` for life
    (None: another process has it), and record this process as the job's driver (a launcher
    records the pid too, unless a live one is recorded)."""
    lock = open(Path(folder) / lock_name, "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    update_status(folder, None, pid=os.getpid(), pid_start=process_start_time(os.getpid()))
    return lock


def set_status(folder: Path, status: str, **fields) -> dict:
    return update_status(folder, status, **fields)


# A runner records its pid within milliseconds of being marked Starting; one that has none long
# after was never started (the process launching it died in between).
LAUNCH_GRACE_SECONDS = 60.0


def _never_launched(current: dict) -> bool:
    if current.get("status") != "Starting" or current.get("pid") or not current.get("history"):
        return False
    since = datetime.fromisoformat(current["history"][-1][1])
    return (datetime.now(timezone.utc) - since).total_seconds() > LAUNCH_GRACE_SECONDS


def read_status(folder: Path) -> dict:
    """The job's true status: what the runner wrote, or Failed when its runner is gone (a sweep
    whose controller is gone gets a new controller instead, see `_revive_sweep`)."""
    current = raw_status(folder)
    if current.get("status") in TERMINAL:
        return current
    if _never_launched(current):
        return update_status(folder, "Failed", error=(
            "the job's runner never started (the process submitting it died while launching it): "
            "submit the job again"))
    pid = current.get("pid")
    if pid and not process_alive(pid, current.get("pid_start")):
        current = raw_status(folder)  # the runner may have written its final status just now
        if current.get("status") in TERMINAL:
            return current
        canceled = current.get("status") == "CancelRequested"
        if not canceled and (Path(folder) / SWEEP_STATE_FILE).is_file():
            revived = _revive_sweep(Path(folder), current)
            if revived is not None:
                return revived
        return update_status(
            folder, "Canceled" if canceled else "Failed",
            error=None if canceled else (
                f"the job's runner process (pid {pid}) ended without a final status: it was killed "
                "or the machine restarted; see the logs in user_logs/ and runner.log in the job folder"
            ),
        )
    return current


# Our rule: a sweep outlives its controller, as Azure's sweeps outlive any one machine. A
# controller that died without a word (killed, out of memory, the machine restarted) is started
# again from its saved state when someone reads the sweep's status, at most this many times; a
# controller that fails with an error ends the sweep Failed itself and is not restarted.
MAX_CONTROLLER_RESTARTS = 3
SWEEP_STATE_FILE = "sweep_state.json"  # a sweep controller's saved state: marks a sweep's folder


def _revive_sweep(folder: Path, dead: dict) -> dict | None:
    """Start a new controller for the sweep in `folder` (None when it was restarted enough)."""
    restarts = dead.get("controller_restarts", 0)
    if restarts >= MAX_CONTROLLER_RESTARTS:
        return None
    from ..sweep.controller import launch_controller  # the sweep engine builds on this module

    with _locked(folder):
        now = raw_status(folder)
        if now.get("pid") != dead.get("pid") or now.get("status") in TERMINAL:
            return now  # another reader revived it, or it ended, meanwhile
        update_status(folder, None, controller_restarts=restarts + 1)
        launch_controller(folder)
    return raw_status(folder)
