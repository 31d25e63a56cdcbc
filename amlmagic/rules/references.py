"""Asset references: `azureml:name:version`, `name@latest`, registry and ARM forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["AssetRef", "parse_asset_ref", "strip_azureml_prefix"]

_REGISTRY = re.compile(
    r"^azureml://registries/(?P<registry>[^/]+)/(?P<kind>[^/]+)/(?P<name>[^/]+)"
    r"(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))?/?$"
)
_ARM = re.compile(
    r"/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+/(?P<kind>[^/]+)/"
    r"(?P<name>[^/]+)(?:/versions/(?P<version>[^/]+))?/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AssetRef:
    name: str
    version: str | None = None
    label: str | None = None  # "latest" for @latest
    registry: str | None = None


def strip_azureml_prefix(text: str) -> str:
    return text[len("azureml:") :] if text.startswith("azureml:") and not text.startswith("azureml://") else text


def parse_asset_ref(text: str) -> AssetRef:
    """Parse a reference; a bare name means the latest version (as the CLI resolves it)."""
    text = text.strip()
    m = _REGISTRY.match(text)
    if m:
        return AssetRef(m["name"], m["version"], m["label"] or (None if m["version"] else "latest"), m["registry"])
    m = _ARM.search(text)
    if m:
        return AssetRef(m["name"], m["version"], None if m["version"] else "latest")
    body = strip_azureml_prefix(text)
    if "@" in body:
        name, label = body.split("@", 1)
        return AssetRef(name, None, label or "latest")
    if ":" in body:
        name, version = body.split(":", 1)
        return AssetRef(name, version or None, None if version else "latest")
    return AssetRef(body, None, "latest")
