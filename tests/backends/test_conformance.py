"""Conformance: replay every real Azure ML recording in ../shared/recordings through the real
MLClient and check the entities it returns (status, type, sampling, search space, errors).

The recordings are read in place (never copied into the project); the test is skipped when
../shared is absent. Every socket to anything but 127.0.0.1 fails the test.
"""

import json

import pytest
from conftest import NEEDS_SHARED, OWN_RECORDINGS, SHARED_RECORDINGS

from amlmagic.backends import connect_replay, explain_azure_error
from amlmagic.errors import NotFoundError, ReplayMismatchError, ValidationError

pytestmark = NEEDS_SHARED
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
    with pytest.raises(ValidationError) as info:
        replay("command_job_register_output_400.json").jobs.create_or_update(job)
    line = explain_azure_error(info.value)
    assert line.startswith("Azure answered 400 UserError: Request is invalid and/or missing fields.")
    assert "assetVersion" in line and "\n" not in line
    assert info.value.fields == ["assetVersion"]


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
    with pytest.raises(ValidationError) as info:
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


# -- groups outside the interface, reached through the adapter (forwarded, errors translated) ------
COMPONENT_COMMAND = ("echo Hello World & echo $[[${{inputs.component_in_number}}]] & echo ${{inputs.component_in_path}} "
                     "& echo ${{outputs.component_out_path}} > ${{outputs.component_out_path}}/component_in_number")


def basic_component(name, version):
    from azure.ai.ml import Input, Output
    from azure.ai.ml.entities import CommandComponent

    return CommandComponent(
        name=name, version=version, display_name="CommandComponentBasic", is_deterministic=True,
        description="This is the basic command component", tags={"tag": "tagvalue", "owner": "sdkteam"},
        command=COMPONENT_COMMAND, environment=ENV.replace(":33", ":33"),
        inputs={"component_in_number": Input(type="number", optional=True, default=10.99, description="A number"),
                "component_in_path": Input(type="uri_folder", description="A path")},
        outputs={"component_out_path": Output(type="uri_folder")})


def test_component_command_create_get(no_network):
    name = variables("component_command_create_get.json")["component_name"]
    client = replay("component_command_create_get.json")
    created = client.components.create_or_update(basic_component(name, "0.0.1"))
    assert (created.name, created.version, created.type, created.display_name) == (
        name, "0.0.1", "command", "CommandComponentBasic")
    got = client.components.get(name, version="0.0.1")
    assert got.tags == {"tag": "tagvalue", "owner": "sdkteam"}
    assert (got.inputs["component_in_number"].type, got.inputs["component_in_number"].optional) == ("number", True)
    assert got.outputs["component_out_path"].type == "uri_folder"
    assert client.components.create_or_update(basic_component(name, "2")).version == "2"


def test_component_archive_restore_version_list(no_network):
    name = variables("component_archive_restore_version_list.json")["namee"]
    client = replay("component_archive_restore_version_list.json")
    for version in ("1", "2"):
        client.components.create_or_update(basic_component(name, version))
    assert [c.version for c in client.components.list(name)] == ["2", "1"]
    client.components.archive(name, version="1")
    assert [c.version for c in client.components.list(name)] == ["2"]  # archived versions are not listed
    client.components.restore(name, version="1")
    assert [c.version for c in client.components.list(name)] == ["2", "1"]


PIPELINE_YML = """\
$schema: https://azuremlschemas.azureedge.net/development/pipelineJob.schema.json
type: pipeline
name: {name}
display_name: {name}
description: The hello world pipeline job
experiment_name: my_first_experiment
compute: azureml:cpu-cluster
tags: {{tag: tagvalue, owner: sdkteam}}
settings: {{continue_on_step_failure: true}}
inputs:
  job_in_number: 10
  job_in_other_number: 15
  job_in_string: a_random_string
  job_data_path: {{type: mltable, path: ./iris-mltable, mode: direct}}
  score_model: ../model/
outputs:
  job_out_path_1: {{mode: rw_mount}}
jobs:
  hello_world_component:
    type: command
    component: azureml:microsoftsamplescommandcomponentbasic_nopaths_test:1
    compute: azureml:cpu-cluster
    inputs: {{component_in_number: "${{{{parent.inputs.job_in_number}}}}"}}
  hello_world_component_2:
    type: command
    component: azureml:microsoftsamplescommandcomponentbasic_nopaths_test:1
    compute: azureml:cpu-cluster
    inputs: {{component_in_number: "${{{{parent.inputs.job_in_other_number}}}}"}}
"""


