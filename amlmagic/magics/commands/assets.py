"""`%aml data|environment|model|datastore ...`: versioned assets and datastores."""

from __future__ import annotations

import sys
from typing import Any

from ...display import EntityList, TextBlock
from ...errors import UsageError, ValidationError
from ...rules import DEFAULT_IMAGE
from ..paths import output_folder, writing_into

__all__ = [
    "data_create", "data_show", "data_list", "data_download", "data_default",
    "environment_create", "environment_show", "environment_list", "environment_default",
    "model_create", "model_show", "model_list", "model_download",
    "datastore_create", "datastore_show", "datastore_list", "datastore_delete",
    "conda_from_cell",
]


def _limit(ctx, items: list) -> EntityList:
    limit = ctx.flag("max_results")
    return EntityList(items[:limit] if limit else items)


# -- data ----------------------------------------------------------------------------------------
def _create_path_asset(ctx, noun: str, entity_class: str, operations: Any, hint: str) -> Any:
    """data and model create: from -f/the cell (flags override its fields) or from flags."""
    fields = dict(name=ctx.flag("name"), version=ctx.flag("version"), path=ctx.flag("path"),
                  type=ctx.flag("type"), description=ctx.flag("description"))
    if ctx.has_yaml:
        entity = ctx.from_yaml(noun, **fields)
    elif not fields["path"]:
        raise UsageError(f"%aml {noun} create needs -p/--path ({hint}) or -f {noun}.yml")
    elif ctx.flag("set"):  # the flags as a YAML document, so --set applies as with -f
        entity = ctx.from_fields(noun, **fields)
    else:
        import azure.ai.ml.entities as entities

        given = {k: v for k, v in fields.items() if v is not None}
        entity = getattr(entities, entity_class)(**given, base_path=str(ctx.cwd))
    return ctx.record(operations.create_or_update(entity))


def data_create(ctx) -> Any:
    return _create_path_asset(ctx, "data", "Data", ctx.client.data, "a local file or folder, or an azureml:// URI")


def data_show(ctx) -> Any:
    return ctx.client.data.get(ctx.flag("name"), version=ctx.flag("version"), label=_label(ctx))


def data_list(ctx) -> EntityList:
    return _limit(ctx, list(ctx.client.data.list(name=ctx.flag("name"))))


def _download(ctx, operations: Any) -> TextBlock:
    """data and model download: the given version, else the latest, into --download-path."""
    target = output_folder(ctx.cwd, ctx.flag("download_path"), ctx.cwd, "--download-path")
    version = ctx.flag("version") or _version_of(ctx, operations)
    with writing_into(target, "--download-path"):
        operations.download(ctx.flag("name"), version=version, download_path=str(target))
    return TextBlock(f"downloaded {ctx.flag('name')} to {target}")


def data_download(ctx) -> TextBlock:
    return _download(ctx, ctx.client.data)


def data_default(ctx) -> Any:
    from ...widgets import DataBrowser

    return DataBrowser(ctx.client)


def _label(ctx) -> str | None:
    return ctx.flag("label") or (None if ctx.flag("version") else "latest")


def _version_of(ctx, operations: Any) -> str:
    return operations.get(ctx.flag("name"), label="latest").version


