"""A notebook folder for the maturity report's tests: a training script that logs a metric and
writes a model, a scoring script, data, a conda file, a two-step pipeline; and endpoint cleanup."""

from __future__ import annotations

from pathlib import Path

import pytest

TRAIN_PY = """\
import os, sys
import mlflow
rows = open(os.path.join(sys.argv[1], "rows.csv")).read().split()
mlflow.log_metric("rows", len(rows))
os.makedirs(sys.argv[2], exist_ok=True)
with open(os.path.join(sys.argv[2], "factor.txt"), "w") as f:
    f.write("2")
"""

SCORE_PY = """\
import json
def init():
    pass
def run(raw_data):
    return {"result": json.loads(raw_data)["data"]}
"""

JOB_YML = """\
command: python train.py ${{inputs.rows}} ${{outputs.model}}
code: ./src
inputs:
  rows:
    type: uri_folder
    path: azureml:rows:1
outputs:
  model:
    type: uri_folder
environment: azureml:train-env:1
compute: local
"""

PIPELINE_YML = """\
type: pipeline
settings:
  default_compute: azureml:local
inputs:
  rows:
    type: uri_folder
    path: azureml:rows:1
  epochs: 2  # a literal input: no path (the facts must pass over it)
jobs:
  train:
    command: python train.py ${{inputs.rows}} ${{outputs.model}}
    code: ./src
    environment: azureml:train-env:1
    inputs:
      rows: ${{parent.inputs.rows}}
    outputs:
      model:
        type: uri_folder
  check:
    command: ls ${{inputs.model}} && echo ${{inputs.epochs}}
    environment: azureml:train-env:1
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
      epochs: ${{parent.inputs.epochs}}
"""


@pytest.fixture
def project(workspace) -> Path:
    (workspace / "rows").mkdir()
    (workspace / "rows" / "rows.csv").write_text("1\n2\n3\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text(TRAIN_PY)
    (workspace / "score").mkdir()
    (workspace / "score" / "score.py").write_text(SCORE_PY)
    (workspace / "conda.yml").write_text("dependencies:\n  - python=3.11\n  - pip:\n    - mlflow-skinny\n")
    (workspace / "job.yml").write_text(JOB_YML)
    (workspace / "pipeline.yml").write_text(PIPELINE_YML)
    yield workspace
    from amlmagic.local.serving import stop_endpoint

    for folder in (workspace / ".amlmagic" / "endpoints").glob("*"):
        stop_endpoint(folder)
