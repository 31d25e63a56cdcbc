"""Replaying the project's own recordings (written by make_recordings.py against the fake Azure
ML server) through the real MLClient, with every socket to anything but 127.0.0.1 failing."""

import io
import time
from contextlib import redirect_stdout

import pytest
from conftest import OWN_RECORDINGS

from amlmagic.backends import AzureMetricsReader, backend_name, connect_replay, explain_azure_error
from amlmagic.errors import NotFoundError, ReplayMismatchError, ValidationError


def replay(name):
    return connect_replay([OWN_RECORDINGS / f"{name}.json"])


@pytest.fixture
def no_sleep(monkeypatch):
    """Records every real sleep asked for during the test."""
    slept = []
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), real_sleep(0))[1])
    return slept


def test_compute_create_list_show(no_network, no_sleep):
    from azure.ai.ml.entities import AmlCompute

    client = replay("compute_list_show")
    assert backend_name(client) == "replay"
    created = client.compute.begin_create_or_update(
        AmlCompute(name="cpu-cluster", size="Standard_DS3_v2", max_instances=4, location="westus2")).result()
    assert created.provisioning_state == "Succeeded"
    assert [c.name for c in client.compute.list()] == ["cpu-cluster"]
    shown = client.compute.get("cpu-cluster")
    assert (shown.type, shown.size, shown.max_instances) == ("amlcompute", "Standard_DS3_v2", 4)
    assert not [s for s in no_sleep if s > 0], "a long-running operation slept during replay"


def test_data_create_and_list(no_network):
    from azure.ai.ml.entities import Data

    client = replay("data_create_list")
    data = client.data.create_or_update(Data(name="iris", version="1", type="uri_file",
                                             path="azureml://datastores/workspaceblobstore/paths/data/iris.csv"))
    assert (data.name, data.version, data.type) == ("iris", "1", "uri_file")
    assert [d.name for d in client.data.list()] == ["iris"]


def test_environment_create(no_network):
    from azure.ai.ml.entities import Environment

    client = replay("environment_create")
    env = client.environments.create_or_update(
        Environment(name="sklearn-env", version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"))
    assert (env.name, env.version) == ("sklearn-env", "1")
    assert env.image.startswith("mcr.microsoft.com/azureml/")


def test_command_job_create_get_stream_and_metrics(no_network, no_sleep):
    from azure.ai.ml import command

    client = replay("command_job")
    job = client.jobs.create_or_update(command(name="train-job-1", command="python train.py --lr 0.1",
                                               environment="azureml:sklearn-env:1", compute="cpu-cluster",
                                               experiment_name="demo", display_name="train"))
    assert (job.type, job.status, job.experiment_name) == ("command", "Starting", "demo")
    assert client.jobs.get("train-job-1").command == "python train.py --lr 0.1"
    out = io.StringIO()
    with redirect_stdout(out):
        client.jobs.stream("train-job-1")
    assert "RunId: train-job-1" in out.getvalue() and "epoch 2 loss 0.5" in out.getvalue()
    assert not [s for s in no_sleep if s > 0], "job streaming slept during replay"
    reader = AzureMetricsReader(client, "train-job-1")
    assert reader.read_new() == {"loss": [(0, 1767607200000, 0.9)]}
    assert reader.read_new() == {"accuracy": [(1, 1767607201000, 0.8)], "loss": [(1, 1767607201000, 0.5)]}


def test_sweep_job(no_network):
    from azure.ai.ml import command
    from azure.ai.ml.sweep import Choice, Uniform

    client = replay("sweep_job")
    trial = command(command="python train.py --lr ${{inputs.lr}} --batch ${{inputs.batch}}",
                    inputs={"lr": 0.01, "batch": 16}, environment="azureml:sklearn-env:1", compute="cpu-cluster")
    sweep = trial(lr=Uniform(min_value=0.001, max_value=0.1), batch=Choice([16, 32, 64])).sweep(
        sampling_algorithm="random", primary_metric="accuracy", goal="maximize", compute="cpu-cluster")
    sweep.name, sweep.experiment_name = "sweep-job-1", "demo"
    sweep.set_limits(max_total_trials=4, max_concurrent_trials=2)
    created = client.jobs.create_or_update(sweep)
    assert (created.type, created.status) == ("sweep", "Running")
    got = client.jobs.get("sweep-job-1")
    assert got.sampling_algorithm.type == "random"
    assert got.search_space["batch"].values == [16, 32, 64]
    assert (got.search_space["lr"].min_value, got.search_space["lr"].max_value) == (0.001, 0.1)
    assert got.limits.max_total_trials == 4 and got.objective.goal == "maximize"


def test_model_create_get_list(no_network):
    from azure.ai.ml.entities import Model

    client = replay("model_create")
    model = client.models.create_or_update(Model(name="iris-model", version="1", type="custom_model",
                                                 path="azureml://datastores/workspaceblobstore/paths/models/iris/"))
    assert (model.name, model.version, model.type) == ("iris-model", "1", "custom_model")
    assert client.models.get("iris-model", version="1").path.endswith("models/iris/")
    assert [m.version for m in client.models.list("iris-model")] == ["1"]


def test_online_endpoint_deployment_invoke(no_network, tmp_path):
    import json

    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint

    client = replay("online_endpoint")
    endpoint = client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="iris-ep", auth_mode="key")).result()
    assert (endpoint.name, endpoint.auth_mode, endpoint.provisioning_state) == ("iris-ep", "key", "Succeeded")
    deployment = client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="iris-ep", model="azureml:iris-model:1", environment="azureml:sklearn-env:1",
        code_configuration=CodeConfiguration(code="azureml:score-code:1", scoring_script="score.py"),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    assert (deployment.name, deployment.instance_count) == ("blue", 1)
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"data": [[5.1, 3.5, 1.4, 0.2]]}))
    answer = json.loads(client.online_endpoints.invoke("iris-ep", request_file=str(request)))
    assert answer["prediction"] == [1, 0] and answer["echo"] == {"data": [[5.1, 3.5, 1.4, 0.2]]}
    keys = client.online_endpoints.get_keys("iris-ep")
    assert keys.primary_key == "Sanitized"  # the recorder scrubbed the real key
    assert "scoring server ready" in client.online_deployments.get_logs("blue", "iris-ep", lines=50)


