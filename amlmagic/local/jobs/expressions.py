"""A job's command line: `${{inputs.x}}`, `${{outputs.y}}`, `${{search_space.z}}` and optional
`$[[ ... ]]` groups, substituted with values quoted safely for the shell.

    render_command("python t.py --lr ${{inputs.lr}} $[[--seed ${{inputs.seed}}]]",
                   inputs={"lr": "0.1"}, outputs={})
    -> "python t.py --lr 0.1 "

Rules (../shared/azureml-semantics.md, "The command line of a job"):
- an optional group is dropped when an input inside it is not given, otherwise its brackets go;
- a reference outside optional groups to an input or output that is not defined is an error at
  submit (the SDK does not check it; we do);
- quoting **(our rule)**: a value is quoted for the shell context the reference sits in: outside
  quotes with shlex.quote (a plain word stays bare), inside "..." with backslash escapes, inside
  '...' by closing and reopening the quote around an escaped single quote.
"""

from __future__ import annotations

import re
import shlex
from typing import Mapping

from ...errors import ValidationError

__all__ = ["render_command", "references", "REFERENCE"]

REFERENCE = re.compile(r"\$\{\{\s*(inputs|outputs|search_space)\.([A-Za-z0-9_.\-]+)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)


def references(command: str) -> list[tuple[str, str]]:
    """(group, name) of every reference in the command, in order."""
    return [(m[1], m[2]) for m in REFERENCE.finditer(command or "")]


def _quote_state(text: str) -> str:
    """The shell quote context at the end of `text`: '' (none), "'" or '"'."""
    state, i = "", 0
    while i < len(text):
        ch = text[i]
        if state == "'":
            if ch == "'":
                state = ""
        elif state == '"':
            if ch == "\\":
                i += 1
            elif ch == '"':
                state = ""
        elif ch == "\\":
            i += 1
        elif ch in "'\"":
            state = ch
        i += 1
    return state


def _quoted(value: str, state: str) -> str:
    if state == "'":
        return value.replace("'", "'\\''")
    if state == '"':
        return re.sub(r'([\\"$`])', r"\\\1", value)
    return shlex.quote(value)


def _lookup(group: str, name: str, values: Mapping[str, Mapping[str, str | None]]) -> str | None:
    return (values.get(group) or {}).get(name)


def render_command(
    command: str,
    inputs: Mapping[str, str | None],
    outputs: Mapping[str, str],
    search_space: Mapping[str, str] | None = None,
) -> str:
    """The command with every reference replaced. Values must already be strings (literals as
    the CLI prints them, data as local paths); an input whose value is None counts as not given."""
    values = {"inputs": inputs, "outputs": outputs, "search_space": search_space or {}}

    def keep_group(m: re.Match) -> str:
        inner = m[1]
        given = all(_lookup(g, n, values) is not None for g, n in references(inner))
        return inner if given else ""

    text = _OPTIONAL.sub(keep_group, command or "")
    out, last = [], 0
    for m in REFERENCE.finditer(text):
        group, name = m[1], m[2]
        value = _lookup(group, name, values)
        if value is None:
            where = "search_space" if group == "search_space" else group
            raise ValidationError(
                f"command refers to ${{{{{group}.{name}}}}} but the job's {where} has no {name!r}: "
                f"add it under {where}, or wrap the option in $[[ ]] to make it optional"
            )
        out.append(text[last:m.start()])
        out.append(_quoted(str(value), _quote_state("".join(out))))
        last = m.end()
    out.append(text[last:])
    return "".join(out)
