"""Production data collection (`data_collector`) on local online deployments, end to end: real
endpoint servers on 127.0.0.1, real HTTP, azureml-ai-monitoring's Collector in a scoring script,
and the JSON lines read back from the default datastore in Azure's layout."""

from __future__ import annotations

import http.client
import json
import re
import zlib
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import binomial_bounds

from amlmagic.errors import ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.serving import stop_endpoint

pytest.importorskip("azureml.ai.monitoring")

SCORE_PY = """\
import json, os
import pandas as pd
from azureml.ai.monitoring import Collector

def init():
    global inputs, outputs, factor
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "factor.txt")) as f:
        factor = float(f.read())
    # without a data_collector the SDK refuses the collectors: same code, collection off
    quiet = None if os.environ.get("COLLECT") == "yes" else (lambda e: None)
    inputs = Collector(name="model_inputs", on_error=quiet)
    outputs = Collector(name="model_outputs", on_error=quiet)

def run(raw_data):
    frame = pd.DataFrame({"x": json.loads(raw_data)["data"]})
    context = inputs.collect(frame)
    result = pd.DataFrame({"y": frame["x"] * factor})
    outputs.collect(result, context)
    return {"result": result["y"].tolist()}
"""
LINE_KEYS = {"specversion", "id", "source", "type", "datacontenttype", "time", "data", "contentrange",
             "correlationid", "xrequestid", "modelversion", "modelname"}


def deployment_yaml(root: Path, name: str, collector: str, collect: str = "yes") -> Path:
    path = root / f"{name}.yml"
    path.write_text(
        f"name: {name}\nendpoint_name: ep-dc\nmodel: azureml:doubler:1\n"
        "code_configuration:\n  code: ./src\n  scoring_script: score.py\n"
        f"environment_variables:\n  COLLECT: {collect}\n"
        f"instance_type: Standard_DS3_v2\ninstance_count: 1\n{collector}")
    return path


def load(path: Path):
    from azure.ai.ml import load_online_deployment

    return load_online_deployment(str(path))


ALL_FOUR = """\
data_collector:
  collections:
    model_inputs: {enabled: 'True'}
    model_outputs: {enabled: 'True'}
    request: {enabled: 'True'}
    response: {enabled: 'True'}
  sampling_rate: 1.0
  rolling_rate: hour
  request_logging:
    capture_headers: [x-user]
"""
DISABLED = """\
data_collector:
  collections:
    model_inputs: {enabled: 'False'}
    model_outputs: {enabled: 'False'}
    request: {enabled: 'False'}
"""
HALF = """\
data_collector:
  collections:
    request: {enabled: 'True'}
    response: {enabled: 'True'}
  sampling_rate: 0.5
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Endpoint ep-dc: blue collects everything, green has collections all disabled, half
    samples payloads at 0.5."""
    from azure.ai.ml.entities import ManagedOnlineEndpoint, Model

    root = tmp_path_factory.mktemp("project")
    (root / "src").mkdir()
    (root / "src" / "score.py").write_text(SCORE_PY)
    (root / "model").mkdir()
    (root / "model" / "factor.txt").write_text("2")
    client = LocalMLClient(root / ".amlmagic")
    try:
        client.models.create_or_update(Model(name="doubler", path=str(root / "model")))
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="ep-dc")).result()
        for name, collector, collect in (("blue", ALL_FOUR, "yes"), ("green", DISABLED, "no"), ("half", HALF, "no")):
            deployment = client.online_deployments.begin_create_or_update(
                load(deployment_yaml(root, name, collector, collect))).result()
            assert deployment.provisioning_state == "Succeeded"
        yield client, root
    finally:
        for folder in (client.root / "endpoints").glob("*"):
            stop_endpoint(folder)


