"""`PipelineGraph(client, job_name)`: a pipeline job live, as its graph: steps as nodes coloured
by status (reused steps marked, with why each step ran or was reused), edges labelled with the
data that flows, elapsed time per step. Clicking a step opens its JobMonitor below the graph.

Everything comes through the client interface, so it works on every backend: the steps and
their bindings from the pipeline job (`client.jobs.get`), each step's child job from
`client.jobs.list(parent_job_name=...)` (matched by display name, the step's key). The layout
(a column per depth) is computed here; the view only draws it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import traitlets as t
from ipywidgets import widget_serialization

from ..rules import REUSED, is_terminal, reuse_note, status_text
from ..rules.pipelines import layers, step_edges
from .graph_svg import graph_svg, png_graph
from .polled import PolledJobWidget
from .sources import job_times_ms
from .static import esc, html_card

__all__ = ["PipelineGraph", "graph_layout"]


def graph_layout(keys: list[str], edges: list[tuple[str, str, str, str]]) -> dict[str, tuple[int, int]]:
    """(column, row) of each step: the column is its depth, rows in declaration order."""
    depth = layers(keys, edges)
    rows: dict[int, int] = {}
    place = {}
    for key in keys:
        column = depth[key]
        place[key] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return place


class PipelineGraph(PolledJobWidget):
    _kind = t.Unicode("pipeline_graph").tag(sync=True)
    steps = t.List(t.Dict()).tag(sync=True)  # {key, job, status, reused, reason, elapsed_s, column, row}
    edges = t.List(t.Dict()).tag(sync=True)  # {source, target, label}
    selected = t.Unicode("").tag(sync=True)
    monitor = t.Any(None, allow_none=True).tag(sync=True, **widget_serialization)

    def __init__(self, client: Any, job_name: str, interval: float = 0.5, start: bool = True, **kwargs: Any):
        super().__init__(client, job_name, interval, start, **kwargs)

    def _prepare(self) -> None:
        job = self.client.jobs.get(self.job_name)
        spec = json.loads(json.dumps(job._to_dict(), default=str))
        jobs = spec.get("jobs") or {}
        found = step_edges(jobs)
        self._place = graph_layout(list(jobs), found)
        self._keys = sorted(jobs, key=self._place.__getitem__)  # reading order: by column, then row
        self.edges = [{"source": p, "target": c, "label": out if out == inp else f"{out} → {inp}"}
                      for p, out, c, inp in found]

    def __repr__(self) -> str:
        return f"PipelineGraph({self.job_name!r}, status={self.status!r}, steps={len(self.steps)})"

    # -- polling ---------------------------------------------------------------------------------
    def refresh_status(self) -> Any:
        job = self.client.jobs.get(self.job_name)
        children = {getattr(c, "display_name", None) or c.name: c
                    for c in self.client.jobs.list(parent_job_name=self.job_name)}
        now = time.time() * 1000
        steps = []
        for key in self._keys:
            child = children.get(key)
            props = dict(getattr(child, "properties", None) or {})
            start, end = job_times_ms(child) if child is not None else (None, None)
            column, row = self._place[key]
            steps.append({
                "key": key, "job": child.name if child is not None else "",
                "status": status_text(child) if child is not None else "NotStarted",
                "reused": str(props.get(REUSED, "")).lower() == "true",
                "reason": reuse_note(props),
                "elapsed_s": round(((end or now) - start) / 1000, 1) if start else None,
                "column": column, "row": row,
            })
        self.show_job(job, steps=steps)
        return job

    def poll(self) -> bool:
        self.refresh_status()
        if is_terminal(self.status):
            self.refresh_displays()
            return False
        return True

    # -- actions ---------------------------------------------------------------------------------
    def do_select(self, key: str = "") -> None:
        """Open the step's JobMonitor below the graph (a step not started yet has none)."""
        from .job_monitor import JobMonitor

        step = next((s for s in self.steps if s["key"] == key), None)
        if step is None or not step["job"]:
            self.selected, self.monitor = key if step else "", None
            return
        previous = self.monitor
        self.monitor = JobMonitor(self.client, step["job"])
        self.selected = key
        if previous is not None:
            previous.close()

    # -- static fallbacks ------------------------------------------------------------------------
    def static_html(self) -> str:
        head = (f"<div>pipeline <code>{esc(self.job_name)}</code> · status <b class='aml-status'>"
                f"{esc(self.status)}</b></div>")
        return html_card(self.display_name or self.job_name, head, graph_svg(self.steps, self.edges),
                         kind="aml-pipeline-graph")

    def static_png(self) -> str | None:
        return png_graph(self.steps, self.edges, title=self.display_name or self.job_name)
