"""One exported schedule: its YAML (`schedule.yml`) with the job it submits written beside it as
`job.yml` (built as any exported job: code, components and data placed next to it), or
`azureml:<job>` for a schedule of an existing job. A disabled schedule is created, then
disabled (the schedule YAML has no enabled field): `deploy.py` adds that line.
"""

from __future__ import annotations

from typing import Any

from ..spec.schedules import schedule_to_yaml
from .build import Exported, build_yaml, dump_yaml
from .files import Placer
from .trail import TrailItem

__all__ = ["build_schedule"]

JOB_FILE = "job.yml"


def _create_job(item: TrailItem, placer: Placer, client: Any, jobs: dict[str, str], for_azure: bool) -> Any:
    job = item.entity.create_job
    if isinstance(job, str):
        return job if job.startswith("azureml:") else f"azureml:{job}"
    if getattr(job, "id", None) and not getattr(job, "name", None):  # an existing job with overrides
        dumped = job._to_dict()
        reference = str(dumped.pop("id"))
        return {"type": dumped.pop("type", None), "job": reference, **dumped}
    base = getattr(job, "_base_path", None) or item.base_path
    job_item = TrailItem("job", ("job", job.name), job, str(base) if base else None, item.line)
    out = build_yaml(job_item, placer, client, jobs=jobs, for_azure=for_azure, conda_name="job-conda.yml")
    return placer.write(JOB_FILE, dump_yaml(out.spec))


def build_schedule(item: TrailItem, placer: Placer, client: Any, *, jobs: dict[str, str] | None = None,
                   for_azure: bool = True) -> Exported:
    spec = schedule_to_yaml(item.entity)
    spec["create_job"] = _create_job(item, placer, client, jobs or {}, for_azure)
    return Exported(item, spec)
