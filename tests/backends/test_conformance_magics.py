"""Conformance through the public `%aml` magics: every real Azure ML recording in
../shared/recordings replayed with `%aml connect --replay FILE`, then the `%aml` lines a user
would type (YAML written into the notebook folder), checking the entities they return (status,
type, sampling algorithm, search space) and that Azure's errors come out as one line.

test_conformance.py does the same one layer down, through MLClient. The recordings are read in
place (never copied into the project); the test is skipped when ../shared is absent. Every socket
to anything but 127.0.0.1 fails the test.
"""

import json
from pathlib import Path

import pytest
from conftest import NEEDS_SHARED, OWN_RECORDINGS, SHARED_RECORDINGS
from IPython.core.error import UsageError as IPythonUsageError
from IPython.utils.capture import capture_output

pytestmark = NEEDS_SHARED
ENV = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33"
CONDA = "channels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip\nname: example-environment\n"


def variables(name):
    return json.loads((SHARED_RECORDINGS / name).read_text()).get("Variables", {})


def replay(ip, recording, **files):
    """`%aml connect --replay` one shared recording; `files` are written into the notebook folder."""
    for name, text in files.items():
        path = Path.cwd() / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert ip.run(f"%aml connect --replay {SHARED_RECORDINGS / recording}").startswith("connected: replay")


def test_every_shared_recording_has_a_magic_case():
    covered = {name for name in globals() if name.startswith("test_")}
    for path in SHARED_RECORDINGS.glob("*.json"):
        assert any(c.startswith(f"test_{path.stem}") for c in covered), f"no %aml conformance case for {path.name}"


def test_environment_get(no_network, ip):
    replay(ip, "environment_get.json")
    env = ip.run("%aml environment show -n AzureML-sklearn-1.0-ubuntu20.04-py38-cpu -v 1")
    assert (type(env).__name__, env.name, env.version) == ("Environment", "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", "1")


def test_environment_create_conda_from_a_cell(no_network, ip):
    name = variables("environment_create_conda.json")["name"]
    replay(ip, "environment_create_conda.json")
    env = ip.run(f"%%aml environment create -n {name} -v 1 --image mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04 "
                 f"-d 'This is description'\n{CONDA}")
    assert (env.name, env.version, env.image) == (name, "1", "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04")
    assert env.conda_file["name"] == "example-environment" and env.description == "This is description"


def test_environment_create_conda_from_a_file(no_network, ip):
    name = variables("environment_create_conda.json")["name"]
    replay(ip, "environment_create_conda.json", **{
        "conda.yml": CONDA,
        "env.yml": f"name: {name}\nversion: '1'\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04\n"
                   "conda_file: conda.yml\ndescription: This is description\n"})
    env = ip.run("%aml environment create -f env.yml")
    assert (env.name, env.version) == (name, "1")
    assert env.conda_file["dependencies"][:2] == ["python=3.10", "pip"]


def test_command_job_serverless(no_network, ip):
    name = variables("command_job_serverless.json")["job_name"]
    replay(ip, "command_job_serverless.json", **{
        "data__sample1.csv": "a,b\n1,2\n",
        "job.yml": f"$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\nname: {name}\n"
                   f"command: pip freeze\nenvironment: {ENV}\nexperiment_name: mfe-test1-dataset\n"
                   "display_name: test_dataset_display_name1\ninputs:\n  testdataset:\n    type: uri_folder\n"
                   "    path: ./data\n"})
    created = ip.run("%aml job create -f job.yml")
    assert (created.name, created.type, created.status) == (name, "command", "Starting")
    assert created.inputs["testdataset"].path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    shown = ip.run(f"%aml job show -n {name}")
    assert (shown.status, shown.display_name) == ("Preparing", "test_dataset_display_name1")


def test_command_job_register_output_400(no_network, ip):
    name = variables("command_job_register_output_400.json")["job_name"]
    replay(ip, "command_job_register_output_400.json", **{
        "job.yml": f"name: {name}\ncommand: echo \"inputs dont need to be used in command\"\nenvironment: {ENV}\n"
                   "compute: azureml:testCompute\nexperiment_name: mfe-test1\noutputs:\n  test1:\n    type: uri_folder\n"
                   "  test2:\n    type: uri_folder\n    name: test2_output\n    version: '2'\n    mode: upload\n"})
    with pytest.raises(IPythonUsageError) as info:
        ip.run("%aml job create -f job.yml")
    line = str(info.value)
    assert line.startswith("Azure answered 400 UserError: Request is invalid and/or missing fields.")
    assert "assetVersion" in line and "\n" not in line


