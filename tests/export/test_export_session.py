"""A whole session exported and re-created: a command job, a model registered from its output,
a blue/green deployment with traffic moved twice and blue deleted. The exported deploy.sh runs
under real bash with `az ml` answered by `%aml` in a fresh local workspace; the result is the
same job, model and endpoint. No secret reaches any exported file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from amlmagic.export.jobspec import (
    job_spec as job_to_spec,  # see job_spec: the local sweep entity cannot be dumped as is
)
from amlmagic.magics import run_aml
from amlmagic.session import current_session, reset_session

from .conftest import exported_yamls, load_exported, stop_endpoints

TRAIN_PY = """\
import os, sys
data, lr = sys.argv[1], sys.argv[2]
os.makedirs("outputs/model", exist_ok=True)
rows = sorted(os.listdir(data))
with open("outputs/model/factor.txt", "w") as f:
    f.write(str(float(lr) * 20))
print("trained on", rows, "token set:", bool(os.environ.get("API_TOKEN")))
"""

SCORE_PY = """\
import json, os

def init():
    global factor
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "factor.txt")) as f:
        factor = float(f.read())

def run(raw_data):
    return {"result": [x * factor for x in json.loads(raw_data)["data"]], "color": os.environ["COLOR"],
            "has_secret": bool(os.environ.get("SECRET_KEY"))}
"""

JOB_YML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: python train.py ${{inputs.digits}} ${{inputs.lr}}
code: ./src
inputs:
  digits:
    type: uri_folder
    path: azureml:digits:1
  lr: 0.1
environment: azureml:train-env:1
environment_variables:
  API_TOKEN: tok-9f8e7d6c5b4a
  MODE: fast
compute: local
display_name: train digits
"""


def deployment_cell(color: str) -> str:
    return f"""\
name: {color}
endpoint_name: digits-ep
model: azureml:digits-model:1
code_configuration:
  code: ./score
  scoring_script: score.py
environment: azureml:train-env:1
environment_variables:
  COLOR: {color}
  SECRET_KEY: sk-1a2b3c4d5e6f
instance_type: Standard_DS3_v2
instance_count: 1
"""


