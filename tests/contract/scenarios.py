"""The contract scenarios: what every backend must do alike, asserted the same way.

Each scenario drives an `AmlClient` through MLClient's groups and the interface's extras and
asserts what it gets back. It runs against the local backend, against the replay backend (its
recording, tests/backends/recordings/contract_<name>.json), and, when that recording is made
(tests/backends/make_recordings.py), against the fake Azure ML server through the azure backend.
What differs between backends is only how a scenario's preconditions are arranged: a `World`
puts a file into the default datastore or says what a job will log; on replay it does nothing,
since the recording already holds Azure's answers.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Callable, Protocol

import pytest

from amlmagic.client import AmlClient, MetricsReader
from amlmagic.errors import NotFoundError, ValidationError

__all__ = ["World", "SCENARIOS", "JOB_LOG", "JOB_METRICS", "JOB_COMMAND"]

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
JOB_LOG = "epoch 1 loss 0.9\nepoch 2 loss 0.5\n"
JOB_METRICS = [("loss", 0, 0.9), ("loss", 1, 0.5), ("accuracy", 1, 0.8)]  # (key, step, value), in logging order
# What the job runs locally: it prints JOB_LOG and logs JOB_METRICS, as the fake's run says it did.
JOB_COMMAND = ("python -c \"import mlflow; print('epoch 1 loss 0.9'); mlflow.log_metric('loss', 0.9, step=0); "
               "print('epoch 2 loss 0.5'); mlflow.log_metric('loss', 0.5, step=1); "
               "mlflow.log_metric('accuracy', 0.8, step=1)\"")


class World(Protocol):
    """Arranges what a scenario takes for granted on a backend."""

    def datastore_file(self, path: str, text: str) -> None:
        """A file at `azureml://datastores/workspaceblobstore/paths/<path>`."""

    def job_runs(self, name: str, log: str, metrics: list[tuple[str, int, float]]) -> None:
        """The job `name`, once submitted, runs to Completed, writes `log` and logs `metrics`."""

    def batch_job_runs(self, name: str, progress: str) -> None:
        """The batch job `name`, once invoked, runs to Completed; its batchscoring step's progress
        overview ends as `progress`."""


def data_create_show_list(client: AmlClient, world: World) -> None:
    from azure.ai.ml.entities import Data

    world.datastore_file("contract/iris.csv", "sepal_length,species\n5.1,setosa\n")
    uri = "azureml://datastores/workspaceblobstore/paths/contract/iris.csv"
    created = client.data.create_or_update(Data(name="contract-iris", version="1", type="uri_file", path=uri,
                                                description="iris measurements"))
    assert (created.name, created.version, created.type) == ("contract-iris", "1", "uri_file")
    shown = client.data.get("contract-iris", version="1")
    assert (shown.name, shown.version, shown.type, shown.description) == (
        "contract-iris", "1", "uri_file", "iris measurements")
    assert shown.path.endswith("contract/iris.csv")
    assert "contract-iris" in [d.name for d in client.data.list()]
    assert [d.version for d in client.data.list(name="contract-iris")] == ["1"]


def environment_create_show_list(client: AmlClient, world: World) -> None:
    from azure.ai.ml.entities import Environment

    created = client.environments.create_or_update(Environment(name="contract-env", version="1", image=IMAGE,
                                                               description="an image"))
    assert (created.name, created.version, created.image) == ("contract-env", "1", IMAGE)
    shown = client.environments.get("contract-env", version="1")
    assert (shown.name, shown.version, shown.image, shown.description) == ("contract-env", "1", IMAGE, "an image")
    assert "contract-env" in [e.name for e in client.environments.list()]
    assert [e.version for e in client.environments.list(name="contract-env")] == ["1"]


def model_create_show_list(client: AmlClient, world: World) -> None:
    from azure.ai.ml.entities import Model

    world.datastore_file("contract/model/model.pkl", "weights")
    created = client.models.create_or_update(Model(
        name="contract-model", version="1", type="custom_model", tags={"stage": "dev"},
        path="azureml://datastores/workspaceblobstore/paths/contract/model/"))
    assert (created.name, created.version, created.type) == ("contract-model", "1", "custom_model")
    shown = client.models.get("contract-model", version="1")
    assert (shown.name, shown.version, shown.type, shown.tags) == ("contract-model", "1", "custom_model",
                                                                   {"stage": "dev"})
    assert shown.path.rstrip("/").endswith("contract/model")
    assert [m.version for m in client.models.list(name="contract-model")] == ["1"]
    assert client.models.lineage("contract-model", "1") == {}  # registered from a path, not a job


def job_show_list_stream_metrics_log(client: AmlClient, world: World) -> None:
    from azure.ai.ml import command
    from azure.ai.ml.entities import Environment

    client.environments.create_or_update(Environment(name="contract-env", version="1", image=IMAGE))
    world.job_runs("contract-job-1", JOB_LOG, JOB_METRICS)
    job = client.jobs.create_or_update(command(name="contract-job-1", command=JOB_COMMAND,
                                               environment="azureml:contract-env:1",
                                               experiment_name="contract", display_name="contract job"))
    assert (job.name, job.type, job.experiment_name, job.display_name) == (
        "contract-job-1", "command", "contract", "contract job")
    done = client.jobs.wait("contract-job-1", timeout=180)
    assert done.status == "Completed", client.jobs.read_log("contract-job-1")[0]

    shown = client.jobs.get("contract-job-1")
    assert (shown.name, shown.type, shown.status, shown.experiment_name) == (
        "contract-job-1", "command", "Completed", "contract")
    assert "contract-job-1" in [j.name for j in client.jobs.list()]

    out = io.StringIO()
    with redirect_stdout(out):
        client.jobs.stream("contract-job-1")
    assert "RunId: contract-job-1" in out.getvalue() and "Execution Summary" in out.getvalue()

    text, offset = client.jobs.read_log("contract-job-1")
    assert JOB_LOG in text and offset == len(text.encode())
    assert client.jobs.read_log("contract-job-1", offset) == ("", offset)

    reader = client.jobs.metrics_reader("contract-job-1")
    assert isinstance(reader, MetricsReader)
    points = reader.read_new()
    assert {key: [(step, value) for step, _, value in series] for key, series in points.items()} == {
        "loss": [(0, 0.9), (1, 0.5)], "accuracy": [(1, 0.8)]}
    assert reader.read_new() == {}


def errors_not_found_and_validation(client: AmlClient, world: World) -> None:
    from azure.ai.ml.entities import Data

    missing: list[Callable] = [
        lambda: client.data.get("no-such-data", version="1"),
        lambda: client.models.get("no-such-model", version="1"),
        lambda: client.environments.get("no-such-env", version="1"),
        lambda: client.jobs.get("no-such-job"),
        lambda: client.compute.get("no-such-compute"),
        lambda: client.jobs.read_log("no-such-job"),
        lambda: client.jobs.metrics_reader("no-such-job"),
    ]
    for call in missing:
        with pytest.raises(NotFoundError) as info:
            call()
        assert "\n" not in str(info.value)
    with pytest.raises(ValidationError, match="bogus") as info:
        client.data.create_or_update(Data(name="bad-data", version="1", type="bogus",
                                          path="azureml://datastores/workspaceblobstore/paths/contract/iris.csv"))
    assert "\n" not in str(info.value)


def online_endpoint_create_show_list(client: AmlClient, world: World) -> None:
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    created = client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="contract-ep", auth_mode="key", description="contract endpoint")).result()
    assert (created.name, created.auth_mode, created.provisioning_state) == ("contract-ep", "key", "Succeeded")
    shown = client.online_endpoints.get("contract-ep")
    assert (shown.name, shown.auth_mode, shown.description) == ("contract-ep", "key", "contract endpoint")
    assert shown.scoring_uri
    assert "contract-ep" in [e.name for e in client.online_endpoints.list()]
    with pytest.raises(NotFoundError):
        client.online_endpoints.get("no-such-endpoint")


BATCH_SCORER = "import os\n\ndef init():\n    pass\n\ndef run(mini_batch):\n    return [os.path.basename(p) for p in mini_batch]\n"
BATCH_PROGRESS = dict(mini_batches_total=2, mini_batches_done=2, mini_batches_failed=0, items_scored=3, items_failed=0,
                      retries=0)  # 3 files in mini-batches of 2


def batch_endpoint_create_invoke(client: AmlClient, world: World) -> None:
    from pathlib import Path

    from azure.ai.ml import Input
    from azure.ai.ml.entities import (
        AmlCompute,
        BatchEndpoint,
        CodeConfiguration,
        Environment,
        Model,
        ModelBatchDeployment,
        ModelBatchDeploymentSettings,
    )

    from amlmagic.rules.batch import PROGRESS_LOG, SCORING_STEP, Progress, format_progress, parse_progress

    for n in range(3):
        world.datastore_file(f"contract/digits/{n}.txt", str(n))
    world.datastore_file("contract/batch-model/model.txt", "weights")
    code = Path("batch-code")
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(BATCH_SCORER)
    world.batch_job_runs("contract-batch-job-1", format_progress(Progress(**BATCH_PROGRESS, elapsed_seconds=1.0)))
    client.environments.create_or_update(Environment(name="contract-env", version="1", image=IMAGE))
    client.compute.begin_create_or_update(AmlCompute(name="batch-cluster", size="Standard_DS3_v2", max_instances=2)).result()
    client.models.create_or_update(Model(name="contract-batch-model", version="1", type="custom_model",
                                         path="azureml://datastores/workspaceblobstore/paths/contract/batch-model/"))
    endpoint = client.batch_endpoints.begin_create_or_update(
        BatchEndpoint(name="contract-batch", description="contract batch endpoint")).result()
    assert (endpoint.name, endpoint.description, endpoint.auth_mode) == ("contract-batch", "contract batch endpoint",
                                                                        "aad_token")
    deployment = client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="contract-dpl", endpoint_name="contract-batch", model="azureml:contract-batch-model:1",
        environment="azureml:contract-env:1", compute="batch-cluster",
        code_configuration=CodeConfiguration(code=str(code.resolve()), scoring_script="score.py"),
        settings=ModelBatchDeploymentSettings(mini_batch_size=2, max_concurrency_per_instance=1))).result()
    assert (deployment.name, deployment.endpoint_name, deployment.mini_batch_size) == ("contract-dpl", "contract-batch", 2)
    assert [d.name for d in client.batch_deployments.list(endpoint_name="contract-batch")] == ["contract-dpl"]
    assert "contract-batch" in [e.name for e in client.batch_endpoints.list()]

    job = client.batch_endpoints.invoke(endpoint_name="contract-batch", deployment_name="contract-dpl",
                                        job_name="contract-batch-job-1", input=Input(
                                            type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/contract/digits/"))
    assert job.name == "contract-batch-job-1"
    done = client.jobs.wait(job.name, timeout=180)
    assert (done.status, done.type) == ("Completed", "pipeline"), client.jobs.read_log(job.name)[0]
    assert [c.display_name for c in client.jobs.list(parent_job_name=job.name)] == [SCORING_STEP]
    assert PROGRESS_LOG in client.jobs.log_names(job.name)
    progress = parse_progress(client.jobs.read_log(job.name, log=PROGRESS_LOG)[0])
    assert {k: getattr(progress, k) for k in BATCH_PROGRESS} == BATCH_PROGRESS
    assert job.name in [j.name for j in client.batch_endpoints.list_jobs(endpoint_name="contract-batch")]
    assert job.name in [j.name for j in client.batch_deployments.list_jobs(endpoint_name="contract-batch",
                                                                            name="contract-dpl")]
    client.batch_endpoints.begin_delete(name="contract-batch").result()
    with pytest.raises(NotFoundError):
        client.batch_endpoints.get("contract-batch")


SCENARIOS = {
    "data_create_show_list": data_create_show_list,
    "environment_create_show_list": environment_create_show_list,
    "model_create_show_list": model_create_show_list,
    "job_show_list_stream_metrics_log": job_show_list_stream_metrics_log,
    "errors_not_found_and_validation": errors_not_found_and_validation,
    "online_endpoint_create_show_list": online_endpoint_create_show_list,
    "batch_endpoint_create_invoke": batch_endpoint_create_invoke,
}
from pipeline_contract import pipeline_steps_show_list_reuse  # noqa: E402

SCENARIOS["pipeline_steps_show_list_reuse"] = pipeline_steps_show_list_reuse
