"""`%aml job ...`: submit, follow, inspect and cancel command and sweep jobs."""

from __future__ import annotations

import time
from typing import Any

from ...display import EntityList, TextBlock
from ...errors import BackendError

__all__ = ["job_create", "job_show", "job_list", "job_stream", "job_cancel", "job_download", "job_metrics",
           "job_watch", "TERMINAL_STATUSES", "wait_for_job"]

TERMINAL_STATUSES = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")


def job_create(ctx) -> Any:
    job = ctx.from_yaml("job", name=ctx.flag("name"), experiment_name=ctx.flag("experiment_name"),
                        description=ctx.flag("description"))
    default_compute = ctx.session.connection.get("default_compute")
    if default_compute and not getattr(job, "compute", None):  # `%aml compute use` on Azure
        job.compute = default_compute
    created = ctx.record(ctx.client.jobs.create_or_update(job))
    if ctx.flag("stream"):
        return _follow(ctx, created.name)
    return created


def _follow(ctx, name: str) -> Any:
    if ctx.in_kernel:  # a live monitor in the notebook; the cell waits like `az ml job create --stream`
        ctx.show(_monitor(ctx.client, name))
        try:
            job = wait_for_job(ctx.client, name)
        except KeyboardInterrupt:
            ctx.show(TextBlock(f"stopped following; the job goes on. Cancel it with %aml job cancel -n {name}"))
            return ctx.client.jobs.get(name)
        if job.status == "Failed":  # as `jobs.stream` (and `az ml job create --stream`) fail
            error = (job.properties or {}).get("error") or "see its log"
            raise BackendError(f"job {name} Failed: {' '.join(str(error).split())[-300:]} "
                               f"(full log: %aml job stream -n {name})")
        return job
    ctx.client.jobs.stream(name)
    return ctx.client.jobs.get(name)


def _monitor(client, name: str) -> Any:
    from ...widgets import JobMonitor, PipelineGraph, SweepMonitor

    job = client.jobs.get(name)
    return {"sweep": SweepMonitor, "pipeline": PipelineGraph}.get(job.type, JobMonitor)(client, name)


def wait_for_job(client, name: str, poll: float = 0.5) -> Any:
    wait = getattr(client.jobs, "wait", None)
    if wait is not None:
        return wait(name)
    while True:  # MLClient has no wait: poll as `az ml job stream` does
        job = client.jobs.get(name)
        if job.status in TERMINAL_STATUSES:
            return job
        time.sleep(poll)


def job_show(ctx) -> Any:
    job = ctx.client.jobs.get(ctx.flag("name"))
    if job.type == "sweep":
        # The sweep first: on Azure its trials come from another service (run history), which
        # can fail on its own (network rules, a replay recorded without it).
        ctx.show(job)
        trials = EntityList(ctx.client.jobs.list(parent_job_name=job.name))
        best = (job.properties or {}).get("best_child_run_id")
        ctx.show(TextBlock(f"trials ({len(trials)}), best: {best or 'none yet'}"))
        return trials
    return job


def job_list(ctx) -> EntityList:
    jobs = list(ctx.client.jobs.list(parent_job_name=ctx.flag("parent_job_name")))
    limit = ctx.flag("max_results") or (None if ctx.flag("all_results") else 50)
    return EntityList(jobs[:limit] if limit else jobs)


def job_stream(ctx) -> Any:
    ctx.client.jobs.stream(ctx.flag("name"))
    return ctx.client.jobs.get(ctx.flag("name"))


def job_cancel(ctx) -> Any:
    operations = ctx.client.jobs
    cancel = getattr(operations, "begin_cancel", None) or operations.cancel
    result = cancel(ctx.flag("name"))
    if hasattr(result, "result"):
        result.result()
    job = operations.get(ctx.flag("name"))
    ctx.record(job)
    return job


def job_download(ctx) -> TextBlock:
    target = ctx.flag("download_path") or str(ctx.cwd)
    ctx.client.jobs.download(ctx.flag("name"), download_path=target, output_name=ctx.flag("output_name"),
                             all=bool(ctx.flag("all")))
    return TextBlock(f"downloaded {ctx.flag('name')} outputs to {target}")


def job_metrics(ctx) -> dict:
    from ...metrics import read_all_metrics

    return read_all_metrics(ctx.client, ctx.flag("name"))


def job_watch(ctx) -> Any:
    return _monitor(ctx.client, ctx.flag("name"))
