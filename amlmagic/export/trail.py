"""Reduce the session trail to what exists at its end: one item per thing, in creation order,
holding its final state.

The trail repeats things (a job created then canceled, traffic updated twice) and records deletes
as actions with the deleted thing's key. An item keeps the position of its first appearance and
the entity of its last; a delete removes it (an endpoint's delete removes its deployments too).
Actions that change nothing exportable (an invoke, a widget's cancel) carry no entity and are
passed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..rules import LOCAL_COMPUTE
from ..spec.assets import asset_kind

__all__ = ["TrailItem", "final_items", "entity_kind", "ORDER"]

# deploy.sh's default order by kind; references.deploy_order moves a thing after what it uses when
# that is of a later kind (an evaluation job after the model registered from a train job).
ORDER = ("datastore", "compute", "environment", "data", "component", "job", "model", "online-endpoint",
         "online-deployment", "schedule")


@dataclass
class TrailItem:
    kind: str  # one of ORDER
    key: tuple
    entity: Any
    base_path: str | None  # the folder relative paths of the create resolved against
    line: str  # the line that created it
    before_session: bool = False  # exported only because something of this session uses it


def entity_kind(entity: Any) -> str | None:
    """The kind of an entity handed to `export_entity_yaml` (a trail entry knows its own)."""
    from azure.ai.ml.entities import Component, Job

    kind = asset_kind(entity)
    if kind is not None:
        return kind
    if isinstance(entity, Component):
        return "component"
    if type(entity).__name__ == "JobSchedule":
        return "schedule"
    return "job" if isinstance(entity, Job) else None


def _removes(deleted: tuple, key: tuple) -> bool:
    """Whether deleting `deleted` removes the thing of `key` (an endpoint takes its deployments)."""
    if key == deleted:
        return True
    return deleted[0] == "online-endpoint" and key[:2] == ("online-deployment", deleted[1])


def final_items(trail: list) -> list[TrailItem]:
    items: dict[tuple, TrailItem] = {}
    for entry in trail:
        if entry.verb == "delete":
            for key in [k for k in items if _removes(entry.key, k)]:
                del items[key]
            continue
        if entry.entity is None or entry.noun not in ORDER:
            continue
        if entry.noun == "compute" and entry.key == ("compute", LOCAL_COMPUTE):
            continue  # the built-in local compute is no thing to create
        if entry.key in items:
            items[entry.key].entity = entry.entity  # final state, first position
        else:
            items[entry.key] = TrailItem(entry.noun, entry.key, entry.entity, entry.base_path, entry.line)
    return list(items.values())
