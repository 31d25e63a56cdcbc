"""Deployments of models from job outputs and of mlflow_model models (no scoring script)."""

from __future__ import annotations

import json

import pytest
from test_endpoints import SCORE_PY, load, new_endpoint, request_file, set_traffic, stop_all

from amlmagic.local.client import LocalMLClient
from amlmagic.local.osutil import write_json_atomic


@pytest.fixture
def client(tmp_path):
    client = LocalMLClient(tmp_path / ".amlmagic")
    yield client
    stop_all(client)


def fake_finished_job(client, name: str) -> None:
    """A job folder as the job engine leaves it: record.json and a model in its artifacts."""
    folder = client.root / "jobs" / name
    (folder / "artifacts" / "model").mkdir(parents=True)
    (folder / "artifacts" / "model" / "factor.txt").write_text("5")
    record = {"spec": {"type": "command", "name": name, "environment": "azureml:sklearn-env:1",
                       "inputs": {"training_data": {"type": "uri_folder", "path": "azureml:digits:1"}}},
              "meta": {"created_at": "2024-01-01T00:00:00+00:00"}}
    write_json_atomic(folder / "record.json", record)
    write_json_atomic(folder / "status.json", {"status": "Completed", "history": []})


@pytest.mark.parametrize("uri", [
    "azureml://jobs/{job}/outputs/artifacts/paths/model/",
    "runs:/{job}/model",
])
def test_a_model_registered_from_a_job_output_deploys(client, tmp_path, uri):
    from azure.ai.ml.entities import ManagedOnlineDeployment, Model

    job = "sincere_tail_abc123"
    fake_finished_job(client, job)
    model = client.models.create_or_update(Model(name="from-job", path=uri.format(job=job)))
    assert model.job_name == job and client.models.lineage("from-job")["job"] == job
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text(SCORE_PY)
    new_endpoint(client, "ep-job")
    deployment = ManagedOnlineDeployment(
        name="blue", endpoint_name="ep-job", model=f"azureml:from-job:{model.version}",
        code_configuration={"code": str(tmp_path / "src"), "scoring_script": "score.py"},
        environment_variables={"COLOR": "blue"}, instance_count=1)
    assert client.online_deployments.begin_create_or_update(deployment).result().provisioning_state == "Succeeded"
    set_traffic(client, "ep-job", {"blue": 100})
    answer = json.loads(client.online_endpoints.invoke("ep-job", request_file=request_file(tmp_path, '{"data": [2]}')))
    assert answer["result"] == [10.0]  # AZUREML_MODEL_DIR/model/factor.txt from the job's artifacts


def test_a_model_from_a_job_keeps_the_jobs_environment_and_inputs(client):
    from azure.ai.ml.entities import Model

    fake_finished_job(client, "keen_lamp_x1")
    uri = "azureml://jobs/keen_lamp_x1/outputs/artifacts/paths/model/"
    client.models.create_or_update(Model(name="from-job", path=uri))
    lineage = client.models.lineage("from-job")
    assert lineage["environment"] == "azureml:sklearn-env:1"
    assert lineage["inputs"] == {"training_data": "azureml:digits:1"}


MODEL_CODE = """\
import mlflow.pyfunc
from mlflow.models import set_model

class Scaler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2

set_model(Scaler())
"""


def test_mlflow_model_deployment_without_scoring_script(client, tmp_path):
    pytest.importorskip("pandas", reason="mlflow.pyfunc needs pandas to serve mlflow_model deployments")
    pyfunc = pytest.importorskip("mlflow.pyfunc")
    import pandas as pd
    from azure.ai.ml.entities import Model
    from mlflow.models import infer_signature

    (tmp_path / "model_code.py").write_text(MODEL_CODE)
    pyfunc.save_model(str(tmp_path / "scaler"), python_model=str(tmp_path / "model_code.py"),
                      signature=infer_signature(pd.DataFrame({"a": [1], "b": [2]})))
    client.models.create_or_update(Model(name="scaler", path=str(tmp_path / "scaler"), type="mlflow_model"))
    new_endpoint(client, "ep-mlflow")
    (tmp_path / "mlf.yml").write_text("name: mlf\nendpoint_name: ep-mlflow\nmodel: azureml:scaler@latest\n"
                                      "instance_type: Standard_DS3_v2\ninstance_count: 1\n")
    deployment = client.online_deployments.begin_create_or_update(load(tmp_path / "mlf.yml")).result()
    assert deployment.provisioning_state == "Succeeded" and deployment.code_configuration is None
    set_traffic(client, "ep-mlflow", {"mlf": 100})
    body = json.dumps({"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 2], [3, 4]]}})
    answer = json.loads(client.online_endpoints.invoke("ep-mlflow", request_file=request_file(tmp_path, body)))
    assert answer == [{"a": 2, "b": 4}, {"a": 6, "b": 8}]


def test_a_model_from_a_real_jobs_outputs_deploys_with_its_lineage(client, tmp_path):
    from azure.ai.ml import command
    from azure.ai.ml.entities import ManagedOnlineDeployment, Model

    job = client.jobs.create_or_update(command(
        command="mkdir -p outputs/model && echo 7 > outputs/model/factor.txt", name="train_job_for_endpoint"))
    assert client.jobs.wait(job.name, timeout=120).status == "Completed"
    model = client.models.create_or_update(
        Model(name="trained", path=f"azureml://jobs/{job.name}/outputs/artifacts/paths/outputs/model/"))
    assert client.models.lineage("trained")["job"] == job.name
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text(SCORE_PY)
    new_endpoint(client, "ep-trained")
    client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="ep-trained", model=f"azureml:trained:{model.version}",
        code_configuration={"code": str(tmp_path / "src"), "scoring_script": "score.py"},
        environment_variables={"COLOR": "blue"})).result()
    req = request_file(tmp_path, '{"data": [1]}')
    answer = client.online_endpoints.invoke("ep-trained", request_file=req, deployment_name="blue")
    assert json.loads(answer)["result"] == [7.0]
