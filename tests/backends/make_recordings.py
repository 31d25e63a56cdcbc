"""Writes the project's own recordings (tests/backends/recordings/*.json).

Each scenario drives the real azure-ai-ml MLClient, in record mode, against the fake Azure ML
REST server of fake_azureml.py on 127.0.0.1; the recorder sanitizes the traffic like any user
recording, then the loopback host is renamed to Azure's so the files look like the shared ones.

The `magics_*` scenarios drive the `%aml` magics instead (`MAGIC_SCENARIOS`: YAML files written
into a temp notebook folder, then `%aml` lines), so their recordings hold exactly the requests the
magics make, as a user's `%aml connect --record` notebook would.

The `example_pytest_plugin` scenario runs the replayed test of examples/pytest-plugin with
`pytest --aml-record`, its `aml_connection` fixture pointed at the fake (`FAKE_CONNECTION_CONFTEST`).

    python tests/backends/make_recordings.py              # all
    python tests/backends/make_recordings.py magics_sweep_job   # some
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from fake_azureml import FakeAzureML, cloud_kwargs  # noqa: E402
from pipeline_scenarios import (
    PIPELINE_FILES,
    cancel_lines,
    failed_pipeline_scenario,
    magic_lines,
    pipeline_scenario,
    pipeline_setup,
    stream_lines,
    stream_setup,  # noqa: E402
)

from amlmagic.backends import StaticTokenCredential, connect_azure, stop_replay  # noqa: E402
from amlmagic.backends.replay.recording import load_recording, write_recording  # noqa: E402

RECORDINGS = HERE / "recordings"
CONTRACT = HERE.parent / "contract"
REPO = HERE.parents[1]
EXAMPLE = REPO / "examples" / "pytest-plugin"
__all__ = ["SCENARIOS", "MAGIC_SCENARIOS", "MagicScenario", "write_files", "record_scenario", "main",
           "FAKE_CONNECTION_CONFTEST", "fake_connection_env", "run_pytest", "record_example"]


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


BATCH_PROGRESS = dict(mini_batches_total=10, mini_batches_done=6, mini_batches_failed=1, items_scored=60,
                      items_failed=2, retries=1, elapsed_seconds=12.0)
BATCH_LOG = "mini batch 6 done\n"


def _batch_endpoint(client, fake, tmp) -> dict:
    """A batch endpoint's life on Azure through MLClient's groups: create the endpoint and a model
    deployment, make it the default, invoke (a job with a `batchscoring` step writing the progress
    overview), list the jobs, read the progress, delete. Returns what it saw (the replay test
    runs it again on the recording, with `fake` None, and compares)."""
    from azure.ai.ml import Input
    from azure.ai.ml.entities import (
        BatchEndpoint,
        BatchRetrySettings,
        CodeConfiguration,
        ModelBatchDeployment,
        ModelBatchDeploymentSettings,
    )

    from amlmagic.errors import NotFoundError
    from amlmagic.rules.batch import PROGRESS_LOG, Progress, format_progress

    seen: dict = {}
    endpoint = client.batch_endpoints.begin_create_or_update(
        BatchEndpoint(name="mnist-batch", description="MNIST digits, scored in batches")).result()
    seen["endpoint"] = (endpoint.name, endpoint.description, endpoint.provisioning_state)
    deployment = client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="torch", endpoint_name="mnist-batch", model="azureml:mnist-classifier:1", compute="batch-cluster",
        code_configuration=CodeConfiguration(code="azureml:mnist-code:1", scoring_script="batch_driver.py"),
        environment="azureml:torch-env:1", settings=ModelBatchDeploymentSettings(
            mini_batch_size=10, max_concurrency_per_instance=2, output_file_name="predictions.csv",
            retry_settings=BatchRetrySettings(max_retries=3, timeout=30), error_threshold=-1, logging_level="info"))
    ).result()
    seen["deployment"] = (deployment.name, deployment.endpoint_name, deployment.mini_batch_size,
                          deployment.max_concurrency_per_instance, deployment.retry_settings.timeout)
    endpoint.defaults = {"deployment_name": "torch"}  # what `az ml batch-deployment create --set-default` does
    seen["defaults"] = client.batch_endpoints.begin_create_or_update(endpoint).result().defaults
    seen["listed"] = ([e.name for e in client.batch_endpoints.list()],
                      [d.name for d in client.batch_deployments.list(endpoint_name="mnist-batch")])
    if fake is not None:
        fake.run_status["batch-job-1"] = ["Running", "Running", "Completed"]
    job = client.batch_endpoints.invoke(endpoint_name="mnist-batch", job_name="batch-job-1", input=Input(
        type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/mnist/png/"))
    seen["job"] = (job.name, job.status)
    if fake is not None:  # the scoring step has scored 6 mini-batches so far
        fake.log_files["batch-job-1-batchscoring"] = {PROGRESS_LOG: format_progress(Progress(**BATCH_PROGRESS)).encode(),
                                                      "user_logs/std_log.txt": BATCH_LOG.encode()}
    seen["jobs"] = ([j.name for j in client.batch_endpoints.list_jobs(endpoint_name="mnist-batch")],
                    [j.name for j in client.batch_deployments.list_jobs(endpoint_name="mnist-batch", name="torch")])
    seen["log_names"] = client.jobs.log_names("batch-job-1")
    seen["progress"] = client.jobs.read_log("batch-job-1", log=PROGRESS_LOG)[0]
    seen["log"] = client.jobs.read_log("batch-job-1")[0]
    seen["status"] = client.jobs.get("batch-job-1").status
    client.batch_endpoints.begin_delete("mnist-batch").result()
    try:
        client.batch_endpoints.get("mnist-batch")
        seen["deleted"] = False
    except NotFoundError:
        seen["deleted"] = True
    return seen


BATCH_MONITOR_STEPS = (dict(mini_batches_total=4, mini_batches_done=1, items_scored=10, elapsed_seconds=2.0),
                       dict(mini_batches_total=4, mini_batches_done=3, mini_batches_failed=1, items_scored=30,
                            items_failed=5, retries=2, elapsed_seconds=6.0))


def _batch_monitor(client, fake, tmp) -> list:
    """The job monitor following a batch job on Azure: its progress read from the batchscoring
    step's overview as the step rewrites it, polled by hand (a fixed sequence of requests) until
    the job completes. Returns each poll's (status, counters, log tail)."""
    from azure.ai.ml import Input
    from azure.ai.ml.entities import BatchEndpoint, ModelBatchDeployment

    from amlmagic.rules.batch import PROGRESS_LOG, Progress, format_progress
    from amlmagic.widgets import JobMonitor

    def step(n):  # the step rewrites its overview and appends to its log; after the last, the job ends
        if fake is not None and n >= len(BATCH_MONITOR_STEPS):
            fake.run_status["batch-job-2"] = ["Completed"]
        elif fake is not None:
            fake.log_files["batch-job-2-batchscoring"] = {
                PROGRESS_LOG: format_progress(Progress(**BATCH_MONITOR_STEPS[n])).encode(),
                "user_logs/std_log.txt": "".join(f"mini batch {i} done\n" for i in range(n + 1)).encode()}

    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="digits-batch")).result()
    client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="digits-dpl", endpoint_name="digits-batch", model="azureml:digits-model:1",
        environment="azureml:sklearn-env:1", compute="batch-cluster")).result()
    if fake is not None:
        fake.run_status["batch-job-2"] = ["Running"]
    step(0)
    job = client.batch_endpoints.invoke(endpoint_name="digits-batch", deployment_name="digits-dpl",
                                        job_name="batch-job-2", input=Input(
                                            type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/d/"))
    monitor = JobMonitor(client, job.name, start=False)
    seen = []
    for n in range(3):
        going = monitor.poll()
        seen.append((monitor.status, dict(monitor.batch), monitor.log_tail))
        step(n + 1)
        if not going:
            break
    seen.append(monitor.static_html())
    return seen


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


def _workspace_get(client, fake, tmp):
    client.workspaces.get(fake.workspace)


SCENARIOS = {
    "compute_list_show": _compute,
    "data_create_list": _data,
    "environment_create": _environment,
    "command_job": _command_job,
    "sweep_job": _sweep_job,
    "model_create": _model,
    "online_endpoint": _online_endpoint,
    "errors_400_404": _errors,
    "batch_endpoint": _batch_endpoint,
    "batch_monitor": _batch_monitor,
    # azure-ai-ml 1.35 reads the workspace before resolving a pipeline's components (a client key
    # for its cache), which the shared pipeline recording (an older SDK) lacks: this answers it.
    "workspace_get_sanitized": _workspace_get,
    "pipeline_job": pipeline_scenario,  # pipeline_scenarios.py
    "pipeline_step_failed": failed_pipeline_scenario,
}
# Scenarios recorded against a fake with the sanitized ids of the shared recordings.
FAKE_IDS = {"workspace_get_sanitized": dict(subscription="00000000-0000-0000-0000-000000000", resource_group="00000",
                                            workspace="00000")}



# -- the contract scenarios (tests/contract/scenarios.py), recorded as contract_<name>.json ----------
class FakeWorld:
    """Arranges a contract scenario's preconditions on the fake Azure ML server."""

    def __init__(self, fake):
        self.fake = fake

    def datastore_file(self, path: str, text: str) -> None:
        pass  # the fake does not check datastore paths, as Azure does not on create

    def job_runs(self, name: str, log: str, metrics: list) -> None:
        self.fake.run_status[name] = ["Running", "Completed"]
        self.fake.logs[name] = log.encode()
        self.fake.metrics[name] = [{"key": key, "value": value, "timestamp": 1767607200000 + i * 1000, "step": step}
                                   for i, (key, step, value) in enumerate(metrics)]

    def batch_job_runs(self, name: str, progress: str) -> None:
        self.fake.run_status[name] = ["Running", "Completed"]
        self.fake.log_files[f"{name}-batchscoring"] = {"logs/job_progress_overview.txt": progress.encode(),
                                                        "user_logs/std_log.txt": b"scored 3 items\n"}


def contract_scenarios() -> dict:
    sys.path.insert(0, str(CONTRACT))
    from scenarios import SCENARIOS as CONTRACT_SCENARIOS

    return {f"contract_{name}": scenario for name, scenario in CONTRACT_SCENARIOS.items()}


# -- scenarios through the %aml magics ------------------------------------------------------------
@dataclass
class MagicScenario:
    lines: list  # "%aml" lines without the "%aml", (line, %%aml cell body) pairs, or step(fake) between them
    files: dict = field(default_factory=dict)  # notebook-folder file -> text, written before the lines
    setup: Callable | None = None  # setup(fake): what the fake Azure ML answers beyond its store


COMPUTE_YML = ("$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n"
               "name: cpu-cluster\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: 4\n"
               "location: westus2\n")
ENV_YML = "name: sklearn-env\nversion: '2'\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest\n"
REQUIREMENTS = "scikit-learn==1.5.0\npandas\n"
JOB_YML = ("$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n"
           "name: train-job-1\ncommand: python train.py --lr 0.1\nenvironment: azureml:sklearn-env:1\n"
           "compute: azureml:cpu-cluster\nexperiment_name: demo\ndisplay_name: train\n")
SWEEP_YML = """$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
name: sweep-job-1
experiment_name: demo
compute: azureml:cpu-cluster
sampling_algorithm: random
objective: {primary_metric: accuracy, goal: maximize}
search_space:
  lr: {type: uniform, min_value: 0.001, max_value: 0.1}
  batch: {type: choice, values: [16, 32, 64]}
early_termination: {type: bandit, slack_factor: 0.2, evaluation_interval: 1, delay_evaluation: 2}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
trial:
  command: python train.py --lr ${{search_space.lr}} --batch ${{search_space.batch}}
  environment: azureml:sklearn-env:1
"""
DEPLOYMENT_YML = """$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: iris-ep
model: azureml:iris-model:1
environment: azureml:sklearn-env:1
code_configuration: {code: azureml:score-code:1, scoring_script: score.py}
instance_type: Standard_DS3_v2
instance_count: 1
"""
REQUEST_JSON = json.dumps({"data": [[5.1, 3.5, 1.4, 0.2]]})
BAD_JOB_YML = "name: bad-job-1\ncommand: echo\ncompute: azureml:missing\nenvironment: azureml:sklearn-env:1\n"


def _job_runs(fake):
    fake.run_status["train-job-1"] = ["Running", "Running", "Completed"]
    fake.metrics["train-job-1"] = [{"key": "loss", "value": 0.9, "timestamp": 1767607200000, "step": 0},
                                   {"key": "loss", "value": 0.5, "timestamp": 1767607201000, "step": 1},
                                   {"key": "accuracy", "value": 0.8, "timestamp": 1767607201000, "step": 1}]


def _sweep_trials(fake):
    fake.children["sweep-job-1"] = [
        {"runId": f"sweep-job-1_{i}", "status": status, "displayName": f"trial {i}", "experimentId": "demo",
         "properties": {"hyperparameters": json.dumps({"--lr": lr, "--batch": batch})}}
        for i, (status, lr, batch) in enumerate([("Completed", 0.01, 32), ("Canceled", 0.002, 16)])]


def _sweep_finished(fake):
    """What Azure does when the trials are done: the sweep completes and names its best trial."""
    props = fake.store[f"{fake.scope}/jobs/sweep-job-1"]["properties"]
    props["status"] = "Completed"
    props.setdefault("properties", {})["best_child_run_id"] = "sweep-job-1_0"


def _errors_setup(fake):
    fake.rejects[f"{fake.scope}/jobs/bad-job-1"] = (400, {"error": {
        "code": "UserError", "message": "Compute Not Found for run ID : bad-job-1", "details": [], "additionalInfo": []}})


BATCH_ENDPOINT_YML = "name: digits-batch\ndescription: digits, scored in batches\ntags: {team: vision}\n"
BATCH_DEPLOYMENT_YML = """$schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json
name: torch
endpoint_name: digits-batch
type: model
model: azureml:iris-model:1
code_configuration: {code: ./code, scoring_script: batch_driver.py}
environment: azureml:sklearn-env:1
compute: azureml:cpu-cluster
resources: {instance_count: 1}
settings:
  max_concurrency_per_instance: 2
  mini_batch_size: 10
  output_action: append_row
  output_file_name: predictions.csv
  retry_settings: {max_retries: 3, timeout: 30}
  error_threshold: -1
  logging_level: info
"""
BATCH_DRIVER = "def init():\n    pass\n\n\ndef run(mini_batch):\n    return mini_batch\n"


def _batch_job_runs(fake):
    fake.run_status["batch-job-3"] = ["Completed"]


MAGIC_SCENARIOS = {
    "magics_compute": MagicScenario(
        ["compute create -f compute.yml", "compute list", "compute show -n cpu-cluster", "workspace show"],
        {"compute.yml": COMPUTE_YML}),
    "magics_data": MagicScenario(
        ["data create -n iris -v 1 -t uri_file -p azureml://datastores/workspaceblobstore/paths/data/iris.csv "
         "-d 'iris measurements'", "data list"]),
    "magics_environment": MagicScenario(
        [("environment create -n sklearn-env -v 1", REQUIREMENTS), "environment create -f env.yml"],
        {"env.yml": ENV_YML}),
    "magics_command_job": MagicScenario(
        ["job create -f job.yml --stream", "job show -n train-job-1", "job metrics -n train-job-1"],
        {"job.yml": JOB_YML}, _job_runs),
    "magics_sweep_job": MagicScenario(
        ["job create -f sweep.yml", _sweep_finished, "job show -n sweep-job-1"],
        {"sweep.yml": SWEEP_YML}, _sweep_trials),
    "magics_model": MagicScenario(
        ["model create -n iris-model -v 1 -t custom_model -p azureml://datastores/workspaceblobstore/paths/models/iris/",
         "model show -n iris-model -v 1", "model list -n iris-model"]),
    "magics_online_endpoint": MagicScenario(
        ["online-endpoint create -n iris-ep --auth-mode key", "online-deployment create -f blue.yml --all-traffic",
         "online-endpoint invoke -n iris-ep --request-file request.json", "online-endpoint get-credentials -n iris-ep",
         "online-deployment get-logs -n blue -e iris-ep --lines 50"],
        {"blue.yml": DEPLOYMENT_YML, "request.json": REQUEST_JSON}),
    "magics_batch_endpoint": MagicScenario(
        ["compute create -f compute.yml", "environment create -f env.yml",
         "model create -n iris-model -v 1 -t custom_model -p azureml://datastores/workspaceblobstore/paths/models/iris/",
         "batch-endpoint create -f endpoint.yml", "batch-deployment create -f deployment.yml --set-default",
         "batch-endpoint show -n digits-batch",
         "batch-endpoint invoke -n digits-batch --input azureml://datastores/workspaceblobstore/paths/digits/ "
         "--input-type uri_folder --mini-batch-size 5 --job-name batch-job-3",
         "batch-endpoint list-jobs -n digits-batch", "batch-deployment list-jobs -n torch -e digits-batch",
         "export --dir exported", "batch-deployment delete -n torch -e digits-batch -y",
         "batch-endpoint delete -n digits-batch -y"],
        {"compute.yml": COMPUTE_YML, "env.yml": ENV_YML.replace("'2'", "'1'"), "endpoint.yml": BATCH_ENDPOINT_YML,
         "deployment.yml": BATCH_DEPLOYMENT_YML, "code/batch_driver.py": BATCH_DRIVER}, _batch_job_runs),
    "magics_errors": MagicScenario(
        ["job create -f bad.yml", "compute show -n no-such-cluster", "model show -n no-such-model -v 1"],
        {"bad.yml": BAD_JOB_YML}, _errors_setup),
    "magics_pipeline_job": MagicScenario(magic_lines(), PIPELINE_FILES, pipeline_setup),  # pipeline_scenarios.py
    "magics_pipeline_stream": MagicScenario(stream_lines(), PIPELINE_FILES, stream_setup),
    "magics_pipeline_cancel": MagicScenario(cancel_lines(), PIPELINE_FILES, pipeline_setup),
}


def write_files(scenario: MagicScenario, folder: Path) -> None:
    for name, text in scenario.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def _run_magic_scenario(scenario: MagicScenario, azure: dict, fake, tmp: Path) -> None:
    from amlmagic.errors import AmlMagicError
    from amlmagic.magics import run_aml
    from amlmagic.session import reset_session

    if scenario.setup:
        scenario.setup(fake)
    write_files(scenario, tmp)
    reset_session().connect_azure(**azure)
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        for step in scenario.lines:
            if callable(step):
                step(fake)
                continue
            line, cell = step if isinstance(step, tuple) else (step, None)
            try:
                with redirect_stdout(io.StringIO()):
                    run_aml(line, cell)
            except AmlMagicError as exc:  # the error scenario records Azure's error answers
                print(f"  %aml {line}: {exc}")
    finally:
        os.chdir(cwd)
        reset_session()


def record_scenario(name: str, path: Path, tmp: Path, cloud_name: str) -> None:
    with FakeAzureML(**FAKE_IDS.get(name, {})) as fake:
        old = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(fake.cert_path)
        azure = dict(subscription_id=fake.subscription, resource_group=fake.resource_group, workspace=fake.workspace,
                     credential=StaticTokenCredential(), record_path=path, **cloud_kwargs(fake.url, cloud_name))
        try:
            if name in MAGIC_SCENARIOS:
                _run_magic_scenario(MAGIC_SCENARIOS[name], azure, fake, tmp)
            elif name.startswith("contract_"):  # in the temp folder: a scenario may write files (its code)
                cwd = os.getcwd()
                os.chdir(tmp)
                try:
                    contract_scenarios()[name](connect_azure(**azure), FakeWorld(fake))
                finally:
                    os.chdir(cwd)
            else:
                SCENARIOS[name](connect_azure(**azure), fake, tmp)
        finally:
            stop_replay()
            if old is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = old
        host = fake.url
    _rename_host(path, host)


def _rename_host(path: Path, host: str) -> None:
    data = load_recording(path)
    authority = host.split("://", 1)[1]
    text = json.dumps(data["Entries"]).replace(host, "https://management.azure.com")
    text = text.replace(f"azureml://{authority}", "azureml://westus2.api.azureml.ms")
    write_recording(path, json.loads(text), data.get("Variables"))


# -- the pytest plugin against the fake ----------------------------------------------------------
FAKE_CONNECTION_CONFTEST = '''
import json
import os

import pytest

from amlmagic.backends import StaticTokenCredential


@pytest.fixture
def aml_connection():
    """--aml-record records against amlmagic's fake Azure ML server (tests/backends/fake_azureml.py)."""
    return {**json.loads(os.environ["AMLMAGIC_FAKE_AZUREML"]), "credential": StaticTokenCredential()}
'''


def fake_connection_env(fake, cloud_name: str) -> dict:
    """The environment FAKE_CONNECTION_CONFTEST reads: where the fake is and its certificate."""
    connection = dict(subscription_id=fake.subscription, resource_group=fake.resource_group,
                      workspace=fake.workspace, **cloud_kwargs(fake.url, cloud_name))
    return {"AMLMAGIC_FAKE_AZUREML": json.dumps(connection), "REQUESTS_CA_BUNDLE": str(fake.cert_path)}


def run_pytest(args: list, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """pytest in a subprocess with this checkout's amlmagic and its plugin."""
    # azure-ai-ml keeps the last MLClient's cloud name in AZUREML_CURRENT_CLOUD; a fresh process
    # that inherits the name of a cloud registered only in this one fails at import.
    inherited = {k: v for k, v in os.environ.items() if k != "AZUREML_CURRENT_CLOUD"}
    full_env = {**inherited, **(env or {}), "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "amlmagic.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:warnings", "--tb=short",
                           *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600)


def example_scorer(body):
    """What the example's deployed score.py answers: the slope its job fits to the example's points."""
    return {"prediction": [round(1.9929 * x, 4) for x in body["data"]]}


def record_example(tmp: Path, cloud_name: str) -> Path:
    """Records examples/pytest-plugin's replayed test against the fake; returns the recording."""
    copy = tmp / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("recordings", "__pycache__", ".pytest_cache"))
    (copy / "tests" / "conftest.py").write_text(FAKE_CONNECTION_CONFTEST)
    with FakeAzureML() as fake:
        fake.scorer = example_scorer
        run = run_pytest(["-q", "--aml-record", "-k", "replayed", "tests"], copy, fake_connection_env(fake, cloud_name))
        if run.returncode != 0:
            raise SystemExit(f"recording the example failed:\n{run.stdout}\n{run.stderr}")
        recorded = copy / "tests" / "recordings" / "train_and_deploy.json"
        _rename_host(recorded, fake.url)
    target = EXAMPLE / "tests" / "recordings" / recorded.name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(recorded, target)
    return target


def main(names: list[str] | None = None) -> None:
    import tempfile

    RECORDINGS.mkdir(exist_ok=True)
    every = [*SCENARIOS, *MAGIC_SCENARIOS, *contract_scenarios(), "example_pytest_plugin"]
    unknown = sorted(set(names or []) - set(every))
    if unknown:
        raise SystemExit(f"unknown scenarios {unknown}: choose from {every}")
    for index, name in enumerate(every):
        if names and name not in names:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            if name == "example_pytest_plugin":
                path = record_example(Path(tmp), f"AmlMagicRecording{index}")
            else:
                path = RECORDINGS / f"{name}.json"
                record_scenario(name, path, Path(tmp), f"AmlMagicRecording{index}")
        print(f"{name}: {len(load_recording(path)['Entries'])} entries")

if __name__ == "__main__":
    main(sys.argv[1:])
