"""A pipeline graph drawn for the static fallbacks: inline SVG for text/html, and the same shapes
through matplotlib for image/png. Steps sit at the (column, row) the widget computed."""

from __future__ import annotations

from typing import Sequence

from .static import _png, esc

__all__ = ["graph_svg", "png_graph", "STATUS_COLOURS", "NODE_W", "NODE_H"]

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 170, 54, 70, 24, 12
# Light fills with dark text: readable on a light page and inside the card's own background.
STATUS_COLOURS = {"Completed": "#c8ecd0", "Failed": "#f8c9c9", "Canceled": "#e2e2e2", "NotStarted": "#f3f3f3",
                  "Skipped": "#f3f3f3"}
RUNNING = "#cfe3ff"


def _fill(status: str) -> str:
    return STATUS_COLOURS.get(status, RUNNING)


def _xy(step: dict) -> tuple[int, int]:
    return PAD + step["column"] * (NODE_W + GAP_X), PAD + step["row"] * (NODE_H + GAP_Y)


def _caption(step: dict) -> str:
    elapsed = f" · {step['elapsed_s']} s" if step.get("elapsed_s") is not None else ""
    return f"{'♻ reused' if step.get('reused') else step['status']}{elapsed}"


def graph_svg(steps: Sequence[dict], edges: Sequence[dict]) -> str:
    if not steps:
        return ""
    place = {s["key"]: _xy(s) for s in steps}
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
    for step in steps:
        x, y = place[step["key"]]
        title = esc(step.get("reason") or step["status"])
        dash = " stroke-dasharray='5,3'" if step.get("reused") else ""
        parts.append(f"<g class='aml-step' data-step='{esc(step['key'])}' data-status='{esc(step['status'])}'>"
                     f"<title>{title}</title>"
                     f"<rect x='{x}' y='{y}' width='{NODE_W}' height='{NODE_H}' rx='8' fill='{_fill(step['status'])}' "
                     f"stroke='#555'{dash}/>"
                     f"<text x='{x + 10}' y='{y + 21}' font-weight='600' fill='#111'>{esc(step['key'])}</text>"
                     f"<text x='{x + 10}' y='{y + 40}' fill='#222'>{esc(_caption(step))}</text></g>")
    parts.append("</svg>")
    return "".join(parts)


def png_graph(steps: Sequence[dict], edges: Sequence[dict], title: str = "") -> str | None:
    """The graph as a base64 PNG (final statuses), or None for an empty pipeline."""
    if not steps:
        return None
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    place = {s["key"]: _xy(s) for s in steps}
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
    for step in steps:
        x, y = place[step["key"]]
        ax.add_patch(FancyBboxPatch((x, y), NODE_W, NODE_H, boxstyle="round,pad=0,rounding_size=8",
                                    facecolor=_fill(step["status"]), edgecolor="#555",
                                    linestyle="--" if step.get("reused") else "-"))
        ax.text(x + 10, y + 20, step["key"], fontsize=9, fontweight="bold", color="#111")
        ax.text(x + 10, y + 40, _caption(step), fontsize=8, color="#222")
    if title:
        fig.suptitle(title, fontsize=10)
    return _png(fig)
