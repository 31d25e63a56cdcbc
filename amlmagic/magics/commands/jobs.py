"""`%aml job ...`: submit, follow, inspect and cancel command and sweep jobs."""

from __future__ import annotations

from typing import Any

from ...display import EntityList, TextBlock
from ...errors import BackendError
from ...rules import reuse_note, status_text
from ..children import list_children
from ..paths import output_folder, writing_into

__all__ = ["job_create", "job_show", "job_list", "job_stream", "job_cancel", "job_download", "job_metrics",
           "job_watch"]


def job_create(ctx) -> Any:
    job = ctx.from_yaml("job", name=ctx.flag("name"), experiment_name=ctx.flag("experiment_name"),
                        description=ctx.flag("description"))
    created = ctx.record(ctx.client.jobs.create_or_update(job))
    if ctx.flag("stream"):
        return _follow(ctx, created.name)
    return created


def _follow(ctx, name: str) -> Any:
    if ctx.in_kernel:  # a live monitor in the notebook; the cell waits like `az ml job create --stream`
        monitor = _monitor(ctx.client, name)
        ctx.show(monitor)
        try:
            job = ctx.client.jobs.wait(name)
            monitor.settle()  # the cell ends with every display of the monitor in the final state
        except KeyboardInterrupt:
            ctx.show(TextBlock(f"stopped following; the job goes on. Cancel it with %aml job cancel -n {name}"))
            return ctx.client.jobs.get(name)
        if status_text(job) == "Failed":  # as `jobs.stream` (and `az ml job create --stream`) fail
            error = (job.properties or {}).get("error") or "see its log"
            raise BackendError(f"job {name} Failed: {' '.join(str(error).split())[-300:]} "
                               f"(full log: %aml job stream -n {name})")
        return job
    ctx.client.jobs.stream(name)
    return ctx.client.jobs.get(name)


def _monitor(client, name: str) -> Any:
    from ...widgets import JobMonitor, PipelineGraph, SweepMonitor
    from ...widgets.batch_progress import is_batch_job

    job = client.jobs.get(name)
    if is_batch_job(job):  # one scoring step: its progress, not a graph
        return JobMonitor(client, name)
    return {"sweep": SweepMonitor, "pipeline": PipelineGraph}.get(job.type, JobMonitor)(client, name)


def job_show(ctx) -> Any:
    """The job; a sweep's trials and a pipeline's steps (with why each ran or was reused) are
    displayed beneath it, and a step says why it ran or was reused."""
    job = ctx.client.jobs.get(ctx.flag("name"))
    why = reuse_note(job.properties)
    if why:
        ctx.show_beneath(TextBlock(f"step {job.display_name}: {why}"))
    if job.type == "pipeline":
        steps = list_children(ctx, f"the steps of pipeline {job.name}",
                              lambda: ctx.client.jobs.list(parent_job_name=job.name),
                              f"%aml job list --parent-job-name {job.name}")
        if steps is not None:
            rows = [f"  {s.display_name:<16} {s.name:<28} {status_text(s):<10} "
                    f"{reuse_note(s.properties)}" for s in reversed(list(steps))]
            ctx.show_beneath(TextBlock("\n".join([f"steps ({len(rows)}):", *rows])))
    if job.type == "sweep":
        trials = list_children(ctx, f"the trials of sweep {job.name}",
                               lambda: ctx.client.jobs.list(parent_job_name=job.name),
                               f"%aml job list --parent-job-name {job.name}")
        if trials is not None:
            best = (job.properties or {}).get("best_child_run_id")
            ctx.show_beneath(TextBlock(f"trials ({len(trials)}), best: {best or 'none yet'}"))
            ctx.show_beneath(trials)
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
    operations.begin_cancel(ctx.flag("name")).result()
    job = operations.get(ctx.flag("name"))
    ctx.record(job)
    return job


def job_download(ctx) -> TextBlock:
    target = output_folder(ctx.cwd, ctx.flag("download_path"), ctx.cwd, "--download-path")
    with writing_into(target, "--download-path"):
        ctx.client.jobs.download(ctx.flag("name"), download_path=str(target), output_name=ctx.flag("output_name"),
                                 all=bool(ctx.flag("all")))
    return TextBlock(f"downloaded {ctx.flag('name')} outputs to {target}")


def job_metrics(ctx) -> dict:
    return ctx.client.jobs.metrics_reader(ctx.flag("name")).read_new()


def job_watch(ctx) -> Any:
    return _monitor(ctx.client, ctx.flag("name"))
