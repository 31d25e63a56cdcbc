"""Record mode against the fake Azure ML REST server on 127.0.0.1 (https, self-signed), then
replay of the written file: the entities must come back the same, with secrets scrubbed."""

import json

from fake_azureml import cloud_kwargs

from amlmagic.backends import StaticTokenCredential, backend_name, connect_azure, connect_replay, stop_replay
from amlmagic.backends.replay.recording import load_recording


def record_session(fake, path, cloud):
    from azure.ai.ml import command
    from azure.ai.ml.entities import AmlCompute

    client = connect_azure(subscription_id=fake.subscription, resource_group=fake.resource_group,
                           workspace=fake.workspace, credential=StaticTokenCredential(), record_path=path,
                           **cloud_kwargs(fake.url, cloud))
    assert backend_name(client) == "azure"
    results = {
        "compute": client.compute.begin_create_or_update(
            AmlCompute(name="cpu-cluster", size="Standard_DS3_v2", max_instances=3, location="westus2")).result(),
        "job": client.jobs.create_or_update(command(name="rec-job", command="echo hi", compute="cpu-cluster",
                                                    environment="azureml:sklearn-env:1", experiment_name="rec")),
        "keys": None,
    }
    results["listed"] = [c.name for c in client.compute.list()]
    return client, results


def test_recorded_session_replays_to_the_same_entities(fake_azure, tmp_path, no_network):
    from azure.ai.ml import command
    from azure.ai.ml.entities import AmlCompute

    path = tmp_path / "session.json"
    _, live = record_session(fake_azure, path, "AmlMagicRecordTest1")
    stop_replay()
    recorded = load_recording(path)["Entries"]
    assert [e["RequestMethod"] for e in recorded][:2] == ["PUT", "GET"]  # compute PUT, then its LRO poll

    client = connect_replay([path])
    compute = client.compute.begin_create_or_update(
        AmlCompute(name="cpu-cluster", size="Standard_DS3_v2", max_instances=3, location="westus2")).result()
    job = client.jobs.create_or_update(command(name="rec-job", command="echo hi", compute="cpu-cluster",
                                               environment="azureml:sklearn-env:1", experiment_name="rec"))
    assert (compute.name, compute.size, compute.max_instances) == (
        live["compute"].name, live["compute"].size, live["compute"].max_instances)
    assert (job.name, job.status, job.command, job.experiment_name) == (
        live["job"].name, live["job"].status, live["job"].command, live["job"].experiment_name)
    assert [c.name for c in client.compute.list()] == live["listed"]
    # nothing of the real session's identity is left in the file
    text = path.read_text()
    assert fake_azure.subscription not in text and "ada@example.com" not in text and "127.0.0.1" in text


def test_recording_is_complete_after_each_call(fake_azure, tmp_path):
    path = tmp_path / "partial.json"
    client = connect_azure(subscription_id=fake_azure.subscription, resource_group=fake_azure.resource_group,
                           workspace=fake_azure.workspace, credential=StaticTokenCredential(), record_path=path,
                           **cloud_kwargs(fake_azure.url, "AmlMagicRecordTest2"))
    assert load_recording(path)["Entries"] == []
    assert client.datastores.get_default().account_name == "demostorage0001"  # the live answer is intact
    first = load_recording(path)["Entries"]
    assert len(first) >= 1 and "workspaceblobstore" in json.dumps(first[-1]["ResponseBody"])
    assert "demostorage0001" not in path.read_text() and '"accountName": "sanitized"' in path.read_text()
    list(client.online_endpoints.list())
    assert len(load_recording(path)["Entries"]) > len(first)


def test_stopped_recorder_records_nothing_more(fake_azure, tmp_path):
    import requests

    path = tmp_path / "stopped.json"
    connect_azure(subscription_id=fake_azure.subscription, resource_group=fake_azure.resource_group,
                  workspace=fake_azure.workspace, credential=StaticTokenCredential(), record_path=path,
                  **cloud_kwargs(fake_azure.url, "AmlMagicRecordTest3"))
    stop_replay()
    requests.get(fake_azure.url + "/discovery", verify=str(fake_azure.cert_path), timeout=10)
    assert json.loads(path.read_text())["Entries"] == []


def _exchange(uri, body, status=200, **headers):
    return {"RequestUri": uri, "RequestMethod": "GET", "RequestHeaders": {"x-ms-client-request-id": body.get("n", "")},
            "RequestBody": None, "StatusCode": status, "ResponseHeaders": {"Content-Type": "application/json", **headers},
            "ResponseBody": body}


def test_identical_polls_collapse_into_one_entry_with_a_count(tmp_path):
    from amlmagic.backends.record import Recorder

    job = ("https://management.azure.com/subscriptions/6c1d3a0e-8b9f-4d5e-a7c2-3f4b5e6d7a8b/resourceGroups/rg"
           "/providers/Microsoft.MachineLearningServices/workspaces/ws/jobs/j1?api-version=2024-01-01-preview")
    op = "https://management.azure.com/operations/op1?api-version=1&t=1&c=x&s=y&h=z"
    recorder = Recorder(tmp_path / "polls.json")
    for index, rate in enumerate(["11999", "11998", "11997"]):  # rate-limit counters differ on each answer
        recorder.add(_exchange(job, {"status": "Running"}, **{"x-ms-ratelimit-remaining-subscription-global-reads": rate}))
        recorder.add(_exchange(op.replace("t=1", f"t={index}"), {"status": "InProgress"}))  # interleaved poll
    recorder.add(_exchange(job, {"status": "Completed"}))
    recorder.add(_exchange(job, {"status": "Completed"}, status=404))
    entries = load_recording(tmp_path / "polls.json")["Entries"]
    assert [(e["ResponseBody"]["status"], e["StatusCode"], e.get("Count", 1)) for e in entries] == [
        ("Running", 200, 3), ("InProgress", 200, 3), ("Completed", 200, 1), ("Completed", 404, 1)]
    assert recorder.count == 8
    assert "6c1d3a0e" not in (tmp_path / "polls.json").read_text()  # still sanitized
    assert all("x-ms-ratelimit-remaining-subscription-global-reads" not in e["ResponseHeaders"] for e in entries)

    from amlmagic.backends.replay.matching import Player

    player = Player(entries)
    assert [player.answer("GET", job)["ResponseBody"]["status"] for _ in range(4)] == ["Running"] * 3 + ["Completed"]


def test_code_hash_lookups_lose_their_random_name():
    from amlmagic.backends.sanitize import ZERO_GUID, Sanitizer

    scope = ("https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
             "/providers/Microsoft.MachineLearningServices/workspaces/ws")
    lookup = _exchange(f"{scope}/codes/a409e44f-fdd4-4c48-896e-c053d2bf161f/versions?api-version=1&hash=abc&hashVersion=2", {})
    named = _exchange(f"{scope}/codes/a409e44f-fdd4-4c48-896e-c053d2bf161f/versions/1?api-version=1", {})
    clean = Sanitizer().entries([lookup, named])
    assert f"/codes/{ZERO_GUID}/versions?api-version=1&hash=abc" in clean[0]["RequestUri"]
    assert "/codes/a409e44f-fdd4-4c48-896e-c053d2bf161f/versions/1" in clean[1]["RequestUri"]  # a real asset's name