def test_error_answers_are_one_line(no_network):
    from azure.ai.ml import command

    client = replay("errors_400_404")
    with pytest.raises(ValidationError) as bad:
        client.jobs.create_or_update(command(name="bad-job-1", command="echo", compute="missing",
                                             environment="azureml:sklearn-env:1"))
    assert explain_azure_error(bad.value) == "Azure answered 400 UserError: Compute Not Found for run ID : bad-job-1"
    with pytest.raises(NotFoundError) as missing:
        client.compute.get("no-such-cluster")
    line = explain_azure_error(missing.value)
    assert line.startswith("Azure answered 404 UserError: The specified resource was not found") and "\n" not in line


def test_unrecorded_call_raises_replay_mismatch(no_network):
    client = replay("data_create_list")
    with pytest.raises(ReplayMismatchError) as info:
        client.compute.get("cpu-cluster")
    assert "GET …/workspaces/ws-demo/computes/cpu-cluster" in str(info.value)
    assert explain_azure_error(info.value) == str(info.value)


def test_blob_clients_are_answered_by_replay_not_the_network(no_network, tmp_path):
    """A client built without transport= (as azure-ai-ml builds blob clients) is caught too."""
    import json

    from azure.storage.blob import BlobClient

    from amlmagic.backends.replay.recording import write_recording

    path = tmp_path / "blob.json"
    scope = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
    write_recording(path, [
        {"RequestUri": f"https://management.azure.com{scope}/datastores/workspaceblobstore", "RequestMethod": "GET",
         "RequestHeaders": {}, "RequestBody": None, "StatusCode": 404, "ResponseHeaders": {}, "ResponseBody": None},
        {"RequestUri": "https://Sanitized.blob.core.windows.net/c/LocalUpload/00000000000000000000000000000000/a.csv?sv=Sanitized&sig=000",
         "RequestMethod": "HEAD", "RequestHeaders": {}, "RequestBody": None, "StatusCode": 200,
         "ResponseHeaders": {"Content-Length": "499", "x-ms-meta-upload_status": "completed"}, "ResponseBody": None}])
    connect_replay([path])
    blob = BlobClient.from_blob_url("https://realacct.blob.core.windows.net/c/LocalUpload/1b2c3d4e5f60718293a4b5c6d7e8f901/a.csv?sv=2021&sig=abc")
    props = blob.get_blob_properties()
    assert props.size == 499 and props.metadata == {"upload_status": "completed"}
    assert json.loads(path.read_text())["Entries"][1]["StatusCode"] == 200
