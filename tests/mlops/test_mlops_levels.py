"""amlmagic.mlops.levels: Microsoft's five levels, every practice placed on one, and a level
reached only when it and every level below are complete."""

from __future__ import annotations

from amlmagic.mlops.levels import LEVELS, PRACTICE_LEVELS, achieved_level, level_name
from amlmagic.mlops.practices import PRACTICES, TITLES


def test_the_five_levels_of_the_maturity_model():
    assert [level_name(n) for n in sorted(LEVELS)] == [
        "No MLOps", "DevOps but no MLOps", "Automated training", "Automated model deployment",
        "Full MLOps automated operations"]


def test_every_practice_has_a_level_a_check_and_a_title():
    assert list(PRACTICE_LEVELS) == list(PRACTICES) == list(TITLES)
    assert set(PRACTICE_LEVELS.values()) == {1, 2, 3, 4}  # each level above 0 asks for something


def _of(*levels: int) -> set[str]:
    return {p for p, level in PRACTICE_LEVELS.items() if level in levels}


def test_a_level_needs_all_its_practices_and_all_below():
    assert achieved_level([]) == 0
    assert achieved_level(_of(1)) == 1
    assert achieved_level(_of(1, 2)) == 2
    assert achieved_level(_of(1, 2, 3, 4)) == 4
    assert achieved_level(_of(2, 3, 4)) == 0  # level 1 is missing: the rest does not count
    assert achieved_level(_of(1, 2, 4)) == 2
    one_short = _of(1, 2) - {"pipelines-and-reuse"}
    assert achieved_level(one_short) == 1
