"""mlflow_model deployments: no scoring script, served through MLflow's pyfunc contract with
Azure's `input_data` request format (needs pandas next to mlflow-skinny)."""

from __future__ import annotations

import http.client
import json

import pytest

pytest.importorskip("pandas", reason="mlflow.pyfunc needs pandas to serve mlflow_model deployments")
pyfunc = pytest.importorskip("mlflow.pyfunc")

from amlmagic.local.serving import start_endpoint, stop_endpoint, write_config  # noqa: E402

KEYS = ["primary-key", "secondary-key"]


def call(port: int, body: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/score", body=body, headers={"Authorization": f"Bearer {KEYS[0]}"})
    resp = conn.getresponse()
    answer = json.loads(resp.read())
    conn.close()
    return resp.status, answer

MODEL_CODE = """\
import mlflow.pyfunc
from mlflow.models import set_model

class Scaler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * (params or {}).get("scale", 2)

set_model(Scaler())
"""


@pytest.fixture(scope="module")
def mlflow_endpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-ep")
    (root / "model_code.py").write_text(MODEL_CODE)
    model_dir = root / "azureml-models" / "scaler" / "1"
    # registered from a folder: the MLmodel sits one level under AZUREML_MODEL_DIR
    import pandas as pd
    from mlflow.models import infer_signature

    # params reach predict() only when the signature declares them
    signature = infer_signature(pd.DataFrame({"a": [1], "b": [2]}), params={"scale": 2})
    pyfunc.save_model(str(model_dir / "model"), python_model=str(root / "model_code.py"), signature=signature)
    state_dir = root / "ep"
    write_config(state_dir, {
        "endpoint": "ep", "keys": KEYS, "auth_mode": "key",
        "deployments": {"mlf": {"code_dir": None, "scoring_script": None, "model_dir": str(model_dir),
                                "model_type": "mlflow_model", "instance_count": 1}},
        "traffic": {"mlf": 100}})
    state = start_endpoint(state_dir, timeout=120)
    yield state
    stop_endpoint(state_dir)


def test_mlflow_deployment_is_ready(mlflow_endpoint):
    assert mlflow_endpoint.deployments["mlf"].state == "Succeeded", mlflow_endpoint.deployments["mlf"].error


def test_input_data_split_frame_answers_records(mlflow_endpoint):
    body = {"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 2], [3, 4]]}}
    status, answer = call(mlflow_endpoint.port, json.dumps(body))
    assert (status, answer) == (200, [{"a": 2, "b": 4}, {"a": 6, "b": 8}])


def test_mlflow_keys_and_params(mlflow_endpoint):
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[5, 6]]}, "params": {"scale": 10}}
    assert call(mlflow_endpoint.port, json.dumps(body)) == (200, [{"a": 50, "b": 60}])
    records = {"dataframe_records": [{"a": 1, "b": 0}, {"a": 2, "b": 1}]}
    assert call(mlflow_endpoint.port, json.dumps(records)) == (200, [{"a": 2, "b": 0}, {"a": 4, "b": 2}])


def test_bad_mlflow_input_is_a_400(mlflow_endpoint):
    status, answer = call(mlflow_endpoint.port, json.dumps({"rows": [1]}))
    assert status == 400 and "input" in answer["message"].lower()
    status, answer = call(mlflow_endpoint.port, "not json")
    assert status == 400 and "not JSON" in answer["message"]
