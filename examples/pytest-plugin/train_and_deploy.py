"""Train a one-parameter model as an Azure ML command job, register it, serve it from an online
endpoint and score one request. Plain azure-ai-ml: it builds its own MLClient.

    python train_and_deploy.py      # on the workspace of ./config.json
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from azure.ai.ml import MLClient, command
from azure.ai.ml.entities import (
    AmlCompute,
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from azure.identity import DefaultAzureCredential

SRC = Path(__file__).resolve().parent / "src"


def train_and_deploy(points: list, x: list, job_name: str = "fit-slope-1", endpoint: str = "slope-ep") -> dict:
    ml_client = MLClient.from_config(DefaultAzureCredential())
    ml_client.compute.begin_create_or_update(AmlCompute(
        name="cpu-cluster", size="Standard_DS3_v2", min_instances=0, max_instances=1)).result()
    ml_client.environments.create_or_update(Environment(
        name="slope-env", version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"))
    # A fixed job name: replay matches requests by path, and a generated name differs every run.
    job = ml_client.jobs.create_or_update(command(
        name=job_name, code=str(SRC), command=f"python train.py --points '{json.dumps(points)}'",
        environment="azureml:slope-env:1", compute="cpu-cluster", experiment_name="slope"))
    ml_client.jobs.stream(job.name)
    job = ml_client.jobs.get(job.name)
    model = ml_client.models.create_or_update(Model(
        name="slope-model", version="1", type="custom_model",
        path=f"azureml://jobs/{job.name}/outputs/artifacts/paths/outputs/model/"))
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=endpoint, auth_mode="key")).result()
    ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name=endpoint, model=f"azureml:{model.name}:{model.version}",
        environment="azureml:slope-env:1", code_configuration=CodeConfiguration(code=str(SRC), scoring_script="score.py"),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    with tempfile.TemporaryDirectory() as folder:
        request = Path(folder) / "request.json"
        request.write_text(json.dumps({"data": x}))
        answer = json.loads(ml_client.online_endpoints.invoke(endpoint, request_file=str(request),
                                                              deployment_name="blue"))
    return {"status": job.status, "model": f"{model.name}:{model.version}", "prediction": answer["prediction"]}


if __name__ == "__main__":
    print(train_and_deploy([[1, 2.1], [2, 3.9], [3, 6.0]], [1, 10]))
