"""`Lineage`: where an asset came from and where it went, as plain data, text and HTML.

    lineage.to_dict()   # {"root": key, "nodes": [{key, kind, name, version, details}],
                        #  "edges": [{source, target, relation}]}
    lineage.upstream(key), lineage.downstream(key)     # neighbour keys

Edges point the way things flow: code, environment and data -> the job that used them -> the
model or data it produced -> the deployment that serves it -> its endpoint; a parent job (pipeline,
sweep) -> its step or trial.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Lineage", "Node", "KIND_COLOURS", "node_label"]

# Light fills with dark text (readable on light and dark pages), one per kind.
KIND_COLOURS = {
    "model": "#f9d9a6", "data": "#c9e4f6", "job": "#d5ecc2", "environment": "#e3d4f2", "code": "#eeeeee",
    "online-deployment": "#f6c9d4", "online-endpoint": "#f3b0c0", "batch-deployment": "#fbd5bf",
    "batch-endpoint": "#f7bc99", "path": "#f4f4f4",
}


@dataclass
class Node:
    key: str
    kind: str
    name: str
    version: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "name": self.name, "version": self.version,
                "details": dict(self.details)}


def node_label(node: Node) -> str:
    return f"{node.name}:{node.version}" if node.version else node.name


def _caption(node: Node) -> str:
    details = node.details
    for field_name in ("status", "traffic", "type"):
        if details.get(field_name) not in (None, ""):
            value = details[field_name]
            return f"{node.kind} · {value}" if field_name != "traffic" else f"{node.kind} · {value}% traffic"
    return node.kind


class Lineage:
    def __init__(self, root: str | None = None):
        self.root = root
        self.nodes: dict[str, Node] = {}
        self.edges: list[dict[str, str]] = []
        self.notes: list[str] = []  # what could not be followed (one line each)

    # -- building --------------------------------------------------------------------------------
    def add(self, kind: str, name: str, version: Any = None, **details: Any) -> str:
        version = None if version in (None, "") else str(version)
        key = f"{kind}:{name}" + (f":{version}" if version else "")
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = Node(key, kind, str(name), version)
        node.details.update({k: v for k, v in details.items() if v not in (None, "", {}, [])})
        return key

    def link(self, source: str, target: str, relation: str) -> None:
        edge = {"source": source, "target": target, "relation": relation}
        if source != target and edge not in self.edges:
            self.edges.append(edge)

    # -- reading ---------------------------------------------------------------------------------
    def upstream(self, key: str) -> list[str]:
        return [e["source"] for e in self.edges if e["target"] == key]

    def downstream(self, key: str) -> list[str]:
        return [e["target"] for e in self.edges if e["source"] == key]

    def to_dict(self) -> dict:
        return {"root": self.root, "nodes": [n.to_dict() for n in self.nodes.values()],
                "edges": [dict(e) for e in self.edges], "notes": list(self.notes)}

    def layout(self) -> dict[str, tuple[int, int]]:
        """(column, row) of each node: its column is the longest path from a source, so everything
        flows left to right; rows in the order nodes were found."""
        depth = {key: 0 for key in self.nodes}
        for _ in range(len(self.nodes)):  # longest path by relaxation (the graph is small and acyclic)
            changed = False
            for edge in self.edges:
                if depth[edge["target"]] < depth[edge["source"]] + 1 <= len(self.nodes):
                    depth[edge["target"]] = depth[edge["source"]] + 1
                    changed = True
            if not changed:
                break
        rows: dict[int, int] = {}
        place = {}
        for key in self.nodes:
            place[key] = (depth[key], rows.get(depth[key], 0))
            rows[depth[key]] = rows.get(depth[key], 0) + 1
        return place

    def drawn(self) -> tuple[list[dict], list[dict]]:
        """(nodes, edges) for the graph widget and the SVG/PNG fallbacks."""
        place = self.layout()
        nodes = [{"key": n.key, "kind": n.kind, "label": node_label(n), "caption": _caption(n),
                  "column": place[n.key][0], "row": place[n.key][1], "root": n.key == self.root,
                  "details": n.details, "fill": KIND_COLOURS.get(n.kind, "#f4f4f4")} for n in self.nodes.values()]
        edges = [{"source": e["source"], "target": e["target"], "label": e["relation"]} for e in self.edges]
        return nodes, edges

    # -- display ---------------------------------------------------------------------------------
    def _walk(self, key: str, step, arrow: str, depth: int, seen: set, lines: list[str]) -> None:
        for other in step(key):
            relation = next(e["relation"] for e in self.edges
                            if {e["source"], e["target"]} == {key, other})
            node = self.nodes[other]
            lines.append(f"{'  ' * depth}{arrow} {node.kind} {node_label(node)}  [{relation}]{_brief(node)}")
            if other not in seen:
                seen.add(other)
                self._walk(other, step, arrow, depth + 1, seen, lines)

    def text(self) -> str:
        if self.root is None:
            return "(no lineage)"
        root = self.nodes[self.root]
        lines = [f"lineage of {root.kind} {node_label(root)}{_brief(root)}", "came from:"]
        before = len(lines)
        self._walk(self.root, self.upstream, "<-", 1, {self.root}, lines)
        if len(lines) == before:
            lines.append("  (nothing recorded: registered from a path)")
        lines.append("went to:")
        before = len(lines)
        self._walk(self.root, self.downstream, "->", 1, {self.root}, lines)
        if len(lines) == before:
            lines.append("  (nothing uses it yet)")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def html(self) -> str:
        from ..widgets.graph_svg import lineage_svg  # the same drawing as the widget's fallback

        nodes, edges = self.drawn()
        root = self.nodes.get(self.root) if self.root else None
        title = f"lineage of {root.kind} {node_label(root)}" if root else "lineage"
        notes = "".join(f"<div class='aml-muted'>note: {html.escape(n)}</div>" for n in self.notes)
        return (f"<div class='aml-lineage'><b>{html.escape(title)}</b>{lineage_svg(nodes, edges)}"
                f"<pre>{html.escape(self.text())}</pre>{notes}</div>")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.text(), "text/html": self.html()}

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text())

    def __repr__(self) -> str:
        return f"Lineage(root={self.root!r}, nodes={len(self.nodes)}, edges={len(self.edges)})"


def _brief(node: Node) -> str:
    details = {k: v for k, v in node.details.items() if k in ("status", "type", "parameters", "traffic", "source")}
    return ("  " + ", ".join(f"{k}={v}" for k, v in details.items())) if details else ""
