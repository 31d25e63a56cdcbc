"""Batch endpoints, deployments and invocations in `%aml export`: CLI v2 YAML that azure-ai-ml
loads back to the same settings; deploy.sh creating each after what it uses, the endpoint's final
default deployment with `--set-default`, and each invocation as `az ml batch-endpoint invoke` with
its local input copied beside; what a delete removed is left out."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest
import yaml

from amlmagic.export import export_session
from amlmagic.export.trail import final_items
from amlmagic.magics import run_aml
from amlmagic.session import TrailEntry, current_session, reset_session
from amlmagic.spec.batch import batch_to_spec

EXAMPLES = Path("/work/.mirror/Azure+azureml-examples/repo")

DEPLOYMENT_YML = """\
$schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json
name: {name}
endpoint_name: mnist-batch
type: model
description: digits in batches
model: azureml:mnist-model:1
code_configuration:
  code: ./code
  scoring_script: batch_driver.py
environment: azureml:torch-env:1
compute: {compute}
resources:
  instance_count: 1
settings:
  max_concurrency_per_instance: 2
  mini_batch_size: 10
  output_action: append_row
  output_file_name: predictions.csv
  retry_settings:
    max_retries: 3
    timeout: 30
  error_threshold: -1
  logging_level: info
  environment_variables:
    LABELS: digits
    STORAGE_KEY: k-123456
