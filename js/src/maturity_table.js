// MLOps maturity report: the five levels (the one reached highlighted) and a row per practice
// with its status, the evidence found and the next step. Python assesses; this only renders.
import { h, bindRender, actionBox, request } from "./common.js";

const STATUS_CLASS = { present: "ok", missing: "bad", "not assessed": "muted" };
const STATUS_MARK = { present: "✓", missing: "✗", "not assessed": "?" };

function ladder(levels, reached) {
  return h("ol", { class: "aml-levels" }, levels.map((l) => h("li", {
    class: "aml-level" + (l.achieved ? " aml-achieved" : "") + (l.level === reached ? " aml-selected" : ""),
    "data-level": l.level, title: l.summary,
  }, `${l.level} ${l.name}`)));
}

function practiceRow(p) {
  const status = p.status;
  return h("tr", { class: "aml-practice", "data-practice": p.practice, "data-status": status },
    h("td", { class: "aml-muted" }, p.level),
    h("td", {}, p.title),
    h("td", {}, h("span", { class: `aml-badge aml-${STATUS_CLASS[status] ?? "muted"}` },
      `${STATUS_MARK[status] ?? ""} ${status}`)),
    h("td", { class: "aml-evidence" }, p.evidence.length
      ? h("ul", {}, p.evidence.map((e) => h("li", {}, e))) : h("span", { class: "aml-muted" }, "—")),
    h("td", { class: "aml-next" }, p.next_step ? h("code", {}, p.next_step) : h("span", { class: "aml-muted" }, "—")));
}

export function renderMaturityTable({ model, el }) {
  const body = h("div");
  el.classList.add("aml-widget", "aml-maturity");
  bindRender(model, body, ["level", "level_name", "levels", "practices", "workspace", "folder"], () => {
    const where = model.get("workspace") + (model.get("folder") ? ` + ${model.get("folder")}` : "");
    const practices = model.get("practices");
    const present = practices.filter((p) => p.status === "present").length;
    return [
      h("div", { class: "aml-head" },
        h("strong", { class: "aml-reached", "data-level": model.get("level") },
          `MLOps level ${model.get("level")}: ${model.get("level_name")}`),
        h("span", { class: "aml-muted" }, `${where} · ${present}/${practices.length} practices`),
        h("button", { class: "aml-btn aml-refresh", onclick: () => request(model, "refresh") }, "Refresh")),
      ladder(model.get("levels"), model.get("level")),
      h("table", { class: "aml-table" },
        h("thead", {}, h("tr", {}, ...["level", "practice", "status", "evidence", "next step"].map((t) => h("th", {}, t)))),
        h("tbody", {}, practices.map(practiceRow))),
    ];
  });
  el.append(body, actionBox(model));
}
