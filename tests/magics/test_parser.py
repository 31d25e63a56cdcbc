"""The %aml grammar: nouns, verbs, flags and aliases as `az ml` spells them."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlmagic.errors import UsageError
from amlmagic.magics.grammar import NOUNS
from amlmagic.magics.parser import parse_line, usage


def test_long_and_short_flags_mean_the_same():
    long = parse_line("data create --name mnist --version 3 --path ./d --type uri_folder --description x")
    short = parse_line("data create -n mnist -v 3 -p ./d -t uri_folder -d x")
    assert long.args == short.args == {
        "name": "mnist", "version": "3", "path": "./d", "type": "uri_folder", "description": "x"}


@pytest.mark.parametrize("alias,noun", [("env", "environment"), ("endpoint", "online-endpoint"),
                                        ("deployment", "online-deployment")])
def test_aliases(alias, noun):
    assert parse_line(f"{alias} list -n x" if alias == "env" else f"{alias} list" + (" -e e" if alias == "deployment" else "")).noun == noun


def test_quotes_are_split_posix_style():
    command = parse_line("online-endpoint update -n e --traffic \"blue=90 green=10\"")
    assert command.traffic == "blue=90 green=10"


def test_repeatable_and_multi_value_flags():
    assert parse_line("job create -f j.yml --set a=1 --set b.c=2").set == ["a=1", "b.c=2"]
    assert parse_line("connect --replay a.json b.json").replay == ["a.json", "b.json"]


def test_flag_equals_value_and_switches():
    command = parse_line("job create --file=j.yml --stream")
    assert command.file == "j.yml" and command.stream is True


def test_int_flags_and_negative_numbers():
    assert parse_line("compute create -n p --max-instances 3").max_instances == 3


def test_cell_body_satisfies_file_requirement():
    assert parse_line("job create", body="command: echo").body == "command: echo"


@pytest.mark.parametrize("line,message", [
    ("bogus list", "unknown noun 'bogus'"),
    ("job frobnicate", "unknown verb 'frobnicate' for job"),
    ("job create", "needs --file or a %%aml cell body"),
    ("data show", "needs --name"),
    ("data create -n x --bogus 1", "unknown flag '--bogus'"),
    ("data create -n x -n y", "--name is given twice"),
    ("job create -f", "--file needs a value"),
    ("job list -r many", "--max-results takes a whole number"),
    ("job create -f a.yml --stream=yes", "is a switch"),
    ("job 'unclosed", "close your quotes"),
    ("job", "job needs a verb"),
])
def test_errors_are_one_line_and_say_what_to_do(line, message):
    with pytest.raises(UsageError) as info:
        parse_line(line)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_noun_alone_is_a_widget_for_widget_nouns():
    assert parse_line("compute").verb == ""
    assert parse_line("env").noun == "environment"


def test_help_everywhere():
    assert parse_line("job create --help").help
    assert parse_line("job -h").help
    text = usage("job", "create")
    assert "-f, --file" in text and "-s, --stream" in text
    assert "online-deployment" in usage()


def test_a_body_on_a_verb_without_one_is_refused():
    with pytest.raises(UsageError, match="takes no cell body"):
        parse_line("data list", body="x: 1")


_words = st.sampled_from(
    list(NOUNS) + ["env", "endpoint", "create", "list", "show", "-n", "--name", "-f", "x.yml", "--set", "a=1",
                   "--stream", "-v", "3", "--bogus", "'", '"', "=", "--max-results", "-1", "--", "-"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_words, max_size=7))
def test_any_line_parses_or_raises_a_one_line_usage_error(words):
    line = " ".join(words)
    try:
        parse_line(line)
    except UsageError as exc:
        assert str(exc) and "\n" not in str(exc)


def test_empty_values_are_refused():
    with pytest.raises(UsageError, match="--name needs a value"):
        parse_line('data create -n "" -p d')


def test_a_trailing_comment_is_ignored_but_not_a_hash_inside_a_value():
    assert parse_line("data show -n x  # the latest").args == {"name": "x"}
    assert parse_line("data show -n a#b").name == "a#b"
    assert parse_line("data show -n 'a # b'").name == "a # b"