"""
DRIVER = "def init():\n    pass\n\n\ndef run(mini_batch):\n    return [f'{p} 7' for p in mini_batch]\n"


def load_batch_yaml(path: Path):
    """The loader `az ml` uses for the file's kind: endpoints with load_batch_endpoint; deployments
    by their `type:` (azure-ai-ml 1.35's load_batch_deployment reads only the legacy form, where the
    settings sit at the top level)."""
    from azure.ai.ml import load_batch_deployment, load_batch_endpoint
    from azure.ai.ml.entities._load_functions import (
        load_model_batch_deployment,
        load_pipeline_component_batch_deployment,
    )

    kind = yaml.safe_load(path.read_text()).get("type")
    loader = {"model": load_model_batch_deployment, "pipeline": load_pipeline_component_batch_deployment}.get(
        kind, load_batch_deployment)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_batch_endpoint(str(path)) if path.stem == "batch-endpoint" else loader(str(path))


def settings_of(deployment):
    retry = deployment.retry_settings
    return (deployment.mini_batch_size, deployment.max_concurrency_per_instance, str(deployment.output_action),
            deployment.output_file_name, retry.max_retries, retry.timeout, deployment.error_threshold,
            deployment.logging_level, deployment.instance_count)


def example(path: str, tmp_path: Path) -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"azureml-examples not found at {EXAMPLES}")
    folder = tmp_path / "examples"
    folder.mkdir(exist_ok=True)
    archive = subprocess.run(["git", "-C", str(EXAMPLES), "archive", "HEAD", str(Path(path).parent)],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / path


@pytest.mark.parametrize("path", ["cli/endpoints/batch/deploy-models/mnist-classifier/deployment-torch/deployment.yml",
                                  "cli/endpoints/batch/deploy-models/heart-classifier-mlflow/deployment-simple/deployment.yml",
                                  "cli/endpoints/batch/deploy-pipelines/hello-batch/deployment.yml"])
def test_microsofts_deployments_come_back_the_same(path, tmp_path):
    source = example(path, tmp_path)
    original = load_batch_yaml(source)
    kind, spec = batch_to_spec(original)
    assert kind == "batch-deployment" and spec["type"] == yaml.safe_load(source.read_text())["type"]
    written = source.parent / "batch-deployment.yml"
    written.write_text(yaml.safe_dump(spec, sort_keys=False))
    again = load_batch_yaml(written)
    assert (type(again), again.name, again.endpoint_name) == (type(original), original.name, original.endpoint_name)
    if spec["type"] == "model":
        assert settings_of(again) == settings_of(original)
        assert (again.compute, str(again.model if isinstance(again.model, str) else again.model.path)) == (
            original.compute, str(original.model if isinstance(original.model, str) else original.model.path))
    else:
        assert (again.component, again.settings) == (original.component, original.settings)


def test_azures_legacy_answer_is_written_in_the_current_form():
    from azure.ai.ml.entities import BatchDeployment, BatchRetrySettings, CodeConfiguration

    # what MLClient.batch_deployments.get answers: the settings at the top level of a BatchDeployment
    answered = BatchDeployment(name="torch", endpoint_name="mnist-batch", model="azureml:mnist-model:1",
                               code_configuration=CodeConfiguration(code="azureml:code:1", scoring_script="s.py"),
                               compute="batch-cluster", mini_batch_size=20, output_action="append_row",
                               retry_settings=BatchRetrySettings(max_retries=2, timeout=60), _from_rest=True)
    spec = batch_to_spec(answered)[1]
    assert spec["type"] == "model" and spec["settings"] == {
        "mini_batch_size": 20, "output_action": "append_row", "retry_settings": {"max_retries": 2, "timeout": 60}}


@pytest.fixture
def batch_session(tmp_path, monkeypatch):
    """A local session that registered a model and an environment with %aml, then (as the batch
    magics record it) created an endpoint and two deployments, made `torch` the default, invoked
    both, and deleted `old` with its invocation."""
    from azure.ai.ml.entities import BatchEndpoint, BatchJob
    from azure.ai.ml.entities._load_functions import load_model_batch_deployment

    monkeypatch.chdir(tmp_path)
    reset_session().connect_local(tmp_path / ".amlmagic")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.pt").write_text("w")
    (tmp_path / "env.yml").write_text("name: torch-env\nversion: '1'\nimage: python:3.11-slim\n")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "batch_driver.py").write_text(DRIVER)
    (tmp_path / "digits").mkdir()
    for n in range(3):
        (tmp_path / "digits" / f"{n}.png").write_bytes(b"png")
    run_aml("model create -n mnist-model -v 1 -p ./model")
    run_aml("environment create -f env.yml")
    session = current_session()

    def record(noun, verb, entity=None, params=None, **names):
        line = f"%aml {noun} {verb} " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in (params or names).items())
        entry = TrailEntry.of(noun, verb, None if params else entity, line=line, base_path=str(tmp_path), **names)
        if params is not None:  # what ctx.record(job, action=True) records for an invoke
            entry.entity, entry.params = entity, params
        session.record(entry)

    endpoint = BatchEndpoint(name="mnist-batch", description="digits in batches", tags={"team": "vision"})
    record("batch-endpoint", "create", endpoint)
    for name in ("torch", "old"):
        (tmp_path / f"{name}.yml").write_text(DEPLOYMENT_YML.format(name=name, compute="local"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record("batch-deployment", "create", load_model_batch_deployment(str(tmp_path / f"{name}.yml")))
    endpoint = BatchEndpoint(name="mnist-batch", description="digits in batches", tags={"team": "vision"},
                             defaults={"deployment_name": "torch"})
    record("batch-endpoint", "update", endpoint)
    record("batch-endpoint", "invoke", BatchJob(name="batchjob-1"), name="mnist-batch", params={
        "name": "mnist-batch", "input": "./digits", "mini_batch_size": 2, "job_name": "batchjob-1",
        "set": ["output_file_name=digits.csv"]})
    record("batch-endpoint", "invoke", BatchJob(name="batchjob-2"), name="mnist-batch", params={
        "name": "mnist-batch", "deployment_name": "old", "input": "azureml:digits-data@latest"})
    record("batch-deployment", "delete", name="old", endpoint_name="mnist-batch")
    folder = tmp_path / "export"
    result = export_session(session, folder)
    yield folder, result, session
    reset_session()


def test_the_trail_keeps_the_final_endpoint_and_the_invocations_of_what_is_left(batch_session):
    _, _, session = batch_session
    items = final_items(session.trail)
    assert [(i.kind, i.key[1:]) for i in items if i.kind.startswith("batch")] == [
        ("batch-endpoint", ("mnist-batch",)), ("batch-deployment", ("mnist-batch", "torch")),
        ("batch-invocation", ("mnist-batch", None, "batchjob-1"))]
    endpoint = next(i for i in items if i.kind == "batch-endpoint").entity
    assert endpoint.defaults == {"deployment_name": "torch"}


def test_exported_yaml_loads_with_azure_ai_ml(batch_session):
    folder, result, _ = batch_session
    endpoint = load_batch_yaml(folder / "batch-endpoints/mnist-batch/batch-endpoint.yml")
    assert (endpoint.name, endpoint.description, endpoint.tags, endpoint.defaults) == (
        "mnist-batch", "digits in batches", {"team": "vision"}, None)  # the default: --set-default
    path = folder / "batch-deployments/mnist-batch-torch/batch-deployment.yml"
    deployment = load_batch_yaml(path)
    assert settings_of(deployment) == (10, 2, "append_row", "predictions.csv", 3, 30, -1, "info", 1)
    assert (deployment.model, deployment.environment) == ("mnist-model:1", "torch-env:1")  # the loader drops azureml:
    assert deployment.compute == "cpu-cluster"  # the local compute: deploy.sh sets $COMPUTE
    assert (path.parent / "code" / "batch_driver.py").read_text() == DRIVER  # the code, copied beside
    spec = yaml.safe_load(path.read_text())
    assert spec["code_configuration"] == {"code": "./code", "scoring_script": "batch_driver.py"}
    assert spec["settings"]["environment_variables"] == {"LABELS": "digits"}  # the key left out: a secret
    assert "k-123456" not in "".join(p.read_text() for p in folder.rglob("*") if p.is_file() and p.suffix != ".png")
    assert not (folder / "batch-deployments/mnist-batch-old").exists()
    assert "az ml batch-endpoint invoke -n mnist-batch (deploy.sh)" in str(result)


def az_calls(folder: Path, tmp_path: Path) -> list[list[str]]:
    """deploy.sh run by real bash with an `az` that logs its arguments and answers a name."""
    bin_dir = tmp_path / "fake-az"
    bin_dir.mkdir()
    (bin_dir / "az").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" "--END--" >> "$AZ_LOG"\necho name-on-azure\n')
    (bin_dir / "az").chmod(0o755)
    log = tmp_path / "az.log"
    subprocess.run(["bash", str(folder / "deploy.sh")], check=True, capture_output=True,
                   env={"PATH": f"{bin_dir}:/usr/bin:/bin", "AZ_LOG": str(log), "STORAGE_KEY": "k"})
    calls, current = [], []
    for word in log.read_text().splitlines():
        if word == "--END--":
            calls.append(current[:current.index("--query" if "--query" in current else "--subscription")])
            current = []
        else:
            current.append(word)
    return calls


def test_deploy_sh_creates_each_thing_after_what_it_uses(batch_session, tmp_path):
    folder, _, _ = batch_session
    calls = az_calls(folder, tmp_path)
    verbs = [" ".join(c[1:3]) for c in calls]
    assert verbs == ["environment create", "model create", "batch-endpoint create", "batch-deployment create",
                     "batch-endpoint invoke"]
    deployment = calls[3]
    assert deployment[deployment.index("-f") + 1] == "batch-deployments/mnist-batch-torch/batch-deployment.yml"
    assert "--set-default" in deployment and "compute=azureml:cpu-cluster" in deployment
    assert "settings.environment_variables.STORAGE_KEY=k" in deployment
    invoke = calls[4]
    assert invoke[3:] == ["-n", "mnist-batch", "--mini-batch-size", "2", "--input", "./batch-invocations/batchjob-1/digits",
                          "--input-type", "uri_folder", "--set", "output_file_name=digits.csv"]
    assert sorted(p.name for p in (folder / "batch-invocations/batchjob-1/digits").iterdir()) == ["0.png", "1.png", "2.png"]
    script = (folder / "deploy.sh").read_text()
    invoke_line = next(line for line in script.splitlines() if line.startswith("BATCH_JOB_1=$(az ml batch-endpoint invoke"))
    assert "--job-name" not in invoke_line  # Azure names the new job
    readme = (folder / "README.md").read_text()
    assert "BATCH_JOB_1 = %aml batch-endpoint invoke -n mnist-batch" in readme
    assert "%aml batch-deployment create -f batch-deployments/mnist-batch-torch/batch-deployment.yml" in readme


def test_a_default_deployment_outside_the_export_gets_a_note(tmp_path, monkeypatch):
    from azure.ai.ml.entities import BatchEndpoint

    monkeypatch.chdir(tmp_path)
    session = reset_session()
    session.connect_local(tmp_path / ".amlmagic")
    session.record(TrailEntry.of("batch-endpoint", "update", BatchEndpoint(name="ep", defaults={"deploymentName": "blue"})))
    export_session(session, tmp_path / "out")
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "batch endpoint ep's default deployment blue is not in this export" in readme
    assert "--set-default" not in (tmp_path / "out" / "deploy.sh").read_text()
    reset_session()


MAGIC_DEPLOYMENT_YML = """\
$schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json
name: offset-dpl
endpoint_name: digits-batch
type: model
model:
  name: digits-offset
  path: model
