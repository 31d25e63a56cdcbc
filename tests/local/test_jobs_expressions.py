"""Command expressions: substitution, optional groups, undefined references, shell quoting
checked by running the rendered command in a real bash."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlmagic.errors import ValidationError
from amlmagic.local.jobs.expressions import references, render_command


def words(command: str) -> list[str]:
    proc = subprocess.run(["bash", "-c", f"for a in {command}; do printf '%s\\0' \"$a\"; done"],
                          capture_output=True, check=True)
    return proc.stdout.decode().split("\0")[:-1]


def test_literals_outputs_and_search_space():
    text = render_command(
        "train --lr ${{inputs.lr}} --out ${{outputs.model}} --c ${{search_space.c}}",
        {"lr": "0.1"}, {"model": "/jobs/j/outputs/model"}, {"c": "3"},
    )
    assert text == "train --lr 0.1 --out /jobs/j/outputs/model --c 3"
    assert references("${{inputs.a}} ${{ outputs.b }}") == [("inputs", "a"), ("outputs", "b")]


def test_optional_groups():
    cmd = "run $[[--seed ${{inputs.seed}}]] $[[--k ${{inputs.k}}]]"
    assert render_command(cmd, {"seed": "1"}, {}) == "run --seed 1 "
    assert render_command(cmd, {"seed": None, "k": "2"}, {}) == "run  --k 2"


@pytest.mark.parametrize("cmd, group", [("echo ${{inputs.x}}", "inputs"), ("echo ${{outputs.y}}", "outputs"),
                                        ("echo ${{search_space.z}}", "search_space")])
def test_undefined_reference_is_rejected_with_the_field(cmd, group):
    with pytest.raises(ValidationError, match=group):
        render_command(cmd, {}, {})


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
def test_any_value_reaches_the_program_unchanged_in_every_quote_context(value):
    for template in ("${{inputs.v}}", '"${{inputs.v}}"', "'${{inputs.v}}'", 'pre"${{inputs.v}}"post'):
        rendered = render_command(template, {"v": value}, {})
        expected = value if template.startswith(("$", '"', "'")) else f"pre{value}post"
        assert words(rendered) == [expected]
