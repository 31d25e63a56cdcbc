"""Reduce the session trail to what exists at its end: one item per thing, in creation order,
holding its final state.

The trail repeats things (a job created then canceled, traffic updated twice) and marks deletes
with entries whose entity is None (the line says what went). An item keeps the position of its
first appearance and the entity of its last; a delete removes it (an endpoint's delete removes
its deployments too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..spec.assets import asset_kind

__all__ = ["TrailItem", "final_items", "entity_kind", "ORDER"]

# deploy.sh's default order by kind; references.deploy_order moves a thing after what it uses when
# that is of a later kind (an evaluation job after the model registered from a train job).
ORDER = ("datastore", "compute", "environment", "data", "job", "model", "online-endpoint", "online-deployment")


@dataclass
class TrailItem:
    kind: str  # one of ORDER
    key: tuple
    entity: Any
    base_path: str | None  # the folder relative paths of the create resolved against
    line: str  # the line that created it
    before_session: bool = False  # exported only because something of this session uses it


def entity_kind(entity: Any) -> str | None:
    kind = asset_kind(entity)
    if kind is not None:
        return kind
    if getattr(entity, "type", None) in ("command", "sweep") and hasattr(entity, "status"):
        return "job"
    return None


def _key(kind: str, entity: Any) -> tuple:
    if kind in ("data", "environment", "model"):
        return (kind, entity.name, str(entity.version))
    if kind == "online-deployment":
        return (kind, entity.endpoint_name, entity.name)
    return (kind, entity.name)


def _deleted_keys(line: str) -> tuple[str, tuple] | None:
    """(kind, key prefix) a delete line removes, or None when the line is no delete."""
    from ..magics.parser import parse_line

    text = line.split(None, 1)[1] if line.startswith(("%aml", "%%aml")) else line
    try:
        command = parse_line(text)
    except Exception:  # a widget's free-form line: nothing to remove
        return None
    if command.verb != "delete":
        return None
    name = command.args.get("name")
    if command.noun == "online-deployment":
        return command.noun, (command.noun, command.args.get("endpoint_name"), name)
    return command.noun, (command.noun, name)


def final_items(trail: list) -> list[TrailItem]:
    items: dict[tuple, TrailItem] = {}
    for entry in trail:
        if entry.entity is None:
            deleted = _deleted_keys(entry.line)
            if deleted is None:
                continue
            noun, key = deleted
            for existing in list(items):
                gone = existing == key
                if noun == "online-endpoint":  # its deployments go with it
                    gone = gone or existing[:2] == ("online-deployment", key[1])
                if gone:
                    del items[existing]
            continue
        kind = entity_kind(entry.entity)
        if kind is None or (kind == "compute" and entry.entity.name == "local"):
            continue  # the built-in local compute is no thing to create
        key = _key(kind, entry.entity)
        if key in items:
            items[key].entity = entry.entity  # final state, first position
        else:
            items[key] = TrailItem(kind, key, entry.entity, entry.base_path, entry.line)
    return list(items.values())
