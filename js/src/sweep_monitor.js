// Live sweep monitor: trials table, every trial's primary-metric curve, parallel coordinates.
import uPlot from "uplot";
import { h, statusBadge, formatDuration, formatValue, actionBox, request, isTerminal } from "./common.js";
import { renderParcoords } from "./parcoords.js";
import { followPoints, durationOf } from "./job_monitor.js";
import { themedAxes, lonePoints, followTheme } from "./chart.js";
import { themeOf } from "./theme.js";

/** Align every trial's curve on one x axis (the union of x values) for a single uPlot. */
export function alignCurves(names, sets) {
  const xs = new Set();
  for (const n of names) { const [x] = sets.get(n).data(); for (const v of x) xs.add(v); }
  const x = Float64Array.from([...xs].sort((a, b) => a - b));
  const index = new Map(); x.forEach((v, i) => index.set(v, i));
  const ys = names.map((n) => {
    const [sx, sy] = sets.get(n).data();
    const y = new Array(x.length).fill(null);
    for (let i = 0; i < sx.length; i++) y[index.get(sx[i])] = sy[i];
    return y;
  });
  return [x, ...ys];
}

// The user's view choices (brushes, axis order, log axes, top-k) belong to the model, not to one
// view: when the output is re-rendered (the sweep ended and its display was refreshed) or shown
// twice, every view keeps them, and a change in one view redraws the others.
const uiByModel = new WeakMap();

export function sharedUi(model) {
  if (!uiByModel.has(model)) {
    uiByModel.set(model, { ui: { order: [], brushes: {}, log: new Set(), k: 0 }, views: new Set() });
  }
  return uiByModel.get(model);
}

function setUi(model, next) {
  const shared = sharedUi(model);
  shared.ui = next;
  for (const redraw of shared.views) redraw();
}

export function renderSweepMonitor({ model, el }) {
  const head = h("div", { class: "aml-head" });
  const table = h("div", { class: "aml-trials" });
  const curves = h("div", { class: "aml-curves", "data-points": "0" });
  const pcHost = h("div", { class: "aml-pc-host" });
  const shared = sharedUi(model);
  const topk = h("input", { type: "number", min: "0", value: String(shared.ui.k), class: "aml-topk", title: "0 = all" });
  let plot = null, plotNames = "", frame = 0;
  // The curves' colours: the theme's palette, the best trial in the text colour.
  const theme = themeOf(curves);
  const stopTheme = followTheme(theme, () => plot);

  const best = () => model.get("best_trial");
  const drawHead = () => {
    const status = model.get("status");
    el.dataset.status = status;
    head.replaceChildren(
      h("strong", { class: "aml-title" }, model.get("display_name") || model.get("job_name")),
      h("span", { class: "aml-muted" }, model.get("job_name")), statusBadge(status),
      h("span", { class: "aml-duration" }, formatDuration(durationOf(model))),
      h("span", { class: "aml-muted" }, `${model.get("goal")} ${model.get("primary_metric")}`),
      h("button", { class: "aml-btn aml-cancel", disabled: isTerminal(status) || !status,
        onclick: () => request(model, "cancel") }, "Cancel"),
    );
  };
  const drawTable = () => {
    const params = model.get("params");
    const trials = model.get("trials");
    const rows = trials.map((t) => h("tr", {
      class: [t.name === best() ? "aml-best" : "", t.terminated_by ? "aml-stopped" : ""].join(" "),
      "data-trial": t.name,
    },
      h("td", {}, t.name), h("td", {}, statusBadge(t.status)),
      ...params.map((p) => h("td", {}, formatValue(t.params?.[p]))),
      h("td", {}, formatValue(t.metric)),
      h("td", { class: "aml-muted" }, t.terminated_by ? `stopped by ${t.terminated_by}` : ""),
    ));
    table.replaceChildren(h("table", { class: "aml-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "trial"), h("th", {}, "status"),
        ...params.map((p) => h("th", {}, p)), h("th", {}, `best ${model.get("primary_metric")}`), h("th", {}, ""))),
      h("tbody", {}, rows)));
  };
  const pcWidth = () => Math.max(420, Math.min(900, (el.clientWidth || 700) - 20));
  let drawnWidth = 0;
  const drawPc = () => {
    const data = { trials: model.get("trials"), params: model.get("params"),
      metric: model.get("primary_metric"), goal: model.get("goal"), best: best() };
    if (document.activeElement !== topk) topk.value = String(shared.ui.k);
    drawnWidth = pcWidth();
    renderParcoords(pcHost, data, shared.ui, (next) => setUi(model, next), { width: drawnWidth, height: 280 });
  };
  // A view is first drawn before the page lays it out (no width yet), and notebook panels resize.
  const resized = typeof ResizeObserver === "function"
    ? new ResizeObserver(() => { if (el.clientWidth && pcWidth() !== drawnWidth) drawPc(); }) : null;
  resized?.observe(el);

  const { sets, dispose } = followPoints(model, () => {
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; drawCurves(); });
  });
  function drawCurves() {
    const names = sets.names().filter((n) => sets.get(n).length > 0);
    const key = names.join("|") + "#" + best();
    const data = alignCurves(names, sets);
    curves.dataset.points = String(names.reduce((a, n) => a + sets.get(n).length, 0));
    curves.dataset.curves = String(names.length);
    if (!plot || key !== plotNames) {
      plot?.destroy();
      plotNames = key;
      plot = new uPlot({
        title: `${model.get("primary_metric")} per trial`, width: 520, height: 220,
        legend: { show: false }, scales: { x: { time: false } }, axes: themedAxes(theme),
        series: [{ label: "step" }, ...names.map((n, i) => {
          const stroke = () => (n === best() ? theme.get().fg : theme.get().series[i % theme.get().series.length]);
          return { label: n, stroke, width: n === best() ? 3 : 1.2, spanGaps: true, points: lonePoints(stroke) };
        })],
      }, data, curves);
    } else plot.setData(data, true);
  }

  topk.addEventListener("change", () => setUi(model, { ...shared.ui, k: Number(topk.value) || 0 }));
  el.classList.add("aml-widget", "aml-sweep-monitor");
  el.append(head, table, h("div", { class: "aml-row" }, curves,
    h("div", {}, h("label", {}, "top-k ", topk), pcHost)), actionBox(model));
  const all = () => { drawHead(); drawTable(); drawPc(); };
  all();
  shared.views.add(drawPc);
  const keys = ["status", "trials", "best_trial", "params"];
  for (const k of keys) model.on(`change:${k}`, all);
  const newBest = () => { plotNames = ""; drawCurves(); };
  model.on("change:best_trial", newBest);
  const timer = setInterval(drawHead, 1000);
  return () => {
    clearInterval(timer);
    resized?.disconnect();
    shared.views.delete(drawPc);
    for (const k of keys) model.off(`change:${k}`, all);
    model.off("change:best_trial", newBest);
    dispose();
    if (frame) cancelAnimationFrame(frame);
    stopTheme();
    plot?.destroy();
  };
}
