// Endpoint tester: pick endpoint and deployment, send JSON or a digit drawn on a 28x28 canvas.
import { h, bindRender, actionBox, request, formatValue } from "./common.js";

/** Downsample an RGBA canvas image (white ink on black) to 28x28 grey values in [0, 1]. */
export function toMnist(rgba, width, height, size = 28) {
  const out = new Array(size * size).fill(0);
  const cw = width / size, ch = height / size;
  for (let gy = 0; gy < size; gy++) {
    for (let gx = 0; gx < size; gx++) {
      let sum = 0, count = 0;
      for (let y = Math.floor(gy * ch); y < Math.floor((gy + 1) * ch); y++) {
        for (let x = Math.floor(gx * cw); x < Math.floor((gx + 1) * cw); x++) {
          sum += rgba[(y * width + x) * 4]; count++;
        }
      }
      out[gy * size + gx] = count ? +(sum / count / 255).toFixed(3) : 0;
    }
  }
  return out;
}

function drawingPad(onDone) {
  const canvas = h("canvas", { width: 196, height: 196, class: "aml-pad" });
  const ctx = canvas.getContext("2d");
  const clear = () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, 196, 196); };
  clear();
  let drawing = false;
  const pos = (e) => { const r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * 196 / r.width, (e.clientY - r.top) * 196 / r.height]; };
  canvas.addEventListener("pointerdown", (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...pos(e)); });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ctx.lineTo(...pos(e)); ctx.strokeStyle = "#fff"; ctx.lineWidth = 14; ctx.lineCap = "round"; ctx.stroke();
  });
  window.addEventListener("pointerup", () => { drawing = false; });
  const pixels = () => toMnist(ctx.getImageData(0, 0, 196, 196).data, 196, 196);
  return { el: h("div", { class: "aml-padbox" }, canvas,
    h("button", { class: "aml-btn", onclick: clear }, "Clear"),
    h("button", { class: "aml-btn aml-send-digit", onclick: () => onDone(pixels()) }, "Send digit")), canvas };
}

export function renderEndpointTester({ model, el }) {
  const chooser = h("div", { class: "aml-head" });
  const body = h("textarea", { class: "aml-request", rows: 6, cols: 60 });
  body.value = model.get("request_text");
  body.addEventListener("change", () => { model.set("request_text", body.value); model.save_changes(); });
  const answer = h("div", { class: "aml-answer" });
  const pad = drawingPad((pixels) => request(model, "invoke", { body: JSON.stringify({ data: [pixels] }) }));

  bindRender(model, chooser, ["endpoints", "endpoint", "deployment"], () => {
    const eps = model.get("endpoints");
    const current = eps.find((e) => e.name === model.get("endpoint"));
    const select = (items, value, key) => {
      const s = h("select", { class: `aml-select-${key}`, onchange: () => request(model, "select", { [key]: s.value }) },
        ...items.map((n) => h("option", { value: n, selected: n === value }, n)));
      return s;
    };
    return [h("strong", {}, "Endpoint "), select(eps.map((e) => e.name), model.get("endpoint"), "endpoint"),
      " deployment ", select(["(traffic)", ...(current?.deployments || [])], model.get("deployment") || "(traffic)", "deployment")];
  });
  const traffic = h("div", { class: "aml-traffic" });
  bindRender(model, traffic, ["endpoints", "endpoint"], () => {
    const ep = model.get("endpoints").find((e) => e.name === model.get("endpoint"));
    if (!ep || !ep.deployments.length) return [];
    const inputs = ep.deployments.map((d) => h("input", { type: "number", min: 0, max: 100, size: 4,
      "data-deployment": d, value: String(ep.traffic?.[d] ?? 0), style: { width: "4em" } }));
    return [h("span", {}, "traffic "), ...ep.deployments.flatMap((d, i) => [` ${d} `, inputs[i], "%"]),
      h("button", { class: "aml-btn aml-set-traffic", onclick: () => request(model, "set_traffic", {
        traffic: Object.fromEntries(inputs.map((x) => [x.dataset.deployment, Number(x.value) || 0])) }) }, "Apply")];
  });
  bindRender(model, answer, ["response", "latency_ms", "busy"], () => {
    if (model.get("busy")) return h("span", { class: "aml-muted" }, "waiting…");
    const r = model.get("response");
    if (!r) return h("span", { class: "aml-muted" }, "No request sent yet.");
    return [h("div", {}, h("strong", {}, "Answer "), h("span", { class: "aml-latency" }, `${formatValue(model.get("latency_ms"))} ms`)),
      h("pre", { class: "aml-response" }, r)];
  });
  el.classList.add("aml-widget", "aml-endpoint-tester");
  el.append(chooser, traffic, h("div", { class: "aml-row" },
    h("div", {}, body, h("br"), h("button", { class: "aml-btn aml-send-json",
      onclick: () => request(model, "invoke", { body: body.value }) }, "Send JSON")),
    pad.el), answer, actionBox(model));
}
