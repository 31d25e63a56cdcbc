"""Conformance: replay every real Azure ML recording in ../shared/recordings through the real
MLClient and check the entities it returns (status, type, sampling, search space, errors).

The recordings are read in place (never copied into the project); the test is skipped when
../shared is absent. Every socket to anything but 127.0.0.1 fails the test.
"""

import json

import pytest
from conftest import SHARED_RECORDINGS

from amlmagic.backends import connect_replay, explain_azure_error

pytestmark = pytest.mark.skipif(
    not SHARED_RECORDINGS.is_dir(), reason=f"shared recordings not found at {SHARED_RECORDINGS} (../shared is absent)"
)
ENV = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33"


def variables(name):
    return json.loads((SHARED_RECORDINGS / name).read_text()).get("Variables", {})


def replay(name):
    return connect_replay([SHARED_RECORDINGS / name])


def test_every_shared_recording_has_a_conformance_case():
    covered = {name for name in globals() if name.startswith("test_")}
    for path in SHARED_RECORDINGS.glob("*.json"):
        assert f"test_{path.stem}" in covered, f"no conformance case for {path.name}"


def test_environment_get(no_network):
    env = replay("environment_get.json").environments.get("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", version="1")
    assert (env.name, env.version) == ("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", "1")


def test_environment_create_conda(no_network, tmp_path):
    from azure.ai.ml.entities import Environment

    name = variables("environment_create_conda.json")["name"]
    conda = tmp_path / "conda.yml"
    conda.write_text("channels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip\nname: example-environment\n")
    env = replay("environment_create_conda.json").environments.create_or_update(
        Environment(name=name, version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
                    conda_file=str(conda), description="This is description"))
    assert (env.name, env.version, env.image) == (name, "1", "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04")
    assert env.conda_file["name"] == "example-environment"


def test_command_job_serverless(no_network, tmp_path):
    from azure.ai.ml import Input, command

    name = variables("command_job_serverless.json")["job_name"]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample1.csv").write_text("a,b\n1,2\n")
    client = replay("command_job_serverless.json")
    job = command(name=name, command="pip freeze", environment=ENV, experiment_name="mfe-test1-dataset",
                  display_name="test_dataset_display_name1",
                  inputs={"testdataset": Input(type="uri_folder", path=str(tmp_path / "data"))})
    created = client.jobs.create_or_update(job)
    assert (created.type, created.status) == ("command", "Starting")
    assert created.inputs["testdataset"].path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert client.jobs.get(name).status == "Preparing"


def test_command_job_register_output_400(no_network):
    from azure.ai.ml import Output, command

    name = variables("command_job_register_output_400.json")["job_name"]
    job = command(name=name, command='echo "inputs dont need to be used in command"', environment=ENV,
                  compute="testCompute", experiment_name="mfe-test1",
                  outputs={"test1": Output(type="uri_folder"),
                           "test2": Output(type="uri_folder", name="test2_output", version="2", mode="upload")})
    with pytest.raises(Exception) as info:
        replay("command_job_register_output_400.json").jobs.create_or_update(job)
    line = explain_azure_error(info.value)
    assert line.startswith("Azure answered 400 UserError: Request is invalid and/or missing fields.")
    assert "assetVersion" in line and "\n" not in line


def test_sweep_job_submit_minimal(no_network, tmp_path):
    from azure.ai.ml import command
    from azure.ai.ml.sweep import Choice, Uniform

    name = variables("sweep_job_submit_minimal.json")["job_name"]
    (tmp_path / "sweep_script.py").write_text("print('hi')\n")
    trial = command(code=str(tmp_path), environment=ENV, compute="testCompute",
                    command="python ./sweep_script.py --lr ${{search_space.lr}} --conv_size ${{search_space.conv_size}} "
                            "--dropout_rate ${{search_space.dropout_rate}}")
    sweep = trial.sweep(
        sampling_algorithm="random", primary_metric="accuracy", goal="maximize", compute="testCompute",
        search_space={"lr": Uniform(0.001, 0.1), "conv_size": Choice([2, 5, 7]), "dropout_rate": Uniform(0.1, 0.5)})
    sweep.name, sweep.experiment_name = name, "azure-ai-ml"
    sweep.set_limits(max_total_trials=2, max_concurrent_trials=10, timeout=300)
    client = replay("sweep_job_submit_minimal.json")
    created = client.jobs.create_or_update(sweep)
    assert (created.type, created.status) == ("sweep", "Running")
    got = client.jobs.get(name)
    assert got.sampling_algorithm.type == "random"
    assert got.search_space["conv_size"].values == [2, 5, 7]
    assert (got.search_space["lr"].type, got.search_space["lr"].min_value) == ("uniform", 0.001)
    assert got.objective.primary_metric == "accuracy" and got.limits.max_total_trials == 2


def test_sweep_job_builder_400(no_network):
    from azure.ai.ml import Input, command
    from azure.ai.ml.sweep import LogUniform, TruncationSelectionPolicy

    name = variables("sweep_job_builder_400.json")["name"]
    trial = command(command="echo ${{inputs.uri}} ${{search_space.learning_rate}}", environment=ENV,
                    inputs={"uri": Input(type="uri_file", path="azureml://datastores/workspaceblobstore/paths/python/data.csv")},
                    compute="testCompute")
    sweep = trial.sweep(sampling_algorithm="random", primary_metric="accuracy", goal="maximize", compute="testCompute",
                        search_space={"lr": LogUniform(0.001, 0.1)},
                        early_termination_policy=TruncationSelectionPolicy(delay_evaluation=200, evaluation_interval=100,
                                                                           truncation_percentage=40))
    sweep.name, sweep.experiment_name = name, "mfe-test1-dataset"
    sweep.set_limits(max_total_trials=10, max_concurrent_trials=2, timeout=300)
    with pytest.raises(Exception) as info:
        replay("sweep_job_builder_400.json").jobs.create_or_update(sweep)
    assert explain_azure_error(info.value) == (
        f"Azure answered 400 UserError: mfe-test1-dataset: Compute Not Found for run ID : {name}")


def test_model_crud_file(no_network, tmp_path):
    from azure.ai.ml.entities import Model

    name = variables("model_crud_file.json")["model_name"]
    folder = tmp_path / "lightgbm_mlflow_model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    client = replay("model_crud_file.json")
    model = client.models.create_or_update(Model(name=name, version="3", path=str(folder), type="mlflow_model",
                                                 description="this is my test model", tags={"foo": "bar", "abc": "123"}))
    assert (model.name, model.version, model.type) == (name, "3", "mlflow_model")
    assert client.models.get(name, version="3").tags == {"foo": "bar", "abc": "123"}
    assert [m.version for m in client.models.list(name)] == ["3"]


def test_compute_create_and_delete(no_network):
    from azure.ai.ml.entities import AmlCompute

    name = variables("compute_create_and_delete.json")["compute_name"]
    client = replay("compute_create_and_delete.json")
    created = client.compute.begin_create_or_update(
        AmlCompute(name=name, size="Standard_DS2_v2", max_instances=2, location="westus")).result()
    assert (created.type, created.provisioning_state) == ("amlcompute", "Succeeded")
    assert client.compute.get(name).name == name
    client.compute.get(name)
    poller = client.compute.begin_delete(name)  # answered 202; its polls are not recorded
    assert poller.status() in ("InProgress", "Accepted")


def test_online_endpoint_delete_204(no_network):
    name = variables("online_endpoint_delete_204.json")["mir-test-"]
    assert replay("online_endpoint_delete_204.json").online_endpoints.begin_delete(name).result() is None
