"""Reduce the session trail to what exists at its end: one item per thing, in creation order,
holding its final state.

The trail repeats things (a job created then canceled, traffic updated twice) and records deletes
as actions with the deleted thing's key. An item keeps the position of its first appearance and
the entity of its last; a delete removes it (an endpoint's delete removes its deployments too).
Actions that change nothing exportable (an online invoke, a widget's cancel) carry no entity and
are passed over. A batch invocation is exported as itself (`az ml batch-endpoint invoke`): each
is an item of its own (`BatchInvocation`), gone with its endpoint or the deployment it named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..rules import LOCAL_COMPUTE
from ..spec.assets import asset_kind

__all__ = ["TrailItem", "BatchInvocation", "final_items", "entity_kind", "ORDER"]

# deploy.sh's default order by kind; references.deploy_order moves a thing after what it uses when
# that is of a later kind (an evaluation job after the model registered from a train job).
ORDER = ("datastore", "compute", "environment", "data", "component", "job", "model", "online-endpoint",
         "online-deployment", "schedule", "batch-endpoint", "batch-deployment", "batch-invocation")


@dataclass
class BatchInvocation:
    """One `%aml batch-endpoint invoke`: the job it started and the flags it was given."""

    name: str  # the job's name
    endpoint_name: str
    params: dict = field(default_factory=dict)  # the invoke's flags as parsed (input, deployment_name, ...)

    @property
    def deployment_name(self) -> str | None:
        return self.params.get("deployment_name")


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

    from ..spec.batch import batch_kind

    kind = asset_kind(entity) or batch_kind(entity)
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
    if deleted[0] == "batch-endpoint" and key[0] in ("batch-deployment", "batch-invocation"):
        return key[1] == deleted[1]
    if deleted[0] == "batch-deployment" and key[0] == "batch-invocation":  # key: (kind, endpoint, deployment, job)
        return key[1:3] == deleted[1:3]
    return deleted[0] == "online-endpoint" and key[:2] == ("online-deployment", deleted[1])


def final_items(trail: list) -> list[TrailItem]:
    items: dict[tuple, TrailItem] = {}
    for entry in trail:
        if entry.verb == "delete":
            for key in [k for k in items if _removes(entry.key, k)]:
                del items[key]
            continue
        if entry.noun == "batch-endpoint" and entry.verb == "invoke":
            if entry.entity is not None and entry.params is not None:
                invocation = BatchInvocation(entry.entity.name, entry.key[1], dict(entry.params))
                key = ("batch-invocation", invocation.endpoint_name, invocation.deployment_name, invocation.name)
                items[key] = TrailItem("batch-invocation", key, invocation, entry.base_path, entry.line)
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
