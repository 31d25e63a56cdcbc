"""Parse a `%aml` line into a `Command`: noun, verb, flag values. Thin and table-driven."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from .grammar import NOUNS, WIDGETS, Flag, Verb, canonical_noun
from .yaml_input import parse_overrides

__all__ = ["Command", "parse_line", "usage"]


@dataclass
class Command:
    noun: str
    verb: str
    args: dict[str, Any] = field(default_factory=dict)
    body: str | None = None  # the %%aml cell body
    line: str = ""
    help: bool = False

    def __getattr__(self, name: str) -> Any:  # command.name, command.file, ...
        try:
            return self.__dict__["args"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def spelled(self) -> str:
        return " ".join(p for p in (self.noun, self.verb) if p)


def _strip_comment(line: str) -> str:
    """Drop a trailing `# comment`: a `#` that starts a word outside quotes (as in a shell)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _split(line: str) -> list[str]:
    try:
        return shlex.split(_strip_comment(line), posix=True)
    except ValueError as exc:
        raise UsageError(f"cannot split the line ({exc}): close your quotes") from None


def _flag_index(verb: Verb) -> dict[str, Flag]:
    index: dict[str, Flag] = {}
    for flag in verb.flags:
        for spelling in (flag.long, flag.short, *flag.aliases):
            if spelling:
                index[spelling] = flag
    return index


def _convert(flag: Flag, value: str, where: str) -> Any:
    if flag.kind == "int":
        try:
            number = int(value)
        except ValueError:
            raise UsageError(f"{flag.long} takes a whole number, not {value!r} ({where})") from None
        if number < 0:  # counts, sizes and seconds: a negative one would silently mean something else
            raise UsageError(f"{flag.long} takes a whole number >= 0, not {value} ({where})")
        return number
    return value


def parse_line(line: str, body: str | None = None) -> Command:
    words = _split(line)
    if not words:
        return Command("help", "", line=line)
    noun = canonical_noun(words[0])
    if noun is None:
        raise UsageError(f"unknown noun {words[0]!r}: one of {', '.join(NOUNS)} (see %aml help)")
    verbs = NOUNS[noun]
    rest = words[1:]
    if "" in verbs:  # connect, export, help take flags directly
        verb_name = ""
    elif not rest or rest[0].startswith("-"):
        if rest and rest[0] in ("-h", "--help"):
            return Command(noun, "", line=line, help=True)
        if noun in WIDGETS and not rest and body is None:
            return Command(noun, "", line=line)  # a widget
        raise UsageError(f"{noun} needs a verb: one of {', '.join(verbs)} (see %aml {noun} --help)")
    else:
        verb_name, rest = rest[0], rest[1:]
        if verb_name not in verbs:
            raise UsageError(f"unknown verb {verb_name!r} for {noun}: one of {', '.join(verbs)}")
    verb = verbs[verb_name]
    where = f"%aml {noun} {verb_name}".strip()
    command = Command(noun, verb_name, body=body, line=line)
    if body is not None and not verb.cell:
        raise UsageError(f"{where} takes no cell body: use %aml (one %), or a create verb with %%aml")
    index = _flag_index(verb)
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("-h", "--help"):
            command.help = True
            return command
        value = None
        if word.startswith("--") and "=" in word:
            word, value = word.split("=", 1)
        flag = index.get(word)
        if flag is None:
            if not word.startswith("-") and verb.positional and verb.positional not in command.args:
                command.args[verb.positional] = word
                i += 1
                continue
            raise UsageError(f"unknown flag {word!r} for {where}: see %aml {command.spelled} --help")
        i += 1
        if flag.kind == "bool":
            if value is not None:
                raise UsageError(f"{flag.long} is a switch and takes no value ({where})")
            command.args[flag.dest] = True
            continue
        values = [value] if value is not None else []
        while i < len(rest) and (not values or flag.kind == "multi") and not _looks_like_flag(rest[i], index):
            values.append(rest[i])
            i += 1
        if not values or any(v.strip() == "" for v in values):
            raise UsageError(f"{flag.long} needs a value ({where})")
        if flag.kind == "multi":
            command.args.setdefault(flag.dest, []).extend(values)
        else:
            if flag.dest in command.args:
                raise UsageError(f"{flag.long} is given twice ({where})")
            command.args[flag.dest] = _convert(flag, values[0], where)
    _check_required(command, verb, where)
    parse_overrides(command.args.get("set"))  # `--set garbage` is refused whatever the command
    return command


def _looks_like_flag(word: str, index: dict[str, Flag]) -> bool:
    return word.split("=", 1)[0] in index or (word.startswith("-") and len(word) > 1 and not _is_number(word))


def _is_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False


def _check_required(command: Command, verb: Verb, where: str) -> None:
    for group in verb.required:
        options = group.split("|")
        if any(command.args.get(o) is not None for o in options if o != "cell") or (
            "cell" in options and command.body is not None
        ):
            continue
        spelled = " or ".join("a %%aml cell body" if o == "cell" else "--" + o.replace("_", "-") for o in options)
        raise UsageError(f"{where} needs {spelled}: see %aml {command.spelled} --help")


def usage(noun: str | None = None, verb: str | None = None) -> str:
    """Help text for everything, a noun, or a verb."""
    if noun is None:
        lines = ["%aml <noun> <verb> [flags]  (az ml inside the notebook; %%aml <noun> create: the cell is the YAML)", ""]
        for name, verbs in NOUNS.items():
            names = ", ".join(v or "(flags)" for v in verbs)
            lines.append(f"  {name:<18} {names}")
        lines += ["", "aliases: env = environment, endpoint = online-endpoint, deployment = online-deployment",
                  "a noun alone opens its widget: %aml workspace, %aml compute, %aml data, %aml environment, %aml endpoint",
                  "%aml <noun> --help for a noun's verbs and flags"]
        return "\n".join(lines)
    verbs = NOUNS[noun]
    chosen = {verb: verbs[verb]} if verb in verbs else verbs
    lines = []
    for name, spec in chosen.items():
        mark = " *" if spec.ours else ""
        lines.append(f"%aml {noun} {name}".rstrip() + f"{mark}: {spec.help}")
        for flag in spec.flags:
            spelling = ", ".join(s for s in (flag.short, flag.long, *flag.aliases) if s)
            value = "" if flag.kind == "bool" else (" VALUE..." if flag.kind == "multi" else " VALUE")
            lines.append(f"    {spelling}{value}  {flag.help}".rstrip())
        if spec.required:
            needs = "; ".join(" or ".join(g.split("|")) for g in spec.required)
            lines.append(f"    required: {needs}")
    lines.append("(* = amlmagic addition, not in az ml)" if any(v.ours for v in chosen.values()) else "")
    return "\n".join(lines).rstrip()
