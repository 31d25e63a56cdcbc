// Live job monitor: status, duration, cancel, one uPlot chart per metric, log tail.
import { h, statusBadge, formatDuration, isTerminal, actionBox, request } from "./common.js";
import { SeriesSet } from "./series.js";
import { MetricChart } from "./chart.js";
import { renderBatchProgress } from "./batch_progress.js";

export function durationOf(model, now = Date.now()) {
  const start = model.get("started_at_ms");
  if (!start) return null;
  const end = model.get("ended_at_ms") || now;
  return (end - start) / 1000;
}

// Points are gathered per model, from the moment the model exists in the front-end (the
// `initialize` hook), not per view: a view rendered later, or re-rendered when the display is
// updated, starts from everything already received without asking the kernel, which may be
// busy running a cell and unable to answer until the cell ends.
const shared = new WeakMap();

export function sharedPoints(model) {
  let entry = shared.get(model);
  if (entry) return entry;
  const sets = new SeriesSet();
  const listeners = new Set();
  let asked = false;
  const ask = () => { if (!asked) { asked = true; model.send({ type: "snapshot" }); } };
  const onMsg = (msg, buffers) => {
    if (!msg || msg.type !== "points") return;
    if (msg.reset) asked = false;
    const { changed, needSnapshot } = sets.apply(msg, buffers || []);
    // Arrival times (for the end-to-end latency benchmark); a bounded list.
    const log = (globalThis.__amlPointArrivals ??= []);
    if (log.length < 10000) log.push({ at: Date.now(), reset: !!msg.reset, metrics: msg.metrics });
    if (needSnapshot) ask();
    if (changed.length) for (const f of listeners) f(changed);
  };
  model.on("msg:custom", onMsg);
  entry = { sets, listeners, ask };
  shared.set(model, entry);
  ask();
  return entry;
}

/** Follow a model's points: `onChange(names)` after each chunk (and once for what is already there). */
export function followPoints(model, onChange) {
  const { sets, listeners } = sharedPoints(model);
  listeners.add(onChange);
  const have = sets.names().filter((n) => sets.get(n).length > 0);
  if (have.length) queueMicrotask(() => { if (listeners.has(onChange)) onChange(have); });
  return { sets, dispose: () => listeners.delete(onChange) };
}

export function renderJobMonitor({ model, el }) {
  const badge = h("span");
  const duration = h("span", { class: "aml-duration" });
  const cancel = h("button", { class: "aml-btn aml-cancel", onclick: () => request(model, "cancel") }, "Cancel");
  const charts = h("div", { class: "aml-charts" });
  const empty = h("div", { class: "aml-muted aml-nometrics" }, "No metrics logged yet.");
  const log = h("pre", { class: "aml-log" });
  const chartByName = new Map();
  const progress = renderBatchProgress(model);  // a batch job's mini-batches; hidden otherwise
  // A batch job logs no metrics: no "No metrics" line under its progress.
  const drawEmpty = () => { empty.hidden = !progress.el.hidden; };
  // A distributed job has a log per process: a picker switches the log shown (rank 0's first).
  const picker = h("select", { class: "aml-log-picker", onchange: (e) => request(model, "select_log", { name: e.target.value }) });
  const drawPicker = () => {
    const names = model.get("log_names") || [];
    picker.hidden = names.length < 2;
    picker.replaceChildren(...names.map((n) => h("option", { value: n, selected: n === model.get("log_name") }, n)));
  };

  const head = () => {
    const status = model.get("status");
    badge.replaceChildren(statusBadge(status));
    cancel.disabled = isTerminal(status) || !status;
    el.dataset.status = status;
  };
  const tick = () => { duration.textContent = formatDuration(durationOf(model)); };
  const drawLog = () => {
    log.textContent = model.get("log_tail");
    log.scrollTop = log.scrollHeight;
  };

  const { sets, dispose } = followPoints(model, (names) => {
    for (const name of names) {
      let chart = chartByName.get(name);
      if (!chart) {
        chart = new MetricChart(name, { width: Math.max(300, Math.min(420, (el.clientWidth || 640) - 20)) });
        chartByName.set(name, chart);
        charts.append(chart.el);
        empty.remove();
      }
      chart.update(sets.get(name));
    }
  });

  el.classList.add("aml-widget", "aml-job-monitor");
  el.append(
    h("div", { class: "aml-head" },
      h("strong", { class: "aml-title" }, model.get("display_name") || model.get("job_name")),
      h("span", { class: "aml-muted" }, model.get("job_name")), badge, duration, cancel),
    progress.el, empty, charts,
    h("details", { open: true }, h("summary", {}, "Log ", picker), log),
    actionBox(model),
  );
  head(); tick(); drawLog(); drawPicker(); drawEmpty();
  model.on("change:batch", drawEmpty);
  model.on("change:log_names", drawPicker);
  model.on("change:log_name", drawPicker);
  model.on("change:status", head);
  model.on("change:ended_at_ms", tick);
  model.on("change:log_tail", drawLog);
  const timer = setInterval(tick, 1000);
  return () => {
    clearInterval(timer);
    dispose();
    progress.dispose();
    model.off("change:batch", drawEmpty);
    for (const c of chartByName.values()) c.destroy();
    model.off("change:status", head);
    model.off("change:ended_at_ms", tick);
    model.off("change:log_tail", drawLog);
    model.off("change:log_names", drawPicker);
    model.off("change:log_name", drawPicker);
  };
}
