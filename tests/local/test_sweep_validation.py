"""Submit-time validation of sweep specs: every rejection, and the defaults filled in."""

from __future__ import annotations

import copy

import pytest
import yaml

from amlmagic.errors import ValidationError
from amlmagic.local.sweep.policies import make_policy
from amlmagic.local.sweep.validation import DEFAULT_TIMEOUT, search_space_references, sweep_defaults, validate_sweep

SWEEP_YAML = """
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  code: ./src
  command: python train.py --lr ${{search_space.lr}} --batch ${{search_space.batch}} --data ${{inputs.data}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
inputs:
  data: {type: uri_folder, path: ./data}
compute: local
search_space:
  lr: {type: loguniform, min_value: -6, max_value: -1}
  batch: {type: choice, values: [32, 64]}
sampling_algorithm: random
objective: {primary_metric: accuracy, goal: maximize}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 5}
limits: {max_total_trials: 20, max_concurrent_trials: 2, timeout: 3600, trial_timeout: 600}
"""


@pytest.fixture
def spec():
    return yaml.safe_load(SWEEP_YAML)


def changed(spec, **fields):
    out = copy.deepcopy(spec)
    for key, value in fields.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_a_good_sweep_passes_and_keeps_its_limits(spec):
    validate_sweep(spec)
    full = sweep_defaults(spec)
    assert full["limits"] == {"max_total_trials": 20, "max_concurrent_trials": 2, "timeout": 3600, "trial_timeout": 600}
    assert full["sampling_algorithm"] == {"type": "random", "rule": "random"}
    assert spec == yaml.safe_load(SWEEP_YAML)  # not modified


def test_defaults_fill_in_limits_and_the_policy(spec):
    full = sweep_defaults(changed(spec, limits=None, early_termination={"type": "TruncationSelection",
                                                                         "truncation_percentage": 10,
                                                                         "evaluation_interval": 0}))
    assert full["limits"] == {"max_total_trials": 1000, "max_concurrent_trials": 1000,
                              "timeout": DEFAULT_TIMEOUT, "trial_timeout": None}
    assert DEFAULT_TIMEOUT == 5_184_000
    assert full["early_termination"] == {"type": "truncation_selection", "truncation_percentage": 10,
                                         "evaluation_interval": 1, "delay_evaluation": 0,
                                         "exclude_finished_jobs": False}
    # The filled-in policy behaves like the original (interval 0 applies at every interval).
    assert make_policy(full["early_termination"]).interval_for(3) == 3
    only_total = sweep_defaults(changed(spec, limits={"max_total_trials": 7}))["limits"]
    assert (only_total["max_total_trials"], only_total["max_concurrent_trials"]) == (7, 7)
    assert sweep_defaults(changed(spec, early_termination=None))["early_termination"] is None


def test_goal_case_is_normalized(spec):
    assert sweep_defaults(changed(spec, objective={"primary_metric": "loss", "goal": "Minimize"}))["objective"] == \
        {"primary_metric": "loss", "goal": "minimize"}


GRID_SPACE = {"batch": {"type": "choice", "values": [32, 64]}, "opt": {"type": "choice", "values": ["sgd", "adam"]}}


def test_grid_and_bayesian_pass_with_their_distributions(spec):
    validate_sweep(changed(spec, sampling_algorithm="grid", search_space=GRID_SPACE, trial=None))
    bayes_space = {**GRID_SPACE, "lr": {"type": "uniform", "min_value": 0.01, "max_value": 0.1},
                   "width": {"type": "quniform", "min_value": 1, "max_value": 8, "q": 1}}
    validate_sweep(changed(spec, sampling_algorithm={"type": "bayesian"}, search_space=bayes_space,
                           early_termination=None, trial=None))


def limits(**values):
    return {"max_total_trials": 20, **values}


@pytest.mark.parametrize("fields, message", [
    (dict(sampling_algorithm="grid"), "search_space.lr: grid sampling supports only choice, not loguniform"),
    (dict(sampling_algorithm="bayesian", early_termination=None),
     "search_space.lr: bayesian sampling supports only choice, uniform, quniform, not loguniform"),
    (dict(sampling_algorithm="bayesian", search_space=GRID_SPACE, trial=None),
     "early_termination: bayesian sampling does not support early termination"),
    (dict(sampling_algorithm="sobol"), "sampling_algorithm: unknown type 'sobol'"),
    (dict(sampling_algorithm={"type": "random", "rule": "halton"}), "sampling_algorithm.rule: must be random or sobol"),
    (dict(sampling_algorithm={"type": "random", "seed": -1}), "sampling_algorithm.seed: needs a whole number >= 0"),
    (dict(sampling_algorithm={"type": "grid", "seed": 1}), "sampling_algorithm: grid has no field 'seed'"),
    (dict(early_termination={"type": "bandit"}), "early_termination: bandit needs exactly one of slack_factor or slack_amount"),
    (dict(early_termination={"type": "bandit", "slack_factor": 0.1, "slack_amount": 0.2}),
     "early_termination: bandit needs exactly one of slack_factor or slack_amount"),
    (dict(early_termination={"type": "truncation_selection", "truncation_percentage": 0}),
     "early_termination.truncation_percentage: must be a whole number 1..99"),
    (dict(early_termination={"type": "truncation_selection", "truncation_percentage": 100}),
     "early_termination.truncation_percentage: must be a whole number 1..99"),
    (dict(limits=limits(max_total_trials=0)), "limits.max_total_trials: must be 1..1000, got 0"),
    (dict(limits=limits(max_total_trials=1001)), "limits.max_total_trials: must be 1..1000, got 1001"),
    (dict(limits=limits(max_total_trials=2.5)), "limits.max_total_trials: needs a whole number"),
    (dict(limits=limits(max_concurrent_trials=0)), "limits.max_concurrent_trials: must be at least 1"),
    (dict(limits=limits(timeout=0)), "limits.timeout: must be at least 1"),
    (dict(limits=limits(trial_timeout=-5)), "limits.trial_timeout: must be at least 1"),
    (dict(limits=limits(max_trials=5)), "limits: unknown field 'max_trials'"),
    (dict(objective={"primary_metric": "accuracy", "goal": "maximise"}), "objective.goal: must be maximize or minimize"),
    (dict(objective={"primary_metric": "accuracy"}), "objective.goal: must be maximize or minimize"),
    (dict(objective={"goal": "maximize"}), "objective.primary_metric: required"),
    (dict(objective=None), "objective.primary_metric: required"),
    (dict(search_space=None), "search_space: give at least one parameter"),
    (dict(search_space={"lr": {"type": "loguniform", "min_value": -1, "max_value": -6}}),
     "search_space.lr: loguniform needs min_value < max_value"),
    (dict(trial={"command": "python train.py --lr ${{search_space.learning_rate}}"}),
     "trial.command: ${{search_space.learning_rate}} is not in search_space (it has lr, batch)"),
])
def test_every_rejection_is_one_line_and_names_the_field(spec, fields, message):
    with pytest.raises(ValidationError) as caught:
        validate_sweep(changed(spec, **fields))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    with pytest.raises(ValidationError):
        sweep_defaults(changed(spec, **fields))


def test_search_space_references_are_found_with_spaces_too():
    assert search_space_references("a ${{search_space.x}} b ${{ search_space.y_2 }} ${{inputs.z}}") == ["x", "y_2"]
