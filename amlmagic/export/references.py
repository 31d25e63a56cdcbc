"""Keep the export's references whole: a job or deployment that names an environment, data
asset, model or compute the session did not create (it existed before this kernel) gets that
thing exported too, read from the workspace, so deploy.sh creates it before its users."""

from __future__ import annotations

from typing import Any, Iterator

from ..references import parse_asset_ref
from .trail import TrailItem

__all__ = ["add_referenced", "references_of"]

_MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
_GROUPS = {"environment": "environments", "data": "data", "model": "models"}


def _asset_ref(kind: str, text: Any) -> tuple[str, str, str | None] | None:
    if not isinstance(text, str) or not text.startswith("azureml:") or text.startswith("azureml://"):
        return None
    ref = parse_asset_ref(text)
    if ref.registry is not None:
        return None
    return kind, ref.name, ref.version


def references_of(item: TrailItem) -> Iterator[tuple[str, str, str | None]]:
    """(kind, name, version or None) of everything the item refers to by name."""
    if item.kind == "job":
        from .build import job_spec

        spec = job_spec(item.entity)
        command = spec.get("trial") or spec
        found = [_asset_ref("environment", command.get("environment"))]
        for value in (spec.get("inputs") or {}).values():
            if isinstance(value, dict):
                kind = "model" if value.get("type") in _MODEL_TYPES else "data"
                found.append(_asset_ref(kind, value.get("path")))
        compute = spec.get("compute")
        if isinstance(compute, str) and compute not in ("local", "azureml:local"):
            found.append(("compute", compute.removeprefix("azureml:"), None))
    elif item.kind == "online-deployment":
        from ..spec.assets import model_reference_spec
        from ..spec.jobs import environment_to_spec

        found = [_asset_ref("model", model_reference_spec(item.entity.model)),
                 _asset_ref("environment", environment_to_spec(item.entity.environment))]
    else:
        found = []
    yield from (f for f in found if f is not None)


def _fetch(client: Any, kind: str, name: str, version: str | None) -> Any:
    if kind == "compute":
        return client.compute.get(name)
    return getattr(client, _GROUPS[kind]).get(name, version=version, label=None if version else "latest")


def add_referenced(items: list[TrailItem], client: Any) -> list[str]:
    """Append what the items refer to and the export lacks; return README notes about it."""
    have = {(i.key[0], i.key[1]) if i.kind == "compute" else i.key for i in items}
    notes: list[str] = []
    for item in list(items):
        for kind, name, version in references_of(item):
            try:
                entity = _fetch(client, kind, name, version)
            except Exception:  # not in this workspace: the reference stays, the user provides it
                notes.append(f"{item.kind} {item.entity.name} refers to {kind} {name}"
                             f"{':' + version if version else ''}, which is not in the workspace: create it first.")
                continue
            key = (kind, entity.name) if kind == "compute" else (kind, entity.name, str(entity.version))
            if key in have:
                continue
            have.add(key)
            items.append(TrailItem(kind, key, entity, None, f"(referenced by {item.kind} {item.entity.name})"))
            notes.append(f"{kind} {entity.name} was created before this session; exported because "
                         f"{item.kind} {item.entity.name} uses it.")
    return notes
