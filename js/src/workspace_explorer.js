// Workspace explorer: the home view, a tree of the workspace's assets with counts and search.
import { h, actionBox, request, formatValue } from "./common.js";

/** Keep groups and items whose name (or a child's) contains `query` (case-insensitive). */
export function filterTree(groups, query) {
  const q = (query || "").trim().toLowerCase();
  if (!q) return groups;
  const keep = (item) => {
    const children = (item.children || []).map(keep).filter(Boolean);
    if (item.name.toLowerCase().includes(q) || children.length) return { ...item, children };
    return null;
  };
  return groups.map((g) => ({ ...g, items: g.items.map(keep).filter(Boolean) }))
    .filter((g) => g.items.length || g.label.toLowerCase().includes(q));
}

export function renderWorkspaceExplorer({ model, el }) {
  const search = h("input", { type: "search", placeholder: "search", class: "aml-search" });
  const tree = h("div", { class: "aml-tree" });
  const details = h("div", { class: "aml-details" });
  const open = new Set();
  const item = (kind, it, depth) => {
    const selected = model.get("selected");
    const node = h("div", {
      class: "aml-node" + (selected?.kind === kind && selected?.name === it.name ? " aml-selected" : ""),
      style: { paddingLeft: `${depth * 14}px` }, "data-kind": kind, "data-name": it.name,
      onclick: (e) => { e.stopPropagation(); request(model, "select", { kind, name: it.name, parent: it.parent ?? null }); },
    }, it.label || it.name, it.status ? h("span", { class: "aml-muted" }, ` ${it.status}`) : null);
    return [node, ...(it.children || []).flatMap((c) => item(c.kind || kind, c, depth + 1))];
  };
  const draw = () => {
    const groups = filterTree(model.get("tree"), search.value);
    tree.replaceChildren(...groups.map((g) => {
      const expanded = open.has(g.kind) || !!search.value;
      return h("div", { class: "aml-group", "data-group": g.kind },
        h("div", { class: "aml-group-head", onclick: () => { open.has(g.kind) ? open.delete(g.kind) : open.add(g.kind); draw(); } },
          expanded ? "▾ " : "▸ ", g.label, h("span", { class: "aml-count" }, ` (${g.count})`)),
        expanded ? h("div", {}, ...g.items.flatMap((it) => item(g.kind, it, 1))) : null);
    }));
    const d = model.get("details");
    const sel = model.get("selected");
    details.replaceChildren(d && Object.keys(d).length
      ? h("div", {}, h("table", { class: "aml-table" }, ...Object.entries(d).map(([k, v]) =>
        h("tr", {}, h("th", {}, k), h("td", {}, typeof v === "object" ? JSON.stringify(v) : formatValue(v))))),
      h("button", { class: "aml-btn aml-open", onclick: () => request(model, "open", { kind: sel.kind, name: sel.name }) }, "Open"))
      : h("span", { class: "aml-muted" }, "Select an item to see its details."));
  };
  search.addEventListener("input", draw);
  for (const k of ["tree", "details", "selected"]) model.on(`change:${k}`, draw);
  el.classList.add("aml-widget", "aml-workspace-explorer");
  el.append(h("div", { class: "aml-head" }, h("strong", {}, model.get("workspace_name") || "Workspace"), search,
    h("button", { class: "aml-btn", onclick: () => request(model, "refresh") }, "Refresh")),
  h("div", { class: "aml-row" }, tree, details), actionBox(model));
  draw();
}
