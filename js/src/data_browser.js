// Data asset browser: assets and versions, a preview of the selected version, register a version.
import { h, bindRender, actionBox, request, formatValue } from "./common.js";

function preview(p) {
  if (!p || !p.kind) return h("span", { class: "aml-muted" }, "Select a version to preview it.");
  if (p.kind === "table") {
    return h("table", { class: "aml-table aml-preview" },
      h("thead", {}, h("tr", {}, ...p.columns.map((c) => h("th", {}, c)))),
      h("tbody", {}, ...p.rows.map((r) => h("tr", {}, ...r.map((v) => h("td", {}, formatValue(v)))))));
  }
  if (p.kind === "images") {
    return h("div", { class: "aml-images" }, ...p.images.map((src, i) =>
      h("img", { src, title: p.labels?.[i] ?? "", class: "aml-thumb" })));
  }
  return h("pre", {}, p.text || "");
}

export function renderDataBrowser({ model, el }) {
  const list = h("div");
  const form = {};
  for (const k of ["name", "path", "type", "description"]) {
    form[k] = h("input", { placeholder: k, class: `aml-in-${k}`, value: k === "type" ? "uri_folder" : "" });
  }
  bindRender(model, list, ["assets", "selected", "preview"], () => {
    const sel = model.get("selected") || {};
    const rows = model.get("assets").flatMap((a) => a.versions.map((v) => h("tr", {
      class: "aml-pick" + (sel.name === a.name && sel.version === v.version ? " aml-selected" : ""),
      "data-asset": `${a.name}:${v.version}`,
      onclick: () => request(model, "select", { name: a.name, version: v.version }),
    }, h("td", {}, a.name), h("td", {}, v.version), h("td", {}, v.type), h("td", {}, v.path),
      h("td", {}, Object.entries(v.tags || {}).map(([k, x]) => `${k}=${x}`).join(", ")), h("td", {}, v.created || ""))));
    return [h("table", { class: "aml-table" },
      h("thead", {}, h("tr", {}, ...["name", "version", "type", "path", "tags", "created"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)), h("div", { class: "aml-preview-box" }, preview(model.get("preview")))];
  });
  el.classList.add("aml-widget", "aml-data-browser");
  el.append(h("div", { class: "aml-head" }, h("strong", {}, "Data assets"),
    h("button", { class: "aml-btn", onclick: () => request(model, "refresh") }, "Refresh")), list,
  h("div", { class: "aml-form" }, "Register a version: ", ...Object.values(form),
    h("button", { class: "aml-btn aml-register", onclick: () => request(model, "register",
      Object.fromEntries(Object.entries(form).map(([k, i]) => [k, i.value]))) }, "Register")),
  actionBox(model));
}
