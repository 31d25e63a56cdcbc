import { describe, it, expect } from "vitest";
import { makeModel } from "./model.js";
import { renderComputePicker } from "../src/compute_picker.js";
import { filterTree } from "../src/workspace_explorer.js";
import { toMnist } from "../src/endpoint_tester.js";
import { alignCurves, renderSweepMonitor } from "../src/sweep_monitor.js";
import { SeriesSet } from "../src/series.js";

describe("compute picker", () => {
  it("asks Python to use the clicked compute and marks the default", () => {
    const model = makeModel({ computes: [{ name: "local", type: "local" }, { name: "cpu", type: "amlcompute", instances: 2 }],
      default_compute: "local", last_action: "", error: "" });
    const el = document.createElement("div");
    renderComputePicker({ model, el });
    el.querySelector('[data-compute="cpu"]').click();
    expect(model.sent).toEqual([{ type: "action", action: "use", args: { name: "cpu" } }]);
    model.set("default_compute", "cpu");
    expect(el.querySelector(".aml-selected").dataset.compute).toBe("cpu");
    model.set("last_action", "%aml compute use -n cpu");
    expect(el.querySelector(".aml-line").textContent).toBe("%aml compute use -n cpu");
  });
});

describe("helpers", () => {
  it("filters the tree by name, keeping parents of matching children", () => {
    const tree = [{ kind: "jobs", label: "Jobs", count: 1, items: [{ name: "sweep1", children: [{ name: "sweep1_3" }] }] },
      { kind: "data", label: "Data", count: 1, items: [{ name: "mnist" }] }];
    const out = filterTree(tree, "_3");
    expect(out.length).toBe(1);
    expect(out[0].items[0].children.map((c) => c.name)).toEqual(["sweep1_3"]);
  });
  it("downsamples a canvas to 28x28 grey values", () => {
    const w = 56, rgba = new Uint8ClampedArray(w * w * 4);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) rgba[(y * w + x) * 4] = 255;
    const out = toMnist(rgba, w, w);
    expect(out.length).toBe(784);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(0);
  });
  it("aligns trial curves on the union of steps", () => {
    const sets = new SeriesSet();
    sets.get("a").append([0, 1], [1, 2]);
    sets.get("b").append([1, 2], [3, 4]);
    const [x, a, b] = alignCurves(["a", "b"], sets);
    expect([...x]).toEqual([0, 1, 2]);
    expect(a).toEqual([1, 2, null]);
    expect(b).toEqual([null, 3, 4]);
  });
});

describe("sweep monitor", () => {
  const state = () => ({ _kind: "sweep_monitor", job_name: "sw", display_name: "", status: "Completed",
    started_at_ms: 0, ended_at_ms: 0, primary_metric: "acc", goal: "maximize", params: ["lr"], best_trial: "sw_1",
    trials: [{ name: "sw_0", status: "Completed", params: { lr: 0.1 }, metric: 0.7 },
      { name: "sw_1", status: "Completed", params: { lr: 1.0 }, metric: 0.9 }],
    last_action: "", error: "" });

  it("keeps top-k and brushes when its output is rendered again, and shares them between views", () => {
    const model = makeModel(state());
    const first = document.createElement("div");
    const closeFirst = renderSweepMonitor({ model, el: first });
    const topk = first.querySelector("input.aml-topk");
    topk.value = "1";
    topk.dispatchEvent(new Event("change"));
    expect(first.querySelectorAll("path.aml-pc-line").length).toBe(1);
    const second = document.createElement("div");
    const closeSecond = renderSweepMonitor({ model, el: second });
    expect(second.querySelector("input.aml-topk").value).toBe("1");
    expect(second.querySelectorAll("path.aml-pc-line").length).toBe(1);
    closeFirst();
    second.querySelector("input.aml-topk").value = "0";
    second.querySelector("input.aml-topk").dispatchEvent(new Event("change"));
    expect(second.querySelectorAll("path.aml-pc-line").length).toBe(2);
    expect(first.querySelectorAll("path.aml-pc-line").length).toBe(1); // a closed view is left alone
    closeSecond();
  });
});
