"""Slots of a local compute pool and the CPU share of each running job.

A pool with `max_instances` N has N slot files under `<workspace>/compute/<pool>/`. A runner takes
a slot by holding an flock on one of them for as long as its job runs; the kernel frees the lock
when the process dies, so a killed runner never leaks a slot. The built-in `local` compute has no
slots (our rule: it is this machine, bounded only by the thread split below).

Every running job also holds a lock on `<workspace>/running/<job>.lock`, which holds its number of
processes (more than one for a distributed job); when a job starts, the machine's cores are split
among the processes of the jobs holding one (OMP_NUM_THREADS, MKL_NUM_THREADS, ...; torch reads
them too), so parallel jobs and ranks do not oversubscribe the CPU.
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
    poll: float = 0.1, count: int = 1,
) -> list[IO] | None:
    """Block until `count` of the pool's slots are free and return their open locked files (keep
    them open while the job runs); None when `should_stop()` turned true while waiting.

    Our rule: the pool bounds processes, so a distributed job takes one slot per process, at most
    the whole pool (its instance_count was checked against max_instances at submit). Slots are
    taken all at once or not at all, so two waiting jobs never each hold half of what they need."""
    folder = Path(workspace_root) / "compute" / compute
    folder.mkdir(parents=True, exist_ok=True)
    slots = [folder / f"slot-{i}.lock" for i in range(max(1, int(max_instances)))]
    wanted = max(1, min(int(count), len(slots)))
    while True:
        held: list[IO] = []
        for slot in slots:
            lock = try_lock(slot)
            if lock is not None:
                held.append(lock)
                if len(held) == wanted:
                    return held
        for lock in held:
            lock.close()
        if should_stop():
            return None
        time.sleep(poll)


def hold_running(workspace_root: Path, job_name: str, processes: int = 1) -> IO:
    """The job's running lock; the file says how many processes the job runs (count_running)."""
    f = open_lock(Path(workspace_root) / "running" / f"{job_name}.lock", shared=True)
    f.truncate(0)
    f.write(str(int(processes)))
    f.flush()
    return f


def _processes_of(path: str) -> int:
    try:
        with open(path) as f:
            return max(1, int(f.read().strip() or 1))
    except (OSError, ValueError):
        return 1


def count_running(workspace_root: Path) -> int:
    """How many processes the running jobs run (a job holding its running lock counts its
    processes); stale files of dead runners are removed."""
    folder = Path(workspace_root) / "running"
    count = 0
    for entry in os.scandir(folder) if folder.is_dir() else ():
        probe = try_lock(Path(entry.path))
        if probe is None:
            count += _processes_of(entry.path)
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
