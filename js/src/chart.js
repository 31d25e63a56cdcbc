// One uPlot line chart per metric. Redraws are coalesced to one per animation frame, and the
// script time of each redraw is kept (globalThis.__amlChartStats) for the benchmark.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./common.js";

const stats = (globalThis.__amlChartStats ??= { updates: 0, totalMs: 0, samples: [] });

function record(ms) {
  stats.updates += 1;
  stats.totalMs += ms;
  stats.samples.push(ms);
  if (stats.samples.length > 1000) stats.samples.shift();
}

export class MetricChart {
  constructor(name, { width = 420, height = 200, stroke = "#2563eb" } = {}) {
    this.name = name;
    this.el = h("div", { class: "aml-chart", "data-metric": name, "data-points": "0" });
    this.pending = null;
    this.drawStart = 0;
    this.plot = new uPlot({
      title: name,
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      series: [{ label: "step" }, { label: name, stroke, width: 1.5, points: { show: false } }],
      axes: [{ size: 30 }, { size: 55 }],
      hooks: {
        draw: [() => { if (this.drawStart) { record(performance.now() - this.drawStart); this.drawStart = 0; } }],
      },
    }, [[], []], this.el);
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
    this.el.dataset.points = String(data[0].length);
  }

  resize(width) {
    if (width > 50) this.plot.setSize({ width, height: this.plot.height });
  }

  destroy() {
    if (this.frame && typeof cancelAnimationFrame === "function") cancelAnimationFrame(this.frame);
    this.plot.destroy();
  }
}

export const chartStats = stats;
