// Parallel coordinates of a sweep's trials, drawn in SVG: one polyline per trial over the
// hyperparameter axes and the primary metric. The user's view state (`ui`): axis order (drag an
// axis title), range brushes (drag along an axis; click to clear), log axes, top-k.

const SVG = "http://www.w3.org/2000/svg";

export function buildAxes(trials, paramNames, metricName, logAxes = new Set()) {
  const names = [...paramNames, metricName];
  return names.map((name) => {
    const isMetric = name === metricName;
    const values = trials.map((t) => (isMetric ? t.metric : t.params?.[name]))
      .filter((v) => v !== null && v !== undefined && v !== "");
    const numeric = values.length > 0 && values.every((v) => typeof v === "number" && isFinite(v));
    if (!numeric) {
      const categories = [...new Set(values.map(String))].sort();
      return { name, isMetric, kind: "cat", categories, log: false, canLog: false };
    }
    let min = Math.min(...values), max = Math.max(...values);
    const canLog = min > 0;
    const log = canLog && logAxes.has(name);
    return { name, isMetric, kind: "num", min, max, log, canLog };
  });
}

/** Where a value sits on an axis: 0 at the bottom, 1 at the top; null when it has none. */
export function axisFraction(axis, value) {
  if (value === null || value === undefined || value === "") return null;
  if (axis.kind === "cat") {
    const i = axis.categories.indexOf(String(value));
    if (i < 0) return null;
    return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
  }
  if (typeof value !== "number" || !isFinite(value)) return null;
  const f = axis.log ? Math.log : (v) => v;
  const lo = f(axis.min), hi = f(axis.max);
  if (hi === lo) return 0.5;
  return (f(value) - lo) / (hi - lo);
}

export function trialValue(trial, axis) {
  return axis.isMetric ? trial.metric : trial.params?.[axis.name];
}

/** Names of the k best trials that have a metric (all trials when k is 0 or empty). */
export function topK(trials, k, goal) {
  if (!k || k <= 0) return new Set(trials.map((t) => t.name));
  const sign = String(goal).toLowerCase() === "minimize" ? 1 : -1;
  const ranked = trials.filter((t) => typeof t.metric === "number")
    .sort((a, b) => sign * (a.metric - b.metric));
  return new Set(ranked.slice(0, k).map((t) => t.name));
}

/** A trial passes when, on every brushed axis, its value lies inside the brushed range. */
export function passesBrushes(trial, axes, brushes) {
  for (const axis of axes) {
    const b = brushes[axis.name];
    if (!b) continue;
    const f = axisFraction(axis, trialValue(trial, axis));
    if (f === null || f < Math.min(b[0], b[1]) - 1e-9 || f > Math.max(b[0], b[1]) + 1e-9) return false;
  }
  return true;
}

export function moveAxis(order, name, newIndex) {
  const rest = order.filter((n) => n !== name);
  const i = Math.max(0, Math.min(rest.length, newIndex));
  return [...rest.slice(0, i), name, ...rest.slice(i)];
}

/**
 * The axes' order: parameters, then the metric, rearranged as the user dragged them (`order`).
 * A parameter that appears later (the first trials had none yet) joins the other parameters,
 * after the last of them (before the metric if there is none), and `order` itself is left
 * alone: it holds only what the user chose.
 */
export function axisOrder(params, metric, order = []) {
  const out = order.filter((n) => n === metric || params.includes(n));
  for (const n of [...params, metric]) {
    if (out.includes(n)) continue;
    const lastParam = out.findLastIndex((m) => m !== metric);
    const at = n === metric ? out.length : lastParam >= 0 ? lastParam + 1 : Math.max(0, out.indexOf(metric));
    out.splice(at, 0, n);
  }
  return out;
}

export function layout(count, width, height) {
  const padX = 50, top = 34, bottom = 30;
  const step = count > 1 ? (width - 2 * padX) / (count - 1) : 0;
  return {
    x: (i) => (count > 1 ? padX + i * step : width / 2),
    y: (f) => top + (1 - f) * (height - top - bottom),
    top, bottom: height - bottom, width, height,
  };
}

/** "M x y L x y ..." through the axes where the trial has a value (gaps skip an axis). */
export function linePath(trial, axes, lay) {
  const pts = [];
  axes.forEach((axis, i) => {
    const f = axisFraction(axis, trialValue(trial, axis));
    if (f !== null) pts.push(`${lay.x(i).toFixed(1)} ${lay.y(f).toFixed(1)}`);
  });
  return pts.length ? "M " + pts.join(" L ") : "";
}

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function tickLabel(axis, f) {
  if (axis.kind === "cat") return null;
  const lo = axis.log ? Math.log(axis.min) : axis.min, hi = axis.log ? Math.log(axis.max) : axis.max;
  const v = lo + f * (hi - lo);
  const value = axis.log ? Math.exp(v) : v;
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-2) ? value.toExponential(1) : String(+value.toPrecision(3));
}

/**
 * Draw into `host`. `data` = {trials, params, metric, goal, best}; `ui` = {order, brushes,
 * log:Set, k}; `onUi(ui)` is called after an interaction changes ui (the caller redraws).
 */
