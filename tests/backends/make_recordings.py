"""Writes the project's own recordings (tests/backends/recordings/*.json).

Each scenario drives the real azure-ai-ml MLClient, in record mode, against the fake Azure ML
REST server of fake_azureml.py on 127.0.0.1; the recorder sanitizes the traffic like any user
recording, then the loopback host is renamed to Azure's so the files look like the shared ones.

    python tests/backends/make_recordings.py
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from fake_azureml import FakeAzureML, cloud_kwargs  # noqa: E402

from amlmagic.backends import StaticTokenCredential, connect_azure, stop_replay  # noqa: E402
from amlmagic.backends.replay.recording import load_recording, write_recording  # noqa: E402

RECORDINGS = HERE / "recordings"
__all__ = ["SCENARIOS", "record_scenario", "main"]


def _compute(client, fake, tmp):
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(
        AmlCompute(name="cpu-cluster", size="Standard_DS3_v2", min_instances=0, max_instances=4, location="westus2")
    ).result()
    list(client.compute.list())
    client.compute.get("cpu-cluster")


def _data(client, fake, tmp):
    from azure.ai.ml.entities import Data

    client.data.create_or_update(Data(name="iris", version="1", type="uri_file",
                                      path="azureml://datastores/workspaceblobstore/paths/data/iris.csv"))
    list(client.data.list())


def _environment(client, fake, tmp):
    from azure.ai.ml.entities import Environment

    client.environments.create_or_update(
        Environment(name="sklearn-env", version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest")
    )


def _command_job(client, fake, tmp):
    from azure.ai.ml import command

    from amlmagic.backends import AzureMetricsReader

    fake.run_status["train-job-1"] = ["Running", "Running", "Completed"]
    client.jobs.create_or_update(command(name="train-job-1", command="python train.py --lr 0.1",
                                         environment="azureml:sklearn-env:1", compute="cpu-cluster",
                                         experiment_name="demo", display_name="train"))
    client.jobs.get("train-job-1")
    with redirect_stdout(io.StringIO()):
        client.jobs.stream("train-job-1")
    reader = AzureMetricsReader(client, "train-job-1")
    fake.metrics["train-job-1"] = [{"key": "loss", "value": 0.9, "timestamp": 1767607200000, "step": 0}]
    reader.read_new()
    fake.metrics["train-job-1"] += [{"key": "loss", "value": 0.5, "timestamp": 1767607201000, "step": 1},
                                     {"key": "accuracy", "value": 0.8, "timestamp": 1767607201000, "step": 1}]
    reader.read_new()


def _sweep_job(client, fake, tmp):
    from azure.ai.ml import command
    from azure.ai.ml.sweep import Choice, Uniform

    trial = command(command="python train.py --lr ${{inputs.lr}} --batch ${{inputs.batch}}",
                    inputs={"lr": 0.01, "batch": 16}, environment="azureml:sklearn-env:1", compute="cpu-cluster")
    sweep = trial(lr=Uniform(min_value=0.001, max_value=0.1), batch=Choice([16, 32, 64])).sweep(
        sampling_algorithm="random", primary_metric="accuracy", goal="maximize", compute="cpu-cluster")
    sweep.name = "sweep-job-1"
    sweep.experiment_name = "demo"
    sweep.set_limits(max_total_trials=4, max_concurrent_trials=2)
    client.jobs.create_or_update(sweep)
    client.jobs.get("sweep-job-1")


def _model(client, fake, tmp):
    from azure.ai.ml.entities import Model

    client.models.create_or_update(Model(name="iris-model", version="1", type="custom_model",
                                         path="azureml://datastores/workspaceblobstore/paths/models/iris/"))
    client.models.get("iris-model", version="1")
    list(client.models.list("iris-model"))


def _online_endpoint(client, fake, tmp):
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint

    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="iris-ep", auth_mode="key")).result()
    client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="iris-ep", model="azureml:iris-model:1", environment="azureml:sklearn-env:1",
        code_configuration=CodeConfiguration(code="azureml:score-code:1", scoring_script="score.py"),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    request = tmp / "request.json"
    request.write_text(json.dumps({"data": [[5.1, 3.5, 1.4, 0.2]]}))
    client.online_endpoints.invoke("iris-ep", request_file=str(request))
    client.online_endpoints.get_keys("iris-ep")
    client.online_deployments.get_logs("blue", "iris-ep", lines=50)


def _errors(client, fake, tmp):
    from azure.ai.ml import command

    path = f"{fake.scope}/jobs/bad-job-1"
    fake.rejects[path] = (400, {"error": {"code": "UserError", "message": "Compute Not Found for run ID : bad-job-1",
                                          "details": [], "additionalInfo": []}})
    for call in (lambda: client.jobs.create_or_update(command(name="bad-job-1", command="echo", compute="missing",
                                                              environment="azureml:sklearn-env:1")),
                 lambda: client.compute.get("no-such-cluster")):
        try:
            call()
        except Exception:  # the error answers are the point of this recording
            pass


SCENARIOS = {
    "compute_list_show": _compute,
    "data_create_list": _data,
    "environment_create": _environment,
    "command_job": _command_job,
    "sweep_job": _sweep_job,
    "model_create": _model,
    "online_endpoint": _online_endpoint,
    "errors_400_404": _errors,
}


def record_scenario(name: str, path: Path, tmp: Path, cloud_name: str) -> None:
    with FakeAzureML() as fake:
        old = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(fake.cert_path)
        try:
            client = connect_azure(subscription_id=fake.subscription, resource_group=fake.resource_group,
                                   workspace=fake.workspace, credential=StaticTokenCredential(),
                                   record_path=path, **cloud_kwargs(fake.url, cloud_name))
            SCENARIOS[name](client, fake, tmp)
        finally:
            stop_replay()
            if old is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = old
        host = fake.url
    data = load_recording(path)
    authority = host.split("://", 1)[1]
    text = json.dumps(data["Entries"]).replace(host, "https://management.azure.com")
    text = text.replace(f"azureml://{authority}", "azureml://westus2.api.azureml.ms")
    write_recording(path, json.loads(text), data.get("Variables"))


def main() -> None:
    import tempfile

    RECORDINGS.mkdir(exist_ok=True)
    for index, name in enumerate(SCENARIOS):
        with tempfile.TemporaryDirectory() as tmp:
            record_scenario(name, RECORDINGS / f"{name}.json", Path(tmp), f"AmlMagicRecording{index}")
        print(f"{name}: {len(load_recording(RECORDINGS / f'{name}.json')['Entries'])} entries")


if __name__ == "__main__":
    main()
