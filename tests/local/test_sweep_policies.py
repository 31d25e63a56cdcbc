"""Early-termination policies on hand-computed metric sequences, maximize and minimize."""

from __future__ import annotations

import math

import pytest

from amlmagic.errors import ValidationError
from amlmagic.local.sweep.policies import (
    BanditPolicy,
    MedianStoppingPolicy,
    TrialProgress,
    TruncationSelectionPolicy,
    make_policy,
)


def running(**values):
    return {name: TrialProgress(list(v)) for name, v in values.items()}


def cancelled(policy, trials, goal="maximize"):
    return {t.trial: t for t in policy.evaluate(trials, goal)}


def test_microsofts_bandit_example():
    # Best 0.8 at interval 10, slack_factor 0.2: trials whose best is below 0.8 / 1.2 = 0.667 go.
    policy = make_policy({"type": "bandit", "slack_factor": 0.2, "evaluation_interval": 1, "delay_evaluation": 5})
    trials = running(
        leader=[0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.78, 0.8],
        low=[0.2, 0.3, 0.4, 0.5, 0.6, 0.62, 0.64, 0.65, 0.66, 0.66],
        close=[0.2, 0.3, 0.4, 0.5, 0.6, 0.62, 0.64, 0.65, 0.66, 0.67],
    )
    found = cancelled(policy, trials)
    assert list(found) == ["low"]
    low = found["low"]
    assert (low.policy, low.interval) == ("bandit", 10)
    assert low.detail == "bandit: best 0.66 at interval 10 < 0.8 / (1 + 0.2) = 0.6667"
    assert low.numbers["threshold"] == pytest.approx(0.8 / 1.2)
    assert (low.numbers["trial_best"], low.numbers["best"]) == (0.66, 0.8)


def test_bandit_judges_the_latest_applicable_interval_with_values_cut_there():
    policy = make_policy({"type": "bandit", "slack_factor": 0.1, "evaluation_interval": 2, "delay_evaluation": 4})
    a = [0.5, 0.6, 0.6, 0.6, 0.99]
    # b at interval 4: 0.55 >= 0.6 / 1.1 = 0.545 (a's 0.99 at interval 5 does not count yet);
    # c has 3 values: its latest multiple of 2 is interval 2, before delay_evaluation 4.
    assert cancelled(policy, running(a=a, b=[0.4, 0.5, 0.5, 0.55], c=[0.01] * 3)) == {}
    assert cancelled(policy, running(a=a, b=[0.4, 0.5, 0.5, 0.55, 0.55], c=[0.01] * 3)) == {}  # 5 -> still 4
    found = cancelled(policy, running(a=a, b=[0.4, 0.5, 0.5, 0.55, 0.55, 0.56], c=[0.01] * 4))
    assert {name: t.interval for name, t in found.items()} == {"b": 6, "c": 4}
    assert found["b"].numbers["best"] == 0.99


def test_bandit_minimize_mirrors_slack_factor():
    # Best loss 0.5, slack_factor 0.2: losses above 0.5 * 1.2 = 0.6 go.
    policy = make_policy({"type": "bandit", "slack_factor": 0.2})
    found = cancelled(policy, running(leader=[0.9, 0.5], worse=[0.7, 0.61], fine=[0.8, 0.59]), "minimize")
    assert list(found) == ["worse"]
    assert found["worse"].detail == "bandit: best 0.61 at interval 2 > 0.5 * (1 + 0.2) = 0.6"


@pytest.mark.parametrize("goal, trials, expected, threshold", [
    ("maximize", {"leader": [0.8], "out": [0.64], "in": [0.66]}, ["out"], 0.65),
    ("minimize", {"leader": [0.2], "out": [0.36], "in": [0.34]}, ["out"], 0.35),
])
def test_bandit_slack_amount(goal, trials, expected, threshold):
    policy = make_policy({"type": "bandit", "slack_amount": 0.15})
    found = cancelled(policy, running(**trials), goal)
    assert list(found) == expected
    assert found["out"].numbers["threshold"] == pytest.approx(threshold)
    assert "0.15" in found["out"].detail


