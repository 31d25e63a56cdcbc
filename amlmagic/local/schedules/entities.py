"""A `JobSchedule` <-> its stored spec (the schedule YAML's fields, as plain data).

The stored `create_job` is one of:
- a job spec dict (`amlmagic.spec.jobs`: a job defined in a file or in Python, its overrides
  already merged by azure-ai-ml's loader), with `meta.job_base_path` the folder its relative paths
  resolve against;
- `"azureml:<job>"`: an existing job, re-submitted from its stored definition at each slot;
- `{"type", "job": "azureml:<job>", <overrides>}`: the same with overrides (inputs, outputs,
  settings, experiment_name, tags, compute), deep-merged at each slot.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, ValidationError
from ...rules.schedules import OVERRIDE_KEYS, parse_trigger
from ...spec.schedules import trigger_to_dict

__all__ = ["schedule_to_spec", "spec_to_schedule", "job_ref_name", "SCHEDULABLE_TYPES"]

# Our rule: command jobs are scheduled too (Azure's SDK accepts them behind its preview flag), and
# sweeps; the docs name pipeline jobs only.
SCHEDULABLE_TYPES = ("pipeline", "command", "sweep")


def job_ref_name(ref: str) -> str:
    """`azureml:<job>`, an ARM id `.../jobs/<job>`, or the bare name azure-ai-ml leaves -> the job name."""
    text = str(ref).strip()
    text = text[len("azureml:"):] if text.startswith("azureml:") else text
    return text.rstrip("/").rsplit("/", 1)[-1]


def _create_job_spec(create_job: Any, jobs: Any, cwd: Path) -> tuple[Any, str | None]:
    from azure.ai.ml.entities import Job
    from azure.ai.ml.entities._builders import BaseNode

    from ...spec.jobs import job_to_spec

    if isinstance(create_job, BaseNode):
        create_job = create_job._to_job()
    if isinstance(create_job, str) or (isinstance(create_job, Job) and create_job.id and not create_job.name):
        name = job_ref_name(create_job if isinstance(create_job, str) else create_job.id)
        try:
            jobs.get(name)
        except NotFoundError:
            raise NotFoundError(f"create_job: job {name!r} not found: give an existing job (azureml:<job>) "
                                "or a job YAML file") from None
        if isinstance(create_job, str):
            return f"azureml:{name}", None
        dumped = create_job._to_dict()
        overrides = {k: dumped[k] for k in OVERRIDE_KEYS if dumped.get(k) not in (None, {}, "")}
        return {"type": dumped.get("type"), "job": f"azureml:{name}", **overrides}, None
    if not isinstance(create_job, Job):
        raise ValidationError("create_job: give a job YAML file (./job.yml), azureml:<job>, or a job entity")
    job_type = getattr(create_job, "type", None) or "command"
    if job_type not in SCHEDULABLE_TYPES:
        raise ValidationError(f"create_job: a {job_type} job cannot be scheduled: use a pipeline or command job")
    base = Path(getattr(create_job, "_base_path", None) or cwd)
    return job_to_spec(create_job), str((cwd / base).resolve())


def schedule_to_spec(schedule: Any, jobs: Any) -> tuple[dict, str | None]:
    """(spec, the job's base path) of a schedule to store; ValidationError/NotFoundError naming the
    field for a bad trigger or a create_job that points at nothing."""
    from azure.ai.ml.entities import JobSchedule

    if not isinstance(schedule, JobSchedule):
        raise ValidationError(f"only job schedules (create_job) run locally, not a {type(schedule).__name__}")
    name = str(schedule.name or "")
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name) or not name[0].isalnum():
        raise ValidationError(f"name: {name!r} is not a schedule name: use letters, digits, '-' and '_'")
    try:
        trigger = trigger_to_dict(schedule.trigger)
        parse_trigger(trigger)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if schedule.create_job is None:
        raise ValidationError("create_job: give the job to run (a job YAML file or azureml:<job>)")
    create_job, base_path = _create_job_spec(schedule.create_job, jobs, Path(os.getcwd()))
    spec: dict[str, Any] = {"name": name, "trigger": trigger, "create_job": create_job}
    for key in ("display_name", "description"):
        if getattr(schedule, key, None):
            spec[key] = getattr(schedule, key)
    for key in ("tags", "properties"):
        if getattr(schedule, key, None):
            spec[key] = {str(k): str(v) for k, v in getattr(schedule, key).items()}
    return spec, base_path


def _trigger_entity(trigger: dict) -> Any:
    from azure.ai.ml.entities import CronTrigger, RecurrencePattern, RecurrenceTrigger

    times = {k: trigger.get(k) for k in ("start_time", "end_time")}
    zone = trigger.get("time_zone") or "UTC"
    if trigger["type"] == "cron":
        return CronTrigger(expression=trigger["expression"], time_zone=zone, **times)
    pattern = trigger.get("schedule")
    return RecurrenceTrigger(frequency=trigger["frequency"], interval=trigger["interval"], time_zone=zone,
                             schedule=RecurrencePattern(**pattern) if pattern else None, **times)


def _remote_create_job(spec: dict) -> Any:
    """The entity azure-ai-ml makes of `{type, job: azureml:<job>, overrides}` (a Job with that id)."""
    import yaml
    from azure.ai.ml.entities._load_functions import load_schedule

    text = yaml.safe_dump({"name": spec["name"], "trigger": spec["trigger"], "create_job": spec["create_job"]})
    return load_schedule(io.StringIO(text)).create_job


def spec_to_schedule(spec: dict, *, job_base_path: str | None, is_enabled: bool) -> Any:
    from azure.ai.ml.entities import JobSchedule

    from ...spec.jobs import spec_to_job

    create_job = spec["create_job"]
    if isinstance(create_job, dict) and "job" in create_job:
        create_job = _remote_create_job(spec)
    elif isinstance(create_job, dict):
        create_job = spec_to_job(create_job, job_base_path or os.getcwd())
    return JobSchedule(
        name=spec["name"], trigger=_trigger_entity(spec["trigger"]), create_job=create_job,
        display_name=spec.get("display_name"), description=spec.get("description"),
        tags=dict(spec.get("tags") or {}), properties=dict(spec.get("properties") or {}),
        is_enabled=is_enabled, provisioning_state="Succeeded",
    )
