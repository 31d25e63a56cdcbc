// Environment builder: base image, conda and pip packages, a live YAML preview, create, build log.
import { h, bindRender, actionBox, request } from "./common.js";

export function renderEnvironmentBuilder({ model, el }) {
  const field = (key, tag = "input", attrs = {}) => {
    const input = h(tag, { class: `aml-in-${key}`, ...attrs });
    input.value = model.get(key);
    input.addEventListener("input", () => { model.set(key, input.value); model.save_changes(); });
    model.on(`change:${key}`, () => { if (input.value !== model.get(key)) input.value = model.get(key); });
    return input;
  };
  const yaml = h("pre", { class: "aml-yaml" });
  bindRender(model, yaml, ["yaml_preview"], () => model.get("yaml_preview"));
  const build = h("div");
  bindRender(model, build, ["build_status", "build_log"], () => [
    h("div", {}, "Build: ", h("span", { class: "aml-build-status" }, model.get("build_status") || "not started")),
    h("pre", { class: "aml-log" }, model.get("build_log")),
  ]);
  el.classList.add("aml-widget", "aml-environment-builder");
  el.append(h("div", { class: "aml-row" },
    h("div", { class: "aml-form-col" },
      h("label", {}, "name ", field("name")), h("label", {}, "version ", field("version")),
      h("label", {}, "base image ", field("image", "input", { size: 50 })),
      h("label", {}, "conda packages (one a line)", field("conda_packages", "textarea", { rows: 4 })),
      h("label", {}, "pip packages (one a line)", field("pip_packages", "textarea", { rows: 4 })),
      h("button", { class: "aml-btn aml-create", onclick: () => request(model, "create") }, "Create")),
    yaml), build, actionBox(model));
}
