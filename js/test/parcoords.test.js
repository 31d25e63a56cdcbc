import { describe, it, expect } from "vitest";
import { buildAxes, axisFraction, topK, passesBrushes, moveAxis, renderParcoords, snapEnd, layout, axisOrder } from "../src/parcoords.js";

const trials = [
  { name: "t1", params: { lr: 0.001, opt: "adam" }, metric: 0.7 },
  { name: "t2", params: { lr: 0.1, opt: "sgd" }, metric: 0.9 },
  { name: "t3", params: { lr: 0.01, opt: "adam" }, metric: 0.8, terminated_by: "bandit" },
  { name: "t4", params: { lr: 0.01, opt: "sgd" }, metric: null },
];

describe("axes", () => {
  it("builds numeric and categorical axes with log only when every value is positive", () => {
    const axes = buildAxes(trials, ["lr", "opt"], "acc", new Set(["lr"]));
    expect(axes.map((a) => [a.name, a.kind, a.log])).toEqual([["lr", "num", true], ["opt", "cat", false], ["acc", "num", false]]);
    const lr = axes[0];
    expect(axisFraction(lr, 0.01)).toBeCloseTo(0.5);
    expect(axisFraction({ ...lr, log: false }, 0.01)).toBeCloseTo((0.01 - 0.001) / (0.1 - 0.001));
    expect(axisFraction(axes[1], "sgd")).toBe(1);
    expect(axisFraction(axes[2], null)).toBe(null);
  });
});

describe("selection", () => {
  it("keeps the k best trials by goal", () => {
    expect([...topK(trials, 2, "maximize")].sort()).toEqual(["t2", "t3"]);
    expect([...topK(trials, 1, "minimize")]).toEqual(["t1"]);
    expect(topK(trials, 0, "maximize").size).toBe(4);
  });
  it("filters by range brushes", () => {
    const axes = buildAxes(trials, ["lr", "opt"], "acc", new Set());
    const brushes = { acc: [0.4, 1.0] };
    expect(trials.map((t) => passesBrushes(t, axes, brushes))).toEqual([false, true, true, false]);
  });
  it("snaps brush ends near an axis end onto it", () => {
    expect([snapEnd(0.99), snapEnd(0.01), snapEnd(0.5)]).toEqual([1, 0, 0.5]);
  });
  it("orders parameters before the metric, keeps the user's order and places late parameters before the metric", () => {
    expect(axisOrder(["lr", "bs"], "acc")).toEqual(["lr", "bs", "acc"]);
    expect(axisOrder(["lr"], "acc", ["acc"])).toEqual(["lr", "acc"]); // drawn once before any trial had params
    expect(axisOrder(["lr", "bs"], "acc", ["acc", "lr"])).toEqual(["acc", "lr", "bs"]);
    expect(axisOrder(["lr"], "acc", ["gone", "lr", "acc"])).toEqual(["lr", "acc"]);
  });
  it("moves an axis", () => {
    expect(moveAxis(["a", "b", "c"], "c", 0)).toEqual(["c", "a", "b"]);
    expect(moveAxis(["a", "b", "c"], "a", 5)).toEqual(["b", "c", "a"]);
  });
});

describe("renderParcoords", () => {
  it("draws one line per trial with a value, highlights the best and reacts to log toggles", () => {
    const host = document.createElement("div");
    let ui = { order: [], brushes: {}, log: new Set(), k: 0 };
    const data = { trials, params: ["lr", "opt"], metric: "acc", goal: "maximize", best: "t2" };
    const draw = () => renderParcoords(host, data, ui, (next) => { ui = next; draw(); });
    draw();
    const lines = host.querySelectorAll("path.aml-pc-line");
    expect(lines.length).toBe(4);
    expect(host.querySelector(".aml-pc-best").dataset.trial).toBe("t2");
    expect(host.querySelector('[data-trial="t3"]').classList.contains("aml-pc-stopped")).toBe(true);
    expect([...host.querySelectorAll(".aml-pc-axis")].map((g) => g.dataset.axis)).toEqual(["lr", "opt", "acc"]);
    host.querySelector('[data-axis="lr"] .aml-pc-log').dispatchEvent(new Event("click"));
    expect(ui.log.has("lr")).toBe(true);
    expect(host.querySelector('[data-axis="lr"] .aml-pc-log').classList.contains("aml-on")).toBe(true);
  });
});

describe("brushing", () => {
  const at = (type, clientY, target = window) =>
    target.dispatchEvent(new MouseEvent(type, { clientX: 0, clientY, bubbles: true, cancelable: true }));

  it("finishes a drag that began on a drawing replaced before the pointer came up", () => {
    // Offsets that a page gives (the output sits 500px down); a detached svg's box is all zeros.
    const box = { left: 100, top: 500, width: 640, height: 280, right: 740, bottom: 780, x: 100, y: 500 };
    const host = document.body.appendChild(document.createElement("div"));
    let ui = { order: [], brushes: {}, log: new Set(), k: 0 };
    const data = { trials, params: ["lr", "opt"], metric: "acc", goal: "maximize", best: "t2" };
    const draw = () => {
      const root = renderParcoords(host, data, ui, (next) => { ui = next; draw(); });
      root.getBoundingClientRect = () => box;
      return root;
    };
    const first = draw();
    const lay = layout(3, 640, 280);
    const track = first.querySelector('[data-axis="acc"] .aml-pc-track');
    at("pointerdown", box.top + lay.top + 1, track);
    draw(); // new data arrives mid-drag: the first svg is replaced and detached
    first.getBoundingClientRect = () => ({ left: 0, top: 0, width: 0, height: 0, right: 0, bottom: 0, x: 0, y: 0 });
    at("pointermove", box.top + lay.y(0.8));
    at("pointerup", box.top + lay.y(0.8));
    const [from, to] = ui.brushes.acc;
    expect(from).toBe(1);
    expect(to).toBeCloseTo(0.8, 2);
    const activeTrials = [...host.querySelectorAll("path.aml-pc-line:not(.aml-pc-dim)")].map((p) => p.dataset.trial);
    expect(activeTrials).toEqual(["t2"]);
    host.remove();
  });
});
