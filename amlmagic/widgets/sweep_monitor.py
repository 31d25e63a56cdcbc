"""`SweepMonitor(client, job_name)`: a live view of a sweep: the trials table (status,
parameters, best primary metric, the policy that stopped early-terminated trials), every
trial's primary-metric curve, and parallel coordinates with the best trial highlighted."""

from __future__ import annotations

from typing import Any

import traitlets as t

from ..rules import best_trial as pick_best_trial
from ..rules import is_terminal, status_text
from .polled import PolledJobWidget
from .series import SeriesStore
from .sources import job_times_ms, objective_of, trial_params, trial_termination
from .static import esc, html_card, html_table, png_sweep

__all__ = ["SweepMonitor"]


class SweepMonitor(PolledJobWidget):
    _kind = t.Unicode("sweep_monitor").tag(sync=True)
    primary_metric = t.Unicode("").tag(sync=True)
    goal = t.Unicode("maximize").tag(sync=True)
    params = t.List(t.Unicode()).tag(sync=True)
    trials = t.List(t.Dict()).tag(sync=True)
    best_trial = t.Unicode("").tag(sync=True)

    def __init__(self, client: Any, job_name: str, interval: float = 0.5, start: bool = True, **kwargs: Any):
        super().__init__(client, job_name, interval, start, **kwargs)

    def _prepare(self) -> None:
        self.store = SeriesStore()  # one series per trial: its primary metric
        self._readers: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"SweepMonitor({self.job_name!r}, status={self.status!r}, trials={len(self.trials)})"

    def refresh_status(self) -> Any:
        sweep = self.client.jobs.get(self.job_name)
        metric, goal = objective_of(sweep)
        self.show_job(sweep, primary_metric=metric, goal=goal)
        self._sweep = sweep
        return sweep

    def _poll_trials(self) -> None:
        listed = list(self.client.jobs.list(parent_job_name=self.job_name))
        listed.sort(key=lambda j: job_times_ms(j)[0] or 0)
        new_points: dict[str, list] = {}
        for trial in listed:
            name = trial.name
            if name not in self._readers:
                self._readers[name] = self.client.jobs.metrics_reader(name)
            points = self._readers[name].read_new().get(self.primary_metric)
            if points:
                new_points[name] = points
        self._send_points(new_points)
        rows, params = [], []
        for trial in listed:
            p = trial_params(trial)
            params += [k for k in p if k not in params]
            series = self.store.series.get(trial.name)
            rows.append({
                "name": trial.name, "status": status_text(trial), "params": p,
                "metric": series.best(self.goal) if series else None,
                "last": series.last() if series else None,
                "steps": len(series) if series else 0,
                "terminated_by": trial_termination(trial),
            })
        props = dict(getattr(self._sweep, "properties", None) or {})
        # The backend's pick when it has one (Azure's, or the local controller's), else the same
        # rule on the points read so far (rules.best_trial: Completed trials only).
        best = props.get("best_child_run_id") or self._best_so_far(rows)
        with self.hold_sync():
            if params != list(self.params):
                self.params = params
            if rows != list(self.trials):
                self.trials = rows
            self.best_trial = best

    def _best_so_far(self, rows: list[dict]) -> str:
        scored = [{"name": r["name"], "status": r["status"], "score": r["metric"]} for r in rows]
        best = pick_best_trial(scored, self.goal)
        return best["name"] if best else ""

    def poll(self) -> bool:
        was_terminal = is_terminal(self.status)
        self.refresh_status()
        self._poll_trials()
        if is_terminal(self.status):
            if not was_terminal:
                self._poll_trials()  # trials that ended with the sweep
            self._maybe_resync(force=True)
            self.refresh_displays()
            return False
        return True

    # -- static fallbacks -----------------------------------------------------------------------
    def static_html(self) -> str:
        headers = ["trial", "status", *self.params, f"best {self.primary_metric}", ""]
        rows = [[tr["name"], tr["status"], *[tr["params"].get(p) for p in self.params], tr["metric"],
                 f"stopped by {tr['terminated_by']}" if tr["terminated_by"] else ""] for tr in self.trials]
        best = next((i for i, tr in enumerate(self.trials) if tr["name"] == self.best_trial), None)
        head = (f"<div>sweep <code>{esc(self.job_name)}</code> · status <b class='aml-status'>{esc(self.status)}"
                f"</b> · {esc(self.goal)} {esc(self.primary_metric)} · best <b>{esc(self.best_trial or '—')}</b></div>")
        return html_card(self.display_name or self.job_name, head, html_table(headers, rows, highlight=best),
                         kind="aml-sweep-monitor")

    def static_png(self) -> str | None:
        if not self.trials:
            return None
        curves = {n: (list(s.steps), list(s.values)) for n, s in self.store.series.items()}
        return png_sweep(self.trials, list(self.params), self.primary_metric, self.best_trial, curves)