SWEEP_YML = """$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
name: {name}
experiment_name: azure-ai-ml
compute: azureml:testCompute
sampling_algorithm: random
objective: {{primary_metric: accuracy, goal: maximize}}
search_space:
  lr: {{type: uniform, min_value: 0.001, max_value: 0.1}}
  conv_size: {{type: choice, values: [2, 5, 7]}}
  dropout_rate: {{type: uniform, min_value: 0.1, max_value: 0.5}}
limits: {{max_total_trials: 2, max_concurrent_trials: 10, timeout: 300}}
trial:
  code: src
  command: >-
    python ./sweep_script.py --lr ${{{{search_space.lr}}}} --conv_size ${{{{search_space.conv_size}}}}
    --dropout_rate ${{{{search_space.dropout_rate}}}}
  environment: {env}
"""


def test_sweep_job_submit_minimal(no_network, ip):
    name = variables("sweep_job_submit_minimal.json")["job_name"]
    replay(ip, "sweep_job_submit_minimal.json", **{"src__sweep_script.py": "print('hi')\n",
                                                   "sweep.yml": SWEEP_YML.format(name=name, env=ENV)})
    created = ip.run("%aml job create -f sweep.yml")
    assert (created.name, created.type, created.status) == (name, "sweep", "Running")
    assert created.sampling_algorithm.type == "random"
    assert created.search_space["conv_size"].values == [2, 5, 7]
    assert (created.search_space["lr"].type, created.search_space["lr"].min_value) == ("uniform", 0.001)
    assert created.objective.primary_metric == "accuracy" and created.limits.max_total_trials == 2


def test_sweep_job_submit_minimal_show_returns_the_sweep(no_network, ip):
    # `%aml job show` returns the sweep (the recorded GET), then lists its trials through run
    # history, which the SDK test that made this recording never called: one line says so.
    name = variables("sweep_job_submit_minimal.json")["job_name"]
    replay(ip, "sweep_job_submit_minimal.json")
    with capture_output() as captured:
        sweep = ip.run(f"%aml job show -n {name}")
    assert (type(sweep).__name__, sweep.name, sweep.type, sweep.status) == ("SweepJob", name, "sweep", "Running")
    assert f"  name             {name}" in captured.stdout  # the sweep is the cell's result
    [notice] = [output.data["text/plain"] for output in captured.outputs]  # beneath it
    assert notice.startswith(f"the trials of sweep {name} could not be listed (Replay has no recorded answer")
    assert notice.endswith(f"%aml job list --parent-job-name {name} lists them") and "\n" not in notice


def test_sweep_job_builder_400(no_network, ip):
    name = variables("sweep_job_builder_400.json")["name"]
    replay(ip, "sweep_job_builder_400.json", **{"sweep.yml": f"""type: sweep
name: {name}
experiment_name: mfe-test1-dataset
compute: azureml:testCompute
sampling_algorithm: random
objective: {{primary_metric: accuracy, goal: maximize}}
search_space:
  lr: {{type: loguniform, min_value: 0.001, max_value: 0.1}}
early_termination: {{type: truncation_selection, delay_evaluation: 200, evaluation_interval: 100, truncation_percentage: 40}}
limits: {{max_total_trials: 10, max_concurrent_trials: 2, timeout: 300}}
inputs:
  uri: {{type: uri_file, path: azureml://datastores/workspaceblobstore/paths/python/data.csv}}
trial:
  command: echo ${{{{inputs.uri}}}} ${{{{search_space.lr}}}}
  environment: {ENV}
"""})
    with pytest.raises(IPythonUsageError) as info:
        ip.run("%aml job create -f sweep.yml")
    assert str(info.value) == f"Azure answered 400 UserError: mfe-test1-dataset: Compute Not Found for run ID : {name}"


def test_model_crud_file(no_network, ip):
    name = variables("model_crud_file.json")["model_name"]
    replay(ip, "model_crud_file.json", **{
        "lightgbm_mlflow_model__MLmodel": "flavors: {}\n",
        "model.yml": f"name: {name}\nversion: '3'\ntype: mlflow_model\npath: lightgbm_mlflow_model\n"
                     "description: this is my test model\ntags: {foo: bar, abc: '123'}\n"})
    model = ip.run("%aml model create -f model.yml")
    assert (model.name, model.version, model.type) == (name, "3", "mlflow_model")
    shown = ip.run(f"%aml model show -n {name} -v 3")
    assert shown.tags == {"foo": "bar", "abc": "123"} and shown.description == "this is my test model"
    assert [m.version for m in ip.run(f"%aml model list -n {name}")] == ["3"]


