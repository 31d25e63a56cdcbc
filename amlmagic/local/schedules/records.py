"""A schedule on disk: its record (`registry/schedules/<name>.json`: the spec as created, and
meta: created_at, is_enabled, baseline) and its firing state (`schedules/<name>/state.json`: the
last slot fired and the jobs it triggered), both written atomically under the schedule's lock.

    with schedule_lock(store, name):          # one writer: the scheduler, trigger, update, delete
        state = read_state(store, name)

`baseline` is when the schedule was created or last enabled or changed: slots before it never
fire (no catch-up of what was missed while it was disabled; our rule, docs/schedules.md).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Iterator

from ...errors import NotFoundError
from ..osutil import read_json, write_json_atomic
from ..store import Store

__all__ = ["KIND", "schedule_record", "schedules_dir", "schedule_lock", "read_state", "write_state",
           "forget_state", "missing"]

KIND = "schedules"


def missing(name: str) -> NotFoundError:
    return NotFoundError(f"schedule {name!r} not found: list them with %aml schedule list --include-disabled")


def schedules_dir(store: Store) -> Path:
    """`schedules/`: each schedule's state folder, and the scheduler's pid, lock and log."""
    return store.root / "schedules"


def schedule_record(store: Store, name: str) -> dict:
    record = store.get(KIND, name)
    if record is None:
        raise missing(name)
    return record


@contextlib.contextmanager
def schedule_lock(store: Store, name: str) -> Iterator[None]:
    with store.lock(f"schedule-{name}"):
        yield


def _state_path(store: Store, name: str) -> Path:
    return schedules_dir(store) / name / "state.json"


def read_state(store: Store, name: str) -> dict:
    """{"last_slot": ISO or None, "jobs": [{"name", "slot", "manual"}], "last_error": ...}."""
    try:
        return read_json(_state_path(store, name), f"delete it: schedule {name} then fires from its next slot")
    except FileNotFoundError:
        return {"last_slot": None, "jobs": [], "last_error": None}


def write_state(store: Store, name: str, state: dict) -> None:
    write_json_atomic(_state_path(store, name), state)


def forget_state(store: Store, name: str) -> None:
    """A deleted schedule's state goes; the jobs it triggered stay (Azure keeps them)."""
    shutil.rmtree(schedules_dir(store) / name, ignore_errors=True)
