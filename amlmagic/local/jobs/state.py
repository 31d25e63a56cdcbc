"""A job's folder and its status file: statuses with timestamps, the runner's pid, the error.

    <workspace>/jobs/<name>/record.json   {"spec": CLI v2 dict, "meta": {...}}  (never changes)
    <workspace>/jobs/<name>/status.json   {"status", "history": [[status, iso time]], "pid",
                                           "pid_start", "error", "exit_code", ...}
    <workspace>/jobs/<name>/plan.json     what the runner executes (plan.py)

The runner writes the status; a cancel from another process writes CancelRequested. Writers hold
an flock on `.status.lock`; readers need no lock (the file is replaced atomically). Once a job has
a terminal status it never changes. A runner that died without writing one (its pid is gone, or
now belongs to another process: pid + start time are compared) is reported Failed by
`read_status` and that verdict is persisted; what it left running is killed then
(`stop_left_processes`).
"""

from __future__ import annotations

import contextlib
import os
import signal
from datetime import datetime, timezone
from pathlib import Path

from ...rules import TERMINAL_STATUSES
from ..osutil import (
    kill_tree,
    launch_detached,
    locked,
    process_alive,
    process_start_time,
    read_json,
    try_lock,
    write_json_atomic,
)
from ..workspace import now_iso
from .revival import reviver_for

__all__ = [
    "jobs_root", "job_dir", "read_record", "read_status",
    "update_status", "raw_status", "record_launched_pid",
    "own_job", "MAX_CONTROLLER_RESTARTS", "launch_driver", "stop_left_processes",
]

def jobs_root(workspace_root: Path) -> Path:
    return Path(workspace_root) / "jobs"


def job_dir(workspace_root: Path, name: str) -> Path:
    return jobs_root(workspace_root) / name


def _drop_job(folder: Path) -> str:
    return f"delete the job's folder {folder} to drop job {Path(folder).name}, or restore the file from a backup"


def read_record(folder: Path) -> dict:
    return read_json(Path(folder) / "record.json", _drop_job(folder))


@contextlib.contextmanager
def _locked(folder: Path):
    with locked(Path(folder) / ".status.lock"):
        yield


def raw_status(folder: Path) -> dict:
    try:
        return read_json(Path(folder) / "status.json", _drop_job(folder))
    except FileNotFoundError:
        return {"status": "NotStarted", "history": []}


def update_status(folder: Path, status: str | None = None, **fields) -> dict:
    """Move to `status` (None keeps it) and merge `fields`; a terminal status is final, and only
    a terminal status replaces CancelRequested."""
    with _locked(folder):
        current = raw_status(folder)
        old = current.get("status")
        if old in TERMINAL_STATUSES:
            return current
        if status is not None and status != old and not (old == "CancelRequested" and status not in TERMINAL_STATUSES):
            stamp = now_iso()
            current["status"] = status
            current.setdefault("history", []).append([status, stamp])
            if status == "Running":
                current["start_time"] = stamp
            if status in TERMINAL_STATUSES:
                current["end_time"] = stamp
        current.update(fields)
        write_json_atomic(Path(folder) / "status.json", current)
        return current


def launch_driver(folder: Path, module: str) -> int:
    """Start a parent job's detached driver (`python -m module folder`: a sweep or pipeline
    controller) in its own session, logging to controller.log; record its pid."""
    folder = Path(folder)
    pid = launch_detached(module, str(folder), log=folder / "controller.log", cwd=folder)
    record_launched_pid(folder, pid)
    return pid


def record_launched_pid(folder: Path, pid: int) -> None:
    """Record a just-launched runner's pid unless a live runner is recorded already (the runner
    records itself once it owns the job; a second launch must not hide the first)."""
    with _locked(folder):
        current = raw_status(folder)
        if current.get("status") in TERMINAL_STATUSES or process_alive(current.get("pid"), current.get("pid_start")):
            return
        current.update(pid=pid, pid_start=process_start_time(pid))
        write_json_atomic(Path(folder) / "status.json", current)


def own_job(folder: Path, lock_name: str):
    """One process drives a job (a runner) or a parent job (its driver, e.g. a sweep controller): hold `lock_name` for life
    (None: another process has it), and record this process as the job's driver (a launcher
    records the pid too, unless a live one is recorded)."""
    lock = try_lock(Path(folder) / lock_name)
    if lock is None:
        return None
    update_status(folder, None, pid=os.getpid(), pid_start=process_start_time(os.getpid()))
    return lock


# A runner records its pid within milliseconds of being marked Starting; one that has none long
# after was never started (the process launching it died in between).
LAUNCH_GRACE_SECONDS = 60.0


def _never_launched(current: dict) -> bool:
    if current.get("status") != "Starting" or current.get("pid") or not current.get("history"):
        return False
    since = datetime.fromisoformat(current["history"][-1][1])
    return (datetime.now(timezone.utc) - since).total_seconds() > LAUNCH_GRACE_SECONDS


def read_status(folder: Path) -> dict:
    """The job's true status: what the runner wrote, or Failed when its runner is gone (a parent
    job whose driver is gone gets a new one instead, when its kind registered a reviver:
    revival.py)."""
    current = raw_status(folder)
    if current.get("status") in TERMINAL_STATUSES:
        return current
    if _never_launched(current):
        return update_status(folder, "Failed", error=(
            "the job's runner never started (the process submitting it died while launching it): "
            "submit the job again"))
    pid = current.get("pid")
    if pid and not process_alive(pid, current.get("pid_start")):
        current = raw_status(folder)  # the runner may have written its final status just now
        if current.get("status") in TERMINAL_STATUSES:
            return current
        canceled = current.get("status") == "CancelRequested"
        stop_left_processes(current)
        relaunch = None if canceled else reviver_for(folder)
        if relaunch is not None:
            revived = _revive(Path(folder), current, relaunch)
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


def stop_left_processes(status: dict) -> None:
    """Kill what a dead runner left running: each process it started (every rank, or mpirun)
    with its process tree, when it is still the process the runner started (pid and start time:
    after a machine restart the pids belong to others)."""
    for pid, start in zip(status.get("child_pids") or [], status.get("child_starts") or [], strict=False):
        if start is not None and process_alive(pid, start):
            kill_tree(pid, signal.SIGKILL)


# Our rule: a parent job (e.g. a sweep) outlives its driver, as Azure's sweeps outlive any one machine.
# A driver that died without a word (killed, out of memory, the machine restarted) is started
# again from its saved state when someone reads the job's status, at most this many times; a
# driver that fails with an error ends the job Failed itself and is not restarted.
MAX_CONTROLLER_RESTARTS = 3


def _revive(folder: Path, dead: dict, relaunch) -> dict | None:
    """Start a new driver for the parent job in `folder` (None when it was restarted enough)."""
    restarts = dead.get("controller_restarts", 0)
    if restarts >= MAX_CONTROLLER_RESTARTS:
        return None
    with _locked(folder):
        now = raw_status(folder)
        if now.get("pid") != dead.get("pid") or now.get("status") in TERMINAL_STATUSES:
            return now  # another reader revived it, or it ended, meanwhile
        update_status(folder, None, controller_restarts=restarts + 1)
        relaunch(folder)
    return raw_status(folder)
