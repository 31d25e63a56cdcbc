"""A pipeline job's graph, checked whole at submit (../shared/azureml-semantics-2.md section 1.2).

    graph = build_graph(store, spec, base_path)   # raises a one-line ValidationError, writes nothing

`spec` is the pipeline's CLI v2 dict as azure-ai-ml's `PipelineJob._to_dict()` gives it, for YAML
and `@dsl.pipeline` pipelines alike: every step has a `component` (an inline dict, anonymous for
inline command steps and `file:` references, or an `azureml:name[:version|@label]` reference).
The graph holds each step's command component resolved to a plain dict and each input as one of:

    ("literal", value)                 a number, string, boolean (or None: not given)
    ("data", {"type", "path", "mode"}) a data path, URI or asset reference
    ("output", step, output)           another step's output (a dependency)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ...errors import NotFoundError, ValidationError
from ...rules import parse_asset_ref
from ...rules.pipelines import parse_binding
from ..store import Store

__all__ = ["Step", "Graph", "build_graph", "unsupported_step", "LITERAL_TYPES", "SWEEP_FIELDS"]

LITERAL_TYPES = ("string", "integer", "number", "boolean")
_STEP_KEY = re.compile(r"^[a-z_][a-z\d_]*$")
_FOLDERISH = ("uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
_SERVERLESS = ("serverless", "azureml:serverless")
# What to do instead of a step type the local engine does not run (issue 14: parallel and nested
# pipelines are refused; spark, automl, import and data_transfer need Azure's services).
_ON_AZURE = "or run the pipeline on Azure (%aml connect --subscription <id> -g <group> -w <workspace>)"
_INSTEAD = {
    "parallel": "make it a command step that loops over its input's files (mini-batches), " + _ON_AZURE,
    "pipeline": "move the nested pipeline's steps into this pipeline's jobs:, " + _ON_AZURE,
}
SWEEP_FIELDS = ("search_space", "objective", "sampling_algorithm", "limits", "early_termination")


@dataclass
class Step:
    key: str
    component: dict  # command, code, environment, inputs, outputs, is_deterministic, name, version
    inputs: dict[str, tuple]  # component input -> ("literal", v) | ("data", {...}) | ("output", step, out)
    outputs: dict[str, dict]  # component output -> {"type", "mode", "path"?, "pipeline_output"?, "name"?, "version"?}
    run: dict  # compute, environment_variables, limits, resources, distribution
    type: str = "command"

    @property
    def depends(self) -> set[str]:
        return {b[1] for b in self.inputs.values() if b[0] == "output"}


@dataclass
class Graph:
    steps: dict[str, Step]
    settings: dict
    outputs: dict[str, dict] = field(default_factory=dict)  # pipeline outputs as declared

    def order(self) -> list[str]:
        """Step keys in an order where each comes after what it reads (declaration order otherwise)."""
        done: list[str] = []
        pending = list(self.steps)
        while pending:
            ready = [k for k in pending if self.steps[k].depends <= set(done)]
            if not ready:
                raise ValidationError(f"jobs: the steps {', '.join(sorted(pending))} bind each other's outputs in a "
                                      "cycle: a step can only read outputs of steps that do not read its own")
            done.extend(ready)
            pending = [k for k in pending if k not in ready]
        return done


def _local_or_ref(path: str) -> str:
    # azure-ai-ml's dict dump writes a local path or URL input as `azureml:./data`: the path is `./data`.
    if path.startswith("azureml:") and not path.startswith("azureml://") and (path[8:9] in (".", "/", "~") or "://" in path[8:]):
        return path[8:]
    return path


def _component(store: Store, where: str, component: Any, base: Path) -> dict:
    from ..uris import resolve_uri

    if isinstance(component, Mapping):
        resolved = dict(component)
    elif isinstance(component, str) and component.startswith("azureml:") and not component.startswith("azureml://"):
        ref = parse_asset_ref(component)
        version = ref.version if ref.version not in (None, "azureml_default") else _latest_component(store, ref.name)
        record = store.get_version("components", ref.name, str(version)) if version else None
        if record is None:
            raise NotFoundError(f"{where}.component: {component} not found: register it with %aml component create "
                                "or fix the reference")
        resolved = {**record["spec"], "name": ref.name, "version": str(version)}
        if resolved.get("code"):
            resolved["code"] = str(resolve_uri(store, resolved["code"]))
        return resolved
    else:
        raise ValidationError(f"{where}.component: {component!r} is not a component: give a file (./x.yml), an inline "
                              "component or azureml:name:version")
    if resolved.get("type", "command") != "command":
        raise unsupported_step(where, str(resolved.get("type")))
    if resolved.get("code"):
        code = Path(str(resolved["code"])).expanduser()
        resolved["code"] = str(code if code.is_absolute() else (base / code).resolve())
    return resolved


def unsupported_step(where: str, kind: str) -> ValidationError:
    """The one-line refusal of a step type that cannot run locally, saying what to do instead."""
    instead = _INSTEAD.get(kind, "use command or sweep steps, " + _ON_AZURE)
    return ValidationError(f"{where}: step type {kind!r} cannot run locally yet: {instead}")


def _latest_component(store: Store, name: str) -> str | None:
    archived = (store.get("components", name) or {}).get("archived")
    active = []
    for version in store.versions("components", name):
        record = store.get_version("components", name, version) or {}
        if not archived and not (record.get("meta") or {}).get("archived"):
            active.append(((record.get("meta") or {}).get("created_at", ""), version))
    return max(active)[1] if active else None


def _check_literal(where: str, declared: Mapping[str, Any], value: Any) -> None:
    kind = declared.get("type")
    if kind == "boolean" and not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
        raise ValidationError(f"{where}: Boolean parameter only accept True/False, got {value}.")
    if kind in ("integer", "number"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{where}: {value!r} is not a {kind}") from None
        if declared.get("min") is not None and number < float(declared["min"]):
            raise ValidationError(f"{where}: Parameter should not be less than {declared['min']}.")
        if declared.get("max") is not None and number > float(declared["max"]):
            raise ValidationError(f"{where}: Parameter should not be greater than {declared['max']}.")
    if declared.get("enum") and str(value) not in [str(e) for e in declared["enum"]]:
        raise ValidationError(f"{where}: {value!r} is not one of {', '.join(map(str, declared['enum']))}")


def _compatible(out_type: str, in_type: str) -> bool:
    if in_type in LITERAL_TYPES:
        return False
    if "uri_file" in (out_type, in_type):
        return out_type == in_type
    return out_type in _FOLDERISH and in_type in _FOLDERISH


def build_graph(store: Store, spec: Mapping[str, Any], base_path: Path) -> Graph:
    jobs = spec.get("jobs") or {}
    if not jobs:
        raise ValidationError("jobs: a pipeline needs at least one step under jobs:")
    settings = dict(spec.get("settings") or {})
    default_compute = settings.get("default_compute") or spec.get("compute")
    parent_inputs = spec.get("inputs") or {}
    parent_outputs = {k: dict(v or {}) if isinstance(v, Mapping) else {} for k, v in (spec.get("outputs") or {}).items()}
    steps: dict[str, Step] = {}
    nodes: dict[str, dict] = {}
    for key, node in jobs.items():
        where = f"jobs.{key}"
        if not _STEP_KEY.match(str(key)):
            raise ValidationError(f"{where}: step names must be lowercase Python identifiers (a-z, 0-9, _), not {key!r}")
        node = dict(node or {})
        kind = node.get("type") or "command"
        if kind not in ("command", "sweep"):
            raise unsupported_step(where, str(kind))
        component = _component(store, where, node.get("trial" if kind == "sweep" else "component"), base_path)
        compute = node.get("compute") or default_compute
        run = {"compute": None if compute in _SERVERLESS else compute}
        for field_name in ("environment_variables", "limits", "resources", "distribution"):
            if node.get(field_name):
                run[field_name] = node[field_name]
        if kind == "sweep":  # the trial's search-space inputs are sampled, not bound
            run["sweep"] = {k: node[k] for k in SWEEP_FIELDS if node.get(k)}
        steps[key] = Step(key, component, {}, {}, run, kind)
        nodes[key] = node
    for key, step in steps.items():  # a second pass: bindings may name later steps
        _bind_inputs(step, nodes[key].get("inputs") or {}, steps, parent_inputs)
        _bind_outputs(step, nodes[key].get("outputs") or {}, parent_outputs)
    graph = Graph(steps, settings, parent_outputs)
    graph.order()  # a cycle fails here
    return graph


def _bind_inputs(step: Step, given: Mapping[str, Any], steps: dict[str, Step], parent_inputs: Mapping[str, Any]) -> None:
    declared = step.component.get("inputs") or {}
    for name in given:
        if name not in declared:
            raise ValidationError(f"jobs.{step.key}.inputs.{name}: the component has no input {name!r} "
                                  f"(its inputs: {', '.join(declared) or 'none'})")
    sampled = set((step.run.get("sweep") or {}).get("search_space") or {})
    for name, decl in declared.items():
        if name in sampled:
            continue
        decl = dict(decl or {})
        where = f"jobs.{step.key}.inputs.{name}"
        value = given.get(name)
        binding = parse_binding(value)
        if binding is not None:
            kind, parts = binding
            if kind == "inputs":
                if parts[0] not in parent_inputs:
                    raise ValidationError(f"{where}: binds parent.inputs.{parts[0]}, which the pipeline does not declare")
                value = parent_inputs[parts[0]]
            elif kind == "jobs":
                if len(parts) != 3 or parts[1] != "outputs" or parts[0] not in steps:
                    raise ValidationError(f"{where}: binds {'.'.join(parts)}: no such step output "
                                          f"(steps: {', '.join(steps)})")
                producer = steps[parts[0]]
                out_decl = (producer.component.get("outputs") or {}).get(parts[2])
                if out_decl is None and parts[2] != "artifacts":
                    raise ValidationError(f"{where}: step {parts[0]} has no output {parts[2]!r} "
                                          f"(its outputs: {', '.join(producer.component.get('outputs') or {}) or 'none'})")
                out_type = str((out_decl or {}).get("type") or "uri_folder")
                in_type = str(decl.get("type") or "uri_folder")
                if not _compatible(out_type, in_type):
                    raise ValidationError(f"{where}: {in_type} input cannot take {parts[0]}.outputs.{parts[2]}, "
                                          f"a {out_type} output")
                step.inputs[name] = ("output", parts[0], parts[2])
                continue
            else:
                raise ValidationError(f"{where}: an input cannot bind parent.outputs; bind an output to it instead")
        if isinstance(value, Mapping) and "path" in value:
            data = {"type": value.get("type") or decl.get("type") or "uri_folder",
                    "path": _local_or_ref(str(value["path"])), "mode": value.get("mode") or "ro_mount"}
            step.inputs[name] = ("data", data)
            continue
        if isinstance(value, Mapping):  # {type, default} or {value}
            value = value.get("value", value.get("default"))
        if value is None:
            value = decl.get("default")
        if value is None:
            if not decl.get("optional"):
                raise ValidationError(f"{where}: Required input {name!r} for step {step.key} not provided: "
                                      "bind it or give it a value")
            step.inputs[name] = ("literal", None)
            continue
        if decl.get("type") == "boolean" and type(value) is int and value in (0, 1):
            value = bool(value)  # azure-ai-ml's dict dump writes False as 0
        if str(decl.get("type") or "") in LITERAL_TYPES:
            _check_literal(where, decl, value)
            step.inputs[name] = ("literal", value)
        else:
            step.inputs[name] = ("data", {"type": decl.get("type") or "uri_folder", "path": _local_or_ref(str(value)),
                                          "mode": "ro_mount"})


def _bind_outputs(step: Step, given: Mapping[str, Any], parent_outputs: dict[str, dict]) -> None:
    declared = step.component.get("outputs") or {}
    for name in given:
        if name not in declared and name != "artifacts":
            raise ValidationError(f"jobs.{step.key}.outputs.{name}: the component has no output {name!r} "
                                  f"(its outputs: {', '.join(declared) or 'none'})")
    for name, decl in declared.items():
        value = given.get(name)
        out = {"type": str((decl or {}).get("type") or "uri_folder"), "mode": "rw_mount"}
        binding = parse_binding(value)
        if binding is not None:
            kind, parts = binding
            if kind != "outputs" or len(parts) != 1:
                raise ValidationError(f"jobs.{step.key}.outputs.{name}: binds {'.'.join(parts)}: a step output "
                                      "binds parent.outputs.<name>")
            # An output declared with no fields (`name:`) is dropped by azure-ai-ml's dict dump.
            parent_outputs.setdefault(parts[0], {"type": out["type"]})
            settings = parent_outputs[parts[0]]
            out.update({k: v for k, v in settings.items() if k in ("mode", "path", "name", "version") and v})
            out["pipeline_output"] = parts[0]
        elif isinstance(value, Mapping):
            out.update({k: v for k, v in value.items() if k in ("mode", "path", "name", "version") and v})
        step.outputs[name] = out
