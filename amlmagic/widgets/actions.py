"""Every action taken in a widget goes through `record_widget_action`: it returns the `%aml`
line that does the same thing, and records it like a magic for `%aml export`, so clicking
teaches the CLI and leaves a trail. Nothing heavy is imported here."""

from __future__ import annotations

import shlex
from typing import Any, Callable

__all__ = ["aml_line", "record_widget_action", "recorded_actions", "set_action_hook"]

_hook: Callable[[str, Any], None] | None = None
_recorded: list[str] = []  # kept when amlmagic.session has no record_action yet


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


def set_action_hook(hook: Callable[[str, Any], None] | None) -> None:
    """Replace where actions are recorded (tests, or a session that wants them elsewhere)."""
    global _hook
    _hook = hook


def record_widget_action(line: str, entity: Any = None) -> str:
    """Record `line` (an `%aml` line equivalent to a widget action) and return it."""
    if _hook is not None:
        _hook(line, entity)
        return line
    try:
        from amlmagic.session import record_action
    except ImportError:  # the session module has not landed: keep the trail here
        _recorded.append(line)
    else:
        record_action(line, entity=entity)
    return line


def recorded_actions() -> list[str]:
    """Lines recorded while amlmagic.session offers no record_action."""
    return list(_recorded)
