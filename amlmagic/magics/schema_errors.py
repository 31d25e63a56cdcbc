"""One readable line from azure-ai-ml's YAML validation error: each bad field and why
(`frobnicate: unknown field; code: ./src does not exist`), built from the structured messages
of the marshmallow error it wraps, instead of its 700-1,800 characters of escaped JSON."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["schema_error_line", "field_errors"]

# At most this many fields in the line; the rest are counted.
MAX_FIELDS = 4

_MISSING_PATH = re.compile(r"Can't find directory or file in resolved absolute path: (.*?)\.?$")
_NOT_IN_SET = re.compile(r"Value '(.*)' passed is not in set \[(.*)\]")
_WORDING = {"Unknown field.": "unknown field", "Missing data for required field.": "required, but missing",
            "Field may not be null.": "may not be empty"}


def _structured(exc: BaseException) -> dict | None:
    """The field -> messages dict of the first marshmallow error in the chain."""
    seen = 0
    while exc is not None and seen < 10:
        messages = getattr(exc, "messages", None)
        if isinstance(messages, dict) and type(exc).__module__.startswith("marshmallow"):
            return messages
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def field_errors(messages: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(field path, message) for each error in marshmallow's nested messages. A list of dicts is
    a union field's tries, one per type it accepts: the try with the fewest errors is the type
    that was meant."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            union_wrapper = key == "value" and isinstance(value, list) and value and isinstance(value[0], dict)
            inner = path if key in ("_schema", None) or union_wrapper else (*path, str(key))
            found += field_errors(value, inner)
        return found
    if isinstance(messages, list):
        if messages and all(isinstance(m, dict) for m in messages):
            tries = [field_errors(m, path) for m in messages]
            merged = _merged_choices(tries)
            return merged if merged is not None else min(tries, key=len)
        return [pair for m in messages for pair in field_errors(m, path)]
    return [(path, " ".join(str(messages).split()))]


def _merged_choices(tries: list[list[tuple[tuple[str, ...], str]]]) -> list[tuple[tuple[str, ...], str]] | None:
    """A value every type of a union refused as "not in set" (distribution.type: each type
    accepts its own name) as one error listing every allowed value; None otherwise."""
    if len(tries) < 2 or any(len(t) != 1 for t in tries) or len({t[0][0] for t in tries}) != 1:
        return None
    matches = [_NOT_IN_SET.match(t[0][1]) for t in tries]
    if not all(matches) or len({m.group(1) for m in matches}) != 1:
        return None
    choices = ", ".join(dict.fromkeys(c.strip(" '") for m in matches for c in m.group(2).split(",")))
    return [(tries[0][0][0], f"Value '{matches[0].group(1)}' passed is not in set [{choices}]")]


def _value_at(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def _why(path: tuple[str, ...], message: str, document: Any) -> str:
    missing = _MISSING_PATH.match(message)
    if missing:
        given = _value_at(document, path)
        return f"{given if isinstance(given, str) else missing.group(1)} does not exist"
    not_in_set = _NOT_IN_SET.match(message)
    if not_in_set:
        choices = not_in_set.group(2).replace("'", "")
        return f"{not_in_set.group(1)!r} is not one of {choices}"
    if message in _WORDING:
        return _WORDING[message]
    text = message.rstrip(".")
    return text[:1].lower() + text[1:]


def schema_error_line(exc: BaseException, document: Any = None) -> str | None:
    """`field: why; field: why` for a YAML that failed azure-ai-ml's schema (None when `exc`
    carries no structured field errors). `document` is the YAML as loaded, for the values given."""
    messages = _structured(exc)
    if not messages:
        return None
    pairs: list[str] = []
    for path, message in field_errors(messages):
        pair = f"{'.'.join(path) or '(the document)'}: {_why(path, message, document)}"
        if pair not in pairs:
            pairs.append(pair)
    more = f"; and {len(pairs) - MAX_FIELDS} more" if len(pairs) > MAX_FIELDS else ""
    return "; ".join(pairs[:MAX_FIELDS]) + more if pairs else None
