"""The `%aml` magics on replay, through a real IPython shell, over the project's own recordings of
the magics' traffic (the `magics_*` scenarios of make_recordings.py, recorded against the fake
Azure ML server): the same lines give the same entities as when they were recorded, errors are
one line, a JobMonitor shows the recorded job status, and nothing leaves the machine."""

import copy
from pathlib import Path

import pytest
from conftest import OWN_RECORDINGS
from IPython.core.error import UsageError as IPythonUsageError
from IPython.utils.capture import capture_output
from make_recordings import MAGIC_SCENARIOS, write_files

from amlmagic.backends.replay.recording import load_recording, write_recording
from amlmagic.session import current_session


def replay(ip, name):
    """`%aml connect --replay` the scenario's recording, with its YAML files in the notebook folder."""
    write_files(MAGIC_SCENARIOS[name], Path.cwd())  # the `ip` fixture's notebook folder
    shown = ip.run(f"%aml connect --replay {OWN_RECORDINGS / (name + '.json')}")
    assert shown.startswith("connected: replay")
    return current_session().client


def shown_text(captured) -> list[str]:
    """The text/plain of everything a magic displayed besides its result."""
    return [output.data.get("text/plain", "") for output in captured.outputs]


def test_compute_create_list_show(no_network, ip):
    replay(ip, "magics_compute")
    created = ip.run("%aml compute create -f compute.yml")
    assert (created.name, created.type, created.size, created.max_instances, created.provisioning_state) == (
        "cpu-cluster", "amlcompute", "Standard_DS3_v2", 4, "Succeeded")
    assert [c.name for c in ip.run("%aml compute list")] == ["cpu-cluster"]
    shown = ip.run("%aml compute show -n cpu-cluster")
    assert (shown.type, shown.min_instances, shown.location) == ("amlcompute", 0, "westus2")
    summary = ip.run("%aml workspace show").splitlines()
    assert summary[1] == "workspace: ws-demo"
    assert [line.split()[-1] for line in summary[2:]] == ["2", "0", "0", "0", "1", "0", "0", "none"]


def test_data_create_and_list(no_network, ip):
    replay(ip, "magics_data")
    data = ip.run("%aml data create -n iris -v 1 -t uri_file -p azureml://datastores/workspaceblobstore/paths/data/iris.csv "
                  "-d 'iris measurements'")
    assert (data.name, data.version, data.type, data.description) == ("iris", "1", "uri_file", "iris measurements")
    assert data.path == "azureml://datastores/workspaceblobstore/paths/data/iris.csv"
    listed = ip.run("%aml data list")
    assert [d.name for d in listed] == ["iris"]
    assert listed._repr_mimebundle_()["text/plain"].splitlines()[1].split()[0] == "iris"


def test_environment_create_from_a_requirements_cell_and_a_file(no_network, ip):
    from amlmagic.magics.commands.assets import DEFAULT_IMAGE

    replay(ip, "magics_environment")
    env = ip.run("%%aml environment create -n sklearn-env -v 1\nscikit-learn==1.5.0\npandas\n")
    assert (env.name, env.version, env.image) == ("sklearn-env", "1", DEFAULT_IMAGE)
    assert env.conda_file["dependencies"][-1] == {"pip": ["scikit-learn==1.5.0", "pandas"]}
    from_file = ip.run("%aml environment create -f env.yml")
    assert (from_file.name, from_file.version) == ("sklearn-env", "2")


def test_command_job_create_stream_show_and_metrics(no_network, ip):
    replay(ip, "magics_command_job")
    with capture_output() as captured:
        job = ip.run("%aml job create -f job.yml --stream")
    # The stream printed the log and followed the job's run to its end; the job is then Completed.
    assert "RunId: train-job-1" in captured.stdout and "epoch 2 loss 0.5" in captured.stdout
    assert (job.name, job.type, job.status, job.experiment_name, job.display_name) == (
        "train-job-1", "command", "Completed", "demo", "train")
    shown = ip.run("%aml job show -n train-job-1")
    assert (shown.status, shown.command, shown.compute) == ("Completed", "python train.py --lr 0.1", "cpu-cluster")
    metrics = ip.run("%aml job metrics -n train-job-1")
    assert metrics == {"loss": [(0, 1767607200000, 0.9), (1, 1767607201000, 0.5)],
                       "accuracy": [(1, 1767607201000, 0.8)]}


