"""One exported YAML: the entity's CLI v2 dict with its paths made relative (content copied or
referred to through a `Placer`), local-only things turned into what Azure needs, no secrets.

What deploy.sh must add at create time is kept beside the dict: `sets` (`--set key=value`,
values may name shell variables), `secrets` (environment variables left out, set from the
shell), `links` (a model path or job input that is the output of an exported job: that job's
name is only known once deploy.sh has submitted it again, see `references.JobLink`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..rules import LOCAL_COMPUTE, strip_azureml_prefix
from ..spec.assets import asset_to_spec, is_secret_name
from ..spec.batch import batch_to_spec
from ..spec.components import component_to_spec
from .files import Placer, local_content, original_job_code, registered_source
from .jobspec import job_spec
from .references import JobLink, job_output_ref
from .trail import TrailItem

__all__ = ["Exported", "build_yaml", "PLACEHOLDER_COMPUTE", "dump_yaml"]

# The local compute has no Azure twin: jobs name this cluster, and deploy.sh's $COMPUTE replaces it.
PLACEHOLDER_COMPUTE = "cpu-cluster"


@dataclass
class Exported:
    item: TrailItem
    spec: dict
    sets: list[tuple[str, str]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    links: list[JobLink] = field(default_factory=list)  # paths deploy.sh points at a re-submitted job
    args: list[str] | None = None  # an action without a YAML (a batch invocation): deploy.sh's arguments


def dump_yaml(spec: dict) -> str:
    import yaml

    return yaml.safe_dump(spec, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _content(client: Any, item: TrailItem, path: Any, base: str | None, prefer_source: bool) -> Path | None:
    """The local content of a data/model path: the workspace's registered copy, or the original
    path it was registered from (`meta.source`) when that still exists."""
    entity = item.entity
    source = registered_source(client, item.kind, entity.name, entity.version) if item.kind in ("data", "model") else None
    workspace = local_content(client, path, base)
    candidates = (source, workspace) if prefer_source else (workspace, source)
    return next((c for c in candidates if c is not None), None)


def _relocate(placer: Placer, client: Any, path: Any, base: str | None, name: str | None = None) -> Any:
    """A path made relative to the YAML, or left as it is when it names something Azure has."""
    found = local_content(client, path, base)
    return placer.place(found, name) if found is not None else path


def _environment(placer: Placer, client: Any, env: Any, base: str | None, conda_name: str) -> Any:
    """An inline environment dict with its conda file and build context beside the YAML."""
    if not isinstance(env, dict):
        return env
    env = dict(env)
    conda = env.get("conda_file")
    if isinstance(conda, dict):
        env["conda_file"] = placer.write(conda_name, dump_yaml(conda))
    elif conda:
        env["conda_file"] = _relocate(placer, client, conda, base)
    if isinstance(env.get("build"), dict):
        env["build"] = {**env["build"], "path": _relocate(placer, client, env["build"]["path"], base)}
    return env


def _without_secrets(variables: dict | None, prefix: str, out: Exported) -> dict | None:
    if not variables:
        return variables
    kept = {}
    for name, value in variables.items():
        if is_secret_name(name):
            out.secrets.append(name)
            out.sets.append((f"{prefix}environment_variables.{name}", f"${name}"))
        else:
            kept[name] = value
    return kept or None


def _link(out: Exported, set_key: str, path: Any, jobs: dict[str, str], for_azure: bool) -> bool:
    """Keep a reference to an exported job's output (deploy.sh passes the new job's name) rather
    than copy the content; True when kept. A job that is not exported is not re-run, so its
    output is copied instead (the caller's fallback)."""
    ref = job_output_ref(path)
    if not for_azure or ref is None or ref[0] not in jobs:
        return False
    out.links.append(JobLink(set_key, jobs[ref[0]], ref[1]))
    return True


def _put(spec: dict, key: str, value: Any) -> None:
    if value in (None, {}, ""):
        spec.pop(key, None)
    else:
        spec[key] = value


def _job(out: Exported, placer: Placer, client: Any, jobs: dict[str, str], for_azure: bool, conda_name: str) -> None:
    spec, item = out.spec, out.item
    base = getattr(item.entity, "_base_path", None) or item.base_path
    spec.pop("name", None)  # a job name is used once: a re-submit gets a new one (deploy.sh captures it)
    if for_azure:
        if strip_azureml_prefix(str(spec.get("compute") or "")) in ("", LOCAL_COMPUTE):
            spec["compute"] = f"azureml:{PLACEHOLDER_COMPUTE}"
            out.sets.append(("compute", "azureml:$COMPUTE"))
    command = spec.get("trial") if spec.get("type") == "sweep" else spec
    prefix = "trial." if command is not spec else ""
    if command is not None:
        if command.get("code"):
            # copied: the snapshot that ran; referred to: the folder the user wrote, if still there
            original = None if placer.copy else original_job_code(client, item.entity.name)
            found = original or local_content(client, command["code"], base)
            if found is not None:
                command["code"] = placer.place(found)
        _put(command, "environment", _environment(placer, client, command.get("environment"), base, conda_name))
        _put(command, "environment_variables", _without_secrets(command.get("environment_variables"), prefix, out))
    for input_name, value in (spec.get("inputs") or {}).items():
        if isinstance(value, dict) and value.get("path"):
            if _link(out, f"inputs.{input_name}.path", value["path"], jobs, for_azure):
                continue  # the YAML keeps the local job's URI: it loads, and deploy.sh overrides it
            found = local_content(client, value["path"], base)
            if found is not None:
                value["path"] = placer.place(found, f"inputs/{input_name}/{found.name}")


def _component_file(placer: Placer, client: Any, component: dict, relative: str, base: str | None) -> str:
    """An inline component of a pipeline step written as its own YAML (`relative` to the
    pipeline's), its code beside it; the step then names the file."""
    spec = component_to_spec(component)
    folder = Placer(placer.yaml_dir / Path(relative).parent, copy=placer.copy, exclude=placer.exclude)
    if spec.get("code"):
        found = local_content(client, spec["code"], base)
        if found is not None:
            spec["code"] = folder.place(found)
    _put(spec, "environment", _environment(folder, client, spec.get("environment"), base,
                                           f"{Path(relative).stem}-conda.yml"))
    return placer.write(relative, dump_yaml(spec))


def _pipeline(out: Exported, placer: Placer, client: Any, jobs: dict[str, str], for_azure: bool) -> None:
    """A pipeline job: each inline component as its own file (`components/<step>.yml`), registered
    ones by reference, local data beside the YAML, the local compute as deploy.sh's $COMPUTE."""
    spec, item = out.spec, out.item
    base = getattr(item.entity, "_base_path", None) or item.base_path
    spec.pop("name", None)
    settings = spec.get("settings") or {}
    if for_azure and strip_azureml_prefix(str(settings.get("default_compute") or "")) in ("", LOCAL_COMPUTE):
        spec["settings"] = {**settings, "default_compute": f"azureml:{PLACEHOLDER_COMPUTE}"}
        out.sets.append(("settings.default_compute", "azureml:$COMPUTE"))
    for name, value in (spec.get("inputs") or {}).items():
        if isinstance(value, dict) and value.get("path"):
            found = local_content(client, value["path"], base)
            if found is not None:
                value["path"] = placer.place(found, f"inputs/{name}/{found.name}")
    for key, step in (spec.get("jobs") or {}).items():
        if for_azure and strip_azureml_prefix(str(step.get("compute") or "")) == LOCAL_COMPUTE:
            step.pop("compute")  # the pipeline's default compute ($COMPUTE) runs it
        field_name = "trial" if step.get("type") == "sweep" else "component"
        if isinstance(step.get(field_name), dict):
            step[field_name] = _component_file(placer, client, step[field_name], f"components/{key}.yml", base)
        for input_name, value in (step.get("inputs") or {}).items():
            if isinstance(value, dict) and value.get("path") and not str(value["path"]).startswith("${{"):
                if _link(out, f"jobs.{key}.inputs.{input_name}.path", value["path"], jobs, for_azure):
                    continue
                found = local_content(client, value["path"], base)
                if found is not None:
                    value["path"] = placer.place(found, f"inputs/{key}/{input_name}/{found.name}")


def _component(out: Exported, placer: Placer, client: Any) -> None:
    spec, item = out.spec, out.item
    base = getattr(item.entity, "_base_path", None) or item.base_path
    if spec.get("code"):
        found = local_content(client, spec["code"], base)
        if found is not None:
            spec["code"] = placer.place(found)
    _put(spec, "environment", _environment(placer, client, spec.get("environment"), base, "conda.yml"))


def _asset(out: Exported, placer: Placer, client: Any, jobs: dict[str, str], for_azure: bool, conda_name: str) -> None:
    spec, item = out.spec, out.item
    base = getattr(item.entity, "_base_path", None) or item.base_path
    kind = item.kind
    if kind in ("data", "model"):
        path = str(spec["path"])
        if kind == "model" and _link(out, "path", path, jobs, for_azure):
            return
        found = _content(client, item, path, base, prefer_source=not placer.copy)
        if found is not None:
            spec["path"] = placer.place(found)
    elif kind == "environment":
        spec.update(_environment(placer, client, {k: spec[k] for k in ("conda_file", "build") if k in spec},
                                 base, conda_name))
    elif kind == "datastore" and spec.get("account_name") == "local" and for_azure:
        spec["account_name"] = "mystorageaccount"  # a local folder datastore: deploy.sh's $STORAGE_ACCOUNT
        out.sets.append(("account_name", "$STORAGE_ACCOUNT"))
    elif kind == "online-deployment":
        model = spec.get("model")
        if isinstance(model, dict) and model.get("path"):
            model["path"] = _relocate(placer, client, model["path"], base)
        code = spec.get("code_configuration")
        if code:
            code["code"] = _relocate(placer, client, code["code"], base)
        _put(spec, "environment", _environment(placer, client, spec.get("environment"), base, conda_name))
        _put(spec, "environment_variables", _without_secrets(spec.get("environment_variables"), "", out))


_PIPELINE_COMPONENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json"


def _batch_deployment(out: Exported, placer: Placer, client: Any, for_azure: bool, conda_name: str) -> None:
    """A batch deployment: code, model and conda file beside it, the local compute as deploy.sh's
    $COMPUTE; a pipeline deployment's inline component as `component.yml`, its steps' inline
    components as `components/<step>.yml`."""
    spec, item = out.spec, out.item
    base = getattr(item.entity, "_base_path", None) or item.base_path
    settings = spec.get("settings") or {}
    local = (lambda compute: strip_azureml_prefix(str(compute or "")) in ("", LOCAL_COMPUTE))
    if spec["type"] == "pipeline":
        if for_azure and "default_compute" in settings and local(settings["default_compute"]):
            spec["settings"] = {**settings, "default_compute": f"azureml:{PLACEHOLDER_COMPUTE}"}
            out.sets.append(("settings.default_compute", "azureml:$COMPUTE"))
        component = spec.get("component")
        if isinstance(component, dict):
            component = {**component, "$schema": _PIPELINE_COMPONENT_SCHEMA}
            for key, step in (component.get("jobs") or {}).items():
                if isinstance(step.get("component"), dict):
                    step["component"] = _component_file(placer, client, step["component"], f"components/{key}.yml", base)
            spec["component"] = placer.write("component.yml", dump_yaml(component))
        return
    if for_azure and local(spec.get("compute")):
        spec["compute"] = f"azureml:{PLACEHOLDER_COMPUTE}"
        out.sets.append(("compute", "azureml:$COMPUTE"))
    model = spec.get("model")
    if isinstance(model, dict) and model.get("path"):
        model["path"] = _relocate(placer, client, model["path"], base)
    if spec.get("code_configuration"):
        spec["code_configuration"]["code"] = _relocate(placer, client, spec["code_configuration"]["code"], base)
    _put(spec, "environment", _environment(placer, client, spec.get("environment"), base, conda_name))
    if settings.get("environment_variables"):
        _put(settings, "environment_variables", _without_secrets(settings["environment_variables"], "settings.", out))


def build_yaml(item: TrailItem, placer: Placer, client: Any, *, jobs: dict[str, str] | None = None,
               for_azure: bool = True, conda_name: str = "conda.yml") -> Exported:
    """`jobs` maps local job names to the exported ones: models and job inputs from their outputs
    keep the reference and wait for them."""
    if item.kind == "job" and getattr(item.entity, "type", None) == "pipeline":
        out = Exported(item, copy.deepcopy(job_spec(item.entity)))
        _pipeline(out, placer, client, jobs or {}, for_azure)
    elif item.kind == "job":
        out = Exported(item, copy.deepcopy(job_spec(item.entity)))
        _job(out, placer, client, jobs or {}, for_azure, conda_name)
    elif item.kind == "component":
        out = Exported(item, component_to_spec(item.entity))
        _component(out, placer, client)
    elif item.kind == "batch-invocation":  # no YAML: deploy.sh's invoke line, its input placed beside
        from .batch import invocation_args

        out = Exported(item, {}, args=invocation_args(item, placer, placer.yaml_dir.parents[1], client))
    elif item.kind in ("batch-endpoint", "batch-deployment"):
        out = Exported(item, copy.deepcopy(batch_to_spec(item.entity)[1]))
        if item.kind == "batch-deployment":
            _batch_deployment(out, placer, client, for_azure, conda_name)
    else:
        out = Exported(item, copy.deepcopy(asset_to_spec(item.entity)[1]))
        _asset(out, placer, client, jobs or {}, for_azure, conda_name)
    return out
