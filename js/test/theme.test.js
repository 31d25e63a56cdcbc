import { describe, it, expect, afterEach } from "vitest";
import { LIGHT, readTheme, themeOf, watchTheme } from "../src/theme.js";
import { lonePoint, followTheme } from "../src/chart.js";

const frame = () => new Promise((resolve) => setTimeout(resolve, 50));

afterEach(() => {
  document.body.replaceChildren();
  delete document.body.dataset.jpThemeLight;
});

describe("readTheme", () => {
  it("reads the host's colours from the element's CSS variables", () => {
    const el = document.createElement("div");
    document.body.append(el);
    el.style.setProperty("--aml-fg", "rgba(255, 255, 255, 0.87)");
    el.style.setProperty("--aml-grid", "rgba(255, 255, 255, 0.14)");
    el.style.setProperty("--aml-series-0", " #2196f3 ");
    const theme = readTheme(el);
    expect(theme.fg).toBe("rgba(255, 255, 255, 0.87)");
    expect(theme.grid).toBe("rgba(255, 255, 255, 0.14)");
    expect(theme.series[0]).toBe("#2196f3");
    // A variable the host does not define keeps its light fallback.
    expect(theme.series.slice(1)).toEqual(LIGHT.series.slice(1));
  });

  it("gives the light colours to an element not in the page", () => {
    const el = document.createElement("div");
    el.style.setProperty("--aml-fg", "#eee");
    expect(readTheme(el)).toEqual(LIGHT);
  });
});

describe("themeOf", () => {
  it("keeps what it read once the element is in the page, until reset", () => {
    const el = document.createElement("div");
    el.style.setProperty("--aml-fg", "#eee");
    const theme = themeOf(el);
    expect(theme.get().fg).toBe(LIGHT.fg); // built before being inserted: not kept
    document.body.append(el);
    expect(theme.get().fg).toBe("#eee");
    el.style.setProperty("--aml-fg", "#111");
    expect(theme.get().fg).toBe("#eee"); // cached: no style read per frame
    expect(theme.reset().fg).toBe("#eee"); // hands back what it kept
    expect(theme.get().fg).toBe("#111");
    theme.reset();
    expect(theme.reset()).toBe(null); // nothing kept since
  });
});

describe("watchTheme", () => {
  it("calls back once after the host switches theme, and not after stop", async () => {
    let calls = 0;
    const stop = watchTheme(() => { calls += 1; });
    document.body.dataset.jpThemeLight = "false";
    document.body.dataset.jpThemeName = "JupyterLab Dark";
    await frame();
    expect(calls).toBe(1); // two attribute changes, one call
    document.documentElement.style.setProperty("--vscode-editor-foreground", "#cccccc");
    await frame();
    expect(calls).toBe(2);
    document.body.append(document.createElement("div")); // not a theme change
    document.body.dataset.other = "x";
    await frame();
    expect(calls).toBe(2);
    stop();
    document.body.dataset.jpThemeLight = "true";
    await frame();
    expect(calls).toBe(2);
  });
});

describe("lonePoint", () => {
  it("finds a series' only point", () => {
    expect(lonePoint([0.97])).toBe(0);
    expect(lonePoint([null, 0.5, null])).toBe(1);
    expect(lonePoint([1, 2])).toBe(-1);
    expect(lonePoint([null, NaN])).toBe(-1);
    expect(lonePoint(new Float64Array(0))).toBe(-1);
  });
});

describe("followTheme", () => {
  it("redraws a chart when the colours changed, not on every watched attribute change", async () => {
    const el = document.createElement("div");
    document.body.append(el);
    el.style.setProperty("--aml-fg", "#1f2328");
    const theme = themeOf(el);
    theme.get(); // drawn once
    let redraws = 0;
    const stop = followTheme(theme, () => ({ redraw: () => { redraws += 1; } }));
    document.body.className = "lm-mod-override-cursor"; // a drag, not a theme
    await frame();
    expect(redraws).toBe(0);
    el.style.setProperty("--aml-fg", "rgba(255, 255, 255, 0.87)");
    document.body.dataset.jpThemeLight = "false";
    await frame();
    expect(redraws).toBe(1);
    expect(theme.get().fg).toBe("rgba(255, 255, 255, 0.87)");
    stop();
    document.body.className = "";
  });
});
