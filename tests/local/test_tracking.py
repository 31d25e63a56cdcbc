"""prepare_run / end_run / readers against real MLflow scripts run as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from amlmagic.errors import AlreadyExistsError, NotFoundError, UsageError, ValidationError
from amlmagic.local.tracking import (
    MetricsReader,
    end_run,
    prepare_run,
    read_metrics,
    read_params,
    read_tags,
)


def run_script(ws: Path, env: dict[str, str], source: str, *, check: bool = True, drop=()):
    """Run `source` as a job script would run: own working folder, the job's environment."""
    cwd = ws / "cwd"
    cwd.mkdir(exist_ok=True)
    (cwd / "script.py").write_text(textwrap.dedent(source))
    full_env = {**os.environ, **env}
    for name in drop:
        full_env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "script.py"], cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def allow_file_store(monkeypatch):
    """The test process reads runs back with MLflow's own client, which needs this opt-in."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")


def mlflow_client(env):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])


def prepare(ws: Path, job: str, **kwargs):
    kwargs.setdefault("experiment_name", "exp")
    kwargs.setdefault("display_name", f"{job} display")
    kwargs.setdefault("artifacts_dir", ws / "jobs" / job / "artifacts")
    return prepare_run(ws, job, **kwargs)


def test_script_without_start_run_logs_into_prepared_run(tmp_path):
    env = prepare(tmp_path, "job_a", display_name="first try", tags={"team": "vision"})
    run_script(tmp_path, env, """
        import mlflow
        for i in range(5):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        mlflow.log_metric("lr", 0.01)
        mlflow.log_metrics({"acc": 0.5, "val/acc": 0.25}, step=7)
        mlflow.log_param("batch_size", 32)
        mlflow.set_tag("stage", "train")
        open("model.txt", "w").write("weights")
        mlflow.log_artifact("model.txt")
        mlflow.log_artifact("model.txt", artifact_path="sub")
    """)
    metrics = read_metrics(tmp_path, "job_a")
    assert [(s, v) for s, _, v in metrics["loss"]] == [(i, 1.0 / (i + 1)) for i in range(5)]
    assert [(s, v) for s, _, v in metrics["lr"]] == [(0, 0.01)]  # step defaults to 0
    assert [(s, v) for s, _, v in metrics["acc"]] == [(7, 0.5)]
    assert [(s, v) for s, _, v in metrics["val/acc"]] == [(7, 0.25)]
    now_ms = time.time() * 1000
    assert all(now_ms - 120_000 < ts <= now_ms for _, ts, _ in metrics["loss"])
    assert read_params(tmp_path, "job_a") == {"batch_size": "32"}
    tags = read_tags(tmp_path, "job_a")
    assert tags["stage"] == "train" and tags["team"] == "vision"
    assert tags["mlflow.runName"] == "first try"
    artifacts = tmp_path / "jobs" / "job_a" / "artifacts"
    assert (artifacts / "model.txt").read_text() == "weights"
    assert (artifacts / "sub" / "model.txt").read_text() == "weights"

    run = mlflow_client(env).get_run("job_a")
    assert run.info.run_name == "first try"
    assert run.info.experiment_id == env["MLFLOW_EXPERIMENT_ID"]
    assert mlflow_client(env).get_experiment(run.info.experiment_id).name == "exp"
    assert run.data.params == {"batch_size": "32"}


def test_start_run_in_script_resumes_prepared_run(tmp_path):
    env = prepare(tmp_path, "job_b")
    proc = run_script(tmp_path, env, """
        import json, mlflow
        with mlflow.start_run() as run:
            mlflow.log_metric("loss", 0.5, step=1)
            mlflow.log_param("optimizer", "adam")
        print(json.dumps([run.info.run_id, run.info.experiment_id, run.info.run_name]))
    """)
    run_id, experiment_id, run_name = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (run_id, experiment_id, run_name) == ("job_b", env["MLFLOW_EXPERIMENT_ID"], "job_b display")
    assert [(s, v) for s, _, v in read_metrics(tmp_path, "job_b")["loss"]] == [(1, 0.5)]
    assert read_params(tmp_path, "job_b") == {"optimizer": "adam"}
    assert mlflow_client(env).get_run("job_b").info.status == "FINISHED"


def test_job_process_uses_the_cached_store_and_stock_store_still_works(tmp_path):
    env = prepare(tmp_path, "job_c")
    source = """
        import mlflow
        from mlflow.tracking._tracking_service.utils import _get_store
        mlflow.log_metric("m", 1.0)
        print(type(_get_store()).__name__)
    """
    assert run_script(tmp_path, env, source).stdout.split()[-1] == "CachingFileStore"
    # Without the plugin on PYTHONPATH (an engine that dropped it) MLflow's own store is used.
    assert run_script(tmp_path, env, source, drop=["PYTHONPATH"]).stdout.split()[-1] == "FileStore"
    assert [v for _, _, v in read_metrics(tmp_path, "job_c")["m"]] == [1.0, 1.0]


def test_failing_script_run_is_ended_failed(tmp_path):
    env = prepare(tmp_path, "job_d")
    proc = run_script(tmp_path, env, """
        import mlflow
        mlflow.log_metric("loss", 3.0)
        raise RuntimeError("boom")
    """, check=False)
    assert proc.returncode != 0 and "boom" in proc.stderr
    client = mlflow_client(env)
    assert client.get_run("job_d").info.status == "FINISHED"  # what MLflow's atexit hook leaves
    end_run(tmp_path, "job_d", "FAILED")
    info = client.get_run("job_d").info
    assert info.status == "FAILED" and info.end_time is not None
    assert [v for _, _, v in read_metrics(tmp_path, "job_d")["loss"]] == [3.0]


def test_end_run_reaches_a_store_that_cached_the_run(tmp_path):
    """A process still holding the run (the cached store) sees the status end_run wrote."""
    env = prepare(tmp_path, "job_e")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "script.py").write_text(textwrap.dedent("""
        import os, time, mlflow
        mlflow.log_metric("m", 1.0)
        client = mlflow.MlflowClient()
        print(client.get_run("job_e").info.status, flush=True)
        open("ready", "w").close()
        deadline = time.time() + 60
        while not os.path.exists("go") and time.time() < deadline:
            time.sleep(0.01)
        print(client.get_run("job_e").info.status, flush=True)
        os._exit(0)  # skip MLflow's atexit end_run, which would overwrite the status
    """))
    proc = subprocess.Popen([sys.executable, "script.py"], cwd=cwd, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not (cwd / "ready").exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.time() < deadline
            time.sleep(0.01)
        end_run(tmp_path, "job_e", "KILLED")
        (cwd / "go").touch()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert out.split() == ["RUNNING", "KILLED"], err


def test_incremental_reads_while_writer_is_logging(tmp_path):
    env = prepare(tmp_path, "job_f")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    batches, per_batch = 4, 25
    # The writer logs a batch, then waits for the reader's acknowledgement of it.
    (cwd / "script.py").write_text(textwrap.dedent(f"""
        import os, time, mlflow
        for b in range({batches}):
            for i in range({per_batch}):
                step = b * {per_batch} + i
                mlflow.log_metrics({{"loss": 1.0 / (step + 1), "acc": step / 100}}, step=step)
            deadline = time.time() + 60
            while not os.path.exists(f"ack-{{b}}") and time.time() < deadline:
                time.sleep(0.005)
    """))
    reader = MetricsReader(tmp_path, "job_f")
    proc = subprocess.Popen([sys.executable, "script.py"], cwd=cwd, env={**os.environ, **env},
                            stderr=subprocess.PIPE, text=True)
    try:
        seen: dict[str, list] = {"loss": [], "acc": []}
        for b in range(batches):
            expected = (b + 1) * per_batch
            deadline = time.time() + 60
            while len(seen["loss"]) < expected or len(seen["acc"]) < expected:
                for key, points in reader.read_new().items():
                    seen[key].extend(points)
                assert time.time() < deadline, f"batch {b}: got {len(seen['loss'])} points"
                time.sleep(0.005)
            # Nothing was read twice, nothing from the next batch yet (the writer is waiting).
            assert [s for s, _, _ in seen["loss"]] == list(range(expected))
            assert [s for s, _, _ in seen["acc"]] == list(range(expected))
            assert reader.read_new() == {}
            (cwd / f"ack-{b}").touch()
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        proc.kill()
    assert [v for _, _, v in seen["loss"]] == [1.0 / (s + 1) for s in range(batches * per_batch)]
    assert read_metrics(tmp_path, "job_f") == seen
    assert reader.read_new() == {}


def test_reader_takes_only_complete_lines(tmp_path):
    prepare(tmp_path, "job_g")
    reader = MetricsReader(tmp_path, "job_g")
    assert reader.read_new() == {}
    metric_file = next((tmp_path / "mlruns").glob("*/job_g/metrics")) / "loss"
    with open(metric_file, "a") as f:  # the stock store's line format, a writer mid-append
        f.write("1700000000000 0.5 0\n1700000000001 0.2")
    assert reader.read_new() == {"loss": [(0, 1700000000000, 0.5)]}
    assert reader.read_new() == {}
    with open(metric_file, "a") as f:
        f.write("5 3\n1700000000002 nan 4 ds digest\n")
    new = reader.read_new()["loss"]
    assert new[0] == (3, 1700000000001, 0.25)
    assert new[1][0:2] == (4, 1700000000002) and new[1][2] != new[1][2]  # NaN survives


def test_reader_starts_over_when_a_metric_file_is_replaced(tmp_path):
    prepare(tmp_path, "job_g2")
    reader = MetricsReader(tmp_path, "job_g2")
    metric_file = next((tmp_path / "mlruns").glob("*/job_g2/metrics")) / "loss"
    metric_file.write_text("1700000000000 0.5 0\n1700000000001 0.4 1\n")
    assert len(reader.read_new()["loss"]) == 2
    metric_file.write_text("1700000000009 9.0 0\n")
    assert reader.read_new() == {"loss": [(0, 1700000000009, 9.0)]}


def test_reader_waits_for_a_run_that_does_not_exist_yet(tmp_path):
    reader = MetricsReader(tmp_path, "job_h")
    assert reader.read_new() == {}
    env = prepare(tmp_path, "job_h")
    run_script(tmp_path, env, "import mlflow; mlflow.log_metric('x', 2.0, step=3)")
    assert [(s, v) for s, _, v in reader.read_new()["x"]] == [(3, 2.0)]


def test_autolog_does_not_break_logging(tmp_path):
    env = prepare(tmp_path, "job_i")
    run_script(tmp_path, env, """
        import mlflow
        mlflow.autolog()
        with mlflow.start_run():
            mlflow.log_metric("after_autolog", 1.5)
    """)
    assert [v for _, _, v in read_metrics(tmp_path, "job_i")["after_autolog"]] == [1.5]


def test_sweep_trial_records_its_parent(tmp_path):
    env = prepare(tmp_path, "sweep_1", experiment_name="tune")
    prepare(tmp_path, "sweep_1_trial_0", experiment_name="tune", parent_job_name="sweep_1")
    prepare(tmp_path, "sweep_1_trial_1", experiment_name="tune", parent_job_name="sweep_1")
    assert read_tags(tmp_path, "sweep_1_trial_0")["mlflow.parentRunId"] == "sweep_1"
    assert "mlflow.parentRunId" not in read_tags(tmp_path, "sweep_1")
    children = mlflow_client(env).search_runs(
        [env["MLFLOW_EXPERIMENT_ID"]], filter_string="tags.mlflow.parentRunId = 'sweep_1'"
    )
    assert sorted(r.info.run_id for r in children) == ["sweep_1_trial_0", "sweep_1_trial_1"]


def test_runs_share_an_experiment_by_name(tmp_path):
    a = prepare(tmp_path, "job_j1", experiment_name="shared")
    b = prepare(tmp_path, "job_j2", experiment_name="shared")
    c = prepare(tmp_path, "job_j3", experiment_name="other")
    assert a["MLFLOW_EXPERIMENT_ID"] == b["MLFLOW_EXPERIMENT_ID"] != c["MLFLOW_EXPERIMENT_ID"]
    names = {e.name for e in mlflow_client(a).search_experiments()}
    assert names == {"Default", "shared", "other"}


def test_errors(tmp_path):
    prepare(tmp_path, "job_k")
    with pytest.raises(AlreadyExistsError):
        prepare(tmp_path, "job_k")
    with pytest.raises(ValidationError):
        prepare(tmp_path, "bad name!")
    with pytest.raises(UsageError):
        end_run(tmp_path, "job_k", "Completed")
    with pytest.raises(NotFoundError):
        end_run(tmp_path, "missing", "FAILED")
    with pytest.raises(NotFoundError):
        read_metrics(tmp_path, "missing")


def test_parallel_processes_prepare_runs_in_one_new_experiment(tmp_path):
    """Sweep trials start together and all create the same experiment: it must exist once."""
    go = tmp_path / "go"
    source = textwrap.dedent("""
        import json, os, sys, time
        from pathlib import Path
        from amlmagic.local.tracking import prepare_run
        ws, who, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
        (go.parent / f"ready-{who}").touch()
        deadline = time.time() + 60
        while not go.exists() and time.time() < deadline:
            time.sleep(0.001)
        ids = [prepare_run(ws, f"trial_{who}_{i}", experiment_name="par", display_name=None,
                           artifacts_dir=ws / "jobs" / f"trial_{who}_{i}" / "artifacts",
                           parent_job_name="sweep")["MLFLOW_EXPERIMENT_ID"] for i in range(8)]
        print(json.dumps(ids))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", source, str(tmp_path), who, str(go)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in ("a", "b", "c")
    ]
    deadline = time.time() + 60
    while len(list(tmp_path.glob("ready-*"))) < len(procs):  # all imported: release them at once
        assert time.time() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.005)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    ids = {i for out, _ in outputs for i in json.loads(out.strip().splitlines()[-1])}
    assert len(ids) == 1
    client = mlflow_client({"MLFLOW_TRACKING_URI": (tmp_path / "mlruns").as_uri()})
    assert [e.name for e in client.search_experiments() if e.name == "par"] == ["par"]
    runs = client.search_runs(list(ids), max_results=100)
    assert len(runs) == 24
    assert {r.info.run_name for r in runs} == {f"trial_{w}_{i}" for w in "abc" for i in range(8)}
