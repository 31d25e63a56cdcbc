// Compute picker: click a row to make that target the default compute for later jobs.
import { h, bindRender, actionBox, request } from "./common.js";

export function renderComputePicker({ model, el }) {
  const body = h("div");
  el.classList.add("aml-widget", "aml-compute-picker");
  bindRender(model, body, ["computes", "default_compute"], () => {
    const current = model.get("default_compute");
    const rows = model.get("computes").map((c) => h("tr", {
      class: "aml-pick" + (c.name === current ? " aml-selected" : ""),
      "data-compute": c.name,
      onclick: () => request(model, "use", { name: c.name }),
    },
      h("td", {}, c.name === current ? "● " : "○ ", c.name), h("td", {}, c.type ?? ""),
      h("td", {}, c.size ?? ""), h("td", {}, c.state ?? ""), h("td", {}, c.instances ?? "")));
    return [
      h("div", { class: "aml-head" }, h("strong", {}, "Compute targets"),
        h("span", { class: "aml-muted aml-default" }, `default: ${current || "none"}`),
        h("button", { class: "aml-btn", onclick: () => request(model, "refresh") }, "Refresh")),
      h("table", { class: "aml-table" },
        h("thead", {}, h("tr", {}, ...["name", "type", "size", "state", "instances"].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows)),
    ];
  });
  el.append(body, actionBox(model));
}
