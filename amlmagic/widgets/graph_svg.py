"""Graphs drawn for the static fallbacks: inline SVG for text/html, and the same shapes through
matplotlib for image/png. Nodes sit at the (column, row) their widget computed: a pipeline's
steps (coloured by status) or a lineage's assets and jobs (coloured by kind)."""

from __future__ import annotations

from typing import Callable, Sequence

from .static import _png, esc

__all__ = ["graph_svg", "png_graph", "lineage_svg", "png_lineage", "STATUS_COLOURS", "NODE_W", "NODE_H"]

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 170, 54, 70, 24, 12
# Light fills with dark text: readable on a light page and inside the card's own background.
STATUS_COLOURS = {"Completed": "#c8ecd0", "Failed": "#f8c9c9", "Canceled": "#e2e2e2", "NotStarted": "#f3f3f3",
                  "Skipped": "#f3f3f3"}
RUNNING = "#cfe3ff"


class _Look:
    """How one kind of graph draws a node: its name, caption, fill, tooltip, dashing, SVG attributes."""

    def __init__(self, name: Callable, caption: Callable, fill: Callable, tooltip: Callable,
                 dashed: Callable, attrs: Callable):
        self.name, self.caption, self.fill, self.tooltip, self.dashed, self.attrs = name, caption, fill, tooltip, dashed, attrs


def _fill(status: str) -> str:
    return STATUS_COLOURS.get(status, RUNNING)


def _xy(node: dict) -> tuple[int, int]:
    return PAD + node["column"] * (NODE_W + GAP_X), PAD + node["row"] * (NODE_H + GAP_Y)


def _caption(step: dict) -> str:
    elapsed = f" · {step['elapsed_s']} s" if step.get("elapsed_s") is not None else ""
    return f"{'♻ reused' if step.get('reused') else step['status']}{elapsed}"


def _short(text: str, limit: int = 21) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


_STEP = _Look(name=lambda s: s["key"], caption=_caption, fill=lambda s: _fill(s["status"]),
              tooltip=lambda s: s.get("reason") or s["status"], dashed=lambda s: bool(s.get("reused")),
              attrs=lambda s: f"class='aml-step' data-step='{esc(s['key'])}' data-status='{esc(s['status'])}'")
_NODE = _Look(name=lambda n: _short(n["label"]), caption=lambda n: n["caption"], fill=lambda n: n["fill"],
              tooltip=lambda n: f"{n['kind']} {n['label']}", dashed=lambda n: False,
              attrs=lambda n: f"class='aml-node' data-key='{esc(n['key'])}' data-kind='{esc(n['kind'])}'")


def _svg(nodes: Sequence[dict], edges: Sequence[dict], look: _Look) -> str:
    if not nodes:
        return ""
    place = {n["key"]: _xy(n) for n in nodes}
    width = max(x for x, _ in place.values()) + NODE_W + PAD
    height = max(y for _, y in place.values()) + NODE_H + PAD
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' font-family='system-ui,sans-serif' font-size='12'>"]
    for edge in edges:
        if edge["source"] not in place or edge["target"] not in place:
            continue
        (x1, y1), (x2, y2) = place[edge["source"]], place[edge["target"]]
        x1, y1, y2 = x1 + NODE_W, y1 + NODE_H / 2, y2 + NODE_H / 2
        parts.append(f"<path d='M{x1},{y1} C{x1 + GAP_X / 2},{y1} {x2 - GAP_X / 2},{y2} {x2},{y2}' fill='none' "
                     f"stroke='#888' stroke-width='1.5'/>")
        parts.append(f"<text x='{(x1 + x2) / 2}' y='{(y1 + y2) / 2 - 4}' text-anchor='middle' fill='#444' "
                     f"font-size='10'>{esc(edge['label'])}</text>")
    for node in nodes:
        x, y = place[node["key"]]
        dash = " stroke-dasharray='5,3'" if look.dashed(node) else ""
        width_px = 3 if node.get("root") else 1
        parts.append(f"<g {look.attrs(node)}><title>{esc(look.tooltip(node))}</title>"
                     f"<rect x='{x}' y='{y}' width='{NODE_W}' height='{NODE_H}' rx='8' fill='{look.fill(node)}' "
                     f"stroke='#555' stroke-width='{width_px}'{dash}/>"
                     f"<text x='{x + 10}' y='{y + 21}' font-weight='600' fill='#111'>{esc(look.name(node))}</text>"
                     f"<text x='{x + 10}' y='{y + 40}' fill='#222'>{esc(look.caption(node))}</text></g>")
    parts.append("</svg>")
    return "".join(parts)


def _png_graph(nodes: Sequence[dict], edges: Sequence[dict], look: _Look, title: str) -> str | None:
    if not nodes:
        return None
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    place = {n["key"]: _xy(n) for n in nodes}
    width = max(x for x, _ in place.values()) + NODE_W + PAD
    height = max(y for _, y in place.values()) + NODE_H + PAD
    fig = Figure(figsize=(max(3.0, width / 80), max(1.5, height / 80 + (0.4 if title else 0))))
    ax = fig.add_axes([0, 0, 1, 0.9 if title else 1])
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    for edge in edges:
        if edge["source"] in place and edge["target"] in place:
            (x1, y1), (x2, y2) = place[edge["source"]], place[edge["target"]]
            ax.annotate("", xy=(x2, y2 + NODE_H / 2), xytext=(x1 + NODE_W, y1 + NODE_H / 2),
                        arrowprops={"arrowstyle": "->", "color": "#888"})
            ax.text((x1 + NODE_W + x2) / 2, (y1 + y2 + NODE_H) / 2 - 4, edge["label"], ha="center", fontsize=7,
                    color="#444")
    for node in nodes:
        x, y = place[node["key"]]
        ax.add_patch(FancyBboxPatch((x, y), NODE_W, NODE_H, boxstyle="round,pad=0,rounding_size=8",
                                    facecolor=look.fill(node), edgecolor="#555",
                                    linewidth=2.5 if node.get("root") else 1,
                                    linestyle="--" if look.dashed(node) else "-"))
        ax.text(x + 10, y + 20, look.name(node), fontsize=9, fontweight="bold", color="#111")
        ax.text(x + 10, y + 40, look.caption(node), fontsize=8, color="#222")
    if title:
        fig.suptitle(title, fontsize=10)
    return _png(fig)


def graph_svg(steps: Sequence[dict], edges: Sequence[dict]) -> str:
    """A pipeline's steps: {key, status, reused, reason, elapsed_s, column, row}; edges {source, target, label}."""
    return _svg(steps, edges, _STEP)


def png_graph(steps: Sequence[dict], edges: Sequence[dict], title: str = "") -> str | None:
    """The pipeline graph as a base64 PNG (final statuses), or None for an empty pipeline."""
    return _png_graph(steps, edges, _STEP, title)


def lineage_svg(nodes: Sequence[dict], edges: Sequence[dict]) -> str:
    """A lineage's nodes: {key, kind, label, caption, fill, root, column, row}; edges {source, target, label}."""
    return _svg(nodes, edges, _NODE)


def png_lineage(nodes: Sequence[dict], edges: Sequence[dict], title: str = "") -> str | None:
    return _png_graph(nodes, edges, _NODE, title)
