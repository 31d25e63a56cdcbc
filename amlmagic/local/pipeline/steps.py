"""A pipeline step as a child job: its command-job spec, its output locations, and a reused step's
job folder.

Output locations (../shared/azureml-semantics-2.md section 1.2, "Outputs"): a step output without
a path goes to `azureml://datastores/<default datastore>/paths/azureml/<step job name>/<output>/`.
Our rule: the form with the `azureml/` segment, as the pipeline YAML reference writes it (the
other documented form leaves it out; no source settles which the service writes). A custom path
may use `${{name}}` (the step's job name), `${{output_name}}` and `${{default_datastore}}`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Mapping

from ...rules import REUSE_REASON, REUSED, REUSED_RUN
from ..jobs.state import job_dir, jobs_root
from ..osutil import write_json_atomic
from ..uploads import DEFAULT_DATASTORE
from ..workspace import current_user, now_iso
from .graph import Graph, Step

__all__ = ["output_uri", "step_spec", "record_reused_job", "default_datastore"]


def default_datastore(graph: Graph) -> str:
    name = str(graph.settings.get("default_datastore") or DEFAULT_DATASTORE)
    return name[len("azureml:"):] if name.startswith("azureml:") else name


def output_uri(graph: Graph, step: Step, output: str, job_name: str) -> str:
    """Where a step's output is written, as a URI the local workspace resolves (for a sweep
    step, `job_name` is its best trial: the trial's own output)."""
    if step.type == "sweep":
        return f"azureml://jobs/{job_name}/outputs/{output}"
    if output == "artifacts":
        return f"azureml://jobs/{job_name}/outputs/artifacts"
    settings = step.outputs.get(output) or {}
    datastore = default_datastore(graph)
    path = settings.get("path")
    if path:
        return (str(path).replace("${{name}}", job_name).replace("${{output_name}}", output)
                .replace("${{default_datastore}}", datastore))
    folder = f"azureml://datastores/{datastore}/paths/azureml/{job_name}/{output}"
    return f"{folder}/{output}" if settings.get("type") == "uri_file" else f"{folder}/"


def step_spec(graph: Graph, step: Step, job_name: str, produced: Mapping[str, Mapping[str, str]],
              experiment_name: str) -> dict:
    """The step as a command job's CLI v2 dict (what jobs/plan.py runs). `produced` maps each
    finished step to its outputs' URIs."""
    component = step.component
    declared = component.get("inputs") or {}
    inputs: dict[str, Any] = {}
    for name, binding in step.inputs.items():
        if binding[0] == "literal":
            if binding[1] is not None:
                inputs[name] = binding[1]
        elif binding[0] == "data":
            inputs[name] = dict(binding[1])
        else:
            _, producer, output = binding
            in_type = str((declared.get(name) or {}).get("type") or "uri_folder")
            inputs[name] = {"type": in_type, "path": produced[producer][output], "mode": "ro_mount"}
    # `artifacts` is the job's default output (what it writes to ./outputs), not one to place.
    outputs = {name: {"type": settings["type"], "path": output_uri(graph, step, name, job_name)}
               for name, settings in step.outputs.items() if name != "artifacts"}
    if step.type == "sweep":
        return _sweep_spec(step, inputs, outputs, experiment_name)
    spec: dict[str, Any] = {
        "type": "command", "command": component["command"], "environment": component.get("environment"),
        "inputs": inputs, "outputs": outputs, "display_name": step.key, "experiment_name": experiment_name,
    }
    if component.get("code"):
        spec["code"] = component["code"]
    for key in ("compute", "environment_variables", "limits", "resources", "distribution"):
        if step.run.get(key):
            spec[key] = step.run[key]
    for key in ("resources", "distribution"):  # the component's, unless the step overrides them (as on Azure)
        if component.get(key) and not spec.get(key):
            spec[key] = component[key]
    return spec


def _sweep_spec(step: Step, inputs: dict, outputs: dict, experiment_name: str) -> dict:
    """A sweep step as a sweep job: the trial is the component, its sampled inputs read from the
    search space (`${{inputs.x}}` -> `${{search_space.x}}`, as azure-ai-ml's Sweep node does);
    each trial writes its outputs in its own job (downstream steps read the best trial's)."""
    sweep = step.run["sweep"]
    command = step.component["command"]
    for key in sweep.get("search_space") or {}:
        command = command.replace(f"${{{{inputs.{key}}}}}", f"${{{{search_space.{key}}}}}")
    trial = {"command": command, "environment": step.component.get("environment")}
    for key in ("code", "distribution", "resources"):  # a distributed trial: the component's
        if step.component.get(key):
            trial[key] = step.component[key]
    spec: dict[str, Any] = {"type": "sweep", "trial": trial, "inputs": inputs, "display_name": step.key,
                            "outputs": {name: {"type": out["type"]} for name, out in outputs.items()},
                            "experiment_name": experiment_name, **sweep}
    for key in ("compute", "resources"):
        if step.run.get(key):
            spec[key] = step.run[key]
    return spec


def record_reused_job(root: Path, original: str, name: str, parent: str, spec: Mapping[str, Any],
                      reason: str) -> None:
    """A Completed child job standing for a reused step: Azure's reused step shows the original's
    status, outputs, logs and metrics and carries `azureml.isreused` / `azureml.reusedrunid`."""
    source = job_dir(root, original)
    # A sweep step's job has no plan of its own (its trials do).
    original_plan = json.loads((source / "plan.json").read_text()) if (source / "plan.json").is_file() else {}
    staging = jobs_root(root) / f".staging-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "artifacts").mkdir(parents=True)
    (staging / "outputs").mkdir()
    if (source / "code").is_dir():  # the original's snapshot: the code the outputs came from
        shutil.copytree(source / "code", staging / "code", symlinks=True)
    else:
        (staging / "code").mkdir()
    if (source / "user_logs").is_dir():
        shutil.copytree(source / "user_logs", staging / "user_logs")
    else:
        (staging / "user_logs").mkdir()
    stamp = now_iso()
    properties = {REUSED: "true", REUSED_RUN: original, REUSE_REASON: reason}
    write_json_atomic(staging / "record.json", {
        "spec": {**spec, "name": name},
        "meta": {"created_at": stamp, "created_by": current_user(), "base_path": str(root), "parent_job_name": parent,
                 "type": spec.get("type", "command"), "compute": original_plan.get("compute", {}).get("name"),
                 "properties": properties,
                 "reused_from": original},
    })
    if original_plan:
        write_json_atomic(staging / "plan.json", {**original_plan, "name": name, "parent_job_name": parent})
    write_json_atomic(staging / "status.json", {
        "status": "Completed", "start_time": stamp, "end_time": stamp, "exit_code": 0,
        "history": [["NotStarted", stamp], ["Completed", stamp]],
    })
    staging.rename(job_dir(root, name))
