"""`JobMonitor(client, job_name)`: a live view of one job: status and duration, the log tail,
one chart per metric fed incrementally, and a cancel button; a batch scoring job's progress
(mini-batches done / failed / pending, items scored, throughput, retries: batch_progress.py).
Polling stops at a terminal state, and every display of the monitor is then replaced by its
final state."""

from __future__ import annotations

import time
from typing import Any

import traitlets as t

from ..rules import is_terminal, stream_log
from ..rules.batch import PROGRESS_LOG
from .batch_progress import BatchProgress, progress_html, progress_text
from .polled import PolledJobWidget
from .series import SeriesStore
from .sources import LogTail
from .static import esc, fmt, html_card, html_table, png_line_charts

__all__ = ["JobMonitor"]


class JobMonitor(PolledJobWidget):
    _kind = t.Unicode("job_monitor").tag(sync=True)
    log_tail = t.Unicode("").tag(sync=True)
    log_names = t.List(t.Unicode()).tag(sync=True)  # a distributed job's per-process logs
    log_name = t.Unicode("").tag(sync=True)  # the one shown (the streamed one, rank 0's, first)
    metric_names = t.List(t.Unicode()).tag(sync=True)
    batch = t.Dict().tag(sync=True)  # a batch job's counters (batch_progress.counters_of), else {}

    def __init__(self, client: Any, job_name: str, interval: float = 0.2, start: bool = True, **kwargs: Any):
        super().__init__(client, job_name, interval, start, **kwargs)

    def _prepare(self) -> None:
        self.store = SeriesStore()
        self._reader = self.client.jobs.metrics_reader(self.job_name)
        self._log = LogTail(self.client, self.job_name)
        names = self.client.jobs.log_names(self.job_name)
        self._job: Any = None  # the job as last read (refresh_status): tells a batch job
        self._batch = BatchProgress(self.client, self.job_name, names)
        self.log_names = [n for n in names if n != PROGRESS_LOG]  # the processes' logs: the overview is drawn
        self.log_name = stream_log(self.log_names)  # what `az ml job stream` shows: rank 0's

    def __repr__(self) -> str:
        batch = f", {progress_text(self.batch)}" if self.batch else ""
        return f"JobMonitor({self.job_name!r}, status={self.status!r}{batch})"

    def do_select_log(self, name: str = "") -> None:
        """Show another process's log (a rank of a distributed job), read from its start."""
        if name not in self.log_names:
            self.error = f"job {self.job_name} has no log {name!r}: its logs are {', '.join(self.log_names)}"
            return
        self._log = LogTail(self.client, self.job_name, log=name)
        self._log.poll()
        with self.hold_sync():
            self.log_name = name
            self.log_tail = self._log.text

    # -- polling ---------------------------------------------------------------------------
    def refresh_status(self) -> Any:
        job = self.client.jobs.get(self.job_name)
        self.show_job(job)
        self._job = job
        return job

    def poll_batch(self) -> None:
        counters = self._batch.poll(self._job)
        if counters is not None:
            self.batch = counters

    def poll_metrics(self) -> int:
        """Read new metric points and send them to the views; returns how many arrived."""
        new = self._reader.read_new()
        if not new:
            return 0
        chunks = self._send_points(new)
        names = self.store.names()
        if names != list(self.metric_names):
            self.metric_names = names
        return sum(len(c[3]) for c in chunks)

    def poll(self) -> bool:
        """One batch: status, new points, new log text. False once the job has ended."""
        job_was_terminal = is_terminal(self.status)
        self.refresh_status()
        self.poll_metrics()
        self.poll_batch()
        if self._log.poll():
            self.log_tail = self._log.text
        if is_terminal(self.status):
            if not job_was_terminal:
                # The last points and log lines may land just before the final status.
                self.poll_metrics()
                self.poll_batch()
                if self._log.poll():
                    self.log_tail = self._log.text
            self._maybe_resync(force=True)
            self.refresh_displays()
            return False
        return True

    # -- static fallbacks -----------------------------------------------------------------------
    def series_xy(self) -> dict:
        return {n: (list(s.steps), list(s.values)) for n, s in self.store.series.items()}

    def static_html(self) -> str:
        duration = ""
        if self.started_at_ms:
            end = self.ended_at_ms or time.time() * 1000
            duration = f" · {fmt(round((end - self.started_at_ms) / 1000, 1))} s"
        rows = [(n, len(s), s.last(), min(s.values), max(s.values)) for n, s in self.store.series.items() if len(s)]
        metrics = html_table(["metric", "points", "last", "min", "max"], rows) if rows else ""
        tail = "\n".join(self.log_tail.splitlines()[-15:])
        log = f"<pre style='background:#111;color:#ddd;padding:6px;font-size:11px'>{esc(tail)}</pre>" if tail else ""
        head = (f"<div>job <code>{esc(self.job_name)}</code> · status <b class='aml-status'>"
                f"{esc(self.status)}</b>{duration}</div>")
        return html_card(self.display_name or self.job_name, head, progress_html(self.batch), metrics, log,
                         kind="aml-job-monitor")

    def static_png(self) -> str | None:
        return png_line_charts(self.series_xy(), title=self.display_name or self.job_name)
