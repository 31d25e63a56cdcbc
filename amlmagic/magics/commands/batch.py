"""`%aml batch-endpoint|batch-deployment ...`: deploy models (or pipeline components) for batch
scoring and invoke them, as `az ml` does; `invoke` returns the job it started (`--stream` follows
it like `%aml job create --stream`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...display import EntityList, TextBlock
from ...errors import NotFoundError, UsageError
from ...session import TrailEntry
from ...spec.batch import default_deployment
from ..children import list_children
from ..yaml_input import parse_overrides

__all__ = [
    "batch_endpoint_create", "batch_endpoint_show", "batch_endpoint_list", "batch_endpoint_update",
    "batch_endpoint_delete", "batch_endpoint_invoke", "batch_endpoint_list_jobs",
    "batch_deployment_create", "batch_deployment_show", "batch_deployment_list", "batch_deployment_update",
    "batch_deployment_delete", "batch_deployment_list_jobs",
]


# -- endpoints ------------------------------------------------------------------------------------
def batch_endpoint_create(ctx) -> Any:
    if ctx.has_yaml:
        endpoint = ctx.from_yaml("batch-endpoint", name=ctx.flag("name"))
    else:
        endpoint = ctx.from_fields("batch-endpoint", name=ctx.flag("name"))
    return ctx.record(ctx.client.batch_endpoints.begin_create_or_update(endpoint).result())


def batch_endpoint_show(ctx) -> Any:
    """The endpoint; its deployments are displayed beneath it."""
    endpoint = ctx.client.batch_endpoints.get(ctx.flag("name"))
    deployments = list_children(ctx, f"the deployments of {endpoint.name}",
                                lambda: ctx.client.batch_deployments.list(endpoint_name=endpoint.name),
                                f"%aml batch-deployment list -e {endpoint.name}")
    if deployments is not None:
        ctx.show_beneath(TextBlock(f"deployments ({len(deployments)})"))
        ctx.show_beneath(deployments)
    return endpoint


def batch_endpoint_list(ctx) -> EntityList:
    return EntityList(ctx.client.batch_endpoints.list())


def batch_endpoint_update(ctx) -> Any:
    """description, tags and defaults (`--set defaults.deployment_name=D`), from -f or --set."""
    operations = ctx.client.batch_endpoints
    if ctx.has_yaml:
        endpoint = ctx.from_yaml("batch-endpoint", name=ctx.flag("name"))
    else:
        if not ctx.flag("set"):
            raise UsageError("%aml batch-endpoint update needs --set field=value (e.g. "
                             "defaults.deployment_name=NAME) or -f endpoint.yml")
        current = operations.get(ctx.flag("name"))
        fields = {"name": current.name, "description": current.description, "tags": dict(current.tags or {})}
        default = default_deployment(current)  # Azure answers `deploymentName`, a create keeps `deployment_name`
        if default:
            fields["defaults"] = {"deployment_name": default}
        endpoint = ctx.from_fields("batch-endpoint", **fields)
    return ctx.record(operations.begin_create_or_update(endpoint).result())


def batch_endpoint_delete(ctx) -> TextBlock:
    ctx.client.batch_endpoints.begin_delete(name=ctx.flag("name")).result()
    ctx.record(None)
    return TextBlock(f"batch endpoint {ctx.flag('name')} deleted")


def _local_or_as_given(ctx, path: str) -> str:
    """A path relative to the notebook's folder made absolute; references and URIs as given."""
    if path.startswith(("azureml:", "http://", "https://")):
        return path
    local = (ctx.cwd / Path(path).expanduser())
    return str(local.resolve()) if local.exists() else path


def _io_file(ctx) -> tuple[dict, dict]:
    """`--file inputs.yml`: its `inputs:` and `outputs:` as azure-ai-ml Input/Output."""
    import yaml
    from azure.ai.ml import Input, Output

    path = (ctx.cwd / ctx.flag("file")).expanduser()
    if not path.is_file():
        raise NotFoundError(f"inputs file {path} does not exist: check -f/--file")
    document = yaml.safe_load(path.read_text()) or {}
    if not isinstance(document, dict):
        raise UsageError(f"{path.name} must be a YAML mapping with inputs: and outputs:")

    def one(value: Any, cls: Any) -> Any:
        if not isinstance(value, dict):
            return value  # a literal input of a pipeline deployment
        fields = dict(value)
        if fields.get("path"):
            fields["path"] = _local_or_as_given(ctx, str(fields["path"]))
        return cls(**fields)

    return ({k: one(v, Input) for k, v in (document.get("inputs") or {}).items()},
            {k: one(v, Output) for k, v in (document.get("outputs") or {}).items()})