@pytest.mark.parametrize("goal, values", [("maximize", [-1.0, -2.0]), ("minimize", [-1.0, -0.5])])
def test_bandit_never_cancels_the_leader_even_with_negative_metrics(goal, values):
    # maximize: best -1, -1 / 1.2 = -0.833 > -1, so the formula alone would cancel the leader.
    policy = make_policy({"type": "bandit", "slack_factor": 0.2})
    found = cancelled(policy, running(leader=[values[0]], other=[values[1]]), goal)
    assert list(found) == ["other"]


def test_a_trial_is_reported_once_and_finished_trials_never():
    policy = make_policy({"type": "bandit", "slack_amount": 0.1})
    trials = {"leader": TrialProgress([0.9]), "bad": TrialProgress([0.1]), "done": TrialProgress([0.2], finished=True)}
    assert list(cancelled(policy, trials)) == ["bad"]
    assert policy.evaluate(trials, "maximize") == []
    assert policy.reported == {"bad"}


def test_nan_counts_as_the_worst_value():
    policy = make_policy({"type": "bandit", "slack_factor": 0.5})
    assert list(cancelled(policy, running(good=[0.5], broken=[math.nan]))) == ["broken"]
    assert list(cancelled(make_policy({"type": "bandit", "slack_factor": 0.5}),
                          running(good=[0.5], broken=[math.nan]), "minimize")) == ["broken"]


def test_median_stopping_maximize():
    # At interval 3: running averages a 0.4, b 0.5, c 0.2 (d has not reached 3: left out, else
    # the median would drop to 0.3); median 0.4; c's best 0.3 < 0.4.
    policy = make_policy({"type": "median_stopping", "evaluation_interval": 1, "delay_evaluation": 3})
    trials = running(a=[0.2, 0.4, 0.6], b=[0.5, 0.5, 0.5], c=[0.1, 0.2, 0.3], d=[0.0, 0.0])
    found = cancelled(policy, trials)
    assert list(found) == ["c"]
    assert found["c"].numbers == {"trial_best": 0.3, "median": pytest.approx(0.4), "trials_compared": 3}
    assert found["c"].detail.startswith("median_stopping: best 0.3 at interval 3 < median 0.4 ")


def test_median_stopping_minimize():
    policy = make_policy({"type": "median_stopping", "delay_evaluation": 3})
    trials = running(a=[0.8, 0.6, 0.4], b=[0.5, 0.5, 0.5], c=[0.9, 0.8, 0.7])
    found = cancelled(policy, trials, "minimize")
    assert list(found) == ["c"]  # median of averages (0.6, 0.5, 0.8) is 0.6 < c's best 0.7
    assert found["c"].numbers["median"] == pytest.approx(0.6)


def test_median_stopping_counts_the_candidate_itself():
    # y's best 0.45 against the median of (y 0.35, x 0.5) = 0.425: kept. Without y it would be 0.5.
    policy = make_policy({"type": "median_stopping"})
    assert cancelled(policy, running(x=[0.5, 0.5, 0.5], y=[0.3, 0.3, 0.45])) == {}


FIVE = {"a": [0.0, 0.9], "b": [0.0, 0.8], "c": [0.0, 0.7], "d": [0.0, 0.6], "e": [0.95, 0.5]}


def test_truncation_selection_maximize_ranks_by_the_value_at_the_interval():
    # Values at interval 2: 0.9 0.8 0.7 0.6 0.5; 20% of 5 = 1 cut: e, though its best was 0.95.
    found = cancelled(make_policy({"type": "truncation_selection", "truncation_percentage": 20}), running(**FIVE))
    assert list(found) == ["e"]
    assert found["e"].numbers == {"value": 0.5, "ranked": 5, "cut": 1, "truncation_percentage": 20}
    assert found["e"].interval == 2
    found = cancelled(make_policy({"type": "truncation_selection", "truncation_percentage": 40}), running(**FIVE))
    assert sorted(found) == ["d", "e"]
    found = cancelled(make_policy({"type": "truncation_selection", "truncation_percentage": 39}), running(**FIVE))
    assert sorted(found) == ["e"]  # floor(5 * 39 / 100) = 1


