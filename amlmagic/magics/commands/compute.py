"""`%aml compute ...`: targets; locally, pools that bound how many jobs run at once."""

from __future__ import annotations

from typing import Any

from ...display import EntityList, TextBlock
from ...errors import UsageError

__all__ = ["compute_create", "compute_show", "compute_list", "compute_delete", "compute_use", "compute_default"]


def compute_create(ctx) -> Any:
    fields = dict(name=ctx.flag("name"), type=ctx.flag("type"), size=ctx.flag("size"),
                  min_instances=ctx.flag("min_instances"), max_instances=ctx.flag("max_instances"),
                  idle_time_before_scale_down=ctx.flag("idle_time_before_scale_down"),
                  description=ctx.flag("description"))
    if ctx.has_yaml:
        compute = ctx.from_yaml("compute", **fields)
    else:
        from azure.ai.ml.entities import AmlCompute

        if fields.pop("type") not in (None, "amlcompute", "AmlCompute"):
            raise UsageError("only --type amlcompute can be created from flags: use -f for other kinds")
        if ctx.flag("set"):  # the flags as a YAML document, so --set applies as with -f
            compute = ctx.from_fields("compute", type="amlcompute", **fields)
        else:
            compute = AmlCompute(**{k: v for k, v in fields.items() if v is not None})
    return ctx.record(ctx.client.compute.begin_create_or_update(compute).result())


def compute_show(ctx) -> Any:
    return ctx.client.compute.get(ctx.flag("name"))


def compute_list(ctx) -> EntityList:
    items = list(ctx.client.compute.list())
    limit = ctx.flag("max_results")
    return EntityList(items[:limit] if limit else items)


def compute_delete(ctx) -> TextBlock:
    poller = ctx.client.compute.begin_delete(ctx.flag("name"))
    if ctx.flag("no_wait"):  # like `az ml compute delete --no-wait`: Azure's deletion goes on
        ctx.record(None)
        return TextBlock(f"compute {ctx.flag('name')}: deletion started")
    poller.result()
    ctx.record(None)
    return TextBlock(f"compute {ctx.flag('name')} deleted")


def compute_use(ctx) -> Any:
    """Set the default compute of later jobs (the backend keeps it: `compute.use`)."""
    compute = ctx.client.compute.use(ctx.flag("name"))
    ctx.record(compute)
    return TextBlock(f"default compute: {compute.name}")


def compute_default(ctx) -> Any:
    from ...widgets import ComputePicker

    return ComputePicker(ctx.client)
