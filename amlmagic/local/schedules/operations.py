"""`client.schedules`: MLClient's ScheduleOperations over the workspace folder.

    client.schedules.begin_create_or_update(load_schedule("cron.yml")).result()   # JobSchedule
    client.schedules.trigger("nightly").job_name                                  # fires once, now
    client.schedules.begin_disable("nightly").result(); client.schedules.begin_delete("nightly")

Azure's rules: a new schedule is enabled; `list` shows enabled ones unless `list_view_type` says
otherwise; `trigger` fires an enabled schedule once; delete needs the schedule disabled first and
leaves the jobs it triggered. The detached scheduler (scheduler.py) fires the slots; it is
started on create and enable, and again when schedule state is read after it vanished.
"""

from __future__ import annotations

from typing import Any

from ...errors import DamagedStateError, ValidationError
from ...rules.schedules import DELETE_ENABLED_MESSAGE, schedule_now
from ..pollers import CompletedPoller
from ..store import warn_damaged
from ..workspace import LocalWorkspace, current_user
from .control import ensure_scheduler
from .entities import schedule_to_spec, spec_to_schedule
from .firing import fire
from .records import KIND, forget_state, read_state, schedule_lock, schedule_record

__all__ = ["ScheduleOperations", "LIST_VIEWS"]

LIST_VIEWS = ("EnabledOnly", "DisabledOnly", "All")  # azure-ai-ml's ScheduleListViewType


class ScheduleOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any):
        self._ws = workspace
        self._store = workspace.store
        self._client = client  # its `jobs` submit what the schedules trigger

    # -- write -------------------------------------------------------------------------------
    def begin_create_or_update(self, schedule: Any, **_: Any) -> CompletedPoller:
        """Create the schedule, or replace an existing one's definition (it keeps its creation
        time, its enabled state unless the entity says, and the jobs it triggered)."""
        spec, job_base_path = schedule_to_spec(schedule, self._client.jobs)
        name = spec["name"]
        now = schedule_now().isoformat()
        with schedule_lock(self._store, name):
            existing = self._store.get(KIND, name)
            meta = dict(existing["meta"]) if existing else {"created_at": now, "created_by": current_user()}
            wanted = getattr(schedule, "is_enabled", None)
            meta.update(is_enabled=bool(meta.get("is_enabled", True) if wanted is None else wanted),
                        baseline=now, modified_at=now, job_base_path=job_base_path)
            self._store.put(KIND, name, {"spec": spec, "meta": meta})
        if meta["is_enabled"]:
            ensure_scheduler(self._store)
        return CompletedPoller(self.get(name))

    def _set_enabled(self, name: str, enabled: bool) -> Any:
        with schedule_lock(self._store, name):
            record = schedule_record(self._store, name)
            now = schedule_now().isoformat()
            if enabled and not record["meta"].get("is_enabled"):
                record["meta"]["baseline"] = now  # slots missed while disabled never fire (our rule)
            record["meta"].update(is_enabled=enabled, modified_at=now)
            self._store.put(KIND, name, record)
        if enabled:
            ensure_scheduler(self._store)
        return self.get(name)

    def begin_enable(self, name: str, **_: Any) -> CompletedPoller:
        return CompletedPoller(self._set_enabled(name, True))

    def begin_disable(self, name: str, **_: Any) -> CompletedPoller:
        return CompletedPoller(self._set_enabled(name, False))

    def begin_delete(self, name: str, **_: Any) -> CompletedPoller:
        with schedule_lock(self._store, name):
            record = schedule_record(self._store, name)
            if record["meta"].get("is_enabled"):
                raise ValidationError(f"{DELETE_ENABLED_MESSAGE}: %aml schedule disable -n {name}, then delete it")
            self._store.delete(KIND, name)
            forget_state(self._store, name)  # the jobs it triggered stay
        return CompletedPoller()

    def trigger(self, name: str, **_: Any) -> Any:
        """Fire the schedule once, now (its job's display name carries this moment); its slots
        go on as before."""
        from azure.ai.ml.entities import ScheduleTriggerResult

        record = schedule_record(self._store, name)
        if not record["meta"].get("is_enabled"):
            raise ValidationError(f"schedule {name} is disabled: only an enabled schedule can be triggered; "
                                  f"enable it first (%aml schedule enable -n {name})")
        job_name = fire(self._store, self._client.jobs, name, schedule_now(), manual=True)
        return ScheduleTriggerResult(job_name=job_name, schedule_action_type="CreateJob")

    # -- read --------------------------------------------------------------------------------
    def _entity(self, record: dict) -> Any:
        meta = record["meta"]
        schedule = spec_to_schedule(record["spec"], job_base_path=meta.get("job_base_path"),
                                    is_enabled=bool(meta.get("is_enabled")))
        schedule._creation_context = self._ws.system_data(meta)
        error = read_state(self._store, record["spec"]["name"]).get("last_error")
        if error:  # a slot whose job could not be submitted (the magics show it)
            schedule.properties["last_trigger_error"] = error
        return schedule

    def get(self, name: str, **_: Any) -> Any:
        record = schedule_record(self._store, name)
        if record["meta"].get("is_enabled"):
            ensure_scheduler(self._store)  # started again after a machine restart
        return self._entity(record)

    def list(self, *, list_view_type: Any = "EnabledOnly", **_: Any) -> list:
        view = str(getattr(list_view_type, "value", list_view_type))
        if view not in LIST_VIEWS:
            raise ValidationError(f"list_view_type: {view!r} is not one of {', '.join(LIST_VIEWS)}")
        records = self._store.records(KIND)
        if any(r["meta"].get("is_enabled") for r in records.values()):
            ensure_scheduler(self._store)
        found = []
        for record in records.values():
            enabled = bool(record["meta"].get("is_enabled"))
            if view == "All" or enabled == (view == "EnabledOnly"):
                try:
                    found.append(self._entity(record))
                except DamagedStateError as exc:
                    warn_damaged(exc)
        return found