def test_sweep_job_create_and_show_with_trials(no_network, ip):
    replay(ip, "magics_sweep_job")
    created = ip.run("%aml job create -f sweep.yml")
    assert (created.name, created.type, created.status) == ("sweep-job-1", "sweep", "Running")
    assert created.sampling_algorithm.type == "random"
    assert created.search_space["batch"].values == [16, 32, 64]
    assert (created.search_space["lr"].type, created.search_space["lr"].min_value,
            created.search_space["lr"].max_value) == ("uniform", 0.001, 0.1)
    assert (created.early_termination.type, created.early_termination.slack_factor) == ("bandit", 0.2)
    assert (created.objective.primary_metric, created.objective.goal) == ("accuracy", "maximize")
    assert (created.limits.max_total_trials, created.limits.max_concurrent_trials) == (4, 2)
    with capture_output() as captured:
        sweep = ip.run("%aml job show -n sweep-job-1")
    assert (type(sweep).__name__, sweep.name, sweep.type) == ("SweepJob", "sweep-job-1", "sweep")
    assert "  name             sweep-job-1" in captured.stdout  # the sweep is the cell's result
    summary, trials = shown_text(captured)  # displayed beneath it
    assert summary == "trials (2), best: sweep-job-1_0"
    assert [(row.split()[0], row.split()[2]) for row in trials.splitlines()[1:]] == [
        ("sweep-job-1_0", "Completed"), ("sweep-job-1_1", "Canceled")]


def test_a_replayed_sweep_displays_its_status_as_a_local_one_does(no_network, ip):
    replay(ip, "magics_sweep_job")
    with capture_output() as captured:
        ip.run("%aml job create -f sweep.yml")
        ip.run("%aml job show -n sweep-job-1")
    assert "  status           Completed" in captured.stdout.splitlines()


def test_model_create_show_list(no_network, ip):
    replay(ip, "magics_model")
    model = ip.run("%aml model create -n iris-model -v 1 -t custom_model "
                   "-p azureml://datastores/workspaceblobstore/paths/models/iris/")
    assert (model.name, model.version, model.type) == ("iris-model", "1", "custom_model")
    with capture_output() as captured:
        shown = ip.run("%aml model show -n iris-model -v 1")
    assert shown.path.endswith("models/iris/")
    assert captured.outputs == []  # no lineage line: MLClient has no lineage (the job name is on the model)
    assert [(m.name, m.version) for m in ip.run("%aml model list -n iris-model")] == [("iris-model", "1")]


def test_online_endpoint_deployment_invoke_keys_logs(no_network, ip):
    replay(ip, "magics_online_endpoint")
    endpoint = ip.run("%aml online-endpoint create -n iris-ep --auth-mode key")
    assert (endpoint.name, endpoint.auth_mode, endpoint.provisioning_state) == ("iris-ep", "key", "Succeeded")
    deployment = ip.run("%aml online-deployment create -f blue.yml --all-traffic")
    assert (deployment.name, deployment.endpoint_name, deployment.instance_count) == ("blue", "iris-ep", 1)
    assert current_session().trail[-1].line == '%aml online-endpoint update -n iris-ep --traffic "blue=100"'
    assert current_session().trail[-1].entity.traffic == {"blue": 100}
    answer = ip.run("%aml online-endpoint invoke -n iris-ep --request-file request.json")
    assert answer == {"echo": {"data": [[5.1, 3.5, 1.4, 0.2]]}, "prediction": [1, 0]}
    keys = ip.run("%aml online-endpoint get-credentials -n iris-ep")
    assert keys.primary_key == "Sanitized"  # the recorder scrubbed the key
    assert "scoring server ready" in ip.run("%aml online-deployment get-logs -n blue -e iris-ep --lines 50")


def test_error_answers_are_one_line_errors(no_network, ip):
    replay(ip, "magics_errors")
    with pytest.raises(IPythonUsageError) as bad:
        ip.run("%aml job create -f bad.yml")
    assert str(bad.value) == "Azure answered 400 UserError: Compute Not Found for run ID : bad-job-1"
    with pytest.raises(IPythonUsageError) as missing:
        ip.run("%aml compute show -n no-such-cluster")
    assert str(missing.value) == ("Azure answered 404 UserError: The specified resource was not found "
                                  "(computes no-such-cluster).")
    with pytest.raises(IPythonUsageError) as no_model:
        ip.run("%aml model show -n no-such-model -v 1")
    assert str(no_model.value).startswith("Azure answered 404 UserError:") and "\n" not in str(no_model.value)


