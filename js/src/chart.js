// One uPlot line chart per metric. Redraws are coalesced to one per animation frame, and the
// script time of each redraw is kept (globalThis.__amlChartStats) for the benchmark. Colours are
// the host theme's (theme.js), redrawn when it changes; a metric's only point is a dot with its
// value beside it (a line through one point draws nothing).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h, formatValue } from "./common.js";
import { themeOf, watchTheme } from "./theme.js";

const stats = (globalThis.__amlChartStats ??= { updates: 0, totalMs: 0, samples: [] });

function record(ms) {
  stats.updates += 1;
  stats.totalMs += ms;
  stats.samples.push(ms);
  if (stats.samples.length > 1000) stats.samples.shift();
}

/** Index of a series' only point (a metric logged once), or -1 when it has none or several. */
export function lonePoint(ys) {
  let at = -1;
  for (let i = 0; i < ys.length; i++) {
    if (ys[i] === null || ys[i] === undefined || Number.isNaN(ys[i])) continue;
    if (at >= 0) return -1;
    at = i;
  }
  return at;
}

/** uPlot axes drawn in the theme's text and grid colours (`theme` is a themeOf()). */
export function themedAxes(theme, sizes = [30, 55]) {
  return sizes.map((size) => ({
    size,
    stroke: () => theme.get().fg,
    grid: { stroke: () => theme.get().grid, width: 1 },
    ticks: { stroke: () => theme.get().grid, width: 1 },
  }));
}

/** A series' points: hidden, except a lone point, drawn as a dot. */
export const lonePoints = (stroke) => ({
  show: (u, si) => lonePoint(u.data[si]) >= 0, size: 8, width: 1, stroke, fill: stroke,
});

/** Redraw `plot()` (when there is one) in the new colours after the host switches theme. The
 * attributes watched also change for other reasons (a class on <body> during a drag): only a
 * change of colours redraws. */
export function followTheme(theme, plot) {
  return watchTheme(() => {
    const kept = theme.reset();
    if (!kept || JSON.stringify(theme.get()) !== JSON.stringify(kept)) plot()?.redraw(false);
  });
}

export class MetricChart {
  constructor(name, { width = 420, height = 200 } = {}) {
    this.name = name;
    this.el = h("div", { class: "aml-chart", "data-metric": name, "data-points": "0" });
    this.pending = null;
    this.drawStart = 0;
    this.theme = themeOf(this.el);
    const stroke = () => this.theme.get().series[0];
    this.value = h("span", { class: "aml-point-value", hidden: true });
    this.plot = new uPlot({
      title: name,
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      series: [{ label: "step" }, { label: name, stroke, width: 1.5, points: lonePoints(stroke) }],
      axes: themedAxes(this.theme),
      hooks: {
        draw: [(u) => {
          this.labelLonePoint(u);
          if (this.drawStart) { record(performance.now() - this.drawStart); this.drawStart = 0; }
        }],
      },
    }, [[], []], this.el);
    this.plot.over.append(this.value);
    this.stopTheme = followTheme(this.theme, () => this.plot);
  }

  labelLonePoint(u) {
    const i = lonePoint(u.data[1]);
    this.value.hidden = i < 0;
    if (i < 0) return;
    const y = u.data[1][i];
    this.value.textContent = formatValue(y);
    this.value.style.left = `${u.valToPos(u.data[0][i], "x") + 7}px`;
    this.value.style.top = `${u.valToPos(y, "y") - 20}px`;
  }

  /** Schedule a redraw with the series' current arrays (views, not copies). */
  update(series) {
    this.pending = series;
    if (this.frame) return;
    const run = () => { this.frame = 0; this.flush(); };
    this.frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(run) : setTimeout(run, 16);
  }

  flush() {
    if (!this.pending) return;
    const data = this.pending.data();
    this.pending = null;
    this.drawStart = performance.now();
    this.plot.setData(data, true);
    // One x value leaves uPlot a 0-100 span with the point at its edge: centre it on one step.
    if (data[0].length === 1) this.plot.setScale("x", { min: data[0][0] - 1, max: data[0][0] + 1 });
    this.el.dataset.points = String(data[0].length);
  }

  resize(width) {
    if (width > 50) this.plot.setSize({ width, height: this.plot.height });
  }

  destroy() {
    if (this.frame && typeof cancelAnimationFrame === "function") cancelAnimationFrame(this.frame);
    this.stopTheme();
    this.plot.destroy();
  }
}

export const chartStats = stats;
