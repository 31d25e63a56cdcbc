"""The grammar owns dispatch: every verb (through every alias of its noun) names a handler that
exists, and every handler in amlmagic.magics.commands is named by the grammar."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import amlmagic.magics.commands as commands
from amlmagic.magics.grammar import ALIASES, NOUNS, WIDGETS, canonical_noun, handler_for, resolve_handler
from amlmagic.magics.parser import parse_line


def _is_handler(function) -> bool:
    return list(inspect.signature(function).parameters) == ["ctx"]


def _named_handlers() -> set[str]:
    named = {verb.handler for verbs in NOUNS.values() for verb in verbs.values()}
    return named | set(WIDGETS.values())


def test_every_verb_of_every_noun_and_alias_names_a_handler_that_exists():
    spellings = [(noun, noun) for noun in NOUNS] + [(alias, canonical_noun(alias)) for alias in ALIASES]
    for spelled, noun in spellings:
        assert noun in NOUNS, f"alias {spelled} names no noun"
        for verb_name, verb in NOUNS[noun].items():
            assert verb.handler, f"%aml {spelled} {verb_name} names no handler"
            function = handler_for(noun, verb_name)
            assert callable(function) and _is_handler(function), f"{verb.handler} is not a handler(ctx)"


def test_a_noun_alone_opens_the_widget_the_grammar_names():
    for noun in WIDGETS:
        command = parse_line(noun)
        assert (command.noun, command.verb) == (noun, "")
        assert handler_for(command.noun, command.verb) is resolve_handler(WIDGETS[noun])


def test_every_handler_in_the_commands_modules_is_named_by_the_grammar():
    named = {resolve_handler(spec) for spec in _named_handlers()}
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value) and _is_handler(value):
                assert value in named, f"{info.name}:{name} is a handler no verb of the grammar names"
