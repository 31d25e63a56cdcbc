"""EndpointTester against a real local online endpoint (scoring server processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlmagic.widgets import EndpointTester

HERE = Path(__file__).parent


@pytest.fixture
def endpoint(client):
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint

    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="sum-ep", auth_mode="key")).result()
    for name in ("blue", "green"):
        client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name=name, endpoint_name="sum-ep", model=str(HERE / "modelsrc"),
            code_configuration=CodeConfiguration(code=str(HERE / "scoresrc"), scoring_script="score.py"),
            instance_type="Standard_DS3_v2", instance_count=1)).result()
    ep = client.online_endpoints.get("sum-ep")
    ep.traffic = {"blue": 100}
    client.online_endpoints.begin_create_or_update(ep).result()
    yield "sum-ep"
    client.online_endpoints.begin_delete("sum-ep").result()


def test_send_json_and_a_drawn_digit(client, endpoint, recorded):
    tester = EndpointTester(client)
    assert tester.endpoint == "sum-ep"
    assert tester.endpoints[0]["deployments"] == ["blue", "green"]
    tester.act("invoke", body=json.dumps({"data": [[1, 2, 3]]}))
    assert tester.error == ""
    assert json.loads(tester.response) == {"sums": [12.0]}
    assert tester.latency_ms > 0
    assert recorded[-1].startswith("%aml online-endpoint invoke -n sum-ep --request-file ")
    # The request file the recorded line names holds what was sent.
    request_file = recorded[-1].split("--request-file ")[1]
    assert json.loads(Path(request_file).read_text()) == {"data": [[1, 2, 3]]}
    # The same request again names the same file: repeated sends do not pile files up.
    tester.act("invoke", body=json.dumps({"data": [[1, 2, 3]]}))
    assert recorded[-1].split("--request-file ")[1] == request_file
    assert not list(Path(request_file).parent.glob(".request-*.tmp"))
    pixels = [0.0] * 784
    for r in range(28):
        pixels[r * 28 + 27] = 1.0  # ink in the right-most band
    tester.act("select", deployment="green")
    tester.act("invoke", body=json.dumps({"data": [pixels]}))
    assert json.loads(tester.response) == {"digit": 9}
    assert "--deployment-name green" in recorded[-1]


def test_bad_json_and_traffic_that_does_not_sum_to_100_are_user_errors(client, endpoint, recorded):
    tester = EndpointTester(client, endpoint_name="sum-ep")
    tester.act("invoke", body="{not json")
    assert "not JSON" in tester.error
    tester.act("set_traffic", traffic={"blue": 50, "green": 40})
    assert "sum to 100" in tester.error
    assert recorded == []


def test_changing_traffic_updates_the_endpoint_and_records_the_line(client, endpoint, recorded):
    tester = EndpointTester(client, endpoint_name="sum-ep")
    tester.act("set_traffic", traffic={"blue": 30, "green": 70})
    assert tester.error == ""
    assert dict(client.online_endpoints.get("sum-ep").traffic) == {"blue": 30, "green": 70}
    assert recorded == ['%aml online-endpoint update -n sum-ep --traffic \'blue=30 green=70\'']
    assert tester.endpoints[0]["traffic"] == {"blue": 30, "green": 70}
