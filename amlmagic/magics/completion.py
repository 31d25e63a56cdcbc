"""Tab completion for `%aml`: nouns, then the noun's verbs, then the verb's flags."""

from __future__ import annotations

import shlex
from typing import Any

from .grammar import ALIASES, NOUNS, canonical_noun

__all__ = ["complete_aml", "register_completer"]


def complete_aml(line: str) -> list[str]:
    """Candidates for the last (possibly empty) word of a `%aml` line."""
    try:
        words = shlex.split(line)
    except ValueError:  # an open quote: nothing sensible to offer
        return []
    if words and words[0].lstrip("%") == "aml":
        words = words[1:]
    finished = words if line.endswith((" ", "\t")) else words[:-1]
    if not finished:
        return sorted([*NOUNS, *ALIASES])
    noun = canonical_noun(finished[0])
    if noun is None:
        return []
    verbs = NOUNS[noun]
    if "" not in verbs and len(finished) == 1:
        return [v for v in verbs if v]
    verb = verbs.get("" if "" in verbs else finished[1])
    if verb is None:
        return []
    used = set(finished)
    return [f.long for f in verb.flags if f.long not in used and (f.short or "") not in used] + ["--help"]


def register_completer(shell: Any) -> None:
    shell.set_hook("complete_command", lambda _self, event: complete_aml(event.line), str_key="%aml")
    shell.set_hook("complete_command", lambda _self, event: complete_aml(event.line), str_key="%%aml")
