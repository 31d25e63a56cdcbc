"""Batch endpoints, deployments and invocations in an export (their YAML: build.py with
spec/batch.py).

- an endpoint: `batch-endpoints/<name>/batch-endpoint.yml`, without its default deployment;
- a deployment: `batch-deployments/<endpoint>-<name>/batch-deployment.yml`; deploy.sh creates the
  endpoint's final default deployment with `--set-default` (`default_deployments`);
- an invocation: no YAML, an `az ml batch-endpoint invoke` line (`invocation_args`) whose local
  input is copied into `batch-invocations/<job>/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..spec.batch import default_deployment
from .files import Placer, local_content

__all__ = ["invocation_args", "default_deployments", "default_notes", "INVOCATION_FLAGS"]

# The invoke's flags passed on as they were given (az ml batch-endpoint invoke's own); `--job-name`
# is not: a job name is used once, Azure names the new job (deploy.sh captures it).
INVOCATION_FLAGS = (("deployment_name", "--deployment-name"), ("mini_batch_size", "--mini-batch-size"),
                    ("instance_count", "--instance-count"), ("output_path", "--output-path"),
                    ("experiment_name", "--experiment-name"))


def _words(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def invocation_args(item: Any, placer: Placer, root: Path, client: Any) -> list[str]:
    """The `az ml batch-endpoint invoke` arguments of an invocation: its input as given when it
    names something Azure has (a data asset, a datastore path Azure holds, a URL), else its
    content copied beside (`placer`, under `root`) and given as a local path, which the CLI
    uploads; a `--file` of inputs copied with its local paths placed the same way."""
    invocation = item.entity
    params = invocation.params
    args = ["-n", invocation.endpoint_name]
    for key, flag in INVOCATION_FLAGS:
        if params.get(key) not in (None, ""):
            args += [flag, str(params[key])]
    prefix = placer.yaml_dir.relative_to(root).as_posix()
    given = params.get("input")
    if given:
        found = local_content(client, given, item.base_path)
        args += ["--input", f"./{prefix}/{placer.place(found)[2:]}" if found is not None else str(given)]
        input_type = params.get("input_type") or (
            ("uri_folder" if found.is_dir() else "uri_file") if found is not None else None)
        if input_type:
            args += ["--input-type", input_type]
    if params.get("file"):
        placed = _inputs_file(placer, client, item)
        args += ["--file", f"./{prefix}/{placed[2:]}" if placed else str(params["file"])]
    for override in _words(params.get("set")):  # a pipeline input's local path: copied as --input's
        key, sep, value = override.partition("=")
        found = local_content(client, value, item.base_path) if sep and key.endswith(".path") else None
        args += ["--set", f"{key}=./{prefix}/{placer.place(found)[2:]}" if found is not None else override]
    return args


def _inputs_file(placer: Placer, client: Any, item: Any) -> str | None:
    """The invoke's `--file` (inputs:/outputs:) copied with its local input paths placed beside
    it; None when the file is gone (deploy.sh then names it as it was given)."""
    import yaml

    source = Path(item.base_path or ".") / Path(str(item.entity.params["file"])).name  # base: the file's folder
    if not source.is_file():
        return None
    document = yaml.safe_load(source.read_text()) or {}
    for name, value in (document.get("inputs") or {}).items():
        if isinstance(value, dict) and value.get("path"):
            found = local_content(client, value["path"], str(source.parent))
            if found is not None:
                value["path"] = placer.place(found, f"inputs/{name}/{found.name}")
    return placer.write("inputs.yml", yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def default_deployments(items: list) -> dict[str, str]:
    """{endpoint: its final default deployment} of the exported batch endpoints."""
    return {i.entity.name: name for i in items if i.kind == "batch-endpoint"
            if (name := default_deployment(i.entity))}


def default_notes(items: list) -> list[str]:
    """README notes for endpoints whose default deployment is not in the export."""
    exported = {(i.entity.endpoint_name, i.entity.name) for i in items if i.kind == "batch-deployment"}
    return [f"batch endpoint {endpoint}'s default deployment {name} is not in this export: create it, then "
            f"`az ml batch-endpoint update -n {endpoint} --set defaults.deployment_name={name}`."
            for endpoint, name in default_deployments(items).items() if (endpoint, name) not in exported]
