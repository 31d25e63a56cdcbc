// Live job monitor: status, duration, cancel, one uPlot chart per metric, log tail.
import { h, statusBadge, formatDuration, isTerminal, actionBox, request } from "./common.js";
import { SeriesSet } from "./series.js";
import { MetricChart } from "./chart.js";

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

/** One line of a batch job's progress; the twin of rules.batch.progress_summary (the static text). */
export function progressSummary(p) {
  const n = (k) => p[k] || 0;
  const pending = p.mini_batches_pending ?? Math.max(0, n("mini_batches_total") - n("mini_batches_done") - n("mini_batches_failed"));
  return `mini-batches: ${n("mini_batches_done")} done, ${n("mini_batches_failed")} failed, ${pending} pending ` +
    `of ${n("mini_batches_total")} · items scored ${n("items_scored")} (${n("items_failed")} failed) · ` +
    `${Number(n("items_per_second")).toFixed(1)} items/s · ${n("retries")} retries`;
}

/** The bar's segments as percentages of the mini-batches: [done, failed]. */
export function progressShares(p) {
  const total = p.mini_batches_total || 0;
  if (!total) return [0, 0];
  return [100 * (p.mini_batches_done || 0) / total, 100 * (p.mini_batches_failed || 0) / total];
}

export function renderJobMonitor({ model, el }) {
  const badge = h("span");
  const duration = h("span", { class: "aml-duration" });
  const cancel = h("button", { class: "aml-btn aml-cancel", onclick: () => request(model, "cancel") }, "Cancel");
  const charts = h("div", { class: "aml-charts" });
  const empty = h("div", { class: "aml-muted aml-nometrics" }, "No metrics logged yet.");
  const log = h("pre", { class: "aml-log" });
  // A batch scoring job: its progress overview as a bar and a line (hidden for other jobs).
  const doneBar = h("span", { class: "aml-progress-done" });
  const failedBar = h("span", { class: "aml-progress-failed" });
  const progressText = h("div", { class: "aml-progress-text" });
  const progress = h("div", { class: "aml-batch-progress" }, h("div", { class: "aml-progress-bar" }, doneBar, failedBar), progressText);
  const drawProgress = () => {
    const p = model.get("batch_progress") || {};
    progress.hidden = !p.mini_batches_total;
    if (progress.hidden) return;
    const [done, failed] = progressShares(p);
    doneBar.style.width = `${done}%`;
    failedBar.style.width = `${failed}%`;
    progressText.textContent = progressSummary(p);
    if (p.mini_batches_total) empty.hidden = true; // a batch job logs no metrics of its own
  };
  const chartByName = new Map();
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
    progress, empty, charts,
    h("details", { open: true }, h("summary", {}, "Log ", picker), log),
    actionBox(model),
  );
  head(); tick(); drawLog(); drawPicker(); drawProgress();
  model.on("change:batch_progress", drawProgress);
  model.on("change:log_names", drawPicker);
  model.on("change:log_name", drawPicker);
  model.on("change:status", head);
  model.on("change:ended_at_ms", tick);
  model.on("change:log_tail", drawLog);
  const timer = setInterval(tick, 1000);
  return () => {
    clearInterval(timer);
    dispose();
    for (const c of chartByName.values()) c.destroy();
    model.off("change:status", head);
    model.off("change:ended_at_ms", tick);
    model.off("change:log_tail", drawLog);
    model.off("change:log_names", drawPicker);
    model.off("change:log_name", drawPicker);
    model.off("change:batch_progress", drawProgress);
  };
}
