"""Batch endpoints and deployments on the azure and replay backends: MLClient's groups through
AzureMLClient (errors translated once), a batch job's logs read from its `batchscoring` step, and
record mode writing a session that replays to the same answers, offline."""

import pytest
from conftest import OWN_RECORDINGS
from fake_azureml import cloud_kwargs
from make_recordings import BATCH_LOG, BATCH_PROGRESS, _batch_endpoint

from amlmagic.backends import StaticTokenCredential, connect_azure, connect_replay, stop_replay
from amlmagic.errors import NotFoundError
from amlmagic.rules.batch import PROGRESS_LOG, Progress, parse_progress

EXPECTED = {
    "endpoint": ("mnist-batch", "MNIST digits, scored in batches", "Succeeded"),
    "deployment": ("torch", "mnist-batch", 10, 2, 30),
    "defaults": {"deploymentName": "torch"},  # azure-ai-ml gives the service's camelCase back
    "listed": (["mnist-batch"], ["torch"]),
    "job": ("batch-job-1", "Preparing"),
    "jobs": (["batch-job-1"], ["batch-job-1"]),
    "log_names": ["std_log.txt", PROGRESS_LOG],
    "log": BATCH_LOG,
    "status": "Completed",
    "deleted": True,
}


def connect(fake, name, **kwargs):
    return connect_azure(subscription_id=fake.subscription, resource_group=fake.resource_group,
                         workspace=fake.workspace, credential=StaticTokenCredential(), retry_total=0,
                         **cloud_kwargs(fake.url, name), **kwargs)


def check(seen):
    progress = seen.pop("progress")
    assert seen == EXPECTED
    assert parse_progress(progress) == Progress(**BATCH_PROGRESS)


def test_the_project_recording_replays_offline(no_network, tmp_path):
    client = connect_replay([OWN_RECORDINGS / "batch_endpoint.json"])
    check(_batch_endpoint(client, None, tmp_path))
    assert client.ml_client._amlmagic_player.unused() == []


def test_a_recorded_batch_session_replays_to_the_same_answers(fake_azure, tmp_path, no_network):
    path = tmp_path / "batch.json"
    live = _batch_endpoint(connect(fake_azure, "AmlMagicBatchRecord", record_path=path), fake_azure, tmp_path)
    stop_replay()
    replayed = _batch_endpoint(connect_replay([path]), None, tmp_path)
    assert replayed == live
    check(replayed)
    invoke = next(body for method, p, body in _posts(path) if "/batch/mnist-batch/jobs" in p)
    assert invoke["properties"]["name"] == "batch-job-1"
    assert invoke["properties"]["inputData"]["UriFolder"]["uri"].endswith("paths/mnist/png/")


def _posts(path):
    from amlmagic.backends.replay.recording import load_recording

    return [(e["RequestMethod"], e["RequestUri"], e["RequestBody"]) for e in load_recording(path)["Entries"]
            if e["RequestMethod"] == "POST"]


def test_errors_of_the_batch_groups_are_translated(fake_azure):
    from azure.ai.ml import Input
    from azure.ai.ml.entities import BatchEndpoint

    client = connect(fake_azure, "AmlMagicBatchErrors")
    with pytest.raises(NotFoundError):
        client.batch_endpoints.get("no-such-endpoint")
    with pytest.raises(NotFoundError):
        client.batch_deployments.get("nope", endpoint_name="no-such-endpoint")
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="empty-batch")).result()
    with pytest.raises(NotFoundError, match="Deployment name missing not found"):  # the SDK checks before posting
        client.batch_endpoints.invoke(endpoint_name="empty-batch", deployment_name="missing", input=Input(
            type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/x/"))
    fake_azure.fail("DELETE", "batchEndpoints/empty-batch", 409, "Conflict", "a job is running")
    with pytest.raises(Exception) as info:
        client.batch_endpoints.begin_delete("empty-batch").result()
    assert type(info.value).__module__ == "amlmagic.errors" and "a job is running" in str(info.value)


def test_a_job_without_a_scoring_step_keeps_its_own_logs(fake_azure):
    from azure.ai.ml import command

    client = connect(fake_azure, "AmlMagicBatchPlainLogs")
    client.jobs.create_or_update(command(name="plain-job", command="echo", compute="cpu-cluster",
                                         environment="azureml:sklearn-env:1"))
    assert client.jobs.log_names("plain-job") == ["std_log.txt"]
    with pytest.raises(NotFoundError, match="has no log 'logs/job_progress_overview.txt'"):
        client.jobs.read_log("plain-job", log=PROGRESS_LOG)
    children = [p for _, p in fake_azure.requests if p.split("?")[0].endswith("/children")]
    assert children == []  # a job with user_logs of its own never asks for its steps


def test_the_job_monitor_follows_a_batch_job_on_azure(fake_azure, tmp_path, no_network):
    """The monitor's polls recorded against the fake, then replayed offline: the same progress."""
    from make_recordings import BATCH_MONITOR_STEPS, _batch_monitor

    from amlmagic.widgets.batch_progress import counters_of

    path = tmp_path / "monitor.json"
    live = _batch_monitor(connect(fake_azure, "AmlMagicBatchMonitor", record_path=path), fake_azure, tmp_path)
    stop_replay()
    first, second, third, html = live
    assert first[:2] == ("Running", counters_of(Progress(**BATCH_MONITOR_STEPS[0])))
    assert first[2] == "mini batch 0 done\n"
    assert second[1] == counters_of(Progress(**BATCH_MONITOR_STEPS[1]))
    assert third[0] == "Completed" and third[2] == "mini batch 0 done\nmini batch 1 done\n"
    assert "3/4 mini-batches done · 1 failed · 0 pending · 30 items scored (5 failed) · 5.0 items/s · 2 retries" in html
    replayed = _batch_monitor(connect_replay([path]), None, tmp_path)
    assert replayed == live


def test_the_project_monitor_recording_replays_offline(no_network, tmp_path):
    client = connect_replay([OWN_RECORDINGS / "batch_monitor.json"])
    from make_recordings import _batch_monitor

    *polls, html = _batch_monitor(client, None, tmp_path)
    assert [status for status, _, _ in polls] == ["Running", "Running", "Completed"]
    assert "3/4 mini-batches done" in html


def test_an_invoke_without_a_deployment_goes_to_the_default_after_one_that_named_one(fake_azure):
    """azure-ai-ml keeps the deployment header of an earlier invoke (online or batch) in a shared
    dict; the adapter sends each invoke with its own."""
    from azure.ai.ml import Input
    from azure.ai.ml.entities import BatchEndpoint, ModelBatchDeployment

    client = connect(fake_azure, "AmlMagicBatchHeaders")
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="two-dpl")).result()
    for name in ("blue", "green"):
        client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
            name=name, endpoint_name="two-dpl", model="azureml:m:1", compute="batch-cluster")).result()
    endpoint = client.batch_endpoints.get("two-dpl")
    endpoint.defaults = {"deployment_name": "blue"}
    client.batch_endpoints.begin_create_or_update(endpoint).result()
    data = Input(type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/d/")
    client.batch_endpoints.invoke(endpoint_name="two-dpl", deployment_name="green", input=data)
    client.batch_endpoints.invoke(endpoint_name="two-dpl", input=data)
    assert [job["properties"]["deployment"] for job in fake_azure.batch_jobs] == ["green", "blue"]
