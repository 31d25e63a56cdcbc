"""Search space: each distribution's range and type, Azure's definitions, parse errors."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amlmagic.errors import ValidationError
from amlmagic.local.sweep.search_space import leaves, materialize, parse_search_space

units = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
bounds = st.tuples(st.floats(-50, 50), st.floats(-50, 50)).filter(lambda b: b[0] + 1e-6 < b[1])
steps = st.sampled_from([0.01, 0.1, 0.25, 0.5, 1, 2, 5, 16])


def one(spec):
    return parse_search_space({"p": spec})["p"]


@given(bounds, units)
def test_uniform_stays_within_bounds_as_float(b, u):
    value = one({"type": "uniform", "min_value": b[0], "max_value": b[1]}).from_unit(u)
    assert type(value) is float and b[0] <= value <= b[1]


@given(bounds, units)
def test_loguniform_bounds_are_exponents(b, u):
    value = one({"type": "loguniform", "min_value": b[0], "max_value": b[1]}).from_unit(u)
    assert type(value) is float
    assert math.exp(b[0]) * (1 - 1e-9) <= value <= math.exp(b[1]) * (1 + 1e-9)


@given(st.integers(1, 10_000), units)
def test_randint_upper_is_exclusive_and_int(upper, u):
    value = one({"type": "randint", "upper": upper}).from_unit(u)
    assert type(value) is int and 0 <= value < upper


def test_randint_reaches_every_value():
    dist = one({"type": "randint", "upper": 7})
    assert sorted({dist.from_unit(k / 7) for k in range(7)}) == list(range(7))


@given(bounds, steps, units)
def test_quniform_rounds_to_multiples_of_q(b, q, u):
    value = one({"type": "quniform", "min_value": b[0], "max_value": b[1], "q": q}).from_unit(u)
    assert type(value) is float
    assert math.isclose(value / q, round(value / q), abs_tol=1e-9)
    assert round(b[0] / q) * q - 1e-9 <= value <= round(b[1] / q) * q + 1e-9


@given(st.tuples(st.floats(-5, 5), st.floats(-5, 5)).filter(lambda b: b[0] < b[1]), steps, units)
def test_qloguniform_is_rounded_exp_of_uniform(b, q, u):
    value = one({"type": "qloguniform", "min_value": b[0], "max_value": b[1], "q": q}).from_unit(u)
    raw = math.exp(b[0] + u * (b[1] - b[0]))
    assert type(value) is float and math.isclose(value, round(raw / q) * q, abs_tol=1e-9)


@given(st.floats(-100, 100), st.floats(0.01, 50), units)
def test_normal_and_lognormal_are_monotone_in_the_unit(mu, sigma, u):
    normal = one({"type": "normal", "mu": mu, "sigma": sigma})
    lognormal = one({"type": "lognormal", "mu": mu / 20, "sigma": sigma / 20})
    assert type(normal.from_unit(u)) is float and math.isfinite(normal.from_unit(u))
    assert normal.from_unit(u) <= normal.from_unit(u + (1 - u) / 2)
    assert lognormal.from_unit(u) > 0


@given(st.floats(-20, 20), st.floats(0.1, 10), steps, units)
def test_qnormal_and_qlognormal_are_rounded(mu, sigma, q, u):
    for kind, transform in (("qnormal", lambda x: x), ("qlognormal", math.exp)):
        dist = one({"type": kind, "mu": mu / 4, "sigma": sigma / 4, "q": q})
        value = dist.from_unit(u)
        assert type(value) is float and math.isclose(value / q, round(value / q), abs_tol=1e-9)
        raw = transform(one({"type": "normal", "mu": mu / 4, "sigma": sigma / 4}).from_unit(u))
        assert abs(value - raw) <= q / 2 + 1e-9


def test_normal_median_is_mu_and_lognormal_median_is_exp_mu():
    assert one({"type": "normal", "mu": 3, "sigma": 2}).from_unit(0.5) == pytest.approx(3)
    assert one({"type": "lognormal", "mu": 1, "sigma": 2}).from_unit(0.5) == pytest.approx(math.e)


def test_quantized_values_print_as_the_user_wrote_q():
    dist = one({"type": "quniform", "min_value": 0, "max_value": 1, "q": 0.1})
    printed = {repr(dist.from_unit(k / 100)) for k in range(100)}
    assert printed == {f"{k / 10:.1f}" for k in range(11)}


def test_sampled_distributions_have_the_right_moments():
    space = parse_search_space({
        "u": {"type": "uniform", "min_value": 2, "max_value": 6},
        "lu": {"type": "loguniform", "min_value": -6, "max_value": -1},
        "n": {"type": "normal", "mu": 10, "sigma": 3},
        "ln": {"type": "lognormal", "mu": 0.5, "sigma": 0.25},
    })
    rng = random.Random(7)
    draws = [materialize(space, rng.random) for _ in range(4000)]
    assert statistics.mean(d["u"] for d in draws) == pytest.approx(4, abs=0.1)
    assert statistics.mean(math.log(d["lu"]) for d in draws) == pytest.approx(-3.5, abs=0.1)
    assert statistics.mean(d["n"] for d in draws) == pytest.approx(10, abs=0.2)
    assert statistics.stdev(d["n"] for d in draws) == pytest.approx(3, abs=0.2)
    assert statistics.mean(math.log(d["ln"]) for d in draws) == pytest.approx(0.5, abs=0.02)


def test_choice_returns_values_with_their_types_and_copies():
    dist = one({"type": "choice", "values": [32, 0.5, "adam", True, [1, 2], {"k": 1}]})
    chosen = [dist.from_unit((i + 0.5) / 6) for i in range(6)]
    assert chosen == [32, 0.5, "adam", True, [1, 2], {"k": 1}]
    assert type(chosen[0]) is int
    space = {"p": dist}
    first = materialize(space, iter([0.99]).__next__)["p"]
    first["k"] = 2
    assert materialize(space, iter([0.99]).__next__)["p"] == {"k": 1}


def test_nested_choice_samples_its_sub_space():
    space = parse_search_space({
        "model": {"type": "choice", "values": [
            {"name": "small", "lr": {"type": "uniform", "min_value": 0.1, "max_value": 0.2}},
            {"name": "big", "depth": {"type": "randint", "upper": 4}},
        ]},
        "seed": {"type": "randint", "upper": 10},
    })
    assert [d.kind for d in leaves(space)] == ["choice", "uniform", "randint", "randint"]
    # One unit per leaf whatever branch is chosen: leaf k always reads unit k.
    small = materialize(space, iter([0.1, 0.5, 0.5, 0.95]).__next__)
    big = materialize(space, iter([0.9, 0.5, 0.5, 0.95]).__next__)
    assert small == {"model": {"name": "small", "lr": pytest.approx(0.15)}, "seed": 9}
    assert big == {"model": {"name": "big", "depth": 2}, "seed": 9}


@pytest.mark.parametrize("spec, message", [
    ({"type": "loguniform", "min_value": -1, "max_value": -6}, "search_space.p: loguniform needs min_value < max_value"),
    ({"type": "uniform", "min_value": 1, "max_value": 1}, "search_space.p: uniform needs min_value < max_value"),
    ({"type": "uniform", "min_value": 1}, "search_space.p: uniform needs max_value"),
    ({"type": "uniform", "min_value": "a", "max_value": 2}, "search_space.p.min_value: needs a number"),
    ({"type": "uniform", "min_value": True, "max_value": 2}, "search_space.p.min_value: needs a number"),
    ({"type": "uniform", "min_value": 0, "max_value": 2, "q": 1}, "search_space.p: uniform has no field 'q'"),
    ({"type": "randint", "upper": 0}, "search_space.p: randint needs an integer upper >= 1"),
    ({"type": "randint", "upper": 2.5}, "search_space.p: randint needs an integer upper >= 1"),
    ({"type": "normal", "mu": 0, "sigma": 0}, "search_space.p: normal needs sigma > 0"),
    ({"type": "qnormal", "mu": 0, "sigma": 1, "q": 0}, "search_space.p: qnormal needs q > 0"),
    ({"type": "choice", "values": []}, "search_space.p: choice needs values as a non-empty list"),
    ({"type": "choice", "values": "abc"}, "search_space.p: choice needs values as a non-empty list"),
    ({"type": "gaussian", "mu": 0}, "search_space.p: unknown type 'gaussian'"),
    ({"min_value": 0}, "search_space.p: needs a mapping with a type"),
    ({"type": "loguniform", "min_value": 0, "max_value": 800}, "search_space.p: loguniform bounds are exponents"),
    ({"type": "choice", "values": [{"lr": {"type": "uniform", "min_value": 2, "max_value": 1}}]},
     "search_space.p.values[0].lr: uniform needs min_value < max_value"),
])
def test_bad_distributions_raise_one_line_errors_naming_the_field(spec, message):
    with pytest.raises(ValidationError) as caught:
        parse_search_space({"p": spec})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_numbers_given_as_strings_are_read_like_the_sdk_does():
    # PyYAML reads 1e-3 (no dot) as a string; Azure's schema turns it into a number.
    dist = one({"type": "uniform", "min_value": "1e-3", "max_value": "1e-2"})
    assert dist.args == {"min_value": 0.001, "max_value": 0.01}


def test_empty_search_space_is_rejected():
    for empty in (None, {}, []):
        with pytest.raises(ValidationError, match="search_space: give at least one parameter"):
            parse_search_space(empty)