def test_a_line_the_recording_lacks_is_a_one_line_replay_error(no_network, ip):
    replay(ip, "magics_data")
    with pytest.raises(IPythonUsageError) as info:
        ip.run("%aml compute show -n cpu-cluster")
    message = str(info.value)
    assert message.startswith("Replay has no recorded answer for GET …/workspaces/ws-demo/computes/cpu-cluster")
    assert "magics_data.json" in message and "\n" not in message


def test_job_monitor_shows_the_recorded_status(no_network, ip):
    from amlmagic.widgets import JobMonitor

    client = replay(ip, "magics_command_job")
    monitor = JobMonitor(client, "train-job-1", start=False)
    # The monitor's metrics reader looks the job up first (NotFoundError for an unknown job) and so
    # takes the one recorded Starting answer; the monitor shows the next one.
    assert monitor.status == "Completed"
    player = client.ml_client._amlmagic_player
    job_gets = [i for i in player.answered if player.entries[i]["RequestMethod"] == "GET"
                and player.entries[i]["RequestUri"].split("?")[0].endswith("/jobs/train-job-1")]
    assert job_gets[:2] == [1, 9]  # job GETs: Starting, then Completed (the log's run details between)
    polls = 0
    while monitor.poll():  # each poll is the next recorded answer; the recording ends Completed
        polls += 1
        assert polls < 20, f"the monitor never saw the job end (status {monitor.status})"
    assert monitor.status == "Completed" and monitor.ended_at_ms > 0
    assert monitor.metric_names == ["accuracy", "loss"]
    assert monitor.series_xy()["loss"] == ([0, 1], [0.9, 0.5])
    html = monitor._repr_mimebundle_()["text/html"]
    assert "<b class='aml-status'>Completed</b>" in html and "train-job-1" in html
    monitor.close()


def test_job_monitor_polls_a_replayed_job_to_its_end(no_network, ip):
    from amlmagic.widgets import JobMonitor

    client = replay(ip, "magics_command_job")
    monitor = JobMonitor(client, "train-job-1", interval=0.01)
    assert monitor.wait(timeout=60), f"polling did not stop (status {monitor.status})"
    assert monitor._poller.error is None
    assert monitor.status == "Completed" and "Completed" in monitor.static_html()
    monitor.close()


@pytest.mark.parametrize("name", sorted(MAGIC_SCENARIOS))
def test_each_recorded_notebook_replays_fully_and_offline(no_network, ip, name):
    """Every recorded line again, on replay: each recorded answer is used, no socket leaves."""
    client = replay(ip, name)
    for step in MAGIC_SCENARIOS[name].lines:
        if callable(step):  # a change on the fake server between lines: the recording holds it
            continue
        line, cell = step if isinstance(step, tuple) else (step, None)
        run = f"%%aml {line}\n{cell}" if cell is not None else f"%aml {line}"
        with capture_output():
            try:
                ip.run(run)
            except IPythonUsageError as exc:
                assert str(exc).startswith("Azure answered 4"), f"{run}: {exc}"
    assert client._amlmagic_player.unused() == []
    assert no_network == []


def test_workspace_show_stops_counting_past_the_cap(no_network, ip, tmp_path):
    """A long list is not paged to its end: the count stops past COUNT_CAP and says so."""
    from amlmagic.magics.commands.workspace import COUNT_CAP

    listing = load_recording(OWN_RECORDINGS / "magics_data.json")["Entries"][1]
    item = listing["ResponseBody"]["value"][0]
    base = listing["RequestUri"]
    pages = []
    for page in range(3):  # 3 pages of 60: the count needs only the first two
        entry = copy.deepcopy(listing)
        entry["RequestUri"] = base if page == 0 else f"{base}&$skipToken=page{page}"
        values = [dict(item, name=f"asset-{page}-{i}") for i in range(60)]
        entry["ResponseBody"] = {"value": values, "nextLink": f"{base}&$skipToken=page{page + 1}" if page < 2 else None}
        pages.append(entry)
    write_recording(tmp_path / "many.json", pages)
    ip.run(f"%aml connect --replay {tmp_path / 'many.json'}")
    lines = ip.run("%aml workspace show").splitlines()
    assert f"  data assets        {COUNT_CAP}+" in lines
    unused = current_session().client._amlmagic_player.unused()
    assert [e["RequestUri"] for e in unused] == [pages[2]["RequestUri"]]  # the third page was never asked for


