"""What one slot of a schedule submits, and submitting it through `client.jobs` without ever
firing a slot twice.

    job_name = fire(store, jobs, "nightly", slot)                 # the scheduler, at a slot
    job_name = fire(store, jobs, "nightly", now, manual=True)     # `trigger`: once, now

The job: the schedule's create_job (a stored definition, or an existing job's definition with
the overrides deep-merged), its display name `<schedule>-YYYYMMDDThhmmssZ`, its experiment the
schedule's name unless it names one, the link tags (rules/schedules.py), and `${{name}}` /
`${{creation_context.trigger_time}}` resolved in its inputs and output paths.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from ...errors import AmlMagicError
from ...names import generate_job_name
from ...rules.schedules import resolve_macros, triggered_display_name, triggered_job_tags
from ..store import Store
from .entities import job_ref_name
from .records import read_state, schedule_lock, schedule_record, write_state

__all__ = ["fire", "job_spec_for_slot", "deep_merge", "KEPT_JOBS"]

KEPT_JOBS = 200  # the state keeps the latest triggered jobs; older ones stay in the workspace


def deep_merge(base: dict, updates: dict) -> dict:
    """azure-ai-ml's merge_dict: mappings merged key by key, anything else replaced."""
    merged = copy.deepcopy(base)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _definition(record: dict, jobs: Any) -> tuple[dict, str]:
    """(job spec, base path) of the schedule's create_job."""
    from ...spec.jobs import job_to_spec

    create_job = record["spec"]["create_job"]
    if isinstance(create_job, dict) and "job" not in create_job:
        return copy.deepcopy(create_job), record["meta"].get("job_base_path") or "."
    ref = create_job if isinstance(create_job, str) else create_job["job"]
    source = jobs.get(job_ref_name(ref))
    spec = job_to_spec(source)
    spec.pop("experiment_name", None)  # an existing job's experiment is its own; the schedule's is its name
    overrides = {k: v for k, v in create_job.items() if k not in ("job", "type")} if isinstance(create_job, dict) else {}
    return deep_merge(spec, overrides), str(getattr(source, "_base_path", None) or ".")


def _macro_inputs(inputs: dict, job_name: str, slot: datetime) -> dict:
    """Inputs with the macros resolved; azure-ai-ml dumps a literal `${{name}}` input as
    {"path": ...}: it becomes the literal it stands for."""
    out = {}
    for key, value in inputs.items():
        if isinstance(value, dict) and set(value) == {"path"} and "${{" in str(value["path"]):
            out[key] = resolve_macros(value["path"], job_name, slot)
        else:
            out[key] = resolve_macros(value, job_name, slot)
    return out


def job_spec_for_slot(store: Store, jobs: Any, name: str, slot: datetime, job_name: str) -> tuple[dict, str]:
    """(spec, base path) of the job schedule `name` submits for `slot`."""
    record = schedule_record(store, name)
    spec, base = _definition(record, jobs)
    spec["name"] = job_name
    spec["display_name"] = triggered_display_name(name, slot)
    spec["experiment_name"] = spec.get("experiment_name") or name  # Azure's default: the schedule's name
    spec["tags"] = {**(spec.get("tags") or {}), **triggered_job_tags(name, slot)}
    if spec.get("inputs"):
        spec["inputs"] = _macro_inputs(spec["inputs"], job_name, slot)
    if spec.get("outputs"):
        spec["outputs"] = resolve_macros(spec["outputs"], job_name, slot)
    return spec, base


def _submit(store: Store, jobs: Any, name: str, slot: datetime) -> str:
    from ...spec.jobs import spec_to_job

    job_name = generate_job_name()
    spec, base = job_spec_for_slot(store, jobs, name, slot, job_name)
    job = spec_to_job(spec, base)
    job.name = job_name
    return jobs.create_or_update(job).name


def fire(store: Store, jobs: Any, name: str, slot: datetime, *, manual: bool = False) -> str | None:
    """Submit the schedule's job for `slot` under the schedule's lock and record it; the job's name.
    A scheduled slot at or before the last one fired is skipped (None): two schedulers, or a
    scheduler and its restart, never fire a slot twice. A submission that fails is recorded as
    the schedule's `last_error` (the slot counts as fired: no retry storm) and raised."""
    iso = slot.isoformat()
    with schedule_lock(store, name):
        state = read_state(store, name)
        if not manual and state.get("last_slot") and datetime.fromisoformat(state["last_slot"]) >= slot:
            return None
        if not manual:
            state["last_slot"] = iso
        try:
            job_name = _submit(store, jobs, name, slot)
        except AmlMagicError as exc:
            state["last_error"] = f"{iso}: {exc}"
            write_state(store, name, state)
            raise
        state["jobs"] = (state.get("jobs") or [])[-(KEPT_JOBS - 1):] + [{"name": job_name, "slot": iso, "manual": manual}]
        state["last_error"] = None
        write_state(store, name, state)
        return job_name