def test_pipeline_job_create_and_update(no_network, tmp_path):
    from azure.ai.ml import load_job

    names = variables("pipeline_job_create_and_update.json")
    (tmp_path / "iris-mltable").mkdir()
    (tmp_path / "iris-mltable" / "MLTable").write_text("paths:\n  - file: ./iris.csv\n")
    (tmp_path / "pipeline.yml").write_text(PIPELINE_YML.format(name=names["name"]))
    # + the workspace GET azure-ai-ml 1.35 makes before resolving components (our own recording)
    client = connect_replay([SHARED_RECORDINGS / "pipeline_job_create_and_update.json",
                             OWN_RECORDINGS / "workspace_get_sanitized.json"])
    created = client.jobs.create_or_update(load_job(tmp_path / "pipeline.yml"))
    assert (created.name, created.type, created.experiment_name) == (names["name"], "pipeline", "my_first_experiment")
    assert sorted(created.jobs) == ["hello_world_component", "hello_world_component_2"]
    assert created.settings.continue_on_step_failure is True
    created.tags[names["new_tag_name"]] = names["new_tag_value"]
    updated = client.jobs.create_or_update(created)
    assert updated.tags == {"tag": "tagvalue", "owner": "sdkteam", names["new_tag_name"]: names["new_tag_value"]}


def test_batch_endpoint_create_get_delete(no_network):
    from azure.ai.ml.entities import BatchEndpoint

    name = variables("batch_endpoint_create_get_delete.json")["name"]
    client = replay("batch_endpoint_create_get_delete.json")
    endpoint = BatchEndpoint(name=name, description="funny", tags={"t1": "v1"}, properties={"p1": "v1", "p2": "v2"},
                             auth_mode="aad_token")
    created = client.batch_endpoints.begin_create_or_update(endpoint).result()
    assert (created.name, created.description, created.provisioning_state) == (name, "funny", "Succeeded")
    got = client.batch_endpoints.get(name)
    assert got.scoring_uri == f"https://{name}.eastus.inference.ml.azure.com/jobs" and got.tags == {"t1": "v1"}
    client.batch_endpoints.begin_delete(name).result()
    with pytest.raises(NotFoundError, match="does not exist in the workspace"):
        client.batch_endpoints.get(name)


def test_schedule_cron_command_job_create_get_disable(no_network, tmp_path, monkeypatch):
    from azure.ai.ml import Input, command
    from azure.ai.ml.entities import CronTrigger, JobSchedule

    monkeypatch.setenv("AZURE_ML_CLI_PRIVATE_FEATURES_ENABLED", "true")  # a CommandJob in a schedule is preview
    name = variables("schedule_cron_command_job_create_get_disable.json")["name"]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample1.csv").write_text("a,b\n1,2\n")
    job = command(command="pip freeze", environment=ENV, compute="cpu-cluster", display_name="test_display_name",
                  experiment_name="mfe-test1", inputs={"hello_input": Input(type="uri_folder", path=str(tmp_path / "data"))})
    schedule = JobSchedule(name=name, display_name="weekly retrain schedule", description="a weekly retrain schedule",
                           trigger=CronTrigger(expression="15 10 * * 1", start_time="2022-03-10 10:15:00", time_zone="UTC"),
                           create_job=job)
    client = replay("schedule_cron_command_job_create_get_disable.json")
    created = client.schedules.begin_create_or_update(schedule).result()
    assert (created.name, created.is_enabled, created.trigger.expression) == (name, True, "15 10 * * 1")
    got = client.schedules.get(name)
    assert (got.trigger.time_zone, got.create_job.command, got.display_name) == (
        "UTC", "pip freeze", "weekly retrain schedule")
    poller = client.schedules.begin_disable(name)  # answered 201; the recording ends at its first poll
    with pytest.raises(ReplayMismatchError, match="The recording ends here"):
        poller.result()
