"""The pytest plugin's tests run users' test files with pytester, in a subprocess that loads the
plugin with `-p amlmagic.pytest_plugin` and imports this checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

__all__ = ["REPO", "USER_TEST", "run_user_tests", "user_project"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "backends"))  # fake_azureml, make_recordings

# pytester puts sys.modules back after each test, so a module first imported during one is imported
# afresh in the next; cryptography's Rust-backed classes then fail their isinstance checks. The fake
# server's certificate code imports these: import them once, before any pytester snapshot.
import cryptography.hazmat.primitives.asymmetric.ec  # noqa: E402,F401
import cryptography.hazmat.primitives.hashes  # noqa: E402,F401
import cryptography.hazmat.primitives.serialization  # noqa: E402,F401
import cryptography.x509  # noqa: E402,F401
import cryptography.x509.oid  # noqa: E402,F401


@pytest.fixture
def run_user_tests(pytester, monkeypatch):
    """run_user_tests(*args) -> RunResult: pytest on the pytester folder with the plugin loaded."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))

    def run(*args, timeout: float = 300):
        return pytester.runpytest_subprocess("-p", "amlmagic.pytest_plugin", "-p", "no:cacheprovider",
                                             "-p", "no:warnings", *args, timeout=timeout)

    return run


# A user's project: a job script, a scoring script, and a test that only asks for aml_client.
HELLO_PY = """\
import os
os.makedirs("outputs", exist_ok=True)
with open("outputs/greeting.txt", "w") as f:
    f.write("hello")
print("trained", flush=True)
"""
SCORE_PY = """\
import json, os

def init():
    global greeting
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "outputs", "greeting.txt")) as f:
        greeting = f.read()

def run(raw_data):
    return {"reply": greeting + " " + json.loads(raw_data)["name"]}
"""
USER_TEST = """\
import json
from pathlib import Path

import pytest
from azure.ai.ml import command
from azure.ai.ml.entities import (AmlCompute, CodeConfiguration, Environment, ManagedOnlineDeployment,
                                  ManagedOnlineEndpoint, Model)

HERE = Path(__file__).parent

{marker}
def test_x(aml_client):
    aml_client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", max_instances=1)).result()
    aml_client.environments.create_or_update(Environment(
        name="env", version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"))
    job = aml_client.jobs.create_or_update(command(
        name="hello-1", code=str(HERE / "src"), command="python hello.py", environment="azureml:env:1",
        compute="cpu-cluster", experiment_name="hello"))
    aml_client.jobs.stream(job.name)
    assert aml_client.jobs.get(job.name).status == "Completed"
    aml_client.models.create_or_update(Model(
        name="greeter", version="1", type="custom_model", path="azureml://jobs/hello-1/outputs/artifacts/paths/outputs/"))
    aml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="greet-ep", auth_mode="key")).result()
    aml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="greet-ep", model="azureml:greeter:1", environment="azureml:env:1",
        code_configuration=CodeConfiguration(code=str(HERE / "src"), scoring_script="score.py"),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    answer = aml_client.online_endpoints.invoke("greet-ep", request_file=str(HERE / "request.json"),
                                                deployment_name="blue")
    assert json.loads(answer) == {{"reply": "hello ada"}}
    Path(HERE / "scoring_uri.txt").write_text(aml_client.online_endpoints.get("greet-ep").scoring_uri)
"""


@pytest.fixture
def user_project(pytester):
    """write(marker="") -> the folder: src/hello.py, src/score.py, request.json and test_user.py."""

    def write(marker: str = ""):
        pytester.makefile(".py", **{"src/hello": HELLO_PY, "src/score": SCORE_PY})
        pytester.makefile(".json", request='{"name": "ada"}')
        pytester.makepyfile(test_user=USER_TEST.format(marker=marker))
        return pytester.path

    return write
