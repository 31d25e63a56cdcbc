// Small DOM helpers shared by every widget view. Views only render: all logic is in Python.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  // JupyterLab (>= 4.1) handles Enter typed anywhere inside a notebook cell and cancels its line
  // break: a textarea in an output keeps its Enter to itself.
  if (tag === "textarea") el.addEventListener("keydown", (e) => { if (e.key === "Enter") e.stopPropagation(); });
  return el;
}

const TERMINAL = new Set(["Completed", "Failed", "Canceled", "NotResponding", "Paused"]);
export const isTerminal = (status) => TERMINAL.has(status);

export function statusBadge(status) {
  const kind = status === "Completed" ? "ok" : status === "Failed" ? "bad"
    : isTerminal(status) ? "muted" : "live";
  return h("span", { class: `aml-badge aml-${kind}`, "data-status": status }, status || "—");
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  return hh ? `${hh}h ${mm}m ${ss}s` : mm ? `${mm}m ${ss}s` : `${ss}s`;
}

export function formatValue(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(+v.toPrecision(5));
  }
  return String(v);
}

/** Rebuild `el`'s children whenever one of `keys` changes on the model. */
export function bindRender(model, el, keys, draw) {
  const redraw = () => { el.replaceChildren(...[].concat(draw())); };
  for (const k of keys) model.on(`change:${k}`, redraw);
  redraw();
  return () => { for (const k of keys) model.off(`change:${k}`, redraw); };
}

/**
 * The box that shows the `%aml` line equivalent to the last widget action, with copy and
 * insert-into-a-new-cell buttons (insert needs JupyterLab's app object on window).
 */
export function actionBox(model) {
  const box = h("div", { class: "aml-action" });
  const draw = () => {
    const line = model.get("last_action");
    const error = model.get("error");
    const parts = [];
    if (error) parts.push(h("div", { class: "aml-error" }, error));
    if (line) {
      const app = globalThis.jupyterapp;
      parts.push(
        h("code", { class: "aml-line" }, line),
        h("button", {
          class: "aml-btn aml-copy",
          onclick: () => navigator.clipboard?.writeText(line).catch(() => {}),
        }, "Copy"),
        app && h("button", {
          class: "aml-btn aml-insert",
          onclick: async () => {
            await app.commands.execute("notebook:insert-cell-below");
            const cell = app.shell.currentWidget?.content?.activeCell;
            if (cell) cell.model.sharedModel.setSource(line);
          },
        }, "Insert cell"),
      );
    }
    box.replaceChildren(...parts);
  };
  model.on("change:last_action", draw);
  model.on("change:error", draw);
  draw();
  return box;
}

/** Ask Python to do something; Python answers by changing traits. */
export function request(model, action, args = {}) {
  // args travel apart from the envelope: a form field may well be called `type` or `action`
  model.send({ type: "action", action, args });
}
