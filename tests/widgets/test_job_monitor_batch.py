"""JobMonitor on a real local batch scoring job: its progress overview (mini-batches done,
failed, pending, items, throughput, retries) live while the job runs, in the static fallback,
and `%aml job watch` picks it for a batch job; the text is the JS view's (progressSummary)."""

from __future__ import annotations

import shutil
from pathlib import Path

from amlmagic.rules.batch import progress_summary
from amlmagic.widgets import JobMonitor
from tests.widgets.browser import wait_for

SRC = Path(__file__).parent / "batchsrc"


def start_gated_batch_job(client, root: Path, gate: Path) -> str:
    """10 files in 5 mini-batches on 2 workers; the one holding f9.txt waits for `gate` (the other
    worker scores the other four meanwhile)."""
    from azure.ai.ml import Input
    from azure.ai.ml.entities import (
        BatchEndpoint,
        CodeConfiguration,
        Model,
        ModelBatchDeployment,
        ModelBatchDeploymentSettings,
    )

    shutil.copytree(SRC, root / "src")
    (root / "model").mkdir()
    (root / "model" / "m.txt").write_text("1")
    (root / "data").mkdir()
    for i in range(10):
        (root / "data" / f"f{i}.txt").write_text(str(i))
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="ep-watch")).result()
    client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="gated", endpoint_name="ep-watch", compute="local", model=Model(name="m", path=str(root / "model")),
        code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="gated_score.py"),
        settings=ModelBatchDeploymentSettings(mini_batch_size=2, max_concurrency_per_instance=2,
                                              environment_variables={"GATE": str(gate)}))).result()
    return client.batch_endpoints.invoke("ep-watch", deployment_name="gated",
                                         input=Input(type="uri_folder", path=str(root / "data"))).name


def test_the_monitor_shows_a_batch_jobs_progress_live_and_in_its_static_text(client, tmp_path):
    gate = tmp_path / "gate"
    name = start_gated_batch_job(client, tmp_path, gate)
    monitor = JobMonitor(client, name, interval=0.1)
    try:
        wait_for(lambda: monitor.batch_progress.get("mini_batches_done") == 4, 60, "4 of 5 mini-batches done")
        assert monitor.batch_progress["mini_batches_pending"] == 1 and monitor.status == "Running"
        assert "logs/job_progress_overview.txt" not in monitor.log_names  # shown as progress, not as a log
        gate.write_text("go")
        assert monitor.wait(120)
    finally:
        monitor.stop()
    done = monitor.batch_progress
    assert (done["mini_batches_done"], done["mini_batches_pending"], done["items_scored"]) == (5, 0, 10)
    assert "mini-batches: 5 done, 0 failed, 0 pending of 5 · items scored 10 (0 failed)" in monitor.static_html()


def test_the_static_text_is_the_views_text():
    sample = {"mini_batches_total": 10, "mini_batches_done": 3, "mini_batches_failed": 1, "items_scored": 30,
              "items_failed": 10, "retries": 2, "elapsed_seconds": 1.5, "mini_batches_pending": 6,
              "items_per_second": 20}
    # the same sample and string as js/test/job_monitor.test.js ("batch progress")
    assert progress_summary(sample) == \
        "mini-batches: 3 done, 1 failed, 6 pending of 10 · items scored 30 (10 failed) · 20.0 items/s · 2 retries"


def test_job_watch_opens_the_job_monitor_for_a_batch_job(ip, workspace):
    gate = workspace / "gate"
    gate.write_text("open")
    from amlmagic.session import current_session

    name = start_gated_batch_job(current_session().client, workspace, gate)
    widget = ip.run(f"%aml job watch -n {name}")
    try:
        assert type(widget).__name__ == "JobMonitor"
        assert widget.wait(120)
        assert widget.batch_progress["items_scored"] == 10
    finally:
        widget.stop()
