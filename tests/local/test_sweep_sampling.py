"""Samplers: determinism with a seed (in process and in another process), restore from state,
grid completeness, sobol coverage, bayesian constraints and learning from told values."""

from __future__ import annotations

import itertools
import json
import math
import statistics
import subprocess
import sys
import textwrap

import pytest

from amlmagic.errors import ValidationError
from amlmagic.local.sweep.sampling import make_sampler

MIXED_SPACE = {
    "lr": {"type": "loguniform", "min_value": -6, "max_value": -1},
    "batch": {"type": "choice", "values": [32, 64, 128]},
    "layers": {"type": "randint", "upper": 5},
    "dropout": {"type": "quniform", "min_value": 0, "max_value": 0.5, "q": 0.05},
    "noise": {"type": "qlognormal", "mu": 0, "sigma": 1, "q": 0.5},
    "momentum": {"type": "normal", "mu": 0.9, "sigma": 0.02},
}


def sweep(space, algorithm, goal="maximize"):
    return {"search_space": space, "sampling_algorithm": algorithm,
            "objective": {"primary_metric": "m", "goal": goal}}


def draw(sampler, count):
    return [sampler.next_params() for _ in range(count)]


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_same_seed_same_sequence_other_seed_other_sequence(rule):
    first = draw(make_sampler(sweep(MIXED_SPACE, {"type": "random", "seed": 3, "rule": rule})), 25)
    again = draw(make_sampler(sweep(MIXED_SPACE, {"type": "random", "seed": 3, "rule": rule})), 25)
    other = draw(make_sampler(sweep(MIXED_SPACE, {"type": "random", "seed": 4, "rule": rule})), 25)
    assert first == again
    assert first != other
    assert len({p["lr"] for p in first}) == 25  # not one point repeated


def test_values_are_plain_python_types_ready_for_a_command_line():
    for params in draw(make_sampler(sweep(MIXED_SPACE, {"type": "random", "seed": 1})), 50):
        assert type(params["batch"]) is int and params["batch"] in (32, 64, 128)
        assert type(params["layers"]) is int and 0 <= params["layers"] < 5
        for name in ("lr", "dropout", "noise", "momentum"):
            assert type(params[name]) is float
        assert math.exp(-6) <= params["lr"] <= math.exp(-1)
        assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("algorithm", [{"type": "random", "seed": 9}, {"type": "random", "seed": 9, "rule": "sobol"}])
def test_restored_random_sampler_continues_the_same_sequence(algorithm):
    spec = sweep(MIXED_SPACE, algorithm)
    whole = draw(make_sampler(spec), 20)
    first_half = make_sampler(spec)
    draw(first_half, 7)
    saved = json.loads(json.dumps(first_half.state()))
    assert saved == {"algorithm": "random", "seed": 9, "sampled": 7}
    assert draw(make_sampler(spec, state=saved), 13) == whole[7:]


def test_without_a_seed_one_is_drawn_and_kept_in_the_state():
    spec = sweep(MIXED_SPACE, "random")
    a, b = make_sampler(spec), make_sampler(spec)
    assert draw(a, 5) != draw(b, 5)
    assert draw(make_sampler(spec, state={**a.state(), "sampled": 0}), 5) == draw(make_sampler(spec, state={**a.state(), "sampled": 0}), 5)


