"""`%aml lineage <noun> -n NAME [-v VERSION] [-e ENDPOINT]`: where an asset came from and where it
went, as a graph widget in a notebook (the `Lineage` itself elsewhere, and `.lineage` of the widget)."""

from __future__ import annotations

from typing import Any

from ...errors import UsageError
from ...lineage import NOUNS, build_lineage
from ..grammar import canonical_noun

__all__ = ["lineage_default"]


def lineage_default(ctx) -> Any:
    word = ctx.flag("asset")
    if not word:
        raise UsageError(f"name what to trace: %aml lineage <{'|'.join(NOUNS)}> -n NAME [-v VERSION]")
    noun = canonical_noun(word) or word
    lineage = build_lineage(ctx.client, noun, ctx.flag("name"), ctx.flag("version"), ctx.flag("endpoint_name"))
    if ctx.in_kernel:
        from ...widgets import LineageGraph

        return LineageGraph(ctx.client, lineage)
    return lineage