export function renderParcoords(host, data, ui, onUi, size = { width: 640, height: 280 }) {
  const order = axisOrder(data.params, data.metric, ui.order);
  const paramOrder = order.filter((n) => n !== data.metric);
  const metricIndex = order.indexOf(data.metric);
  const allAxes = buildAxes(data.trials, paramOrder, data.metric, ui.log);
  const metricAxis = allAxes.pop();
  allAxes.splice(metricIndex, 0, metricAxis);
  const axes = allAxes;
  const lay = layout(axes.length, size.width, size.height);
  const keep = topK(data.trials, ui.k, data.goal);

  const root = svg("svg", { class: "aml-parcoords", width: size.width, height: size.height,
    viewBox: `0 0 ${size.width} ${size.height}` });
  const lines = svg("g", { class: "aml-pc-lines" });
  const ordered = [...data.trials].sort((a, b) => (a.name === data.best) - (b.name === data.best));
  for (const t of ordered) {
    if (!keep.has(t.name)) continue;
    const d = linePath(t, axes, lay);
    if (!d) continue;
    const active = passesBrushes(t, axes, ui.brushes || {});
    const cls = ["aml-pc-line", active ? "" : "aml-pc-dim", t.name === data.best ? "aml-pc-best" : "",
      t.terminated_by ? "aml-pc-stopped" : ""].filter(Boolean).join(" ");
    const path = svg("path", { d, class: cls, "data-trial": t.name });
    path.append(svg("title", {}, `${t.name}: ${t.metric ?? "—"}`));
    lines.append(path);
  }
  root.append(lines);

  axes.forEach((axis, i) => {
    const x = lay.x(i);
    const g = svg("g", { class: "aml-pc-axis", "data-axis": axis.name, transform: `translate(${x},0)` });
    g.append(svg("line", { x1: 0, x2: 0, y1: lay.top, y2: lay.bottom, class: "aml-pc-axisline" }));
    const ticks = axis.kind === "cat" ? axis.categories.map((c) => [axisFraction(axis, c), c])
      : [0, 0.5, 1].map((f) => [f, tickLabel(axis, f)]);
    for (const [f, label] of ticks) {
      g.append(svg("text", { x: -4, y: lay.y(f) + 3, class: "aml-pc-tick", "text-anchor": "end" }, label));
    }
    const b = ui.brushes?.[axis.name];
    if (b) {
      const y0 = lay.y(Math.max(b[0], b[1])), y1 = lay.y(Math.min(b[0], b[1]));
      g.append(svg("rect", { x: -7, width: 14, y: y0, height: Math.max(1, y1 - y0), class: "aml-pc-brush" }));
    }
    // The track catches brush drags; the title catches axis drags.
    const track = svg("rect", { x: -9, width: 18, y: lay.top, height: lay.bottom - lay.top, class: "aml-pc-track" });
    g.append(track);
    const title = svg("text", { y: lay.top - 18, class: "aml-pc-title", "text-anchor": "middle" },
      axis.name + (axis.isMetric ? " ★" : ""));
    g.append(title);
    if (axis.canLog) {
      const toggle = svg("text", { y: lay.bottom + 18, class: "aml-pc-log" + (axis.log ? " aml-on" : ""),
        "text-anchor": "middle" }, "log");
      toggle.addEventListener("click", () => {
        const log = new Set(ui.log);
        log.has(axis.name) ? log.delete(axis.name) : log.add(axis.name);
        onUi({ ...ui, log, brushes: { ...ui.brushes, [axis.name]: undefined } });
      });
      g.append(toggle);
    }
    attachBrush(root, track, axis, lay, ui, onUi);
    attachAxisDrag(root, title, g, axis, axes, lay, ui, onUi);
    root.append(g);
  });
  host.replaceChildren(root);
  return root;
}

/** Map a pointer event into svg units. `start` is the svg's box when the drag began: the drawing
 * may be replaced mid-drag (new data, a re-rendered output) and a detached svg has no box. */
function svgPoint(root, start, event) {
  const r = root.isConnected ? root.getBoundingClientRect() : start;
  const scale = r.height ? root.viewBox.baseVal.height / r.height : 1;
  return { x: (event.clientX - r.left) * scale, y: (event.clientY - r.top) * scale };
}

// A drag that starts or ends within 3% of an axis end takes the end itself, so the extreme
// lines (often the best trial) are not lost to a pixel of pointer slack.
export const snapEnd = (f) => (f > 0.97 ? 1 : f < 0.03 ? 0 : f);

function attachBrush(root, track, axis, lay, ui, onUi) {
  track.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    const box = root.getBoundingClientRect();
    const frac = (ev) => Math.max(0, Math.min(1, (lay.bottom - svgPoint(root, box, ev).y) / (lay.bottom - lay.top)));
    const start = frac(e);
    let end = start;
    const move = (ev) => { end = frac(ev); };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      const brushes = { ...ui.brushes };
      if (Math.abs(end - start) < 0.01) delete brushes[axis.name];
      else brushes[axis.name] = [snapEnd(start), snapEnd(end)];
      onUi({ ...ui, brushes });
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  });
}

function attachAxisDrag(root, title, g, axis, axes, lay, ui, onUi) {
  title.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    const box = root.getBoundingClientRect();
    let x = svgPoint(root, box, e).x;
    const move = (ev) => { x = svgPoint(root, box, ev).x; g.setAttribute("transform", `translate(${x},0)`); };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      const others = axes.filter((a) => a !== axis);
      const index = others.filter((a, i) => lay.x(axes.indexOf(a)) < x).length;
      onUi({ ...ui, order: moveAxis(axes.map((a) => a.name), axis.name, index) });
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  });
}
