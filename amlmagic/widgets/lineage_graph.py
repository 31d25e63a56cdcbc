"""`LineageGraph(client, lineage)`: a `Lineage` (amlmagic.lineage) as a graph: nodes coloured by
kind at the (column, row) the lineage laid out, edges labelled with the relation. Clicking a node
shows its details and opens its widget below the graph: a job its monitor (a sweep its
SweepMonitor, a pipeline its PipelineGraph, any other job its JobMonitor), a data version the
DataBrowser on its preview, an endpoint or deployment the EndpointTester on that endpoint.

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
    opened = t.Any(None, allow_none=True).tag(sync=True, **widget_serialization)  # the selected node's widget

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
        """Select a node (its details show in the view) and open its widget below the graph."""
        node = next((n for n in self.nodes if n["key"] == key), None)
        previous = self.opened
        self.opened = self._widget_for(node) if node is not None else None
        self.selected = key if node is not None else ""
        if previous is not None:
            previous.close()

    def _widget_for(self, node: dict) -> Any:
        if node["kind"] == "data":
            from .data_browser import DataBrowser

            browser = DataBrowser(self.client)
            browser.do_select(node["label"].rsplit(":", 1)[0], node["label"].rsplit(":", 1)[1])
            return browser
        if node["kind"] in ("online-endpoint", "online-deployment"):
            from .endpoint_tester import EndpointTester

            return EndpointTester(self.client, node["label"].split("/")[0])
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
