import { describe, it, expect } from "vitest";
import { Series, SeriesSet, toFloat64 } from "../src/series.js";

const buf = (xs) => new DataView(Float64Array.from(xs).buffer);

describe("Series", () => {
  it("uses steps as x while they increase, and grows past its capacity", () => {
    const s = new Series(2);
    s.append([0, 1, 2], [5, 6, 7]);
    s.append([3, 10], [8, 9]);
    const [x, y] = s.data();
    expect([...x]).toEqual([0, 1, 2, 3, 10]);
    expect([...y]).toEqual([5, 6, 7, 8, 9]);
  });

  it("switches every x to the point index when steps repeat", () => {
    const s = new Series();
    s.append([0, 1], [1, 2]);
    s.append([1, 0], [3, 4]);
    expect([...s.data()[0]]).toEqual([0, 1, 2, 3]);
    expect(s.byStep).toBe(false);
  });
});

describe("SeriesSet.apply", () => {
  it("appends chunks in order and asks for a snapshot after a gap", () => {
    const set = new SeriesSet();
    let r = set.apply({ type: "points", reset: false, metrics: [{ name: "loss", start: 0, n: 2 }] }, [buf([0, 1]), buf([0.9, 0.8])]);
    expect(r).toEqual({ changed: ["loss"], needSnapshot: false });
    r = set.apply({ metrics: [{ name: "loss", start: 5, n: 1 }] }, [buf([5]), buf([0.1])]);
    expect(r.needSnapshot).toBe(true);
    expect(set.get("loss").length).toBe(2);
    r = set.apply({ metrics: [{ name: "loss", start: 0, n: 2 }] }, [buf([0, 1]), buf([0.9, 0.8])]);
    expect(r).toEqual({ changed: [], needSnapshot: false }); // a chunk we already hold
    r = set.apply({ reset: true, metrics: [{ name: "acc", start: 0, n: 1 }] }, [buf([0]), buf([0.5])]);
    expect(set.names()).toEqual(["acc"]);
  });

  it("reads unaligned DataViews", () => {
    const bytes = new Uint8Array(17);
    new DataView(bytes.buffer).setFloat64(1, 2.5, true);
    expect([...toFloat64(new DataView(bytes.buffer, 1, 8))]).toEqual([2.5]);
  });
});