def run_in_other_process(spec, state, count, tells=()):
    """Rebuild the sampler in a fresh interpreter from (spec, state) and draw `count` params."""
    script = textwrap.dedent("""
        import json, sys
        from amlmagic.local.sweep.sampling import make_sampler
        spec, state, count, tells = json.load(sys.stdin)
        sampler = make_sampler(spec, state=state)
        out = []
        for _ in range(count):
            out.append(sampler.next_params())
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps([spec, state, count, list(tells)]),
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_random_and_sobol_rebuild_in_another_process_from_spec_and_count():
    spec = sweep(MIXED_SPACE, {"type": "random", "seed": 11, "rule": "sobol"})
    here = draw(make_sampler(spec), 12)
    assert run_in_other_process(spec, {"algorithm": "random", "seed": 11, "sampled": 4}, 8) == json.loads(json.dumps(here[4:]))
    spec = sweep(MIXED_SPACE, {"type": "random", "seed": 11})
    here = draw(make_sampler(spec), 12)
    assert run_in_other_process(spec, {"algorithm": "random", "seed": 11, "sampled": 4}, 8) == json.loads(json.dumps(here[4:]))


def test_sobol_covers_the_unit_interval_evenly():
    # 64 scrambled sobol points put exactly one point in each 1/64th: random sampling would not.
    spec = sweep({"x": {"type": "uniform", "min_value": 0, "max_value": 1}}, {"type": "random", "seed": 5, "rule": "sobol"})
    xs = [p["x"] for p in draw(make_sampler(spec), 64)]
    assert sorted(int(x * 64) for x in xs) == list(range(64))
    spec["sampling_algorithm"]["rule"] = "random"
    xs = [p["x"] for p in draw(make_sampler(spec), 64)]
    assert len({int(x * 64) for x in xs}) < 64


GRID_SPACE = {
    "a": {"type": "choice", "values": [1, 2, 3]},
    "b": {"type": "choice", "values": ["x", "y"]},
    "c": {"type": "choice", "values": [0.5, {"k": [1]}, True, 4]},
}


def test_grid_yields_every_combination_once_then_is_exhausted():
    sampler = make_sampler(sweep(GRID_SPACE, "grid"))
    seen = []
    while (params := sampler.next_params()) is not None:
        seen.append(params)
        assert len(seen) <= 24
    expected = [dict(zip("abc", combo, strict=True)) for combo in itertools.product(*(s["values"] for s in GRID_SPACE.values()))]
    assert seen == expected
    assert sampler.next_params() is None


def test_grid_restored_mid_way_gives_the_rest():
    spec = sweep(GRID_SPACE, {"type": "grid"})
    whole = draw(make_sampler(spec), 24)
    partial = make_sampler(spec)
    draw(partial, 10)
    rest = make_sampler(spec, state=json.loads(json.dumps(partial.state())))
    assert draw(rest, 15) == whole[10:] + [None]


def test_grid_and_bayesian_refuse_distributions_they_cannot_sample():
    with pytest.raises(ValidationError, match=r"search_space.lr: grid sampling supports only choice"):
        make_sampler(sweep(MIXED_SPACE, "grid"))
    with pytest.raises(ValidationError, match=r"search_space.lr: bayesian sampling supports only choice, uniform, quniform"):
        make_sampler(sweep(MIXED_SPACE, "bayesian"))


BAYES_SPACE = {
    "x": {"type": "uniform", "min_value": -10, "max_value": 10},
    "width": {"type": "quniform", "min_value": 0, "max_value": 4, "q": 0.5},
    "act": {"type": "choice", "values": ["relu", "tanh"]},
}


def quadratic_loss(params):
    return (params["x"] - 3.0) ** 2 + (0.0 if params["act"] == "tanh" else 5.0)


def run_sweep(spec, trials):
    sampler = make_sampler(spec)
    history = []
    for index in range(trials):
        params = sampler.next_params()
        sampler.tell(index, quadratic_loss(params), "completed")
        history.append(params)
    return history


def test_bayesian_values_respect_the_space():
    history = run_sweep(sweep(BAYES_SPACE, {"type": "bayesian", "seed": 2}, "minimize"), 15)
    for params in history:
        assert type(params["x"]) is float and -10 <= params["x"] <= 10
        assert type(params["width"]) is float and params["width"] * 2 == int(params["width"] * 2)
        assert params["act"] in ("relu", "tanh")


LINE = {"x": {"type": "uniform", "min_value": -10, "max_value": 10}}


def distances_from_optimum(algorithm, seeds, trials=30, goal="minimize"):
    """|x - 3| of the last half of each sweep on the 1-D quadratic (x - 3)^2, pooled over seeds."""
    pooled = []
    for seed in seeds:
        sampler = make_sampler(sweep(LINE, {"type": algorithm, "seed": seed}, goal))
        for index in range(trials):
            x = sampler.next_params()["x"]
            sampler.tell(index, (x - 3.0) ** 2, "completed")
            if index >= trials // 2:
                pooled.append(abs(x - 3.0))
    return pooled


def test_bayesian_learns_from_told_values_better_than_random():
    # One 30-trial sweep is noisy (TPE starts with 10 random trials), so pool 10 seeds: TPE's
    # median distance is about half of random's (~2.5 against ~5); 0.7 leaves a wide margin.
    seeds = range(10)
    bayes = statistics.median(distances_from_optimum("bayesian", seeds))
    rand = statistics.median(distances_from_optimum("random", seeds))
    assert bayes < 0.7 * rand


def test_bayesian_next_proposal_depends_on_the_told_values():
    spec = sweep(BAYES_SPACE, {"type": "bayesian", "seed": 7}, "minimize")
    sampler = make_sampler(spec)
    for index in range(12):
        sampler.tell(index, quadratic_loss(sampler.next_params()), "completed")
    saved = sampler.state()
    changed = json.loads(json.dumps(saved))
    worst = max(changed["trials"], key=lambda t: t["value"])
    worst["value"] = 0.0  # the worst trial now claims the optimum
    assert make_sampler(spec, state=saved).next_params() != make_sampler(spec, state=changed).next_params()


def test_bayesian_goal_decides_the_direction():
    # Maximizing the same quadratic pushes x away from 3, to the far edge (-10) instead.
    seeds = range(5)
    assert statistics.median(distances_from_optimum("bayesian", seeds, goal="maximize")) > \
        statistics.median(distances_from_optimum("random", seeds, goal="maximize"))


def test_bayesian_with_a_seed_repeats_and_restores_in_another_process():
    spec = sweep(BAYES_SPACE, {"type": "bayesian", "seed": 7}, "minimize")
    assert run_sweep(spec, 14) == run_sweep(spec, 14)
    live = make_sampler(spec)
    for index in range(13):
        params = live.next_params()
        if index % 5 == 4:
            live.tell(params, None, "Failed")  # by params, Azure's status spelling
        elif index < 11:
            live.tell(index, quadratic_loss(params), "completed")
        # trials 11 and 12 stay running (untold)
    saved = json.loads(json.dumps(live.state()))
    assert [t["state"] for t in saved["trials"]][9:] == ["failed", "completed", None, None]
    restored = make_sampler(spec, state=saved)
    assert draw(restored, 3) == draw(live, 3)
    # ... and in a fresh interpreter (live has 3 more now: compare against a second restore).
    assert run_in_other_process(spec, saved, 3) == json.loads(json.dumps(draw(make_sampler(spec, state=saved), 3)))


def test_bayesian_records_failed_canceled_and_missing_values_as_such():
    sampler = make_sampler(sweep(BAYES_SPACE, {"type": "bayesian", "seed": 1}, "minimize"))
    for _ in range(4):
        sampler.next_params()
    sampler.tell(0, 1.5, "Completed")
    sampler.tell(1, 9.0, "Canceled")
    sampler.tell(2, None, "completed")  # the metric was never logged
    sampler.tell(3, float("nan"), "completed")
    sampler.tell(0, 99.0, "completed")  # a second tell is ignored
    states = [(t["state"], t["value"]) for t in sampler.state()["trials"]]
    assert states == [("completed", 1.5), ("canceled", 9.0), ("completed", None), ("completed", None)]
    with pytest.raises(ValueError):
        sampler.tell(7, 1.0, "completed")
    with pytest.raises(ValueError):
        sampler.tell(0, 1.0, "exploded")
