"""Every action taken in a widget goes through `record_widget_action`: it records the action in
the session's trail like the magic that does the same (noun, verb, the entity), and returns that
`%aml` line, so clicking teaches the CLI and leaves a trail for `%aml export`. Nothing heavy is
imported here."""

from __future__ import annotations

import shlex
from typing import Any, Callable

__all__ = ["aml_line", "record_widget_action", "set_action_hook"]

_hook: Callable[[Any], None] | None = None


def aml_line(noun: str, verb: str, **flags: Any) -> str:
    """`aml_line("compute", "use", n="cpu")` -> `%aml compute use -n cpu` (values quoted)."""
    parts = ["%aml", noun, verb]
    for key, value in flags.items():
        if value is None or value is False:
            continue
        flag = ("-" if len(key) == 1 else "--") + key.replace("_", "-")
        parts.append(flag)
        if value is not True:
            parts.append(shlex.quote(str(value)))
    return " ".join(parts)


def set_action_hook(hook: Callable[[Any], None] | None) -> None:
    """Send the trail entries of widget actions to `hook` instead of the session (tests)."""
    global _hook
    _hook = hook


def record_widget_action(noun: str, verb: str, entity: Any = None, **flags: Any) -> str:
    """Record that a widget did `%aml noun verb flags` (which returned `entity`); the line.
    `n` names the thing when there is no entity (a cancel, an invoke)."""
    from ..session import TrailEntry, current_session

    line = aml_line(noun, verb, **flags)
    entry = TrailEntry.of(noun, verb, entity, name=flags.get("n"), line=line)
    if _hook is not None:
        _hook(entry)
    else:
        current_session().record(entry)
    return line
