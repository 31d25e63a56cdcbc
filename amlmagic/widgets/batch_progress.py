"""A batch scoring job's progress, for the job monitor: the overview the job keeps
(`rules.batch.PROGRESS_LOG`) read through the interface on every backend, as the counters the
view draws (mini-batches done / failed / pending, items scored, throughput, retries).

    progress = BatchProgress(client, job_name, log_names)
    progress.poll(job)        # the counters as a dict when they changed, else None
    progress_html(counters)   # the static fallback's section
"""

from __future__ import annotations

import time
from typing import Any

from ..rules.batch import PROGRESS_LOG, SCORING_STEP, Progress, parse_progress
from .static import esc

__all__ = ["BatchProgress", "is_batch_job", "counters_of", "progress_html", "progress_text", "RECHECK_SECONDS"]

# A batch job on Azure lists its overview only once its step has written it: until then the
# monitor asks for the job's log names again, at most this often.
RECHECK_SECONDS = 2.0


def is_batch_job(job: Any) -> bool:
    """A batch invocation's job: a pipeline whose one step is `batchscoring` (section 2.4), or
    marked as a batch run where the steps are not listed."""
    steps = list(getattr(job, "jobs", None) or {})
    marked = str((getattr(job, "properties", None) or {}).get("azureml.batchrun", "")).lower() == "true"
    return getattr(job, "type", None) == "pipeline" and (steps == [SCORING_STEP] or marked)


def counters_of(progress: Progress) -> dict:
    """What the view shows, worked out here (the view only draws)."""
    return {"total": progress.mini_batches_total, "done": progress.mini_batches_done,
            "failed": progress.mini_batches_failed, "pending": progress.mini_batches_pending,
            "items_scored": progress.items_scored, "items_failed": progress.items_failed,
            "retries": progress.retries, "elapsed_seconds": round(progress.elapsed_seconds, 1),
            "items_per_second": round(progress.items_per_second, 1)}


class BatchProgress:
    """Reads the overview whole on every poll: the job rewrites it in place (a few hundred
    bytes), so an offset into an earlier version would mean nothing."""

    def __init__(self, client: Any, job_name: str, log_names: list[str]):
        self.client = client
        self.job_name = job_name
        self.listed = PROGRESS_LOG in log_names
        self.counters: dict = {}
        self._checked = time.monotonic()

    def poll(self, job: Any) -> dict | None:
        """The counters when they changed since the last poll, else None."""
        if not self.listed:
            if not is_batch_job(job) or time.monotonic() - self._checked < RECHECK_SECONDS:
                return None
            self._checked = time.monotonic()
            self.listed = PROGRESS_LOG in self.client.jobs.log_names(self.job_name)
            if not self.listed:
                return None
        text, _ = self.client.jobs.read_log(self.job_name, 0, log=PROGRESS_LOG)
        progress = parse_progress(text)
        if progress is None:  # listed before its first write, or a text we cannot read (Azure's own)
            return None
        counters = counters_of(progress)
        if counters == self.counters:
            return None
        self.counters = counters
        return counters


def progress_text(counters: dict) -> str:
    """One line: `6/10 mini-batches done · 1 failed · 3 pending · 60 items scored (2 failed) ·
    5.0 items/s · 1 retry`."""
    retries = counters["retries"]
    return (f"{counters['done']}/{counters['total']} mini-batches done · {counters['failed']} failed · "
            f"{counters['pending']} pending · {counters['items_scored']} items scored "
            f"({counters['items_failed']} failed) · {counters['items_per_second']:.1f} items/s · "
            f"{retries} {'retry' if retries == 1 else 'retries'}")


def progress_html(counters: dict) -> str:
    """A bar (done, failed, pending) and the line of `progress_text`, for the static fallback."""
    if not counters:
        return ""
    total = max(counters["total"], 1)
    segments = "".join(
        f"<div class='aml-batch-{kind}' title='{kind}: {counters[kind]}' style='width:{100 * counters[kind] / total:.2f}%;"
        f"background:{colour}'></div>"
        for kind, colour in (("done", "rgba(34,160,80,0.75)"), ("failed", "rgba(220,50,50,0.8)"),
                             ("pending", "rgba(128,128,128,0.25)")) if counters[kind])
    bar = (f"<div class='aml-batch-bar' style='display:flex;height:10px;border-radius:4px;overflow:hidden;"
           f"border:1px solid rgba(128,128,128,0.4);margin:4px 0'>{segments}</div>")
    return f"<div class='aml-batch-progress'>{bar}<div>{esc(progress_text(counters))}</div></div>"
