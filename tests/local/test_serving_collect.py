"""The endpoint server's side of data collection (amlmagic.local.serving.collect): the MLflow
auto-instrumentation, rolling rates, and a clean stop that writes every queued line."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from amlmagic.local.serving import start_endpoint, stop_endpoint, write_config
from amlmagic.local.serving.collect import CollectionWriter, DeploymentCollection, is_sampled

KEYS = ["primary-key", "secondary-key"]
MODEL_CODE = """\
import mlflow.pyfunc
from mlflow.models import set_model

class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2

set_model(Doubler())
"""


def lines_under(folder):
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def test_a_no_code_mlflow_deployment_collects_model_inputs_and_outputs(tmp_path):
    pytest.importorskip("pandas")
    pyfunc = pytest.importorskip("mlflow.pyfunc")
    (tmp_path / "model_code.py").write_text(MODEL_CODE)
    model_dir = tmp_path / "azureml-models" / "doubler" / "4"
    pyfunc.save_model(str(model_dir / "model"), python_model=str(tmp_path / "model_code.py"))
    out = tmp_path / "modelDataCollector" / "ep" / "mlf"
    collection = {"source": "/local/onlineEndpoints/ep/deployments/mlf", "model_name": "doubler", "model_version": "4",
                  "roots": {c: str(out / c) for c in ("model_inputs", "model_outputs")}}
    state_dir = tmp_path / "ep"
    write_config(state_dir, {"endpoint": "ep", "keys": KEYS, "deployments": {"mlf": {
        "model_dir": str(model_dir), "model_type": "mlflow_model", "collection": collection}}, "traffic": {"mlf": 100}})
    state = start_endpoint(state_dir, timeout=120)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", state.port, timeout=60)
        body = {"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 2], [3, 4]]}}
        conn.request("POST", "/score", body=json.dumps(body), headers={"Authorization": f"Bearer {KEYS[0]}"})
        response = conn.getresponse()
        answer, request_id = json.loads(response.read()), response.headers["x-request-id"]
        conn.close()
    finally:
        stop_endpoint(state_dir)
    assert answer == [{"a": 2, "b": 4}, {"a": 6, "b": 8}]
    inputs, outputs = lines_under(out / "model_inputs"), lines_under(out / "model_outputs")
    assert [line["data"] for line in inputs] == [[{"a": 1, "b": 2}, {"a": 3, "b": 4}]]
    assert [line["data"] for line in outputs] == [answer]
    for line in inputs + outputs:
        assert (line["correlationid"], line["modelname"], line["modelversion"]) == (request_id, "doubler", "4")
    assert not (out / "request").exists()  # payload logging only when request/response are enabled


@pytest.mark.parametrize("rolling_rate, depth", [("minute", 5), ("hour", 4), ("day", 3)])
def test_rolling_rate_sets_the_folder_depth_and_stop_writes_everything(tmp_path, rolling_rate, depth):
    writer = CollectionWriter()
    writer.start()
    collection = DeploymentCollection({"source": "s", "rolling_rate": rolling_rate,
                                       "roots": {"request": str(tmp_path / "request")}}, writer)
    when = time.time()
    for i in range(5000):
        collection.log_request(f"id-{i}", when, b'{"i": %d}' % i, {})
    writer.stop()  # no wait for the flush interval: stop writes what is queued
    files = list((tmp_path / "request").rglob("*.jsonl"))
    assert len(files) == 1 and len(files[0].relative_to(tmp_path / "request").parts) == depth + 1
    lines = lines_under(tmp_path / "request")
    assert [line["data"]["i"] for line in lines] == list(range(5000))
    assert lines[0]["time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def test_a_body_that_is_not_json_is_collected_as_text(tmp_path):
    writer = CollectionWriter()
    collection = DeploymentCollection({"source": "s", "roots": {"request": str(tmp_path)}}, writer)
    collection.log_request("id", time.time(), b"line one\nline two", {})
    writer.stop()
    [line] = lines_under(tmp_path)
    assert (line["datacontenttype"], line["data"]) == ("text/plain", "line one\nline two")


def test_sampling_is_one_decision_per_correlation_id():
    ids = [f"request-{i}" for i in range(2000)]
    assert all(is_sampled(i, 1.0) for i in ids) and not any(is_sampled(i, 0.0) for i in ids)
    half = [i for i in ids if is_sampled(i, 0.5)]
    assert half == [i for i in ids if is_sampled(i, 0.5)]  # the same id decides the same way
    assert set(half) <= {i for i in ids if is_sampled(i, 0.75)}  # a higher rate keeps a superset
