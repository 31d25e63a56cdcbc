import { describe, it, expect } from "vitest";
import { makeModel } from "./model.js";
import { renderComputePicker } from "../src/compute_picker.js";
import { filterTree } from "../src/workspace_explorer.js";
import { toMnist } from "../src/endpoint_tester.js";
import { alignCurves } from "../src/sweep_monitor.js";
import { SeriesSet } from "../src/series.js";

describe("compute picker", () => {
  it("asks Python to use the clicked compute and marks the default", () => {
    const model = makeModel({ computes: [{ name: "local", type: "local" }, { name: "cpu", type: "amlcompute", instances: 2 }],
      default_compute: "local", last_action: "", error: "" });
    const el = document.createElement("div");
    renderComputePicker({ model, el });
    el.querySelector('[data-compute="cpu"]').click();
    expect(model.sent).toEqual([{ type: "action", action: "use", name: "cpu" }]);
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