def batch_endpoint_invoke(ctx) -> Any:
    from azure.ai.ml import Input, Output

    kwargs: dict[str, Any] = {}
    if ctx.flag("file"):
        kwargs["inputs"], outputs = _io_file(ctx)
        if outputs:
            kwargs["outputs"] = outputs
    if ctx.flag("input"):
        path = _local_or_as_given(ctx, ctx.flag("input"))
        kind = ctx.flag("input_type") or ("uri_file" if Path(path).is_file() else "uri_folder")
        kwargs["input"] = Input(type=kind, path=path)
    elif ctx.flag("input_type"):
        raise UsageError("--input-type goes with --input")
    overrides = parse_overrides(ctx.flag("set"))
    if ctx.flag("mini_batch_size") is not None:
        overrides.append({"mini_batch_size": ctx.flag("mini_batch_size")})
    if ctx.flag("instance_count") is not None:
        overrides.append({"compute.instance_count": ctx.flag("instance_count")})
    if ctx.flag("output_path"):
        kwargs["outputs"] = {"score": Output(type="uri_folder", path=ctx.flag("output_path"))}
    started = ctx.client.batch_endpoints.invoke(
        endpoint_name=ctx.flag("name"), deployment_name=ctx.flag("deployment_name"), params_override=overrides,
        job_name=ctx.flag("job_name"), experiment_name=ctx.flag("experiment_name"), **kwargs)
    job = ctx.client.jobs.get(started.name)
    # On the trail with its flags: export replays it as `az ml batch-endpoint invoke` (docs/batch.md)
    ctx.record(job, action=True)
    if ctx.flag("stream"):
        from .jobs import _follow

        return _follow(ctx, job.name)
    return job


def batch_endpoint_list_jobs(ctx) -> EntityList:
    return EntityList([ctx.client.jobs.get(j.name) for j in ctx.client.batch_endpoints.list_jobs(ctx.flag("name"))])


# -- deployments ----------------------------------------------------------------------------------
def _deployment_noun(ctx) -> str:
    """The loader `az ml batch-deployment create` uses: by the YAML's `type` (model, pipeline), or
    the legacy deployment without one."""
    import yaml

    if ctx.flag("file"):
        path = (ctx.cwd / ctx.flag("file")).expanduser()
        text = path.read_text() if path.is_file() else ""
    else:
        text = ctx.command.body or ""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        document = {}  # the loader reports it, with its line
    kind = document.get("type") if isinstance(document, dict) else None
    for override in parse_overrides(ctx.flag("set")):
        kind = override.get("type", kind)
    return {"model": "model-batch-deployment", "pipeline": "pipeline-batch-deployment"}.get(str(kind).lower(),
                                                                                           "batch-deployment")


def batch_deployment_create(ctx) -> Any:
    deployment = ctx.from_yaml(_deployment_noun(ctx), name=ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name"))
    created = ctx.client.batch_deployments.begin_create_or_update(
        deployment, skip_script_validation=bool(ctx.flag("skip_script_validation"))).result()
    ctx.record(created)
    if ctx.flag("set_default"):  # like `az ml batch-deployment create --set-default`
        operations = ctx.client.batch_endpoints
        endpoint = operations.get(created.endpoint_name)
        endpoint.defaults = {"deployment_name": created.name}
        updated = operations.begin_create_or_update(endpoint).result()
        ctx.session.record(TrailEntry.of(
            "batch-endpoint", "update", updated, base_path=str(ctx.cwd),
            line=f"%aml batch-endpoint update -n {endpoint.name} --set defaults.deployment_name={created.name}"))
    return created


def batch_deployment_update(ctx) -> Any:
    """With -f (or a cell): as create. Without: the deployment as it is, its fields changed by
    --set (e.g. `--set settings.mini_batch_size=20`), as `az ml batch-deployment update` does."""
    if ctx.has_yaml:
        return batch_deployment_create(ctx)
    if not (ctx.flag("name") and ctx.flag("endpoint_name") and ctx.flag("set")):
        raise UsageError("%aml batch-deployment update needs -f deployment.yml, or -n NAME -e ENDPOINT with "
                         "--set field=value")
    current = ctx.client.batch_deployments.get(ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name"))
    import json

    plain = json.loads(json.dumps(current._to_dict(), default=str))  # OrderedDicts to plain YAML
    fields = {k: v for k, v in plain.items() if k != "id"}
    noun = {"model": "model-batch-deployment", "pipeline": "pipeline-batch-deployment"}.get(
        str(fields.get("type")).lower(), "batch-deployment")
    updated = ctx.client.batch_deployments.begin_create_or_update(ctx.from_fields(noun, **fields)).result()
    return ctx.record(updated)


def batch_deployment_show(ctx) -> Any:
    return ctx.client.batch_deployments.get(ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name"))


def batch_deployment_list(ctx) -> EntityList:
    return EntityList(ctx.client.batch_deployments.list(endpoint_name=ctx.flag("endpoint_name")))


def batch_deployment_delete(ctx) -> TextBlock:
    ctx.client.batch_deployments.begin_delete(name=ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name")).result()
    ctx.record(None)
    return TextBlock(f"batch deployment {ctx.flag('name')} of {ctx.flag('endpoint_name')} deleted")


def batch_deployment_list_jobs(ctx) -> EntityList:
    jobs = ctx.client.batch_deployments.list_jobs(ctx.flag("endpoint_name"), name=ctx.flag("name"))
    return EntityList([ctx.client.jobs.get(j.name) for j in jobs])
