"""How a parent job whose driving process died is started again.

A parent-job kind (a sweep now, a pipeline next) registers, when its package is imported, how
to start a new driver for a job folder of its kind (`record.json` meta `type`):

    register_reviver("sweep", launch_controller)     # amlmagic/local/sweep/__init__.py

`state.read_status` asks `reviver_for(folder)` when a job's driver is gone; jobs/ knows no kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..osutil import read_json

__all__ = ["register_reviver", "reviver_for"]

_REVIVERS: dict[str, Callable[[Path], Any]] = {}


def register_reviver(kind: str, relaunch: Callable[[Path], Any]) -> None:
    """`relaunch(folder)` starts a new driver for a job of `kind` from the state it saved."""
    _REVIVERS[kind] = relaunch


def reviver_for(folder: Path) -> Callable[[Path], Any] | None:
    """The registered reviver of the job in `folder`, or None (a command job: nothing to revive)."""
    if not _REVIVERS:
        return None
    try:
        kind = (read_json(Path(folder) / "record.json").get("meta") or {}).get("type")
    except (OSError, ValueError):
        return None
    return _REVIVERS.get(kind)