class Scorer:
    """One keep-alive connection to the endpoint."""

    def __init__(self, client, root: Path):
        # invoke starts the server again after a stop (green collects nothing, so it counts nowhere)
        (root / "one.json").write_text('{"data": [1]}')
        client.online_endpoints.invoke("ep-dc", request_file=str(root / "one.json"), deployment_name="green")
        endpoint = client.online_endpoints.get("ep-dc")
        self.key = client.online_endpoints.get_keys("ep-dc").primary_key
        self.conn = http.client.HTTPConnection("127.0.0.1", urlparse(endpoint.scoring_uri).port, timeout=30)

    def score(self, deployment: str, data: list, **headers) -> tuple[str, dict]:
        self.conn.request("POST", "/score", body=json.dumps({"data": data}),
                          headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json",
                                   "azureml-model-deployment": deployment, **headers})
        response = self.conn.getresponse()
        body = json.loads(response.read())
        assert response.status == 200, body
        return response.headers["x-request-id"], body


def collected(client, deployment: str, collection: str) -> list[dict]:
    """The lines of one collection, read back through the datastore URI Azure writes under."""
    folder = client.datastores.local_path(
        f"azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep-dc/{deployment}/{collection}")
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def stopped(client) -> None:
    """A clean stop writes everything still queued (the next request starts the server again)."""
    stop_endpoint(client.root / "endpoints" / "ep-dc")


