"""Bad input to a local batch job behaves as on Azure (../shared/azureml-semantics-2.md 2.3): retries,
failed items against error_threshold, timeouts, a scoring script without init/run, init failing,
an MLflow deployment given a file it cannot score, cancel. Real driver and worker processes; each
file's row is in predictions.csv exactly once whatever was retried."""

from __future__ import annotations

import re
import time

import pytest
from batch_helpers import SCORE_PY, deploy, invoke, make_project, predictions, progress

from amlmagic.local.client import LocalMLClient
from amlmagic.local.osutil import process_alive

FILES = [f"f{i:03d}.txt" for i in range(25)]


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path)
    return LocalMLClient(tmp_path / ".amlmagic")


def run_job(client, tmp_path, mode: str, settings: str = "", timeout: float = 120):
    deploy(client, tmp_path, mode=mode, settings=settings)
    return client.jobs.wait(invoke(client, "data").name, timeout=timeout)


def scored_files(client, name: str) -> list[str]:
    return sorted(line.split(" ")[0] for line in predictions(client, name))


def step_log(client, job: str, log: str) -> str:
    step = client.jobs.list(parent_job_name=job)[0].name
    return client.jobs.read_log(step, log=log)[0]


def test_run_raising_once_is_retried_and_no_row_is_lost_or_doubled(client, tmp_path):
    job = run_job(client, tmp_path, "raise_once")
    assert job.status == "Completed", job.properties.get("error")
    assert scored_files(client, job.name) == FILES
    done = progress(client, job.name)
    assert (done.retries, done.items_failed, done.mini_batches_done) == (3, 0, 3)
    assert "ValueError: flaky" in step_log(client, job.name, "logs/user/error.txt")
    assert "retry 1 of 3" in client.jobs.read_log(job.name)[0]


def test_a_worker_that_dies_is_replaced_and_its_mini_batch_retried(client, tmp_path):
    job = run_job(client, tmp_path, "exit_once")
    assert job.status == "Completed", job.properties.get("error")
    assert scored_files(client, job.name) == FILES
    assert "the worker process exited with code 3" in step_log(client, job.name, "logs/user/error.txt")


def test_a_mini_batch_past_its_timeout_is_killed_and_retried_without_duplicates(client, tmp_path):
    job = run_job(client, tmp_path, "hang_once", "  retry_settings:\n    timeout: 2\n    max_retries: 2\n")
    assert job.status == "Completed", job.properties.get("error")
    assert scored_files(client, job.name) == FILES
    assert progress(client, job.name).retries == 3
    assert "no answer in 2 seconds" in step_log(client, job.name, "logs/user/error.txt")


def test_every_attempt_timing_out_fails_the_job_naming_the_mini_batch_and_file(client, tmp_path):
    job = run_job(client, tmp_path, "hang", "  mini_batch_size: 25\n  retry_settings:\n    timeout: 1\n    max_retries: 1\n")
    assert job.status == "Failed"
    error = job.properties["error"]
    assert re.search(r"mini-batch 0 \(25 files: f\d{3}\.txt, .*\) timed out on every attempt \(2 of 1 s each\)", error)
    assert client.jobs.list(parent_job_name=job.name)[0].status == "Failed"


def test_failed_items_count_against_error_threshold(client, tmp_path):
    (tmp_path / "data" / "bad.txt").write_text("0")
    tolerant = run_job(client, tmp_path, "raise_bad", "  retry_settings:\n    max_retries: 1\n")
    assert tolerant.status == "Completed"  # error_threshold -1: any number of failures
    done = progress(client, tolerant.name)
    assert done.mini_batches_failed == 1
    bad_batch = 26 - len(predictions(client, tolerant.name))  # every item of bad.txt's mini-batch failed
    assert bad_batch in (10, 6) and done.items_failed == bad_batch  # 26 files: mini-batches of 10, 10 and 6
    assert "bad.txt" not in scored_files(client, tolerant.name)

    strict = run_job(client, tmp_path, "raise_bad", "  error_threshold: 5\n  retry_settings:\n    max_retries: 0\n")
    assert strict.status == "Failed"
    assert re.search(r"items failed, more than error_threshold 5; the last: mini-batch \d+ .*failed after 1 "
                     r"attempts: run\(\) raised ValueError: cannot read bad\.txt", strict.properties["error"])


def test_returning_fewer_items_counts_the_difference_as_failed(client, tmp_path):
    job = run_job(client, tmp_path, "fewer")
    assert job.status == "Completed"
    done = progress(client, job.name)
    assert (done.items_scored, done.items_failed, done.mini_batches_failed, done.retries) == (22, 3, 3, 0)
    assert len(predictions(client, job.name)) == 22
    assert "returned 9 items for 10 files" in client.jobs.read_log(job.name)[0]


