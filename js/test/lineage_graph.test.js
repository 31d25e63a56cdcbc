import { describe, it, expect } from "vitest";
import { makeModel } from "./model.js";
import { renderLineageGraph, detailRows, kindClass } from "../src/lineage_graph.js";

const NODES = [
  { key: "data:features:1", kind: "data", label: "features:1", caption: "data · uri_folder", column: 0, row: 0, root: false, details: { type: "uri_folder" } },
  { key: "job:t_1", kind: "job", label: "t_1", caption: "job · Completed", column: 1, row: 0, root: false, details: { type: "command", parameters: { q: 2 } } },
  { key: "model:m:1", kind: "model", label: "m:1", caption: "model · custom_model", column: 2, row: 0, root: true, details: {} },
];
const EDGES = [{ source: "data:features:1", target: "job:t_1", label: "input data" }, { source: "job:t_1", target: "model:m:1", label: "output model" }];

describe("lineage graph", () => {
  it("draws a node per asset coloured by kind, the root marked, edges labelled", () => {
    const model = makeModel({ title: "lineage of model m:1", nodes: NODES, edges: EDGES, notes: [], selected: "", opened: null, last_action: "", error: "" });
    const el = document.createElement("div");
    renderLineageGraph({ model, el });
    const nodes = [...el.querySelectorAll("g.aml-node")];
    expect(nodes.map((g) => g.dataset.kind)).toEqual(["data", "job", "model"]);
    expect(el.querySelector("g.aml-node-root").dataset.key).toBe("model:m:1");
    expect(el.querySelector("g.aml-kind-job")).not.toBeNull();
    expect([...el.querySelectorAll(".aml-edge-label")].map((t) => t.textContent)).toEqual(["input data", "output model"]);
    expect(el.querySelectorAll("path.aml-edge").length).toBe(2);
  });

  it("asks Python to select a clicked node and shows its details", () => {
    const model = makeModel({ title: "t", nodes: NODES, edges: EDGES, notes: ["one note"], selected: "", opened: null, last_action: "", error: "" });
    const el = document.createElement("div");
    renderLineageGraph({ model, el });
    el.querySelector('[data-key="job:t_1"]').dispatchEvent(new Event("click"));
    expect(model.sent).toEqual([{ type: "action", action: "select", args: { key: "job:t_1" } }]);
    model.set("selected", "job:t_1");
    expect(el.querySelector(".aml-node-selected").dataset.key).toBe("job:t_1");
    const text = el.querySelector(".aml-node-details").textContent;
    expect(text).toContain("parameters");
    expect(text).toContain('{"q":2}');
    expect(text).toContain("note: one note");
  });

  it("lists a node's details as rows and names its kind's class", () => {
    expect(detailRows(NODES[1])).toEqual([["kind", "job"], ["name", "t_1"], ["type", "command"], ["parameters", '{"q":2}']]);
    expect(detailRows(undefined)).toEqual([]);
    expect(kindClass("online-deployment")).toBe("aml-node aml-kind-online-deployment");
  });
});
