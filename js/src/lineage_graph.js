// Lineage graph: assets, jobs, code, environments, deployments and endpoints as nodes coloured by
// kind at the (column, row) Python laid out, edges labelled with their relation. Clicking a node
// selects it (its details show below) and the widget Python opens for it (a job's monitor, the
// data browser, the endpoint tester) is drawn beneath.
import { h, bindRender, actionBox, request } from "./common.js";
import { s, graphFrame, W, H } from "./pipeline_graph.js";
import { renderJobMonitor } from "./job_monitor.js";
import { renderSweepMonitor } from "./sweep_monitor.js";
import { renderPipelineGraph } from "./pipeline_graph.js";
import { renderDataBrowser } from "./data_browser.js";
import { renderEndpointTester } from "./endpoint_tester.js";

// The widget a selected node opens (Python picks it by the node's kind; its `_kind` names the view).
const OPENED = { job_monitor: renderJobMonitor, sweep_monitor: renderSweepMonitor, pipeline_graph: renderPipelineGraph,
  data_browser: renderDataBrowser, endpoint_tester: renderEndpointTester };
const short = (text) => (text.length <= 21 ? text : `${text.slice(0, 20)}…`);
export const kindClass = (kind) => `aml-node aml-kind-${String(kind).replace(/[^a-z-]/g, "")}`;

export function drawLineage(model) {
  const nodes = model.get("nodes"), selected = model.get("selected");
  const [svg, at] = graphFrame(nodes, model.get("edges"));
  for (const n of nodes) {
    const [x, y] = at[n.key];
    const cls = kindClass(n.kind) + (n.root ? " aml-node-root" : "") + (n.key === selected ? " aml-node-selected" : "");
    const g = s("g", { class: cls, "data-key": n.key, "data-kind": n.kind, tabindex: 0 },
      s("title", {}, `${n.kind} ${n.label}`),
      s("rect", { x, y, width: W, height: H, rx: 8 }),
      s("text", { class: "aml-step-name", x: x + 10, y: y + 21 }, short(n.label)),
      s("text", { class: "aml-step-caption", x: x + 10, y: y + 40 }, n.caption));
    g.addEventListener("click", () => request(model, "select", { key: n.key }));
    svg.append(g);
  }
  return svg;
}

export function detailRows(node) {
  if (!node) return [];
  const fmt = (v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  return [["kind", node.kind], ["name", node.label], ...Object.entries(node.details || {}).map(([k, v]) => [k, fmt(v)])];
}

export function renderLineageGraph({ model, el }) {
  el.classList.add("aml-widget", "aml-lineage-graph");
  const head = h("div", { class: "aml-head" });
  bindRender(model, head, ["title"], () => [h("strong", {}, model.get("title"))]);
  const graph = h("div", { class: "aml-graph-box" });
  bindRender(model, graph, ["nodes", "edges", "selected"], () => drawLineage(model));
  const details = h("div", { class: "aml-node-details" });
  bindRender(model, details, ["nodes", "selected", "notes"], () => {
    const node = model.get("nodes").find((n) => n.key === model.get("selected"));
    const notes = model.get("notes").map((n) => h("div", { class: "aml-muted" }, `note: ${n}`));
    if (!node) return [h("div", { class: "aml-muted" }, "click a node for its details and its widget"), ...notes];
    const rows = detailRows(node).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)));
    return [h("table", { class: "aml-table" }, ...rows), ...notes];
  });
  const below = h("div", { class: "aml-node-opened" });
  let cleanup;
  const showOpened = async () => {
    if (cleanup) { cleanup(); cleanup = undefined; }
    below.replaceChildren();
    const ref = model.get("opened");
    if (!ref || !model.widget_manager) return;
    const child = await model.widget_manager.get_model(String(ref).replace(/^IPY_MODEL_/, ""));
    if (model.get("opened") !== ref) return;  // another node was clicked meanwhile
    const view = OPENED[child.get("_kind")];
    if (!view) return;
    const box = h("div");
    below.append(box);
    cleanup = view({ model: child, el: box });
  };
  model.on("change:opened", showOpened);
  showOpened();
  el.append(head, graph, details, below, actionBox(model));
  return () => { model.off("change:opened", showOpened); if (cleanup) cleanup(); };
}
