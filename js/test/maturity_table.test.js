import { describe, it, expect } from "vitest";
import { makeModel } from "./model.js";
import { renderMaturityTable } from "../src/maturity_table.js";

const levels = [0, 1, 2, 3, 4].map((level) => ({ level, name: `L${level}`, summary: "", achieved: level <= 1 }));
const practices = [
  { practice: "versioned-data", title: "Versioned data", level: 1, status: "present", evidence: ["job j reads d:1"], next_step: "" },
  { practice: "tracked-metrics", title: "Tracked metrics", level: 2, status: "missing", evidence: [], next_step: "log metrics" },
  { practice: "ci-workflow", title: "CI", level: 3, status: "not assessed", evidence: [], next_step: "give --dir" },
];

describe("maturity table", () => {
  it("shows the level reached, a row per practice with its evidence and next step, and re-renders on refresh", () => {
    const model = makeModel({ workspace: "ws", folder: "", level: 1, level_name: "L1", levels, practices,
      last_action: "", error: "" });
    const el = document.createElement("div");
    renderMaturityTable({ model, el });
    expect(el.querySelector(".aml-reached").textContent).toBe("MLOps level 1: L1");
    expect(el.querySelector(".aml-level.aml-selected").dataset.level).toBe("1");
    expect([...el.querySelectorAll(".aml-level.aml-achieved")].map((n) => n.dataset.level)).toEqual(["0", "1"]);
    const rows = [...el.querySelectorAll("tr.aml-practice")];
    expect(rows.map((r) => r.dataset.status)).toEqual(["present", "missing", "not assessed"]);
    expect(rows[0].querySelector(".aml-evidence li").textContent).toBe("job j reads d:1");
    expect(rows[1].querySelector(".aml-next code").textContent).toBe("log metrics");
    expect(rows[1].querySelector(".aml-badge").className).toContain("aml-bad");
    el.querySelector(".aml-refresh").click();
    expect(model.sent).toEqual([{ type: "action", action: "refresh", args: {} }]);
    model.set("practices", practices.map((p) => ({ ...p, status: "present", next_step: "" })));
    model.set("level", 4);
    expect(el.querySelector(".aml-reached").dataset.level).toBe("4");
    expect(el.querySelectorAll('tr[data-status="present"]').length).toBe(3);
  });
});
