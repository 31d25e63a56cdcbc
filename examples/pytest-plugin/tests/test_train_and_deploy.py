"""train_and_deploy.py under test twice: on a local workspace (the job and the endpoint really
run), and replayed from a recording of Azure's answers (offline, in well under a second).

    pytest examples/pytest-plugin                   # both
    pytest examples/pytest-plugin --aml-record      # record the replayed one again (Azure login)
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from train_and_deploy import train_and_deploy

POINTS = [[1, 2.1], [2, 3.9], [3, 6.0]]  # slope 1.9929 by least squares


def test_trains_and_serves_locally(aml_client):
    result = train_and_deploy(POINTS, [1, 10])
    assert result == {"status": "Completed", "model": "slope-model:1", "prediction": [1.9929, 19.929]}
    assert aml_client.models.get("slope-model", version="1").name == "slope-model"  # the same workspace


@pytest.mark.aml_recording("recordings/train_and_deploy.json")
def test_trains_and_serves_replayed(aml_client):
    result = train_and_deploy(POINTS, [1, 10])
    assert result == {"status": "Completed", "model": "slope-model:1", "prediction": [1.9929, 19.929]}
