// Colours for what is drawn on a canvas (uPlot), which CSS cannot reach: styles.css defines them
// as --aml-* variables over the host's own (VS Code's, JupyterLab's), and a chart reads them from
// its element when it draws, and again after the host switches theme.

/** What a plain page (no host variables) gets: the light fallbacks of styles.css. */
export const LIGHT = {
  fg: "#1f2328",
  grid: "rgba(31, 35, 40, 0.14)",
  series: ["#1976d2", "#d32f2f", "#388e3c", "#8e44ad", "#f57c00", "#0097a7", "#c2185b", "#7b8a00"],
};

/** The canvas colours as the page resolves them at `el` (LIGHT for any it does not define). */
export function readTheme(el) {
  const style = el && el.isConnected ? getComputedStyle(el) : null;
  const read = (name, fallback) => (style && style.getPropertyValue(name).trim()) || fallback;
  return {
    fg: read("--aml-fg", LIGHT.fg),
    grid: read("--aml-grid", LIGHT.grid),
    series: LIGHT.series.map((c, i) => read(`--aml-series-${i}`, c)),
  };
}

/**
 * The colours of one chart's element, read once and kept until `reset()`: a draw asks for them
 * every frame, and a style read per frame would cost layout work. A read before the element is
 * in the page (a chart is built, then inserted) is not kept.
 */
export function themeOf(el) {
  let theme = null;
  return {
    get() {
      if (theme) return theme;
      const read = readTheme(el);
      if (el.isConnected) theme = read;
      return read;
    },
    /** Forget the kept colours; returns them (null when none were kept). */
    reset() { const kept = theme; theme = null; return kept; },
  };
}

// Where hosts say their theme changed: JupyterLab sets data-jp-theme-* on <body> once the new
// theme's CSS has loaded; VS Code sets its variables in <html>'s style and a class on <body>.
const WATCHED = ["class", "style", "data-jp-theme-light", "data-jp-theme-name"];
const listeners = new Set();
let observer = null;
let pending = 0;

function notify() {
  pending = 0;
  for (const f of [...listeners]) f();
}

/** Call `onChange` (at most once a frame) after the host switches theme; returns `stop()`. */
export function watchTheme(onChange) {
  listeners.add(onChange);
  if (!observer && typeof MutationObserver === "function") {
    observer = new MutationObserver(() => {
      if (pending) return;
      pending = typeof requestAnimationFrame === "function" ? requestAnimationFrame(notify) : setTimeout(notify, 16);
    });
    for (const node of [document.documentElement, document.body]) {
      if (node) observer.observe(node, { attributes: true, attributeFilter: WATCHED });
    }
  }
  return () => {
    listeners.delete(onChange);
    if (!listeners.size && observer) { observer.disconnect(); observer = null; }
  };
}
