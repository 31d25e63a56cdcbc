"""The cached file store (plugin/amlmagic_mlflow_store.py) answers like MLflow's own FileStore
while runs are renamed, ended, and their experiment deleted and restored."""

from __future__ import annotations

import importlib.util
import time

import pytest

from amlmagic.local.tracking import end_run, prepare_run
from amlmagic.local.tracking.layout import PLUGIN_DIR, tracking_uri


@pytest.fixture(autouse=True)
def allow_file_store(monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")


def load_plugin():
    spec = importlib.util.spec_from_file_location(
        "amlmagic_mlflow_store", PLUGIN_DIR / "amlmagic_mlflow_store.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snapshot(store, run_id):
    run = store.get_run(run_id)
    return (run.info.status, run.info.run_name, run.info.lifecycle_stage, run.info.end_time,
            {k: [(m.step, m.value) for m in store.get_metric_history(run_id, k)]
             for k in run.data.metrics})


def test_cached_store_agrees_with_stock_store(tmp_path):
    from mlflow.entities import Metric, RunStatus, RunTag
    from mlflow.store.tracking.file_store import FileStore

    env = prepare_run(tmp_path, "job_1", experiment_name="e", display_name="one",
                      artifacts_dir=tmp_path / "art")
    uri = tracking_uri(tmp_path)
    cached = load_plugin().build_store(uri)
    assert isinstance(cached, FileStore) and type(cached) is not FileStore
    stock = FileStore(uri, uri)
    experiment_id = env["MLFLOW_EXPERIMENT_ID"]

    def check():
        assert snapshot(cached, "job_1") == snapshot(stock, "job_1")

    cached.log_metric("job_1", Metric("loss", 0.5, int(time.time() * 1000), 2))
    check()
    cached.set_tag("job_1", RunTag("mlflow.runName", "renamed"))  # rewrites meta.yaml in place
    check()
    assert cached.get_run("job_1").info.run_name == "renamed"
    cached.update_run_info("job_1", RunStatus.FINISHED, 123, None)
    check()
    end_run(tmp_path, "job_1", "FAILED")  # another process replacing meta.yaml
    check()
    assert cached.get_run("job_1").info.status == "FAILED"
    stock.delete_experiment(experiment_id)  # moves the experiment folder into .trash
    check()
    cached.restore_experiment(experiment_id)
    check()
    assert cached.get_run("job_1").info.lifecycle_stage == "active"
    stock.delete_run("job_1")
    check()
    assert cached.get_run("job_1").info.lifecycle_stage == "deleted"


def test_cached_store_finds_runs_created_after_it(tmp_path):
    from mlflow.entities import Metric

    prepare_run(tmp_path, "first", experiment_name="e", display_name=None,
                artifacts_dir=tmp_path / "a1")
    cached = load_plugin().build_store(tracking_uri(tmp_path))
    cached.get_run("first")
    prepare_run(tmp_path, "second", experiment_name="f", display_name=None,
                artifacts_dir=tmp_path / "a2")
    cached.log_metric("second", Metric("m", 1.0, 1, 0))
    assert cached.get_run("second").data.metrics == {"m": 1.0}
