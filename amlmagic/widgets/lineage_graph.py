"""`LineageGraph(client, lineage)`: a `Lineage` (amlmagic.lineage) as a graph: nodes coloured by
kind at the (column, row) the lineage laid out, edges labelled with the relation. Clicking a node
shows its details; a job opens its monitor below the graph (a sweep its SweepMonitor, a pipeline
its PipelineGraph, any other job its JobMonitor).

The widget only shows what it is given (`lineage.drawn()`): building the lineage is
`amlmagic.lineage.build_lineage`, through the client interface.
"""

from __future__ import annotations

from typing import Any

import traitlets as t
from ipywidgets import widget_serialization

from .base import AmlWidget
from .graph_svg import lineage_svg, png_lineage
from .static import esc, html_card

__all__ = ["LineageGraph"]


class LineageGraph(AmlWidget):
    _kind = t.Unicode("lineage_graph").tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    nodes = t.List(t.Dict()).tag(sync=True)  # {key, kind, label, caption, fill, root, column, row, details}
    edges = t.List(t.Dict()).tag(sync=True)  # {source, target, label}
    notes = t.List(t.Unicode()).tag(sync=True)
    selected = t.Unicode("").tag(sync=True)
    monitor = t.Any(None, allow_none=True).tag(sync=True, **widget_serialization)

    def __init__(self, client: Any, lineage: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client
        self.lineage = lineage
        nodes, edges = lineage.drawn()
        root = next((n for n in nodes if n["root"]), None)
        self.title = f"lineage of {root['kind']} {root['label']}" if root else "lineage"
        self.nodes, self.edges, self.notes = nodes, edges, list(lineage.notes)

    def to_dict(self) -> dict:
        return self.lineage.to_dict()

    def __repr__(self) -> str:
        return f"LineageGraph({self.title!r}, nodes={len(self.nodes)}, edges={len(self.edges)})"

    # -- actions ---------------------------------------------------------------------------------
    def do_select(self, key: str = "") -> None:
        """Select a node (its details show in the view); a job's monitor opens below the graph."""
        node = next((n for n in self.nodes if n["key"] == key), None)
        previous = self.monitor
        self.monitor = self._monitor_for(node) if node is not None else None
        self.selected = key if node is not None else ""
        if previous is not None:
            previous.close()

    def _monitor_for(self, node: dict) -> Any:
        if node["kind"] != "job":
            return None
        name = node["label"]
        job_type = node["details"].get("type")
        if job_type == "sweep":
            from .sweep_monitor import SweepMonitor

            return SweepMonitor(self.client, name)
        if job_type == "pipeline":
            from .pipeline_graph import PipelineGraph

            return PipelineGraph(self.client, name)
        from .job_monitor import JobMonitor

        return JobMonitor(self.client, name)

    # -- static fallbacks ------------------------------------------------------------------------
    def static_html(self) -> str:
        rows = "".join(f"<div class='aml-muted'>note: {esc(n)}</div>" for n in self.notes)
        return html_card(self.title, rows, lineage_svg(self.nodes, self.edges), kind="aml-lineage-graph")

    def static_png(self) -> str | None:
        return png_lineage(self.nodes, self.edges, title=self.title)
