"""The caller's side of the scheduler: one detached process per workspace (`scheduler.py`) fires
every enabled schedule. It is started when a schedule is created or enabled, and started again
when schedule state is next read and it is gone (the machine restarted, it was killed), like an
endpoint server; it ends by itself when no schedule is enabled.

    ensure_scheduler(store)      # a no-op while it runs; else launch it (pid in scheduler.json)
    scheduler_pid(store)         # its pid while it runs, else None
"""

from __future__ import annotations

import contextlib

from ..osutil import launch_detached, process_alive, process_start_time, read_json, write_json_atomic
from ..store import Store
from .records import schedules_dir

__all__ = ["ensure_scheduler", "scheduler_pid", "SCHEDULER_MODULE", "START_LOCK", "forget_pid"]

SCHEDULER_MODULE = "amlmagic.local.schedules.scheduler"
START_LOCK = "scheduler-start"  # launching, and the scheduler's decision to end, happen under it


def _pid_file(store: Store):
    return schedules_dir(store) / "scheduler.json"


def scheduler_pid(store: Store) -> int | None:
    try:
        info = read_json(_pid_file(store))
    except (FileNotFoundError, ValueError, OSError):
        return None
    pid = info.get("pid")
    return pid if process_alive(pid, info.get("pid_start")) else None


def forget_pid(store: Store) -> None:
    with contextlib.suppress(FileNotFoundError):
        _pid_file(store).unlink()


def ensure_scheduler(store: Store) -> int:
    """The running scheduler's pid, launching it first when none runs. Checked under the start
    lock: a scheduler that is deciding to end (no schedule enabled) does so under it too, so a
    schedule enabled meanwhile is never left without one."""
    with store.lock(START_LOCK):
        pid = scheduler_pid(store)
        if pid is not None:
            return pid
        folder = schedules_dir(store)
        folder.mkdir(parents=True, exist_ok=True)
        pid = launch_detached(SCHEDULER_MODULE, str(store.root), log=folder / "scheduler.log", cwd=folder)
        write_json_atomic(_pid_file(store), {"pid": pid, "pid_start": process_start_time(pid)})
        return pid
