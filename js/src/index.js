// One bundle for every amlmagic widget; the Python class names its view in the `_kind` trait.
import "./styles.css";
import { renderJobMonitor, sharedPoints } from "./job_monitor.js";
import { renderSweepMonitor } from "./sweep_monitor.js";
import { renderComputePicker } from "./compute_picker.js";
import { renderEndpointTester } from "./endpoint_tester.js";
import { renderWorkspaceExplorer } from "./workspace_explorer.js";
import { renderDataBrowser } from "./data_browser.js";
import { renderEnvironmentBuilder } from "./environment_builder.js";
import { renderPipelineGraph } from "./pipeline_graph.js";
import { renderLineageGraph } from "./lineage_graph.js";
import { renderMaturityTable } from "./maturity_table.js";

const VIEWS = {
  job_monitor: renderJobMonitor,
  sweep_monitor: renderSweepMonitor,
  compute_picker: renderComputePicker,
  endpoint_tester: renderEndpointTester,
  workspace_explorer: renderWorkspaceExplorer,
  data_browser: renderDataBrowser,
  environment_builder: renderEnvironmentBuilder,
  pipeline_graph: renderPipelineGraph,
  lineage_graph: renderLineageGraph,
  maturity_table: renderMaturityTable,
};

function render({ model, el }) {
  const view = VIEWS[model.get("_kind")];
  if (!view) {
    el.textContent = `amlmagic: unknown widget kind ${model.get("_kind")}`;
    return undefined;
  }
  return view({ model, el });
}

// Monitors start gathering points as soon as their model exists, before any view renders.
function initialize({ model }) {
  if (["job_monitor", "sweep_monitor"].includes(model.get("_kind"))) sharedPoints(model);
}

export default { initialize, render };