code_configuration:
  code: code
  scoring_script: batch_driver.py
environment:
  image: python:3.11-slim
compute: azureml:batch-cluster
resources:
  instance_count: 1
settings:
  max_concurrency_per_instance: 2
  mini_batch_size: 2
  output_file_name: predictions.csv
  environment_variables:
    OFFSET_NAME: offset.txt
"""
OFFSET_DRIVER = """\
import glob, os

def init():
    global offset
    offset = int(open(glob.glob(f"{os.environ['AZUREML_MODEL_DIR']}/*/{os.environ['OFFSET_NAME']}")[0]).read())

def run(mini_batch):
    return [f"{os.path.basename(p)} {int(open(p).read()) + offset}" for p in mini_batch]
"""


def predictions(client, job_name: str, folder: Path) -> list[str]:
    client.jobs.download(job_name, download_path=folder, output_name="score")
    return sorted((folder / "named-outputs" / "score" / "predictions.csv").read_text().splitlines())


def test_deploy_sh_recreates_a_batch_session_locally(workspace, az_shim, tmp_path_factory):
    """Through the magics on the local engine: deploy, invoke, export; then the exported deploy.sh
    under real bash, `az ml` answered by %aml in a fresh workspace, scores the same predictions."""
    (workspace / "deployment" / "code").mkdir(parents=True)
    (workspace / "deployment" / "model").mkdir()
    (workspace / "deployment" / "code" / "batch_driver.py").write_text(OFFSET_DRIVER)
    (workspace / "deployment" / "model" / "offset.txt").write_text("100")
    (workspace / "deployment" / "deployment.yml").write_text(MAGIC_DEPLOYMENT_YML)
    (workspace / "digits").mkdir()
    for n in range(5):
        (workspace / "digits" / f"{n}.txt").write_text(str(n))
    client = current_session().client
    run_aml("compute create -n batch-cluster --type amlcompute --min-instances 0 --max-instances 2")
    run_aml("batch-endpoint create -n digits-batch")
    run_aml("batch-deployment create -f deployment/deployment.yml --set-default")
    job = run_aml("batch-endpoint invoke -n digits-batch --input digits --mini-batch-size 3")
    assert client.jobs.wait(job.name, timeout=180).status == "Completed"
    original = predictions(client, job.name, tmp_path_factory.mktemp("original"))
    assert original == [f"{n}.txt {n + 100}" for n in range(5)]
    run_aml("export --dir exported")
    folder = workspace / "exported"
    spec = yaml.safe_load((folder / "batch-deployments/digits-batch-offset-dpl/batch-deployment.yml").read_text())
    assert spec["compute"] == "azureml:batch-cluster" and spec["settings"]["mini_batch_size"] == 2

    fresh = tmp_path_factory.mktemp("fresh")
    session = reset_session()
    fresh_client = session.connect_local(fresh / ".amlmagic")
    try:
        done = az_shim.run(folder / "deploy.sh")
        assert done.returncode == 0, done.stderr + "\n".join(az_shim.lines)
        assert [" ".join(line.split()[:2]) for line in az_shim.lines] == [
            "compute create", "batch-endpoint create", "batch-deployment create", "batch-endpoint invoke"]
        assert az_shim.lines[2].endswith("--set-default")
        assert f"--mini-batch-size 3 --input ./batch-invocations/{job.name}/digits --input-type uri_folder" in az_shim.lines[3]
        endpoint = fresh_client.batch_endpoints.get("digits-batch")
        assert endpoint.defaults["deployment_name"] == "offset-dpl"  # --set-default
        [again] = fresh_client.batch_endpoints.list_jobs(endpoint_name="digits-batch")
        assert fresh_client.jobs.wait(again.name, timeout=180).status == "Completed"
        assert predictions(fresh_client, again.name, fresh / "download") == original
    finally:
        reset_session()


def test_a_pipeline_invocations_inputs_file_and_local_set_paths_are_copied(workspace):
    from azure.ai.ml.entities import BatchEndpoint, BatchJob

    (workspace / "data").mkdir()
    (workspace / "data" / "rows.csv").write_text("a\n1\n")
    (workspace / "more").mkdir()
    (workspace / "more" / "extra.csv").write_text("a\n2\n")
    (workspace / "inputs.yml").write_text(
        "inputs:\n  input_data: {type: uri_folder, path: ./data}\n  score_mode: append\n"
        "outputs:\n  scores: {type: uri_folder, path: azureml://datastores/workspaceblobstore/paths/scores/}\n")
    session = current_session()
    session.record(TrailEntry.of("batch-endpoint", "create", BatchEndpoint(name="uci-batch"), base_path=str(workspace)))
    entry = TrailEntry.of("batch-endpoint", "invoke", None, name="uci-batch", base_path=str(workspace),
                          line="%aml batch-endpoint invoke -n uci-batch -f inputs.yml ...")
    entry.entity, entry.params = BatchJob(name="pipejob-1"), {
        "name": "uci-batch", "deployment_name": "prepros", "file": "inputs.yml", "experiment_name": "uci",
        "set": ["inputs.extra.path=./more", "inputs.extra.type=uri_folder"]}
    session.record(entry)
    export_session(session, workspace / "out")
    folder = workspace / "out" / "batch-invocations" / "pipejob-1"
    inputs = yaml.safe_load((folder / "inputs.yml").read_text())
    assert inputs["inputs"]["input_data"]["path"] == "./inputs/input_data/data"
    assert (folder / "inputs" / "input_data" / "data" / "rows.csv").read_text() == "a\n1\n"
    assert inputs["inputs"]["score_mode"] == "append" and inputs["outputs"]["scores"]["path"].startswith("azureml://")
    assert (folder / "more" / "extra.csv").exists()
    script = (workspace / "out" / "deploy.sh").read_text()
    line = next(x for x in script.splitlines() if x.startswith("BATCH_JOB_1="))
    assert ("az ml batch-endpoint invoke -n uci-batch --deployment-name prepros --experiment-name uci "
            "--file ./batch-invocations/pipejob-1/inputs.yml --set inputs.extra.path=./batch-invocations/pipejob-1/more "
            "--set inputs.extra.type=uri_folder") in line
