"""The detached scheduler of a workspace: `python -m amlmagic.local.schedules.scheduler ROOT`.

One per workspace (it holds `schedules/scheduler.lock` for life). It fires each enabled schedule
at its slots by submitting the schedule's job through `client.jobs` (firing.py), and ends when no
schedule is enabled. Slots it missed while it was not running (a machine restart, a kill) are not
fired: our rule (docs/schedules.md), the conservative reading of Azure's "no backfill"; it fires
the next slot, or one that fell due in the last `GRACE` (it was just started to fire it).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path

from ...rules.schedules import clock_speed, next_fire, parse_trigger, schedule_now
from ..operations.jobs import JobOperations
from ..osutil import process_start_time, read_json, try_lock, write_json_atomic
from ..store import Store
from ..workspace import LocalWorkspace
from .control import START_LOCK, forget_pid
from .firing import fire
from .records import KIND, read_state, schedules_dir

__all__ = ["Scheduler", "due_slot", "GRACE", "MAX_SLEEP_SECONDS"]

GRACE = timedelta(seconds=60)  # schedule time: a slot this recent when the scheduler starts still fires
MAX_SLEEP_SECONDS = 1.0  # real time: how soon a new, changed or disabled schedule is noticed
STALL_SECONDS = 30.0  # real time: a running scheduler this late (the machine slept) missed the slot


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def due_slot(record: dict, state: dict, floor: datetime) -> datetime | None:
    """The schedule's next slot to fire: after the last one fired, its baseline (created,
    enabled, changed: earlier slots never fire) and `floor` (missed while no scheduler ran)."""
    meta = record["meta"]
    trigger = parse_trigger(record["spec"]["trigger"])
    created = _time(meta["created_at"])
    candidates = [_time(state.get("last_slot")), _time(meta.get("baseline")) - timedelta(microseconds=1), floor]
    return next_fire(trigger, created=created, after=max(c for c in candidates if c is not None))


def _log(text: str) -> None:
    print(f"{datetime.now().isoformat(timespec='seconds')} {text}", flush=True)


class Scheduler:
    def __init__(self, root: Path):
        self.store = Store(root)
        self.jobs = JobOperations(LocalWorkspace(root))
        self.floor = schedule_now() - GRACE

    def enabled(self) -> dict[str, dict]:
        return {name: record for name, record in self.store.records(KIND).items()
                if record.get("meta", {}).get("is_enabled")}

    def step(self, records: dict[str, dict]) -> datetime | None:
        """Fire every slot that is due; the schedule time of the next one (None: none left)."""
        wake = None
        for name, record in records.items():
            try:
                slot = due_slot(record, read_state(self.store, name), self.floor)
                while slot is not None and slot <= schedule_now():
                    if schedule_now() - slot > GRACE + timedelta(seconds=STALL_SECONDS * clock_speed()):
                        self.floor = schedule_now() - GRACE  # stalled (suspended): as after a restart
                        _log(f"{name}: slot {slot.isoformat()} missed: the scheduler was stalled")
                        slot = due_slot(record, read_state(self.store, name), self.floor)
                        continue
                    try:
                        job = fire(self.store, self.jobs, name, slot)
                        _log(f"{name}: slot {slot.isoformat()} -> job {job}" if job else f"{name}: slot {slot} fired already")
                    except Exception as exc:  # recorded as the schedule's last_error; the next slot still fires
                        _log(f"{name}: slot {slot.isoformat()} failed: {exc}")
                    slot = due_slot(record, read_state(self.store, name), self.floor)
            except Exception:  # a damaged record or state: the other schedules go on
                _log(f"{name}: skipped:\n{traceback.format_exc()}")
                continue
            if slot is not None and (wake is None or slot < wake):
                wake = slot
        return wake

    def _own(self) -> None:
        write_json_atomic(schedules_dir(self.store) / "scheduler.json",
                          {"pid": os.getpid(), "pid_start": process_start_time(os.getpid())})

    def _is_recorded(self) -> bool:
        with contextlib.suppress(FileNotFoundError, ValueError, OSError):
            return read_json(schedules_dir(self.store) / "scheduler.json").get("pid") == os.getpid()
        return False

    def run(self) -> None:
        lock = try_lock(schedules_dir(self.store) / "scheduler.lock")
        if lock is None:
            _log("another scheduler runs this workspace: exiting")
            return
        with self.store.lock(START_LOCK):
            self._own()
        _log(f"scheduler {os.getpid()} started")
        while True:
            records = self.enabled()
            if not records:
                with self.store.lock(START_LOCK):  # ensure_scheduler checks under it: none is left without us
                    if not self.enabled():
                        if self._is_recorded():
                            forget_pid(self.store)
                        lock.close()
                        _log("no schedule is enabled: exiting")
                        return
                continue
            wake = self.step(records)
            seconds = MAX_SLEEP_SECONDS
            if wake is not None:
                seconds = min(seconds, max(0.02, (wake - schedule_now()).total_seconds() / clock_speed()))
            time.sleep(seconds)


if __name__ == "__main__":
    Scheduler(Path(sys.argv[1])).run()