def test_truncation_selection_minimize():
    found = cancelled(make_policy({"type": "truncation_selection", "truncation_percentage": 40}), running(**FIVE), "minimize")
    assert sorted(found) == ["a", "b"]


def test_truncation_selection_exclude_finished_jobs():
    trials = {name: TrialProgress(values, finished=(name == "e")) for name, values in FIVE.items()}
    # Finished e ranked: it fills the one cut slot of 25% of 5, so no running trial goes.
    assert cancelled(make_policy({"type": "truncation_selection", "truncation_percentage": 25}), trials) == {}
    # Excluded: 25% of the 4 left = 1 cut, the worst running one (d).
    policy = make_policy({"type": "truncation_selection", "truncation_percentage": 25, "exclude_finished_jobs": True})
    assert list(cancelled(policy, trials)) == ["d"]


def test_truncation_selection_ties_favour_the_candidate():
    policy = make_policy({"type": "truncation_selection", "truncation_percentage": 20})
    assert cancelled(policy, running(**{name: [0.5] for name in "abcde"})) == {}


def test_evaluation_interval_zero_counts_as_one():
    policy = make_policy({"type": "median_stopping", "evaluation_interval": 0})
    assert [policy.interval_for(n) for n in (0, 1, 2, 3)] == [None, 1, 2, 3]
    policy = make_policy({"type": "median_stopping", "evaluation_interval": 3, "delay_evaluation": 5})
    assert [policy.interval_for(n) for n in range(1, 10)] == [None] * 5 + [6, 6, 6, 9]


def test_make_policy_builds_the_right_policy():
    assert make_policy(None) is None and make_policy({}) is None
    assert isinstance(make_policy({"type": "Bandit", "slack_amount": 1}), BanditPolicy)
    assert isinstance(make_policy({"type": "MedianStopping"}), MedianStoppingPolicy)
    truncation = make_policy({"type": "truncation_selection", "truncation_percentage": 10})
    assert isinstance(truncation, TruncationSelectionPolicy) and not truncation.exclude_finished_jobs


@pytest.mark.parametrize("spec, message", [
    ({"type": "bandit"}, "early_termination: bandit needs exactly one of slack_factor or slack_amount"),
    ({"type": "bandit", "slack_factor": 0.1, "slack_amount": 0.1}, "early_termination: bandit needs exactly one"),
    ({"type": "bandit", "slack_factor": -1}, "early_termination.slack_factor: needs a number >= 0"),
    ({"type": "truncation_selection"}, "early_termination.truncation_percentage: truncation_selection needs it"),
    ({"type": "truncation_selection", "truncation_percentage": 0}, "early_termination.truncation_percentage: must be a whole number 1..99"),
    ({"type": "truncation_selection", "truncation_percentage": 100}, "early_termination.truncation_percentage: must be a whole number 1..99"),
    ({"type": "truncation_selection", "truncation_percentage": 5, "exclude_finished_jobs": "yes"}, "early_termination.exclude_finished_jobs"),
    ({"type": "median_stopping", "slack_factor": 0.1}, "early_termination: median_stopping has no field 'slack_factor'"),
    ({"type": "median_stopping", "evaluation_interval": -1}, "early_termination.evaluation_interval: must be at least 0"),
    ({"type": "median_stopping", "delay_evaluation": 1.5}, "early_termination.delay_evaluation: needs a whole number"),
    ({"type": "hyperband"}, "early_termination.type: unknown policy 'hyperband'"),
])
def test_bad_policies_raise_one_line_errors(spec, message):
    with pytest.raises(ValidationError) as caught:
        make_policy(spec)
    assert str(caught.value).startswith(message)


def test_bad_goal_is_rejected():
    with pytest.raises(ValidationError, match="goal: must be maximize or minimize"):
        make_policy({"type": "median_stopping"}).evaluate(running(a=[1.0]), "up")