def test_batch_endpoint_deploy_invoke_list_jobs_export_delete(no_network, ip):
    import warnings

    import yaml
    from azure.ai.ml import load_batch_endpoint
    from azure.ai.ml.entities._load_functions import load_model_batch_deployment

    replay(ip, "magics_batch_endpoint")
    for line in ("compute create -f compute.yml", "environment create -f env.yml",
                 "model create -n iris-model -v 1 -t custom_model -p azureml://datastores/workspaceblobstore/paths/models/iris/"):
        ip.run(f"%aml {line}")
    endpoint = ip.run("%aml batch-endpoint create -f endpoint.yml")
    assert (type(endpoint).__name__, endpoint.name, endpoint.auth_mode, endpoint.tags) == (
        "BatchEndpoint", "digits-batch", "aad_token", {"team": "vision"})
    deployment = ip.run("%aml batch-deployment create -f deployment.yml --set-default")
    assert (deployment.name, deployment.endpoint_name, deployment.mini_batch_size, deployment.max_concurrency_per_instance,
            deployment.retry_settings.timeout) == ("torch", "digits-batch", 10, 2, 30)
    assert current_session().trail[-1].entity.defaults.deployment_name == "torch"  # Azure's answer: its REST model
    with capture_output():
        shown = ip.run("%aml batch-endpoint show -n digits-batch")
    assert shown.scoring_uri.endswith("/batch/digits-batch/jobs")
    job = ip.run("%aml batch-endpoint invoke -n digits-batch --input azureml://datastores/workspaceblobstore/paths/digits/ "
                 "--input-type uri_folder --mini-batch-size 5 --job-name batch-job-3")
    assert (job.name, job.type, job.status) == ("batch-job-3", "pipeline", "Completed")
    assert [j.name for j in ip.run("%aml batch-endpoint list-jobs -n digits-batch")] == ["batch-job-3"]
    assert [j.name for j in ip.run("%aml batch-deployment list-jobs -n torch -e digits-batch")] == ["batch-job-3"]

    ip.run("%aml export --dir exported")
    folder = Path.cwd() / "exported"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exported = load_model_batch_deployment(str(folder / "batch-deployments/digits-batch-torch/batch-deployment.yml"))
        assert load_batch_endpoint(str(folder / "batch-endpoints/digits-batch/batch-endpoint.yml")).tags == {"team": "vision"}
    # Azure answers ARM ids: the export names the workspace's own assets by name
    spec = yaml.safe_load((folder / "batch-deployments/digits-batch-torch/batch-deployment.yml").read_text())
    assert (spec["model"], spec["environment"], spec["compute"]) == (
        "azureml:iris-model:1", "azureml:sklearn-env:1", "azureml:cpu-cluster")
    assert spec["code_configuration"]["code"].startswith("azureml:/subscriptions/")  # the code asset Azure holds
    assert exported.mini_batch_size == 10
    script = (folder / "deploy.sh").read_text()
    order = [line.split()[2:4] for line in script.splitlines() if line.startswith(("az ml", "BATCH_JOB_1=$(az ml"))]
    assert order[-3:] == [["batch-endpoint", "create"], ["batch-deployment", "create"], ["batch-endpoint", "invoke"]]
    invoke = next(line for line in script.splitlines() if "batch-endpoint invoke" in line and not line.startswith("#"))
    assert ("--input azureml://datastores/workspaceblobstore/paths/digits/ --input-type uri_folder --mini-batch-size 5"
            in invoke or "--mini-batch-size 5 --input azureml://datastores/workspaceblobstore/paths/digits/" in invoke)
    assert "--set-default" in next(line for line in script.splitlines() if "batch-deployment create" in line
                                   and not line.startswith("#"))

    assert ip.run("%aml batch-deployment delete -n torch -e digits-batch -y") == "batch deployment torch of digits-batch deleted"
    assert ip.run("%aml batch-endpoint delete -n digits-batch -y") == "batch endpoint digits-batch deleted"
