"""The audit trail on the local backend: every change made through the client (whoever calls it)
is one line of `<workspace>/activity.jsonl`; reads, invokes and key fetches are none; updates
carry before/after; endpoint keys never appear, even when a caller puts one in a field."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from amlmagic.errors import NotFoundError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.serving import stop_endpoint
from amlmagic.local.workspace import current_user

SCORE = "def init():\n    pass\n\ndef run(raw):\n    return {'ok': True}\n"


def _deployment(root: Path, name: str, endpoint: str, env: dict):
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment

    return ManagedOnlineDeployment(
        name=name, endpoint_name=endpoint, model="azureml:audited:1", instance_type="Standard_DS3_v2",
        instance_count=1, environment_variables=env,
        code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"))


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text(SCORE)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w.txt").write_text("1")
    client = LocalMLClient(tmp_path / ".amlmagic")
    yield client
    for folder in (client.root / "endpoints").glob("*"):
        stop_endpoint(folder)


def test_every_change_is_a_line_and_reads_are_none(client, tmp_path):
    from azure.ai.ml import command
    from azure.ai.ml.entities import Model

    client.models.create_or_update(Model(name="audited", path=str(tmp_path / "model")))
    client.models.get("audited", "1")
    list(client.models.list())
    with pytest.raises(NotFoundError):  # a change refused is no change: no line
        client.jobs.create_or_update(command(command="true", environment="azureml:nowhere:1"))
    job = client.jobs.create_or_update(command(command=f"{sys.executable} -c 'import time; time.sleep(60)'"))
    client.jobs.get(job.name)
    client.jobs.begin_cancel(job.name).wait()
    client.jobs.cancel(job.name)  # calls begin_cancel inside: still one line per call
    entries = list(reversed(client.activity.list()))
    assert [(e["verb"], e["kind"], e["name"], e.get("version")) for e in entries] == [
        ("create", "model", "audited", "1"), ("create", "job", job.name, None),
        ("cancel", "job", job.name, None), ("cancel", "job", job.name, None)]
    assert entries[1]["details"] == {"type": "command"}
    assert {e["who"] for e in entries} == {current_user()} and {e["backend"] for e in entries} == {"local"}
    assert all(e["at"].endswith("Z") for e in entries)
    assert (client.root / "activity.jsonl").is_file()


def test_endpoint_changes_traffic_diff_and_no_key_anywhere(client, tmp_path):
    from azure.ai.ml.entities import ManagedOnlineEndpoint, Model

    client.models.create_or_update(Model(name="audited", path=str(tmp_path / "model")))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="audit-ep", auth_mode="key")).result()
    keys = client.online_endpoints.get_keys("audit-ep")  # a read: not a line, but its keys are now known secrets
    secrets = [keys.primary_key, keys.secondary_key]
    # a careless caller puts a key where it does not belong: by name and by value it is masked
    client.online_deployments.begin_create_or_update(
        _deployment(tmp_path, "blue", "audit-ep", {"SCORING_KEY": keys.primary_key, "NOTE": keys.secondary_key})).result()
    endpoint = client.online_endpoints.get("audit-ep")
    endpoint.traffic = {"blue": 100}
    endpoint.description = f"key {keys.primary_key}"
    client.online_endpoints.begin_create_or_update(endpoint).result()
    (tmp_path / "req.json").write_text('{"data": [1]}')
    client.online_endpoints.invoke("audit-ep", request_file=str(tmp_path / "req.json"))  # not a change
    client.online_deployments.begin_create_or_update(
        _deployment(tmp_path, "blue", "audit-ep", {"NOTE": "plain"})).result()
    client.online_endpoints.begin_regenerate_keys("audit-ep", key_type="secondary").result()
    endpoint = client.online_endpoints.get("audit-ep")
    endpoint.traffic = {"blue": 0}
    client.online_endpoints.begin_create_or_update(endpoint).result()
    client.online_deployments.begin_delete("blue", "audit-ep").result()
    client.online_endpoints.begin_delete("audit-ep").result()

    entries = list(reversed(client.activity.list()))
    assert [(e["verb"], e["kind"], e["name"], e.get("endpoint")) for e in entries] == [
        ("create", "model", "audited", None), ("create", "online-endpoint", "audit-ep", None),
        ("create", "online-deployment", "blue", "audit-ep"), ("update", "online-endpoint", "audit-ep", None),
        ("update", "online-deployment", "blue", "audit-ep"), ("regenerate-keys", "online-endpoint", "audit-ep", None),
        ("update", "online-endpoint", "audit-ep", None), ("delete", "online-deployment", "blue", "audit-ep"), ("delete", "online-endpoint", "audit-ep", None)]
    traffic = entries[3]
    assert traffic["before"]["traffic"] in ({}, None) and traffic["after"]["traffic"] == {"blue": 100}
    assert traffic["after"]["description"] == "key ***"
    deployment = entries[4]
    assert deployment["after"]["environment_variables"] == {"NOTE": "plain"}
    assert deployment["before"]["environment_variables"] == {"SCORING_KEY": "***", "NOTE": "***"}
    text = (client.root / "activity.jsonl").read_text()
    assert entries[6]["before"]["traffic"] == {"blue": 100} and entries[6]["after"]["traffic"] == {"blue": 0}
    for secret in secrets:
        assert secret not in text
    # a fresh process (no key known) reading the log sees the same masked lines
    assert json.loads(text.splitlines()[3])["after"]["description"] == "key ***"


def test_entities_and_names_given_by_keyword_are_named_too(client):
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(compute=AmlCompute(name="kw-pool", max_instances=2)).result()
    client.compute.begin_delete(name="kw-pool").result()
    assert [(e["verb"], e["name"]) for e in reversed(client.activity.list())] == [
        ("create", "kw-pool"), ("delete", "kw-pool")]
