"""Slots of a local compute pool and the CPU share of each running job.

A pool with `max_instances` N has N slot files under `<workspace>/compute/<pool>/`. A runner takes
a slot by holding an flock on one of them for as long as its job runs; the kernel frees the lock
when the process dies, so a killed runner never leaks a slot. The built-in `local` compute has no
slots (our rule: it is this machine, bounded only by the thread split below).

Every running job also holds a lock on `<workspace>/running/<job>.lock`; when a job starts, the
machine's cores are split among the jobs holding one (OMP_NUM_THREADS, MKL_NUM_THREADS, ...;
torch reads them too), so parallel jobs do not oversubscribe the CPU.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Callable

from ..osutil import open_lock, try_lock

__all__ = ["acquire_slot", "hold_running", "count_running", "thread_env", "THREAD_VARIABLES"]

THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def acquire_slot(
    workspace_root: Path, compute: str, max_instances: int, should_stop: Callable[[], bool],
    poll: float = 0.1,
) -> IO | None:
    """Block until one of the pool's slots is free and return its open locked file (keep it open
    while the job runs); None when `should_stop()` turned true while waiting."""
    folder = Path(workspace_root) / "compute" / compute
    folder.mkdir(parents=True, exist_ok=True)
    slots = [folder / f"slot-{i}.lock" for i in range(max(1, int(max_instances)))]
    while True:
        for slot in slots:
            held = try_lock(slot)
            if held is not None:
                return held
        if should_stop():
            return None
        time.sleep(poll)


def hold_running(workspace_root: Path, job_name: str) -> IO:
    return open_lock(Path(workspace_root) / "running" / f"{job_name}.lock", shared=True)


def count_running(workspace_root: Path) -> int:
    """How many jobs hold their running lock; stale files of dead runners are removed."""
    folder = Path(workspace_root) / "running"
    count = 0
    for entry in os.scandir(folder) if folder.is_dir() else ():
        probe = try_lock(Path(entry.path))
        if probe is None:
            count += 1
        else:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass
            probe.close()
    return count


def thread_env(workspace_root: Path, user_env: dict[str, str]) -> dict[str, str]:
    """Thread-count variables for a job starting now; a variable the job sets itself wins."""
    cores = os.cpu_count() or 1
    share = str(max(1, cores // max(1, count_running(workspace_root))))
    return {name: share for name in THREAD_VARIABLES if name not in user_env}
