"""`%aml activity`: the audit trail's entries as a table (text and HTML), and as plain data.

    table = ActivityTable(client.activity.list(max_results=20))
    table.to_dict()     # {"entries": [{"at": ..., "who": ..., "verb": ..., ...}, ...]}
    for entry in table: ...   # a list of the entries' dicts
"""

from __future__ import annotations

import html
import json
from typing import Any

from .render import _STYLE

__all__ = ["ActivityTable", "describe_change", "describe_target"]

_COLUMNS = ("when", "who", "verb", "what", "change")


def describe_target(entry: dict) -> str:
    """`model m:3`, `online-deployment ep/blue`, `job j`."""
    name = str(entry.get("name") or "?")
    if entry.get("endpoint"):
        name = f"{entry['endpoint']}/{name}"
    if entry.get("version"):
        name = f"{name}:{entry['version']}"
    return f"{entry.get('kind', '?')} {name}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_change(entry: dict) -> str:
    """`traffic: {"blue":100} -> {"blue":90,"green":10}` for an update; the details otherwise."""
    before, after = entry.get("before") or {}, entry.get("after") or {}
    parts = [f"{key}: {_short(before.get(key))} -> {_short(after.get(key))}" for key in after]
    parts += [f"{k}={_short(v)}" for k, v in (entry.get("details") or {}).items()]
    return "; ".join(parts)


class ActivityTable(list):
    """The entries (dicts, newest first) that display as a table."""

    def to_dict(self) -> dict:
        return {"entries": [dict(entry) for entry in self]}

    def _rows(self) -> list[list[str]]:
        return [[str(e.get("at", "")), str(e.get("who", "")), str(e.get("verb", "")), describe_target(e),
                 describe_change(e)] for e in self]

    def text(self) -> str:
        if not self:
            return "(no activity)"
        rows = self._rows()
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(_COLUMNS)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        return "\n".join(lines)

    def html(self) -> str:
        if not self:
            return "<i>(no activity)</i>"
        head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in self._rows())
        return f"{_STYLE}<table class='aml-t aml-activity'><tr>{head}</tr>{body}</table>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.text(), "text/html": self.html()}

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text())
