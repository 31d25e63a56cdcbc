"""Components <-> CLI v2 YAML dicts."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["component_to_spec", "COMPONENT_SCHEMA"]

COMPONENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json"


def component_to_spec(component: Any) -> dict:
    """A command component (an entity or the inline dict a pipeline step holds) as the YAML
    `az ml component create -f` and `load_component` accept; the code path stays as the entity
    has it (the caller places it)."""
    raw = component if isinstance(component, dict) else component._to_dict()
    spec = json.loads(json.dumps(raw, default=str))
    for key in ("id", "creation_context", "$schema"):
        spec.pop(key, None)
    if spec.get("name") == "azureml_anonymous":  # an inline step's: it gets a name when registered
        spec.pop("name")
        spec.pop("version", None)
    return {"$schema": COMPONENT_SCHEMA, **spec}
