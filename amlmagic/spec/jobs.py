"""Jobs <-> CLI v2 YAML dicts, faithfully (azure-ai-ml's own dump is not: local inputs become
`azureml:./data`, code paths come out absolute, `Command.dump()` writes a component block).

    spec = job_to_spec(job)               # what `load_job` accepts; paths stay as the user wrote them
    job = spec_to_job(spec, base_path)    # an azure-ai-ml entity (Command, SweepJob, ...)

`job_to_spec` reads what the entity holds, so `--set` overrides applied by `load_job`'s
params_override are kept. Relative paths (code, local inputs) are relative to the job's
`_base_path` (the folder of its YAML); pass the same folder back to `spec_to_job`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

__all__ = ["job_to_spec", "spec_to_job", "environment_to_spec", "SCHEMAS"]

SCHEMAS = {
    "command": "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json",
    "sweep": "https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json",
}
_LITERAL_TYPES = ("string", "integer", "number", "boolean")
_ASSET_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(:[A-Za-z0-9_.\-]+|@[A-Za-z0-9_.\-]+)$")
_COMMON = ("name", "display_name", "experiment_name", "description", "compute")


def _plain(value: Any) -> Any:
    """OrderedDicts and tuples as JSON-able dicts and lists."""
    return json.loads(json.dumps(value, default=str))


def _ref(text: str) -> str:
    text = str(text)
    return text if text.startswith("azureml:") or text.startswith("/subscriptions/") else f"azureml:{text}"


def environment_to_spec(env: Any) -> Any:
    """A reference string (`azureml:name:version`, `azureml:name@latest`, registry URI) or an
    inline {image, conda_file, build} dict."""
    if env is None or isinstance(env, str):
        return None if env in (None, "") else _ref(env)
    name, version = getattr(env, "name", None), getattr(env, "version", None)
    anonymous = not name or str(name).startswith("CliV2AnonymousEnvironment")
    inline: dict[str, Any] = {}
    if getattr(env, "image", None):
        inline["image"] = env.image
    if getattr(env, "conda_file", None):
        inline["conda_file"] = _plain(env.conda_file) if isinstance(env.conda_file, dict) else str(env.conda_file)
    build = getattr(env, "build", None)
    if build is not None:
        inline["build"] = {"path": str(build.path)}
        if getattr(build, "dockerfile_path", None):
            inline["build"]["dockerfile_path"] = build.dockerfile_path
    if not anonymous and version:
        return f"azureml:{name}:{version}"
    return inline or None


def _code_to_spec(code: Any) -> str | None:
    if code is None:
        return None
    path = getattr(code, "path", None)
    return str(path if path is not None else code)


def _input_path(path: str) -> str:
    """`load_job` strips `azureml:` from asset references (`azureml:data:1` -> `data:1`): put it
    back, so the spec reads as the user wrote it. A bare `name:version` or `name@label` with no
    folder part is taken as an asset reference (our rule; local paths are written `./name`)."""
    if path.startswith("/subscriptions/") or _ASSET_REF.match(path):
        return f"azureml:{path}"
    return path


def _input_to_spec(value: Any) -> Any:
    data = getattr(value, "_data", value)  # a pipeline node's NodeInput wraps the Input or literal
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    input_type = getattr(data, "type", None)
    if input_type in _LITERAL_TYPES or (getattr(data, "path", None) is None and hasattr(data, "default")):
        return getattr(data, "default", None)
    out = {"type": input_type or "uri_folder", "path": _input_path(str(data.path))}
    if getattr(data, "mode", None):
        out["mode"] = data.mode
    if getattr(data, "optional", None):
        out["optional"] = True
    return out


def _output_to_spec(value: Any) -> dict:
    data = getattr(value, "_data", value)
    if data is None or isinstance(data, str):
        return {"type": "uri_folder"}
    out = {"type": getattr(data, "type", None) or "uri_folder"}
    for field in ("path", "mode"):
        if getattr(data, field, None):
            out[field] = str(getattr(data, field))
    return out


def _common(job: Any) -> dict:
    spec: dict[str, Any] = {}
    for field in _COMMON:
        value = getattr(job, field, None)
        if value not in (None, ""):
            spec[field] = _ref(value) if field == "compute" and value != "local" else value
    if getattr(job, "tags", None):
        spec["tags"] = {str(k): str(v) for k, v in job.tags.items()}
    inputs = {k: _input_to_spec(v) for k, v in (getattr(job, "inputs", None) or {}).items()}
    if inputs:
        spec["inputs"] = inputs
    outputs = {
        k: _output_to_spec(v) for k, v in (getattr(job, "outputs", None) or {}).items()
        if k != "default"
    }
    if outputs:
        spec["outputs"] = outputs
    return spec


def _distribution_to_spec(dist: Any) -> dict | None:
    """`distribution:` as written: {type, process_count_per_instance} or {type, worker_count,
    parameter_server_count} (an entity's public fields, or the dict `command(...)` was given)."""
    if dist is None:
        return None
    raw = dist if isinstance(dist, dict) else {k: v for k, v in vars(dist).items() if not k.startswith("_")}
    return {k: _plain(v) for k, v in raw.items() if v is not None} or None


def _resources_to_spec(resources: Any) -> dict | None:
    """`resources:` as written (instance_count, instance_type, shm_size, ..., properties)."""
    if resources is None:
        return None
    raw = resources if isinstance(resources, dict) else {
        k.lstrip("_"): v for k, v in vars(resources).items() if not k.startswith("_") or k == "_properties"}
    return {k: _plain(v) for k, v in raw.items() if v not in (None, {}, [])} or None


def _command_fields(job: Any) -> dict:
    spec: dict[str, Any] = {"command": job.command}
    code = _code_to_spec(getattr(job, "code", None))
    if code:
        spec["code"] = code
    env = environment_to_spec(getattr(job, "environment", None))
    if env:
        spec["environment"] = env
    if getattr(job, "environment_variables", None):
        spec["environment_variables"] = {str(k): str(v) for k, v in job.environment_variables.items()}
    for field, value in (("distribution", _distribution_to_spec(getattr(job, "distribution", None))),
                         ("resources", _resources_to_spec(getattr(job, "resources", None)))):
        if value:
            spec[field] = value
    return spec


def _sweep_fields(job: Any) -> dict:
    raw = _plain(job._to_dict())
    spec: dict[str, Any] = {"trial": _command_fields(job.trial)}
    for field in ("search_space", "sampling_algorithm", "objective", "limits", "early_termination"):
        if raw.get(field) not in (None, {}):
            spec[field] = raw[field]
    resources = _resources_to_spec(raw.get("resources"))
    if resources:
        spec["resources"] = resources
    # The YAML schema requires limits; a sweep built in Python may have none: Azure's default.
    spec.setdefault("limits", {"max_total_trials": 1000})
    policy = spec.get("early_termination")
    if isinstance(policy, dict):  # the SDK fills the unused slack with 0: keep exactly one
        if policy.get("slack_factor") and not policy.get("slack_amount"):
            policy.pop("slack_amount", None)
        elif policy.get("slack_amount") and not policy.get("slack_factor"):
            policy.pop("slack_factor", None)
    return spec


def _bind_inputs_to_search_space(spec: dict) -> None:
    """`command(..., inputs={"lr": 0.1})(lr=Choice(...)).sweep()` leaves input `lr` unset and the
    trial command saying `${{inputs.lr}}`; Azure runs `${{search_space.lr}}` there (azure-ai-ml's
    Sweep._to_job does this rewrite), and CLI v2 YAML can only say it that way."""
    space = spec.get("search_space") or {}
    inputs = spec.get("inputs") or {}
    trial = spec.get("trial") or {}
    for key in space:
        if isinstance(trial.get("command"), str):
            trial["command"] = trial["command"].replace(f"${{{{inputs.{key}}}}}", f"${{{{search_space.{key}}}}}")
        if key in inputs and inputs[key] in (None, {"type": "uri_folder"}):
            del inputs[key]
    if "inputs" in spec and not inputs:
        del spec["inputs"]


def job_to_spec(job: Any) -> dict:
    """A CLI v2 YAML dict of a command or sweep job that `load_job` accepts and that round-trips."""
    job_type = getattr(job, "type", None) or "command"
    if job_type == "pipeline":
        from .pipelines import pipeline_to_spec

        return pipeline_to_spec(job)
    spec: dict[str, Any] = {"$schema": SCHEMAS.get(job_type, SCHEMAS["command"]), "type": job_type}
    spec.update(_common(job))
    if job_type == "sweep":
        spec.update(_sweep_fields(job))
        _bind_inputs_to_search_space(spec)
    else:
        spec.update(_command_fields(job))
        limits = getattr(job, "limits", None)
        if getattr(limits, "timeout", None):
            spec["limits"] = {"timeout": int(limits.timeout)}
    return spec


def spec_to_job(spec: dict, base_path: str | Path, params_override: list | None = None) -> Any:
    """The azure-ai-ml entity `load_job` makes of the spec, with relative paths under base_path."""
    import yaml
    from azure.ai.ml import load_job

    spec = _plain(spec)
    if spec.get("type") == "pipeline":
        from .pipelines import LOCAL_ONLY_KEYS

        for step in (spec.get("jobs") or {}).values():
            if step.get("component_ref"):  # a registered component: named, as the user wrote it
                step["trial" if step.get("type") == "sweep" else "component"] = step["component_ref"]
            for key in LOCAL_ONLY_KEYS:
                step.pop(key, None)
    # The schema requires an environment, but `command(...)` built in Python may have none (the
    # local backend then uses the current Python): load with a stand-in, then clear it.
    body = spec.get("trial", spec) if spec.get("type") == "sweep" else spec
    missing_env = spec.get("type") != "pipeline" and isinstance(body, dict) and not body.get("environment")
    if missing_env:
        body["environment"] = "azureml:none@latest"
    text = yaml.safe_dump(spec, sort_keys=False)
    origin = Path(base_path).resolve() / "job.yml"  # load_job takes paths relative to a YAML's folder
    job = load_job(io.StringIO(text), relative_origin=str(origin), params_override=params_override or [])
    if missing_env:
        (job.trial if spec.get("type") == "sweep" else job).environment = None
    return job
