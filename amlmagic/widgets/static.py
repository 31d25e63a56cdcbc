"""Static fallbacks: `text/html` for every widget and PNG charts (matplotlib, Agg canvas, no
pyplot), so a notebook run headless or shown on GitHub/nbviewer shows the final state."""

from __future__ import annotations

import base64
import html
import io
from typing import Any, Iterable, Sequence

__all__ = ["esc", "html_table", "html_card", "line_charts_figure", "png_line_charts", "png_sweep", "fmt"]

# Text takes the page's colour; borders and highlights are translucent, so the fallbacks read on a
# light page (GitHub, nbviewer) and in a dark JupyterLab or VS Code alike.
_HIGHLIGHT = "background:rgba(37,99,235,0.18)"
_STYLE = ("font:13px system-ui,sans-serif;border:1px solid rgba(128,128,128,0.4);border-radius:6px;padding:8px;"
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
        style = f" style='{_HIGHLIGHT};font-weight:600'" if i == highlight else ""
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


def _plot_series(ax, xs: Sequence[float], ys: Sequence[float], label_single: bool = True, **style) -> None:
    """A metric's curve. A line through one point draws nothing, and metrics logged once (a final
    `test_accuracy`) are common: a lone point is drawn as a marker, with its value beside it."""
    xs, ys = list(xs), list(ys)
    if len(ys) != 1:
        ax.plot(xs, ys, **style)
        return
    ax.plot(xs, ys, marker="o", markersize=7, **style)
    if label_single:
        ax.annotate(fmt(ys[0]), (xs[0], ys[0]), xytext=(7, 5), textcoords="offset points", fontsize=9)


def line_charts_figure(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str = ""):
    """One small line chart per metric (a matplotlib Figure); None when there are no points."""
    items = [(n, xy) for n, xy in series.items() if len(xy[1])]
    if not items:
        return None
    from matplotlib.figure import Figure

    cols = min(3, len(items))
    rows = (len(items) + cols - 1) // cols
    fig = Figure(figsize=(4 * cols, 2.6 * rows))
    for i, (name, (xs, ys)) in enumerate(items):
        ax = fig.add_subplot(rows, cols, i + 1)
        _plot_series(ax, xs, ys, linewidth=1.2)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def png_line_charts(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str = "") -> str | None:
    """One small line chart per metric, as a base64 PNG; None when there are no points."""
    fig = line_charts_figure(series, title)
    return None if fig is None else _png(fig)


def png_sweep(trials: list[dict], params: list[str], metric: str, best: str | None,
              curves: dict[str, tuple[Sequence[float], Sequence[float]]]) -> str | None:
    """A sweep's final state as one PNG: every trial's primary-metric curve (best in black,
    early-terminated trials dashed) beside the parallel coordinates; curves only when given."""
    if not trials:
        return None
    from matplotlib.figure import Figure

    drawn = {name: xy for name, xy in curves.items() if len(xy[1])}
    width = max(4, 1.6 * (len(params) + 1))
    fig = Figure(figsize=(width + (5 if drawn else 0), 3))
    if drawn:
        _draw_curves(fig.add_subplot(1, 2, 1), trials, metric, best, drawn)
    _draw_parallel(fig.add_subplot(1, 2 if drawn else 1, 2 if drawn else 1), trials, params, metric, best)
    fig.tight_layout()
    return _png(fig)


def _draw_curves(ax, trials: list[dict], metric: str, best: str | None, curves: dict) -> None:
    stopped = {t["name"] for t in trials if t.get("terminated_by")}
    for name, (xs, ys) in curves.items():
        is_best = name == best
        _plot_series(ax, xs, ys, label_single=False, color="black" if is_best else "#2563eb",
                     linewidth=2.5 if is_best else 1, alpha=1 if is_best else 0.6,
                     linestyle="--" if name in stopped else "-", zorder=3 if is_best else 2)
    ax.set_title(f"{metric} per trial", fontsize=10)
    ax.set_xlabel("step", fontsize=9)
    ax.grid(alpha=0.3)


def _draw_parallel(ax, trials: list[dict], params: list[str], metric: str, best: str | None) -> None:
    axes = params + [metric]

    def column(name):
        return [t["metric"] if name == metric else (t.get("params") or {}).get(name) for t in trials]

    scaled, ticks = [], []  # ticks: (position 0..1, label) per axis, so values can be read off
    for name in axes:
        col = column(name)
        nums = [v for v in col if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if nums and len(nums) == len([v for v in col if v is not None]):
            lo, hi = min(nums), max(nums)
            scaled.append([None if v is None else (0.5 if hi == lo else (v - lo) / (hi - lo)) for v in col])
            ticks.append([(0.5, fmt(lo))] if hi == lo else [(0.0, fmt(lo)), (1.0, fmt(hi))])
        else:
            cats = sorted({str(v) for v in col if v is not None})
            pos = {c: (0.5 if len(cats) == 1 else i / (len(cats) - 1)) for i, c in enumerate(cats)}
            scaled.append([None if v is None else pos[str(v)] for v in col])
            ticks.append([(y, c) for c, y in pos.items()])
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
        for y, label in ticks[i]:
            ax.text(i + 0.03, y, label, fontsize=7, color="#444", va="center")
    ax.set_xlim(-0.1, len(axes) - 1 + 0.4)  # room for the last axis's labels
    ax.set_title("parallel coordinates (best in black)", fontsize=10)