@pytest.mark.parametrize("script,reason", [
    ("def init():\n    pass\n", "the scoring script score.py has no run(): define init() and run(mini_batch)"),
    ("def run(b):\n    return b\n", "the scoring script score.py has no init(): define init() and run(mini_batch)"),
    (SCORE_PY, "init() of score.py failed: RuntimeError: cannot load the model"),
])
def test_a_script_without_init_or_run_or_whose_init_fails_fails_the_job(client, tmp_path, script, reason):
    (tmp_path / "src" / "score.py").write_text(script)
    job = run_job(client, tmp_path, "init_fails")
    assert job.status == "Failed"
    assert job.properties["error"] == reason


def hanging_workers(client, tmp_path) -> tuple[str, str, list[int]]:
    """A job whose two workers hang in run(): (job, step, the workers' pids)."""
    deploy(client, tmp_path, mode="hang", settings="  retry_settings:\n    timeout: 100\n")
    name = invoke(client, "data").name
    step, pids = None, []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(pids) < 2:
        steps = client.jobs.list(parent_job_name=name)
        step = steps[0].name if steps else None
        if step:
            logs = [n for n in client.jobs.log_names(step) if n.startswith("logs/user/stdout/")]
            pids = [int(p) for n in logs for p in re.findall(r"init (\d+)", client.jobs.read_log(step, log=n)[0])]
        time.sleep(0.1)
    assert len(pids) == 2 and all(process_alive(p) for p in pids)
    return name, step, pids


def gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10
    while any(process_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(process_alive(p) for p in pids)


def test_cancel_stops_every_worker(client, tmp_path):
    name, step, pids = hanging_workers(client, tmp_path)
    client.jobs.begin_cancel(name).result(timeout=60)
    assert client.jobs.get(name).status == "Canceled"
    assert client.jobs.get(step).status == "Canceled"
    assert gone(pids)


def test_a_killed_driver_takes_its_workers_and_is_revived_without_losing_or_doubling_rows(client, tmp_path):
    import os
    import signal

    from amlmagic.local.jobs.state import raw_status

    # 3 mini-batches on 2 workers; the one holding f024.txt waits at a gate: the others settle.
    deploy(client, tmp_path, mode="gate", settings="  retry_settings:\n    timeout: 100\n")
    name = invoke(client, "data").name
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (progress(client, name) or progress_none()).mini_batches_done < 2:
        time.sleep(0.1)
    assert progress(client, name).mini_batches_done == 2
    step = client.jobs.list(parent_job_name=name)[0].name
    logs = [n for n in client.jobs.log_names(step) if n.startswith("logs/user/stdout/")]
    pids = [int(p) for n in logs for p in re.findall(r"init (\d+)", client.jobs.read_log(step, log=n)[0])]
    os.kill(raw_status(client.jobs.local_dir(name))["pid"], signal.SIGKILL)
    assert gone(pids)  # PR_SET_PDEATHSIG: no orphan keeps scoring
    out = client.jobs.local_dir(name) / "plan.json"
    import json

    with open(json.loads(out.read_text())["output"]["file"], "a") as f:
        f.write("half a row written as the driver died")  # a torn tail the new driver must cut off
    (tmp_path / "marks" / "gate").write_text("open")
    done = client.jobs.wait(name, timeout=120)  # reading the status starts a new driver
    assert done.status == "Completed", done.properties.get("error")
    assert client.jobs.get(step).status == "Completed"
    assert scored_files(client, name) == FILES  # each file once: settled rows kept, none twice
    assert "driver started again: 2 mini-batches were settled" in client.jobs.read_log(name)[0]
    assert progress(client, name).items_scored == 25


def progress_none():
    from amlmagic.rules.batch import Progress

    return Progress()


def test_an_mlflow_deployment_fails_on_a_file_it_cannot_score(client, tmp_path):
    pytest.importorskip("mlflow.pyfunc")
    from azure.ai.ml.entities import BatchEndpoint, Model, ModelBatchDeployment

    (tmp_path / "mlmodel").mkdir()
    (tmp_path / "mlmodel" / "MLmodel").write_text("flavors:\n  python_function: {}\n")
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="ep-mlflow")).result()
    client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="mlf", endpoint_name="ep-mlflow", compute="local",
        model=Model(name="m", path=str(tmp_path / "mlmodel"), type="mlflow_model"))).result()
    job = client.jobs.wait(invoke(client, "data", endpoint="ep-mlflow", deployment_name="mlf").name, timeout=120)
    assert job.status == "Failed"
    assert re.match(r"file f\d{3}\.txt is not a type an MLflow deployment scores \(\.bmp, \.csv, .*\): remove it "
                    "from the input", job.properties["error"])
