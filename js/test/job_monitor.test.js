import { describe, it, expect } from "vitest";
import { makeModel } from "./model.js";
import { followPoints, sharedPoints, durationOf } from "../src/job_monitor.js";

const buf = (xs) => new DataView(Float64Array.from(xs).buffer);

describe("followPoints", () => {
  it("asks for a snapshot on render, applies chunks in order, and re-asks after a gap", () => {
    const model = makeModel({});
    const seen = [];
    const { sets } = followPoints(model, (names) => seen.push(names));
    expect(model.sent).toEqual([{ type: "snapshot" }]);
    model.receive({ type: "points", reset: true, metrics: [{ name: "loss", start: 0, n: 2 }] }, [buf([0, 1]), buf([3, 2])]);
    model.receive({ type: "points", reset: false, metrics: [{ name: "loss", start: 2, n: 1 }] }, [buf([2]), buf([1])]);
    expect([...sets.get("loss").data()[1]]).toEqual([3, 2, 1]);
    model.receive({ type: "points", reset: false, metrics: [{ name: "loss", start: 9, n: 1 }] }, [buf([9]), buf([0])]);
    expect(model.sent.length).toBe(2);
    // While a snapshot is pending, further gaps do not ask again.
    model.receive({ type: "points", reset: false, metrics: [{ name: "loss", start: 10, n: 1 }] }, [buf([10]), buf([0])]);
    expect(model.sent.length).toBe(2);
    expect(seen).toEqual([["loss"], ["loss"]]);
    model.receive({ type: "other" });
    expect(seen.length).toBe(2);
  });
});

describe("sharedPoints", () => {
  it("gathers points per model, so a view following later starts from all of them", async () => {
    const model = makeModel({});
    sharedPoints(model); // the initialize hook, before any view
    model.receive({ type: "points", reset: false, metrics: [{ name: "acc", start: 0, n: 2 }] }, [buf([0, 1]), buf([0.1, 0.2])]);
    const seen = [];
    const { sets } = followPoints(model, (names) => seen.push(names));
    await Promise.resolve();
    expect(seen).toEqual([["acc"]]);
    expect(sets.get("acc").length).toBe(2);
    expect(model.sent).toEqual([{ type: "snapshot" }]); // asked once, at initialize
  });
});

describe("durationOf", () => {
  it("runs until the end time is known", () => {
    const model = makeModel({ started_at_ms: 1000, ended_at_ms: 0 });
    expect(durationOf(model, 6000)).toBe(5);
    model.set("ended_at_ms", 4000);
    expect(durationOf(model, 99999)).toBe(3);
    expect(durationOf(makeModel({ started_at_ms: 0 }))).toBe(null);
  });
});

describe("renderJobMonitor's log picker", () => {
  it("is hidden for one log, lists a distributed job's logs, and asks Python for the one picked", async () => {
    const { renderJobMonitor } = await import("../src/job_monitor.js");
    const model = makeModel({ job_name: "j", status: "Running", log_tail: "rank 0\n", log_names: ["std_log.txt"],
      log_name: "std_log.txt", started_at_ms: 0, ended_at_ms: 0 });
    const el = document.createElement("div");
    const dispose = renderJobMonitor({ model, el });
    const picker = el.querySelector("select.aml-log-picker");
    expect(picker.hidden).toBe(true);
    model.set("log_names", ["std_log_process_00.txt", "std_log_process_01.txt"]);
    model.set("log_name", "std_log_process_00.txt");
    expect(picker.hidden).toBe(false);
    expect([...picker.options].map((o) => o.value)).toEqual(["std_log_process_00.txt", "std_log_process_01.txt"]);
    expect(picker.value).toBe("std_log_process_00.txt");
    picker.value = "std_log_process_01.txt";
    picker.dispatchEvent(new Event("change"));
    expect(model.sent.at(-1)).toEqual({ type: "action", action: "select_log", args: { name: "std_log_process_01.txt" } });
    dispose();
  });
});