@pytest.fixture
def session_run(workspace):
    """The session: what a user does in a notebook, through the magics."""
    (workspace / "digits").mkdir()
    for i in range(3):
        (workspace / "digits" / f"{i}.csv").write_text(f"label\n{i}\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text(TRAIN_PY)
    (workspace / "score").mkdir()
    (workspace / "score" / "score.py").write_text(SCORE_PY)
    (workspace / "job.yml").write_text(JOB_YML)
    client = current_session().client
    try:
        run_aml("data create -n digits -p digits")
        run_aml("environment create -n train-env", "pyyaml\n")
        job = run_aml("job create -f job.yml")
        job = client.jobs.wait(job.name)
        assert job.status == "Completed", client.jobs.read_log(job.name)[0]
        run_aml(f"model create -n digits-model -p azureml://jobs/{job.name}/outputs/artifacts/paths/outputs/model/")
        run_aml("online-endpoint create -n digits-ep")
        run_aml("online-deployment create --all-traffic", deployment_cell("blue"))
        run_aml("online-deployment create", deployment_cell("green"))
        run_aml('online-endpoint update -n digits-ep --traffic "blue=90 green=10"')
        run_aml('online-endpoint update -n digits-ep --traffic "blue=0 green=100"')
        run_aml("online-deployment delete -n blue -e digits-ep")
        keys = client.online_endpoints.get_keys("digits-ep")
        run_aml("export")
        yield workspace, job, keys
    finally:
        stop_endpoints(workspace / ".amlmagic")


def test_exported_files_load_and_keep_references(session_run):
    workspace, job, _keys = session_run
    folder = workspace / "aml-export"
    kinds = sorted(p.relative_to(folder).parts[0] for p in exported_yamls(folder))
    assert kinds == ["data", "deployments", "endpoints", "environments", "jobs", "models"]
    for path in exported_yamls(folder):
        assert path.read_text().startswith("$schema: ")
        load_exported(path)
    job_spec = yaml.safe_load(next(folder.glob("jobs/*/job.yml")).read_text())
    assert job_spec["inputs"]["digits"]["path"] == "azureml:digits:1"
    assert job_spec["environment"] == "azureml:train-env:1"
    assert job_spec["compute"] == "azureml:cpu-cluster" and "name" not in job_spec
    assert job_spec["environment_variables"] == {"MODE": "fast"}
    deployment = yaml.safe_load((folder / "deployments/digits-ep-green/online-deployment.yml").read_text())
    assert deployment["model"] == "azureml:digits-model:1"
    assert not (folder / "deployments/digits-ep-blue").exists()  # deleted in the session
    script = (folder / "deploy.sh").read_text()
    subprocess.run(["bash", "-n", str(folder / "deploy.sh")], check=True)
    commands = [line for line in script.splitlines() if "az ml " in line]
    order = [c.split("az ml ")[1].split()[0:2] for c in commands]
    assert order == [["environment", "create"], ["data", "create"], ["job", "create"], ["job", "stream"],
                     ["model", "create"], ["online-endpoint", "create"], ["online-deployment", "create"],
                     ["online-endpoint", "update"]]
    assert commands[2].startswith("JOB_1=$(az ml job create") and "--query name -o tsv" in commands[2]
    assert '--set "path=azureml://jobs/${JOB_1}/outputs/artifacts/paths/outputs/model/"' in commands[4]
    assert commands[-1].endswith('--traffic green=100 "${WS[@]}"')


def test_no_secret_in_any_exported_file(session_run):
    workspace, _job, keys = session_run
    secrets = ["tok-9f8e7d6c5b4a", "sk-1a2b3c4d5e6f", keys.primary_key, keys.secondary_key]
    files = [p for p in (workspace / "aml-export").rglob("*") if p.is_file()]
    assert len(files) > 8
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{secret[:4]}... leaked into {path}"
    script = (workspace / "aml-export" / "deploy.sh").read_text()
    assert 'API_TOKEN="${API_TOKEN:?' in script and 'SECRET_KEY="${SECRET_KEY:?' in script


def test_deploy_sh_recreates_the_session_locally(session_run, az_shim, tmp_path_factory):
    workspace, job, _keys = session_run
    folder = workspace / "aml-export"
    original_model = (workspace / ".amlmagic/jobs" / job.name / "artifacts/outputs/model/factor.txt").read_text()

    fresh = tmp_path_factory.mktemp("fresh")
    session = reset_session()
    client = session.connect_local(fresh / ".amlmagic")
    try:
        done = az_shim.run(folder / "deploy.sh", COMPUTE="local", API_TOKEN="tok-new", SECRET_KEY="sk-new")
        assert done.returncode == 0, done.stderr + "\n".join(az_shim.lines)

        jobs = client.jobs.list()
        assert len(jobs) == 1
        again = client.jobs.get(jobs[0].name)
        assert again.status == "Completed"
        before, after = job_to_spec(job), job_to_spec(again)
        for field in ("command", "inputs", "environment", "display_name", "type"):
            assert after.get(field) == before.get(field), field
        assert after["environment_variables"] == {"MODE": "fast", "API_TOKEN": "tok-new"}
        assert after["compute"] == "local" or after["compute"] == "azureml:local"
        assert (Path(again.code) / "train.py").read_text() == TRAIN_PY

        model = client.models.get("digits-model", version="1")
        assert model.path.startswith(f"azureml://jobs/{again.name}/outputs/artifacts/")
        assert (client.models.local_path("digits-model", "1") / "factor.txt").read_text() == original_model

        endpoint = client.online_endpoints.get("digits-ep")
        assert endpoint.traffic == {"green": 100}
        request = fresh / "request.json"
        request.write_text(json.dumps({"data": [1, 2]}))
        answer = json.loads(client.online_endpoints.invoke(endpoint_name="digits-ep", request_file=str(request)))
        assert answer == {"result": [2.0, 4.0], "color": "green", "has_secret": True}
    finally:
        stop_endpoints(fresh / ".amlmagic")


SWEEP_YML = """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
display_name: tune
inputs:
  digits:
    type: uri_folder
    path: ./digits
trial:
  command: python train.py ${{inputs.digits}} ${{search_space.lr}}
  code: ./src
  environment: azureml:train-env:1
compute: local
search_space:
  lr:
    type: uniform
    min_value: 0.01
    max_value: 0.2
sampling_algorithm:
  type: random
  seed: 11
objective:
  primary_metric: accuracy
  goal: maximize
limits:
  max_total_trials: 2
  max_concurrent_trials: 1
  timeout: 900
  trial_timeout: 300
early_termination:
  type: bandit
  slack_factor: 0.1
  evaluation_interval: 1
  delay_evaluation: 2
"""


def cancel_running(client) -> None:
    for job in client.jobs.list():
        if job.status not in ("Completed", "Failed", "Canceled"):
            client.jobs.begin_cancel(job.name).result()


def test_a_sweep_with_early_termination_is_resubmitted_the_same(workspace, az_shim, tmp_path_factory):
    (workspace / "digits").mkdir()
    (workspace / "digits" / "0.csv").write_text("label\n0\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text(TRAIN_PY)
    (workspace / "sweep.yml").write_text(SWEEP_YML)
    client = current_session().client
    try:
        run_aml("environment create -n train-env", "pyyaml\n")
        sweep = run_aml("job create -f sweep.yml")
        run_aml("export")
    finally:
        cancel_running(client)
    folder = workspace / "aml-export"
    exported = yaml.safe_load(next(folder.glob("jobs/*/job.yml")).read_text())
    assert exported["inputs"]["digits"]["path"].startswith("./")  # beside the YAML, not azureml:./digits
    assert exported["trial"]["code"].startswith("./")

    fresh = tmp_path_factory.mktemp("fresh")
    client = reset_session().connect_local(fresh / ".amlmagic")
    try:
        done = az_shim.run(folder / "deploy.sh", COMPUTE="local")
        assert done.returncode == 0, done.stderr
        (again,) = client.jobs.list()
        before, after = job_to_spec(sweep), job_to_spec(again)
        for field in ("search_space", "sampling_algorithm", "objective", "limits", "early_termination",
                      "display_name", "type"):
            assert after[field] == before[field], field
        assert after["early_termination"]["type"] == "bandit"
        assert after["trial"]["command"] == before["trial"]["command"]
        assert after["trial"]["environment"] == "azureml:train-env:1"
        data = client.jobs.local_dir(again.name)
        assert (Path(again.trial.code) / "train.py").read_text() == TRAIN_PY, data
    finally:
        cancel_running(client)
