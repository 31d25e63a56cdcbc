"""Lineage: where an asset came from and where it went, built from the entities through the
client interface (any backend). `build_lineage(client, noun, name, version)` -> `Lineage`."""

from __future__ import annotations

from .build import NOUNS, build_lineage
from .graph import KIND_COLOURS, Lineage, Node

__all__ = ["build_lineage", "Lineage", "Node", "NOUNS", "KIND_COLOURS"]