def test_compute_create_and_delete(no_network, ip):
    name = variables("compute_create_and_delete.json")["compute_name"]
    replay(ip, "compute_create_and_delete.json", **{
        "compute.yml": f"name: {name}\ntype: amlcompute\nsize: Standard_DS2_v2\nmax_instances: 2\nlocation: westus\n"})
    created = ip.run("%aml compute create -f compute.yml")
    assert (created.name, created.type, created.provisioning_state) == (name, "amlcompute", "Succeeded")
    assert ip.run(f"%aml compute show -n {name}").name == name
    assert ip.run(f"%aml compute show -n {name}").size.lower() == "standard_ds2_v2"
    # The delete was answered 202 and its polls were not recorded: --no-wait returns on the 202.
    assert ip.run(f"%aml compute delete -n {name} -y --no-wait") == f"compute {name}: deletion started"


def test_compute_create_and_delete_waiting_needs_the_polls(no_network, ip):
    name = variables("compute_create_and_delete.json")["compute_name"]
    replay(ip, "compute_create_and_delete.json")
    with pytest.raises(IPythonUsageError) as info:
        ip.run(f"%aml compute delete -n {name} -y")
    assert "computeoperationsstatus" in str(info.value) and "\n" not in str(info.value)


def test_online_endpoint_delete_204(no_network, ip):
    name = variables("online_endpoint_delete_204.json")["mir-test-"]
    replay(ip, "online_endpoint_delete_204.json")
    assert ip.run(f"%aml online-endpoint delete -n {name} -y") == f"online endpoint {name} deleted"


# -- components (created from a cell with the recorded entity, then shown, listed, archived and
# restored through %aml), pipelines and schedules (nouns %aml does not have yet:
# these drive the session's client from a cell, as user code would, MLClient's groups forwarded by
# the adapter).
SESSION = "from amlmagic.session import current_session\nclient = current_session().client\n"


def test_component_command_create_get_through_the_session_client(no_network, ip):
    from test_conformance import basic_component

    name = variables("component_command_create_get.json")["component_name"]
    replay(ip, "component_command_create_get.json")
    ip.user_ns["component"] = basic_component(name, "0.0.1")
    created = ip.run(SESSION + "client.components.create_or_update(component)")
    assert (created.name, created.version, created.type) == (name, "0.0.1", "command")
    shown = ip.run(f"%aml component show -n {name} -v 0.0.1")
    assert (type(shown).__name__, shown.display_name) == ("CommandComponent", "CommandComponentBasic")


def test_component_archive_restore_version_list_through_the_session_client(no_network, ip):
    from test_conformance import basic_component

    name = variables("component_archive_restore_version_list.json")["namee"]
    replay(ip, "component_archive_restore_version_list.json")
    ip.user_ns.update(v1=basic_component(name, "1"), v2=basic_component(name, "2"))
    ip.run(SESSION + "client.components.create_or_update(v1); client.components.create_or_update(v2)")
    assert [c.version for c in ip.run(f"%aml component list -n {name}")] == ["2", "1"]
    ip.run(f"%aml component archive -n {name} -v 1")
    assert [c.version for c in ip.run(f"%aml component list -n {name}")] == ["2"]
    ip.run(f"%aml component restore -n {name} -v 1")
    assert [c.version for c in ip.run(f"%aml component list -n {name}")] == ["2", "1"]


def test_pipeline_job_create_and_update_through_the_session_client(no_network, ip):
    from test_conformance import PIPELINE_YML

    names = variables("pipeline_job_create_and_update.json")
    (Path.cwd() / "iris-mltable").mkdir()
    (Path.cwd() / "iris-mltable" / "MLTable").write_text("paths:\n  - file: ./iris.csv\n")
    (Path.cwd() / "pipeline.yml").write_text(PIPELINE_YML.format(name=names["name"]))
    assert ip.run(f"%aml connect --replay {SHARED_RECORDINGS / 'pipeline_job_create_and_update.json'} "
                  f"{OWN_RECORDINGS / 'workspace_get_sanitized.json'}").startswith("connected: replay")
    created = ip.run(SESSION + "from azure.ai.ml import load_job\njob = client.jobs.create_or_update(load_job('pipeline.yml'))\njob")
    assert (created.name, created.type) == (names["name"], "pipeline")
    ip.run(f"job.tags[{names['new_tag_name']!r}] = {names['new_tag_value']!r}")
    assert ip.run("client.jobs.create_or_update(job)").tags[names["new_tag_name"]] == names["new_tag_value"]


