import { describe, it, expect } from "vitest";
import { makeModel } from "./model.js";
import { renderBatchProgress, segmentWidths } from "../src/batch_progress.js";
import { renderJobMonitor } from "../src/job_monitor.js";

const gated = { total: 5, done: 3, failed: 0, pending: 2, items_scored: 6, items_failed: 0, retries: 1,
  items_per_second: 8.5, elapsed_seconds: 0.7 };

describe("segmentWidths", () => {
  it("gives each state its share of the mini-batches, and nothing for an empty job", () => {
    expect(segmentWidths({ total: 5, done: 4, failed: 1, pending: 0 })).toEqual({ done: 80, failed: 20, pending: 0 });
    expect(segmentWidths({ total: 0, done: 0, failed: 0, pending: 0 })).toEqual({ done: 0, failed: 0, pending: 0 });
  });
});

describe("renderBatchProgress", () => {
  it("is hidden without a batch job, then draws what Python sends and follows its changes", () => {
    const model = makeModel({ batch: {} });
    const { el, dispose } = renderBatchProgress(model);
    expect(el.hidden).toBe(true);
    model.set("batch", gated);
    expect(el.hidden).toBe(false);
    expect(el.dataset).toMatchObject({ total: "5", done: "3", failed: "0", pending: "2", itemsScored: "6" });
    expect(el.querySelector(".aml-batch-done").style.width).toBe("60%");
    expect(el.querySelector(".aml-batch-pending").style.width).toBe("40%");
    expect(el.querySelector(".aml-batch-states").textContent).toBe("3 / 5 mini-batches done0 failed2 pending");
    expect(el.querySelector('[data-counter="retries"]').textContent).toBe("retries: 1");
    expect(el.querySelector('[data-counter="items_per_second"]').textContent).toBe("throughput: 8.5 items/s");
    model.set("batch", { ...gated, done: 4, failed: 1, pending: 0, items_scored: 9, items_failed: 1 });
    expect(el.querySelector(".aml-batch-failed").style.width).toBe("20%");
    expect(el.querySelector('.aml-batch-bar').getAttribute("aria-valuenow")).toBe("5");
    dispose();
    model.set("batch", {});
    expect(el.hidden).toBe(false); // no longer following after dispose
  });
});

describe("renderJobMonitor with a batch job", () => {
  it("shows the progress above the log and no empty-metrics line", () => {
    const model = makeModel({ job_name: "b", status: "Running", log_tail: "", log_names: ["std_log.txt"],
      log_name: "std_log.txt", started_at_ms: 0, ended_at_ms: 0, batch: {} });
    const el = document.createElement("div");
    const dispose = renderJobMonitor({ model, el });
    expect(el.querySelector(".aml-batch").hidden).toBe(true);
    expect(el.querySelector(".aml-nometrics").hidden).toBe(false);
    model.set("batch", gated);
    expect(el.querySelector(".aml-batch").hidden).toBe(false);
    expect(el.querySelector(".aml-nometrics").hidden).toBe(true);
    dispose();
  });
});
