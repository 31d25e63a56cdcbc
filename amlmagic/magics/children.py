"""An entity's children (a sweep's trials, an endpoint's deployments), displayed beneath it by
its `show`. They come from another call (on Azure a sweep's trials come from run history, which
can fail on its own: network rules, a replay recorded without it), so a failure to list them is
one line, and `show` still returns the entity."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..display import EntityList, TextBlock
from ..errors import AmlMagicError

__all__ = ["list_children"]


def list_children(ctx: Any, what: str, list_them: Callable[[], Iterable[Any]], command: str) -> EntityList | None:
    """The children as a table; None (after one line saying so, beneath the result) when they
    cannot be listed. `command` is the line that lists them on its own."""
    try:
        return EntityList(list_them())
    except AmlMagicError as exc:  # every backend raises these; anything else is a bug, shown as one
        first = str(exc).split("; ")[0].rstrip(".")  # the cause; what to do is `command`
        ctx.show_beneath(TextBlock(f"{what} could not be listed ({first}): {command} lists them"))
        return None

