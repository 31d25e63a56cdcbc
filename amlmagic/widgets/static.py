"""Static fallbacks: `text/html` for every widget and PNG charts (matplotlib, Agg canvas, no
pyplot), so a notebook run headless or shown on GitHub/nbviewer shows the final state."""

from __future__ import annotations

import base64
import html
import io
from typing import Any, Iterable, Sequence

__all__ = ["esc", "html_table", "html_card", "png_line_charts", "png_parallel", "fmt"]

_STYLE = ("font:13px system-ui,sans-serif;border:1px solid #ddd;border-radius:6px;padding:8px;"
          "max-width:960px")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.5g}"
    return str(value)


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], highlight: int | None = None) -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        style = " style='background:#dbeafe;font-weight:600'" if i == highlight else ""
        cells = "".join(f"<td style='padding:2px 8px'>{esc(fmt(c))}</td>" for c in row)
        body.append(f"<tr{style}>{cells}</tr>")
    return (f"<table style='border-collapse:collapse;font-size:12px'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def html_card(title: str, *sections: str, kind: str = "") -> str:
    return (f"<div class='amlmagic-static {esc(kind)}' style='{_STYLE}'>"
            f"<div style='font-weight:600;margin-bottom:4px'>{esc(title)}</div>{''.join(sections)}</div>")


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def png_line_charts(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str = "") -> str | None:
    """One small line chart per metric, as a base64 PNG; None when there are no points."""
    items = [(n, xy) for n, xy in series.items() if len(xy[1])]
    if not items:
        return None
    from matplotlib.figure import Figure

    cols = min(3, len(items))
    rows = (len(items) + cols - 1) // cols
    fig = Figure(figsize=(4 * cols, 2.6 * rows))
    for i, (name, (xs, ys)) in enumerate(items):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.plot(list(xs), list(ys), linewidth=1.2)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _png(fig)


def png_parallel(trials: list[dict], params: list[str], metric: str, best: str | None) -> str | None:
    """Parallel coordinates of trials (numbers and categories scaled to 0..1 per axis)."""
    if not trials:
        return None
    from matplotlib.figure import Figure

    axes = params + [metric]

    def column(name):
        return [t["metric"] if name == metric else (t.get("params") or {}).get(name) for t in trials]

    scaled = []
    for name in axes:
        col = column(name)
        nums = [v for v in col if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if nums and len(nums) == len([v for v in col if v is not None]):
            lo, hi = min(nums), max(nums)
            scaled.append([None if v is None else (0.5 if hi == lo else (v - lo) / (hi - lo)) for v in col])
        else:
            cats = sorted({str(v) for v in col if v is not None})
            pos = {c: (0.5 if len(cats) == 1 else i / (len(cats) - 1)) for i, c in enumerate(cats)}
            scaled.append([None if v is None else pos[str(v)] for v in col])
    fig = Figure(figsize=(max(4, 1.6 * len(axes)), 3))
    ax = fig.add_subplot(1, 1, 1)
    for j, t in enumerate(trials):
        pts = [(i, scaled[i][j]) for i in range(len(axes)) if scaled[i][j] is not None]
        if not pts:
            continue
        is_best = t["name"] == best
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color="black" if is_best else "#2563eb",
                linewidth=2.5 if is_best else 1, alpha=1 if is_best else 0.5, zorder=3 if is_best else 2)
    ax.set_xticks(range(len(axes)), axes)
    ax.set_yticks([])
    for i in range(len(axes)):
        ax.axvline(i, color="#444", linewidth=0.8)
    return _png(fig)