def test_every_collection_lands_in_azures_layout_traced_to_request_model_and_deployment(served):
    client, root = served
    scorer = Scorer(client, root)
    answers = [scorer.score("blue", [i, i + 1], **{"x-user": f"u{i}"}) for i in range(5)]
    given, _ = scorer.score("blue", [9], **{"x-request-id": "my-own-id-1"})
    assert given == "my-own-id-1"  # a client's x-request-id is kept, as Azure keeps it
    stopped(client)
    ids = [rid for rid, _ in answers] + [given]
    assert len(set(ids)) == 6
    source = client.online_deployments.get("blue", "ep-dc").id
    for collection in ("request", "response", "model_inputs", "model_outputs"):
        lines = collected(client, "blue", collection)
        assert [line["correlationid"] for line in lines] == ids, collection
        for line in lines:
            assert LINE_KEYS <= set(line), line
            assert (line["type"], line["source"], line["specversion"]) == \
                (f"azureml.inference.{collection}", source, "1.0")
            assert (line["modelname"], line["modelversion"], line["xrequestid"]) == \
                ("doubler", "1", line["correlationid"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line["time"])
    folder = client.datastores.local_path("azureml://datastores/workspaceblobstore/paths/modelDataCollector")
    files = [p.relative_to(folder).parts for p in folder.rglob("*.jsonl")]
    assert files and all(re.fullmatch(r"\d{4}", p[3]) and re.fullmatch(r"\d\d", p[6]) and len(p) == 8
                         for p in files), files  # ep/dep/collection/yyyy/MM/dd/HH/<instance>.jsonl
    first = {c: collected(client, "blue", c)[0] for c in ("request", "response", "model_inputs", "model_outputs")}
    assert first["request"]["data"] == {"data": [0, 1]} and first["request"]["headers"] == {"x-user": "u0"}
    assert (first["request"]["path"], first["request"]["method"]) == ("/score", "POST")
    assert first["response"]["data"] == answers[0][1] == {"result": [0.0, 2.0]}
    assert first["model_inputs"]["data"] == [{"x": 0}, {"x": 1}]
    assert first["model_outputs"]["data"] == [{"y": 0.0}, {"y": 2.0}]
    assert first["model_inputs"]["agent"].startswith("azureml-ai-monitoring/")


def test_each_collection_is_a_registered_data_asset(served):
    client, _ = served
    data = client.data.get("ep-dc-blue-model_inputs", "1")
    assert (data.type, data.path) == (
        "uri_folder", "azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep-dc/blue/model_inputs")
    assert not any(d.name.startswith("ep-dc-green-") for d in client.data.list())


def test_disabled_collections_write_nothing(served):
    client, root = served
    scorer = Scorer(client, root)
    for i in range(5):
        scorer.score("green", [i])
    stopped(client)
    root = client.datastores.local_path("azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep-dc")
    assert not (root / "green").exists()


def test_sampling_keeps_a_request_with_its_response_by_correlation_id(served):
    client, root = served
    scorer = Scorer(client, root)
    n = 1000
    ids = [scorer.score("half", [i])[0] for i in range(n)]
    stopped(client)
    requests = [line["correlationid"] for line in collected(client, "half", "request")]
    responses = [line["correlationid"] for line in collected(client, "half", "response")]
    lo, hi = binomial_bounds(n, 0.5)
    assert lo <= len(requests) <= hi, (len(requests), lo, hi)
    # one decision per request from its id: the same requests in both collections, and exactly
    # those whose crc32 falls in the lower half
    assert requests == responses == [i for i in ids if zlib.crc32(i.encode()) < 2**31]


def test_show_returns_the_data_collector_as_given(served):
    client, _ = served
    collector = client.online_deployments.get("blue", "ep-dc").data_collector
    assert set(collector.collections) == {"model_inputs", "model_outputs", "request", "response"}
    assert collector.collections["request"].enabled == "true"
    assert (collector.sampling_rate, collector.rolling_rate) == (1.0, "hour")
    assert collector.request_logging.capture_headers == ["x-user"]


@pytest.mark.parametrize("collector, field", [
    ({"collections": {"model_inputs": {"enabled": "maybe"}}}, "data_collector.collections.model_inputs.enabled"),
    ({"collections": {"model_inputs": {"enabled": "true"}}, "sampling_rate": 1.5}, "data_collector.sampling_rate"),
    ({"collections": {"model_inputs": {"enabled": "true"}}, "rolling_rate": "week"}, "data_collector.rolling_rate"),
    ({"collections": {}}, "data_collector.collections"),
    ({"collections": {"a/b": {"enabled": "true"}}}, "data_collector.collections"),
    ({"collections": {"request": {"enabled": "true"}}, "request_logging": {"capture_headers": "x-a"}},
     "data_collector.request_logging.capture_headers"),
])
def test_bad_data_collector_is_one_line_naming_the_field(served, collector, field):
    from azure.ai.ml.entities import DataCollector, DeploymentCollection, RequestLogging

    client, root = served
    deployment = load(deployment_yaml(root, "bad", ""))
    logging = collector.get("request_logging")
    deployment.data_collector = DataCollector(
        collections={k: DeploymentCollection(**v) for k, v in collector["collections"].items()},
        sampling_rate=collector.get("sampling_rate"), rolling_rate=collector.get("rolling_rate"),
        request_logging=RequestLogging(**logging) if logging else None)
    with pytest.raises(ValidationError) as caught:
        client.online_deployments.begin_create_or_update(deployment)
    message = str(caught.value)
    assert message.startswith(field) and "\n" not in message, message
    assert "bad" not in [d.name for d in client.online_deployments.list("ep-dc")]


def test_bad_data_collector_in_yaml_is_one_line_naming_the_fields(workspace):
    """Through %aml: azure-ai-ml's schema checks the YAML first, one line for all its fields."""
    from amlmagic.magics import run_aml

    (workspace / "d.yml").write_text(
        "name: blue\nendpoint_name: ep-yaml\nmodel:\n  path: .\ncode_configuration:\n  code: .\n"
        "  scoring_script: score.py\ninstance_type: Standard_DS3_v2\ndata_collector:\n  collections:\n"
        "    model_inputs:\n      enabled: 'yes'\n  sampling_rate: 1.5\n")
    with pytest.raises(ValidationError) as caught:
        run_aml("online-deployment create -f d.yml")
    message = str(caught.value)
    assert "\n" not in message and "data_collector.sampling_rate" in message
    assert "data_collector.collections.model_inputs" in message and "enabled" in message
