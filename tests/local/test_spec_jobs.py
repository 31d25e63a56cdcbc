"""spec.jobs: CLI v2 dicts round-trip through load_job for command and sweep jobs."""

from __future__ import annotations

import textwrap

import pytest

from amlmagic.spec.jobs import job_to_spec, spec_to_job

COMMAND = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: python train.py --x ${{inputs.x}} --d ${{inputs.d}} --o ${{outputs.out}}
code: src
environment: azureml:AzureML-sklearn-1.5@latest
inputs:
  x: 3
  d: {type: uri_folder, path: ./data, mode: ro_mount}
  reg: {type: uri_file, path: "azureml:table:2"}
  model: {type: mlflow_model, path: "azureml:net@latest"}
outputs:
  out: {type: uri_folder}
compute: azureml:cpu
display_name: hi
experiment_name: exp
description: words
tags: {a: b}
environment_variables: {E: "1"}
limits: {timeout: 60}
"""

SWEEP = """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  code: src
  command: python main.py --lr ${{search_space.lr}} --data ${{inputs.d}}
  environment:
    image: python:3.11
    conda_file: conda.yml
inputs:
  d: {type: uri_folder, path: ./data}
compute: azureml:cpu-cluster
sampling_algorithm: random
search_space:
  lr: {type: loguniform, min_value: -6, max_value: -1}
  c: {type: choice, values: [1, 2]}
objective: {goal: maximize, primary_metric: acc}
limits: {max_total_trials: 5, max_concurrent_trials: 2, timeout: 600}
early_termination: {type: bandit, evaluation_interval: 2, slack_factor: 0.1}
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "conda.yml").write_text("dependencies:\n- python=3.11\n- pip\n- pip:\n  - six\n")
    return tmp_path


def load(folder, text, overrides=None):
    from azure.ai.ml import load_job

    (folder / "job.yml").write_text(textwrap.dedent(text))
    return load_job(folder / "job.yml", params_override=overrides or [])


def test_command_spec_reads_as_written_and_round_trips(folder):
    spec = job_to_spec(load(folder, COMMAND))
    assert spec["code"] == "src" and spec["compute"] == "azureml:cpu"
    assert spec["inputs"] == {
        "x": 3, "d": {"type": "uri_folder", "path": "./data", "mode": "ro_mount"},
        "reg": {"type": "uri_file", "path": "azureml:table:2"},
        "model": {"type": "mlflow_model", "path": "azureml:net@latest"},
    }
    assert spec["environment"] == "azureml:AzureML-sklearn-1.5@latest" and spec["limits"] == {"timeout": 60}
    assert (spec["description"], spec["tags"], spec["environment_variables"]) == ("words", {"a": "b"}, {"E": "1"})
    again = spec_to_job(spec, folder)
    assert job_to_spec(again) == spec


def test_set_overrides_survive(folder):
    spec = job_to_spec(load(folder, COMMAND, [{"inputs.x": 9}, {"display_name": "other"}]))
    assert spec["inputs"]["x"] == 9 and spec["display_name"] == "other"


def test_sweep_spec_round_trips_with_inline_environment(folder):
    spec = job_to_spec(load(folder, SWEEP))
    assert spec["trial"]["environment"]["conda_file"]["dependencies"][-1] == {"pip": ["six"]}
    assert spec["early_termination"] == {"type": "bandit", "evaluation_interval": 2, "delay_evaluation": 0,
                                         "slack_factor": 0.1}
    assert spec["search_space"]["c"] == {"type": "choice", "values": [1, 2]}
    assert job_to_spec(spec_to_job(spec, folder)) == spec


def test_python_built_command_without_environment_round_trips(folder):
    from azure.ai.ml import Input, command

    job = command(command="echo ${{inputs.a}}", inputs={"a": 1, "f": Input(type="uri_file", path="./f.txt")})
    spec = job_to_spec(job)
    assert "environment" not in spec
    rebuilt = spec_to_job(spec, folder)
    assert rebuilt.environment is None and job_to_spec(rebuilt) == spec


def test_sdk_sweep_binds_inputs_to_the_search_space_as_azure_runs_it(tmp_path):
    from azure.ai.ml import command
    from azure.ai.ml.sweep import Choice

    from amlmagic.spec.jobs import job_to_spec, spec_to_job

    job = command(code=str(tmp_path), command="python t.py --lr ${{inputs.lr}} --n ${{inputs.n}}",
                  inputs={"lr": 0.1, "n": 3}, environment="azureml:AzureML-sklearn-1.5@latest", compute="local")
    sweep = job(lr=Choice([0.1, 0.2])).sweep(sampling_algorithm="grid", primary_metric="acc", goal="maximize")
    spec = job_to_spec(sweep)
    assert spec["trial"]["command"] == "python t.py --lr ${{search_space.lr}} --n ${{inputs.n}}"
    assert spec["inputs"] == {"n": 3}
    again = job_to_spec(spec_to_job(spec, tmp_path))
    assert again["trial"]["command"] == spec["trial"]["command"] and again["inputs"] == {"n": 3}
