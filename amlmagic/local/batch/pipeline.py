"""Pipeline component deployments (`type: pipeline`, ../shared/azureml-semantics-2.md 2.2, 2.4):
invoking one runs its pipeline component as a pipeline job on the local pipeline engine
(amlmagic/local/pipeline/), with the deployment's `settings` as the job's settings and the
invocation's inputs (`--set inputs.x.type=... inputs.x.path=...`, `--file inputs.yml`, or
`inputs={...}`), defaults filled from the component.

The component is kept whole in the deployment's record (its steps' code as absolute folders):
an inline component, or a component YAML path. Our rule: a registered pipeline component cannot
be used locally (`%aml component create` registers command components); the error says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import UnsupportedError, ValidationError

__all__ = ["pipeline_deployment_record", "invoke_pipeline"]


def _component(deployment: Any, base: Path) -> Any:
    component = getattr(deployment, "component", None)
    if isinstance(component, str):
        path = Path(component.removeprefix("file:"))
        path = path if path.is_absolute() else base / path
        if component.endswith((".yml", ".yaml")) and path.is_file():
            from azure.ai.ml import load_component

            return load_component(str(path))
        raise UnsupportedError(f"component {component}: registered pipeline components are not available locally; "
                               "give the component inline (component: with type: pipeline and jobs:) or its YAML path")
    if component is None:
        if getattr(deployment, "job_definition", None) is not None:
            raise UnsupportedError("job_definition deployments are not available locally: give component:")
        raise ValidationError(f"deployment {deployment.name} has no component: a pipeline deployment needs one")
    if getattr(component, "type", None) != "pipeline":
        raise ValidationError(f"component {getattr(component, 'name', '')}: a pipeline deployment takes a pipeline "
                              f"component, not a {getattr(component, 'type', None)} one")
    return component


def pipeline_deployment_record(client: Any, deployment: Any, name: str, endpoint: str, base: Path) -> dict:
    import json

    component = _component(deployment, base)
    as_dict = json.loads(json.dumps(component._to_dict(), default=str))
    settings = {str(k): v for k, v in (getattr(deployment, "settings", None) or {}).items()}
    compute = settings.get("default_compute")
    if compute:
        from ..jobs.plan import resolve_compute

        resolve_compute(client.workspace.store, compute)
    ref = getattr(deployment, "component", None)
    return {"spec": {"name": name, "endpoint_name": endpoint, "type": "pipeline",
                     "description": getattr(deployment, "description", None),
                     "tags": dict(getattr(deployment, "tags", None) or {}), "settings": settings,
                     "component_ref": ref if isinstance(ref, str) else f"{as_dict.get('name')}:{as_dict.get('version')}",
                     "component": as_dict},
            "run": {"base_path": str(getattr(component, "_base_path", None) or base)}}


def _plain_io(value: Any) -> Any:
    if isinstance(value, dict) or value is None or isinstance(value, (str, int, float, bool)):
        return value
    fields = {k: getattr(value, k, None) for k in ("type", "path", "mode")}
    return {k: str(v) for k, v in fields.items() if v is not None}


def _apply_overrides(io: dict, params_override: list) -> None:
    """`--set inputs.x.path=...` (and outputs.x...) as `params_override` gives them."""
    for item in params_override:
        for key, value in dict(item).items():
            parts = key.split(".")
            if parts[0] not in ("inputs", "outputs") or len(parts) < 2:
                raise ValidationError(f"{key} cannot be set on a pipeline deployment's job: use inputs.<name>... "
                                      "or outputs.<name>...")
            target = io.setdefault(parts[0], {})
            if len(parts) == 2:
                target[parts[1]] = value
            else:
                entry = target.setdefault(parts[1], {})
                entry[parts[2]] = value


def invoke_pipeline(client: Any, record: dict, *, inputs: dict, input: Any, outputs: dict | None,
                    params_override: list, job_name: str | None, experiment_name: str | None) -> str:
    from ..pipeline.controller import submit_pipeline

    spec, component = record["spec"], record["spec"]["component"]
    io: dict = {"inputs": {k: _plain_io(v) for k, v in (inputs or {}).items()},
                "outputs": {k: _plain_io(v) for k, v in (outputs or {}).items()}}
    if input is not None:
        declared = list(component.get("inputs") or {})
        if len(declared) != 1:
            raise ValidationError(f"pipeline component {component.get('name')} takes {len(declared)} inputs: give "
                                  "them by name (--set inputs.<name>.path=... or -f inputs.yml)")
        io["inputs"][declared[0]] = _plain_io(input)
    _apply_overrides(io, params_override)
    for key, declared in (component.get("inputs") or {}).items():
        if key not in io["inputs"] and isinstance(declared, dict) and "default" in declared:
            io["inputs"][key] = declared["default"]
    unknown = sorted(set(io["inputs"]) - set(component.get("inputs") or {}))
    if unknown:
        raise ValidationError(f"pipeline component {component.get('name')} has no input {unknown[0]!r}: its inputs are "
                              f"{', '.join(component.get('inputs') or {}) or 'none'}")
    settings = dict(spec.get("settings") or {})
    compute = settings.get("default_compute")
    if compute and compute != "serverless" and not str(compute).startswith("azureml:"):
        settings["default_compute"] = f"azureml:{compute}"  # the deployment YAML names it bare
    job = {"type": "pipeline", "display_name": spec["name"],
           "experiment_name": experiment_name or spec["endpoint_name"], "settings": settings, "jobs": component.get("jobs") or {},
           **{k: v for k, v in io.items() if v}}
    return submit_pipeline(client.workspace.root, job, name=job_name, base_path=record["run"]["base_path"],
                           meta={"batch_endpoint": spec["endpoint_name"], "batch_deployment": spec["name"]})