# -- environments ---------------------------------------------------------------------------------
def conda_from_cell(body: str, name: str) -> dict:
    """A %%aml environment cell: a conda YAML, or requirements.txt lines."""
    import yaml

    try:
        loaded = yaml.safe_load(body)
    except yaml.YAMLError:
        loaded = None
    if isinstance(loaded, dict) and "dependencies" in loaded:
        return loaded
    lines = [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not lines or any(line.endswith(":") or ": " in line for line in lines):
        raise ValidationError(
            "the cell is neither a conda YAML (with dependencies:) nor requirements.txt lines: "
            "write one of them, or use -f environment.yml"
        )
    python = f"python={sys.version_info.major}.{sys.version_info.minor}"
    return {"name": name, "channels": ["conda-forge"], "dependencies": [python, "pip", {"pip": lines}]}


def _is_environment_yaml(body: str) -> bool:
    import yaml

    try:
        loaded = yaml.safe_load(body)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and bool({"image", "build", "conda_file", "$schema"} & set(loaded))


def environment_create(ctx) -> Any:
    from azure.ai.ml.entities import BuildContext, Environment

    fields = dict(name=ctx.flag("name"), version=ctx.flag("version"), description=ctx.flag("description"),
                  image=ctx.flag("image"))
    body = ctx.command.body
    if ctx.flag("file") or (body is not None and _is_environment_yaml(body)):
        env = ctx.from_yaml("environment", **fields)
    elif body is not None:
        if not fields["name"]:
            raise UsageError("%%aml environment create needs -n/--name when the cell is a conda file")
        cell = dict(fields, image=fields["image"] or DEFAULT_IMAGE, conda_file=conda_from_cell(body, fields["name"]))
        env = ctx.from_fields("environment", **cell) if ctx.flag("set") else Environment(**cell)
    else:
        build = ctx.flag("build_context")
        if not (fields["image"] or build):
            raise UsageError("%aml environment create needs --image, --build-context, -f FILE or a %%aml cell")
        if ctx.flag("set"):  # the flags as a YAML document, so --set applies as with -f
            dockerfile = {"dockerfile_path": ctx.flag("dockerfile_path")} if ctx.flag("dockerfile_path") else {}
            env = ctx.from_fields("environment", **fields, conda_file=ctx.flag("conda_file"),
                                  build={"path": build, **dockerfile} if build else None)
        else:
            env = Environment(
                **{k: v for k, v in fields.items() if v is not None},
                conda_file=str(ctx.cwd / ctx.flag("conda_file")) if ctx.flag("conda_file") else None,
                build=BuildContext(path=str(ctx.cwd / build), dockerfile_path=ctx.flag("dockerfile_path"))
                if build else None,
            )
    return ctx.record(ctx.client.environments.create_or_update(env))


def environment_show(ctx) -> Any:
    return ctx.client.environments.get(ctx.flag("name"), version=ctx.flag("version"), label=_label(ctx))


def environment_list(ctx) -> EntityList:
    return _limit(ctx, list(ctx.client.environments.list(name=ctx.flag("name"))))


def environment_default(ctx) -> Any:
    from ...widgets import EnvironmentBuilder

    return EnvironmentBuilder(ctx.client)


# -- models ---------------------------------------------------------------------------------------
def model_create(ctx) -> Any:
    return _create_path_asset(ctx, "model", "Model", ctx.client.models, "a local path or azureml://jobs/... URI")


def model_show(ctx) -> Any:
    operations = ctx.client.models
    model = operations.get(ctx.flag("name"), version=ctx.flag("version") or _version_of(ctx, operations))
    found = operations.lineage(model.name, model.version)  # the job, data, environment it came from
    if found:
        ctx.show(TextBlock("lineage: " + ", ".join(f"{k}={v}" for k, v in found.items() if v)))
    return model


def model_list(ctx) -> EntityList:
    return _limit(ctx, list(ctx.client.models.list(name=ctx.flag("name"))))


def model_download(ctx) -> TextBlock:
    return _download(ctx, ctx.client.models)


# -- datastores -----------------------------------------------------------------------------------
def datastore_create(ctx) -> Any:
    if ctx.has_yaml:
        datastore = ctx.from_yaml("datastore", name=ctx.flag("name"), description=ctx.flag("description"))
    else:
        if not ctx.flag("path"):
            raise UsageError("%aml datastore create needs -p/--path FOLDER (locally) or -f datastore.yml")
        ctx.refuse_set("a folder datastore takes -d/--description; for other fields use -f datastore.yml")
        datastore = folder_datastore(ctx.flag("name"), ctx.cwd / ctx.flag("path"), ctx.flag("description"))
    return ctx.record(ctx.client.datastores.create_or_update(datastore))


def folder_datastore(name: str, folder: Any, description: str | None) -> Any:
    """A folder on this machine as a datastore entity: azure-ai-ml has no such type, so it is a
    blob datastore whose account is `local` and whose `properties["local_path"]` is the folder (the
    form the local backend registers; the Azure backend refuses it and says to use -f)."""
    from pathlib import Path

    from azure.ai.ml.entities import AzureBlobDatastore

    return AzureBlobDatastore(name=name, account_name="local", container_name=name, description=description,
                              properties={"local_path": str(Path(folder).expanduser().resolve())})


def datastore_show(ctx) -> Any:
    return ctx.client.datastores.get(ctx.flag("name"))


def datastore_list(ctx) -> EntityList:
    return _limit(ctx, list(ctx.client.datastores.list()))


def datastore_delete(ctx) -> TextBlock:
    ctx.client.datastores.delete(ctx.flag("name"))
    ctx.record(None)
    return TextBlock(f"datastore {ctx.flag('name')} unregistered")
