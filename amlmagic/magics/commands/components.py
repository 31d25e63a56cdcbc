"""`%aml component ...`: register, inspect, archive and restore command components."""

from __future__ import annotations

from typing import Any

from ...display import EntityList, TextBlock

__all__ = ["component_create", "component_show", "component_list", "component_archive", "component_restore"]


def component_create(ctx) -> Any:
    component = ctx.from_yaml("component", name=ctx.flag("name"), version=ctx.flag("version"))
    return ctx.record(ctx.client.components.create_or_update(component))


def component_show(ctx) -> Any:
    return ctx.client.components.get(ctx.flag("name"), version=ctx.flag("version"),
                                     label=None if ctx.flag("version") else ctx.flag("label") or "latest")


def component_list(ctx) -> EntityList:
    view = "ArchivedOnly" if ctx.flag("archived_only") else "All" if ctx.flag("include_archived") else "ActiveOnly"
    items = list(ctx.client.components.list(name=ctx.flag("name"), list_view_type=view))
    limit = ctx.flag("max_results")
    return EntityList(items[:limit] if limit else items)


def _which(ctx) -> str:
    name, version, label = ctx.flag("name"), ctx.flag("version"), ctx.flag("label")
    return f"{name}:{version}" if version else f"{name}@{label}" if label else f"{name} (all versions)"


def component_archive(ctx) -> TextBlock:
    ctx.client.components.archive(ctx.flag("name"), version=ctx.flag("version"), label=ctx.flag("label"))
    return TextBlock(f"archived component {_which(ctx)}: hidden from %aml component list, still usable by pipelines")


def component_restore(ctx) -> TextBlock:
    ctx.client.components.restore(ctx.flag("name"), version=ctx.flag("version"), label=ctx.flag("label"))
    return TextBlock(f"restored component {_which(ctx)}")
