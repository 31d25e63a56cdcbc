// A batch scoring job's progress in the job monitor: a bar of mini-batches (done, failed,
// pending) and the counters. Python works everything out (the `batch` trait); this only draws.
import { h } from "./common.js";

const STATES = ["done", "failed", "pending"];
const COUNTERS = [
  ["items_scored", "items scored", ""], ["items_failed", "items failed", ""],
  ["items_per_second", "throughput", " items/s"], ["retries", "retries", ""], ["elapsed_seconds", "elapsed", " s"],
];

/** Segment widths in percent of all mini-batches (an empty job: no segment). */
export function segmentWidths(batch) {
  const total = Math.max(batch.total || 0, 1);
  return Object.fromEntries(STATES.map((s) => [s, (100 * (batch[s] || 0)) / total]));
}

export function renderBatchProgress(model) {
  const segments = Object.fromEntries(STATES.map((s) => [s, h("div", { class: `aml-batch-seg aml-batch-${s}` })]));
  const bar = h("div", { class: "aml-batch-bar", role: "progressbar" }, STATES.map((s) => segments[s]));
  const states = h("div", { class: "aml-batch-states" });
  const counters = h("div", { class: "aml-batch-counters aml-muted" });
  const el = h("div", { class: "aml-batch" }, bar, states, counters);

  const draw = () => {
    const batch = model.get("batch") || {};
    el.hidden = !Object.keys(batch).length;
    if (el.hidden) return;
    const widths = segmentWidths(batch);
    for (const s of STATES) {
      segments[s].style.width = `${widths[s]}%`;
      segments[s].title = `${batch[s]} ${s}`;
      el.dataset[s] = String(batch[s]);
    }
    el.dataset.total = String(batch.total);
    el.dataset.itemsScored = String(batch.items_scored);
    bar.setAttribute("aria-valuenow", String(batch.done + batch.failed));
    bar.setAttribute("aria-valuemax", String(batch.total));
    states.replaceChildren(
      h("strong", {}, `${batch.done} / ${batch.total} mini-batches done`),
      ...STATES.slice(1).map((s) => h("span", { class: `aml-batch-label aml-batch-${s}-label` }, `${batch[s]} ${s}`)),
    );
    counters.replaceChildren(...COUNTERS.map(([key, label, unit]) =>
      h("span", { "data-counter": key }, `${label}: ${batch[key]}${unit}`)));
  };
  draw();
  model.on("change:batch", draw);
  return { el, dispose: () => model.off("change:batch", draw) };
}
