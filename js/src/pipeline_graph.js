// Pipeline graph: steps as nodes coloured by status at the (column, row) Python computed, edges
// labelled with the data that flows; clicking a step asks Python for its JobMonitor, drawn below.
import { h, bindRender, statusBadge, actionBox, request, isTerminal } from "./common.js";
import { renderJobMonitor } from "./job_monitor.js";

const SVG = "http://www.w3.org/2000/svg";
// Shared with the lineage graph (lineage_graph.js): the same boxes, gaps and curves.
export const W = 170, H = 54, GX = 70, GY = 24, PAD = 12;

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export const place = (step) => [PAD + step.column * (W + GX), PAD + step.row * (H + GY)];

export function stepClass(step) {
  const kind = step.status === "Completed" ? "ok" : step.status === "Failed" ? "bad"
    : ["NotStarted", "Skipped", "Canceled"].includes(step.status) ? "muted" : "live";
  return `aml-step aml-step-${kind}${step.reused ? " aml-step-reused" : ""}`;
}

// The graph's canvas: an <svg> sized to the nodes at their (column, row), with the labelled edges
// drawn; returns it and where each node's box goes (the caller draws the boxes).
export function graphFrame(nodes, edges) {
  const at = Object.fromEntries(nodes.map((n) => [n.key, place(n)]));
  const width = Math.max(0, ...Object.values(at).map(([x]) => x)) + W + PAD;
  const height = Math.max(0, ...Object.values(at).map(([, y]) => y)) + H + PAD;
  const svg = s("svg", { class: "aml-graph", width, height, viewBox: `0 0 ${width} ${height}` });
  for (const e of edges) {
    if (!at[e.source] || !at[e.target]) continue;
    const [x1, y1] = [at[e.source][0] + W, at[e.source][1] + H / 2];
    const [x2, y2] = [at[e.target][0], at[e.target][1] + H / 2];
    svg.append(s("path", { class: "aml-edge", d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}` }),
      s("text", { class: "aml-edge-label", x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, "text-anchor": "middle" }, e.label));
  }
  return [svg, at];
}

export function drawGraph(model) {
  const steps = model.get("steps"), selected = model.get("selected");
  const [svg, at] = graphFrame(steps, model.get("edges"));
  for (const st of steps) {
    const [x, y] = at[st.key];
    const caption = `${st.reused ? "♻ reused" : st.status}${st.elapsed_s != null ? ` · ${st.elapsed_s} s` : ""}`;
    const g = s("g", { class: stepClass(st) + (st.key === selected ? " aml-step-selected" : ""),
      "data-step": st.key, "data-status": st.status, tabindex: 0 },
      s("title", {}, st.reason || st.status),
      s("rect", { x, y, width: W, height: H, rx: 8 }),
      s("text", { class: "aml-step-name", x: x + 10, y: y + 21 }, st.key),
      s("text", { class: "aml-step-caption", x: x + 10, y: y + 40 }, caption));
    g.addEventListener("click", () => request(model, "select", { key: st.key }));
    svg.append(g);
  }
  return svg;
}

const headParts = (model) => [
  h("strong", {}, model.get("display_name") || model.get("job_name")), statusBadge(model.get("status")),
  h("button", { class: "aml-btn aml-cancel", disabled: isTerminal(model.get("status")) || !model.get("status"),
    onclick: () => request(model, "cancel") }, "Cancel"),
];

export function renderPipelineGraph({ model, el }) {
  el.classList.add("aml-widget", "aml-pipeline-graph");
  const head = h("div", { class: "aml-head" });
  bindRender(model, head, ["display_name", "job_name", "status"], () => {
    el.dataset.status = model.get("status");
    return headParts(model);
  });
  const graph = h("div", { class: "aml-graph-box" });
  bindRender(model, graph, ["steps", "edges", "selected"], () => drawGraph(model));
  const reason = h("div", { class: "aml-muted aml-step-reason" });
  bindRender(model, reason, ["steps", "selected"], () => {
    const st = model.get("steps").find((x) => x.key === model.get("selected"));
    return st ? `${st.key}: ${st.reason || st.status}` : "click a step for its log and metrics";
  });
  const below = h("div", { class: "aml-step-monitor" });
  let cleanup;
  const showMonitor = async () => {
    if (cleanup) { cleanup(); cleanup = undefined; }
    below.replaceChildren();
    const ref = model.get("monitor");
    if (!ref || !model.widget_manager) return;
    const child = await model.widget_manager.get_model(String(ref).replace(/^IPY_MODEL_/, ""));
    if (model.get("monitor") !== ref) return;  // another step was clicked meanwhile
    const box = h("div");
    below.append(box);
    cleanup = renderJobMonitor({ model: child, el: box });
  };
  model.on("change:monitor", showMonitor);
  showMonitor();
  el.append(head, graph, reason, below, actionBox(model));
  return () => { model.off("change:monitor", showMonitor); if (cleanup) cleanup(); };
}