def test_batch_endpoint_create_get_delete(no_network, ip):
    name = variables("batch_endpoint_create_get_delete.json")["name"]
    replay(ip, "batch_endpoint_create_get_delete.json", **{
        "endpoint.yml": f"$schema: https://azuremlschemas.azureedge.net/latest/batchEndpoint.schema.json\nname: {name}\n"
                        "description: funny\ntags: {t1: v1}\nproperties: {p1: v1, p2: v2}\nauth_mode: aad_token\n"})
    created = ip.run("%aml batch-endpoint create -f endpoint.yml")
    assert (type(created).__name__, created.name, created.description, created.provisioning_state) == (
        "BatchEndpoint", name, "funny", "Succeeded")
    with capture_output() as captured:  # the deployments listed beneath: not in the recording, said in one line
        shown = ip.run(f"%aml batch-endpoint show -n {name}")
    assert shown.scoring_uri == f"https://{name}.eastus.inference.ml.azure.com/jobs" and shown.tags == {"t1": "v1"}
    [beneath] = [o.data.get("text/plain", "") for o in captured.outputs]
    assert beneath.startswith(f"the deployments of {name} could not be listed (Replay has no recorded answer")
    assert "\n" not in beneath.strip()
    assert ip.run(f"%aml batch-endpoint delete -n {name} -y") == f"batch endpoint {name} deleted"
    with pytest.raises(IPythonUsageError, match="does not exist in the workspace") as info:
        ip.run(f"%aml batch-endpoint show -n {name}")
    assert "\n" not in str(info.value)


def test_schedule_cron_command_job_create_get_disable_through_the_session_client(no_network, ip, monkeypatch):
    monkeypatch.setenv("AZURE_ML_CLI_PRIVATE_FEATURES_ENABLED", "true")  # a CommandJob in a schedule is preview
    name = variables("schedule_cron_command_job_create_get_disable.json")["name"]
    replay(ip, "schedule_cron_command_job_create_get_disable.json", **{"data__sample1.csv": "a,b\n1,2\n"})
    created = ip.run(SESSION + f"""
from azure.ai.ml import Input, command
from azure.ai.ml.entities import CronTrigger, JobSchedule
job = command(command="pip freeze", environment={ENV!r}, compute="cpu-cluster", display_name="test_display_name",
              experiment_name="mfe-test1", inputs={{"hello_input": Input(type="uri_folder", path="./data")}})
schedule = JobSchedule(name={name!r}, display_name="weekly retrain schedule", description="a weekly retrain schedule",
                       trigger=CronTrigger(expression="15 10 * * 1", start_time="2022-03-10 10:15:00", time_zone="UTC"),
                       create_job=job)
client.schedules.begin_create_or_update(schedule).result()""")
    assert (created.name, created.is_enabled, created.trigger.expression) == (name, True, "15 10 * * 1")
    assert ip.run(f"client.schedules.get({name!r})").create_job.command == "pip freeze"


def test_schedule_cron_command_job_create_get_disable(no_network, ip, monkeypatch):
    monkeypatch.setenv("AZURE_ML_CLI_PRIVATE_FEATURES_ENABLED", "true")  # a CommandJob in a schedule is preview
    name = variables("schedule_cron_command_job_create_get_disable.json")["name"]
    replay(ip, "schedule_cron_command_job_create_get_disable.json", **{
        "data__sample1.csv": "a,b\n1,2\n",
        "job.yml": f"command: pip freeze\nenvironment: {ENV}\ncompute: azureml:cpu-cluster\n"
                   "display_name: test_display_name\nexperiment_name: mfe-test1\n"
                   "inputs:\n  hello_input:\n    type: uri_folder\n    path: ./data\n",
        "schedule.yml": f"name: {name}\ndisplay_name: weekly retrain schedule\ndescription: a weekly retrain schedule\n"
                        "trigger:\n  type: cron\n  expression: '15 10 * * 1'\n  start_time: '2022-03-10 10:15:00'\n"
                        "  time_zone: UTC\ncreate_job: ./job.yml\n"})
    created = ip.run("%aml schedule create -f schedule.yml")
    assert (type(created).__name__, created.name, created.is_enabled) == ("JobSchedule", name, True)
    assert created.trigger.expression == "15 10 * * 1"
    shown = ip.run(f"%aml schedule show -n {name}")  # its triggered jobs: not in the recording, one line says so
    assert (shown.display_name, shown.create_job.command) == ("weekly retrain schedule", "pip freeze")
    assert ip.run(f"%aml schedule disable -n {name} --no-wait") == f"schedule {name}: disabling started"
