"""OS helpers of the local engine, one definition each: atomic writes, file locks, process
identity from /proc, and detached launch.

    write_json_atomic(path, data)       # readers see the old file or the new one, never a part
    with locked(folder / ".lock"): ...   # exclusive across processes, re-entrant in a thread
    held = try_lock(path)                # non-blocking; keep the file open to keep the lock
    process_alive(pid, start)            # pid + start time: a reused pid is not our process
    launch_detached("amlmagic.local.jobs.runner", str(folder), log=..., cwd=folder)

The atomic writes are `amlmagic.files`' (durable: fsync before the rename and of the folder
after), re-exported here. MLflow's metric appends (a job's log_metric hot path) do not come
through them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Iterator

from ..errors import DamagedStateError
from ..files import write_bytes_atomic, write_json_atomic, write_text_atomic

__all__ = [
    "write_bytes_atomic", "write_text_atomic", "write_json_atomic", "read_json",
    "locked", "try_lock", "open_lock",
    "process_start_time", "process_alive", "descendants", "kill_tree",
    "launch_detached", "PACKAGE_PARENT",
]

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # the folder holding `amlmagic/`


def read_json(path: Path, remedy: str | None = None) -> dict:
    """The JSON object in a state file. FileNotFoundError when there is none; DamagedStateError,
    naming the file and `remedy` (what the user can do), when it is empty, cut short or not an
    object."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        reason = "it is empty" if not raw.strip() else f"not JSON: {exc}"
    else:
        if isinstance(data, dict):
            return data
        reason = f"a JSON {type(data).__name__}, not an object"
    remedy = remedy or "restore it from a backup, or delete it (what it recorded is then lost)"
    raise DamagedStateError(f"state file {path} is damaged ({reason}): {remedy}", str(path))


# -- file locks ----------------------------------------------------------------------------------
_held = threading.local()  # lock files this thread holds: nested use re-enters


def open_lock(path: Path, *, shared: bool = False, wait: bool = True) -> IO | None:
    """Open `path` (created, with its folder) and flock it; the lock lasts while the returned file
    is open, and the kernel frees it when the process dies. None when `wait` is False and another
    process holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a")
    try:
        fcntl.flock(f, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        f.close()
        return None
    except BaseException:
        f.close()
        raise
    return f


def try_lock(path: Path) -> IO | None:
    """An exclusive lock if it is free now (keep the file open to keep it), else None."""
    return open_lock(path, wait=False)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` across processes; re-entrant within a thread (a
    second flock by the same thread on a second descriptor would wait for itself)."""
    key = os.path.abspath(path)
    held = _held.__dict__.setdefault("paths", set())
    if key in held:
        yield
        return
    f = open_lock(Path(key))
    held.add(key)
    try:
        yield
    finally:
        held.discard(key)
        f.close()  # closing the last descriptor releases the flock


# -- processes -------------------------------------------------------------------------------
def _stat_fields(pid: int | str) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces and ')'):
    [state, ppid, ...]; None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except (OSError, ValueError):
        return None
    return data[data.rfind(")") + 2:].split() or None


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or
    None when there is no such live process (a zombie counts as gone)."""
    try:
        fields = _stat_fields(int(pid))
    except (TypeError, ValueError):
        return None
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def process_alive(pid: int | None, start: str | None = None) -> bool:
    """Whether `pid` runs (not a zombie) and, given `start`, is still the process that started
    then (pids are reused)."""
    if not pid:
        return False
    now = process_start_time(pid)
    return now is not None and (start is None or now == start)


def descendants(root_pid: int) -> list[int]:
    """Every live descendant of `root_pid`, from one pass over /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_tree(pid: int, sig: int = signal.SIGTERM, include_self: bool = True) -> None:
    """Signal a process, its process group and every descendant (some start their own group)."""
    targets = descendants(pid) + ([pid] if include_self else [])
    if include_self:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
    for target in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, sig)


def launch_detached(module: str, *args: str, log: Path, cwd: Path, env: dict[str, str] | None = None) -> int:
    """Run `python -m module args` in its own session, so it outlives this process and its
    terminal, with stdout and stderr appended to `log` and amlmagic importable; returns its pid.
    A thread reaps it when it ends, so it never lingers as this process's zombie (if this process
    ends first, init does)."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_PARENT, env.get("PYTHONPATH")) if p)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True, close_fds=True, cwd=str(cwd),
        )
    threading.Thread(target=proc.wait, name=f"amlmagic-reap-{proc.pid}", daemon=True).start()
    return proc.pid
