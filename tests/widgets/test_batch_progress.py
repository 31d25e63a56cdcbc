"""The job monitor on a real local batch job (detached driver and worker, batchsrc/score.py): a
retried mini-batch, a wait at a gate while the monitor shows 3 of 5 mini-batches done, a failed
mini-batch at the end; the counters, the static fallback, and the monitor `%aml job create
--stream`-style helpers pick for a batch job."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from amlmagic.rules.batch import PROGRESS_LOG
from amlmagic.widgets import JobMonitor
from amlmagic.widgets.batch_progress import is_batch_job, progress_html, progress_text
from tests.widgets.browser import wait_for

SRC = Path(__file__).parent / "batchsrc"
GATED = {"total": 5, "done": 3, "failed": 0, "pending": 2, "items_scored": 6, "items_failed": 0, "retries": 1}
FINAL = {"total": 5, "done": 4, "failed": 1, "pending": 0, "items_scored": 9, "items_failed": 1, "retries": 1}


def invoke_gated_job(client, root: Path) -> tuple[str, Path]:
    """A batch endpoint over batchsrc/score.py, invoked on 10 files in mini-batches of 2; the job
    and the gate file that lets its 4th mini-batch go."""
    from azure.ai.ml import Input
    from azure.ai.ml.entities import (
        BatchEndpoint,
        BatchRetrySettings,
        CodeConfiguration,
        Model,
        ModelBatchDeployment,
        ModelBatchDeploymentSettings,
    )

    for folder in ("model", "digits", "gate"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "model" / "weights.txt").write_text("1")
    for n in range(10):
        (root / "digits" / f"{n:02d}.txt").write_text(str(n))
    gate = root / "gate" / "open"
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="digits-batch")).result()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
            name="gated", endpoint_name="digits-batch", model=Model(name="weights", path=str(root / "model")),
            code_configuration=CodeConfiguration(code=str(SRC), scoring_script="score.py"), compute="local",
            settings=ModelBatchDeploymentSettings(
                mini_batch_size=2, max_concurrency_per_instance=1, environment_variables={"BATCH_GATE": str(gate)},
                retry_settings=BatchRetrySettings(max_retries=1, timeout=60)))).result()
    job = client.batch_endpoints.invoke(endpoint_name="digits-batch", deployment_name="gated",
                                        input=Input(type="uri_folder", path=str(root / "digits")))
    return job.name, gate


def counts(monitor) -> dict:
    return {k: monitor.batch.get(k) for k in GATED}


def test_monitor_shows_a_batch_jobs_progress_live(client, tmp_path):
    name, gate = invoke_gated_job(client, tmp_path / "inputs")
    monitor = JobMonitor(client, name, interval=0.1)
    try:
        wait_for(lambda: counts(monitor) == GATED, 120, "3 of 5 mini-batches done, the 4th at its gate")
        assert monitor.status == "Running"
        live_html = monitor._repr_mimebundle_()["text/html"]
        gate.write_text("go")
        assert monitor.wait(120), "polling did not stop at the terminal state"
    finally:
        monitor.stop()
    assert "3/5 mini-batches done · 0 failed · 2 pending · 6 items scored (0 failed)" in live_html
    assert monitor.status == "Completed"
    assert counts(monitor) == FINAL
    assert monitor.batch["elapsed_seconds"] > 0
    assert monitor.batch["items_per_second"] == pytest.approx(9 / monitor.batch["elapsed_seconds"], rel=0.1)
    assert PROGRESS_LOG not in monitor.log_names  # drawn as counters, not offered as a log
    assert "mini-batch" in monitor.log_tail and "Completed" in monitor.log_tail
    html = monitor._repr_mimebundle_()["text/html"]
    assert "4/5 mini-batches done · 1 failed · 0 pending · 9 items scored (1 failed)" in html
    assert "1 retry" in html and "aml-batch-bar" in html
    assert "4/5 mini-batches done" in repr(monitor)


def test_a_batch_job_is_told_from_other_pipelines(client, tmp_path):
    from amlmagic.magics.commands.jobs import _monitor

    name, gate = invoke_gated_job(client, tmp_path / "inputs")
    gate.write_text("go")
    job = client.jobs.wait(name, timeout=120)
    assert is_batch_job(job)
    monitor = _monitor(client, name)  # what `%aml job create --stream` and `%aml job monitor` open
    try:
        assert isinstance(monitor, JobMonitor) and monitor.wait(30)
    finally:
        monitor.stop()
    assert counts(monitor) == FINAL
    step = next(iter(client.jobs.list(parent_job_name=name)))
    assert not is_batch_job(step)


def test_a_command_jobs_monitor_has_no_batch_section(client):
    from tests.widgets.test_job_monitor import submit

    job = submit(client, "--steps 2")
    monitor = JobMonitor(client, job.name, interval=0.1)
    try:
        assert monitor.wait(120)
    finally:
        monitor.stop()
    assert monitor.batch == {} and "aml-batch" not in monitor._repr_mimebundle_()["text/html"]


def test_the_fallback_bar_has_a_segment_per_state_in_proportion():
    html = progress_html({**FINAL, "items_per_second": 4.5, "elapsed_seconds": 2.0})
    assert "width:80.00%" in html and "width:20.00%" in html and "aml-batch-pending" not in html
    assert progress_text({**GATED, "items_per_second": 0.0, "elapsed_seconds": 0.0}).endswith("0.0 items/s · 1 retry")
    assert progress_html({}) == ""


@pytest.mark.slow
def test_a_headless_notebook_keeps_the_final_progress_in_its_fallback(tmp_path, monkeypatch):
    """Executed by nbclient (no browser): the monitor displayed while the job waited at its gate is
    updated to the final counters in the saved text/html."""
    import os

    import nbformat
    from nbclient import NotebookClient

    from tests.widgets.browser import REPO

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from pathlib import Path\n"
            "from amlmagic.local.client import LocalMLClient\n"
            "from amlmagic.widgets import JobMonitor\n"
            "from tests.widgets.browser import wait_for\n"
            "from tests.widgets.test_batch_progress import GATED, counts, invoke_gated_job\n"
            f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
            f"name, gate = invoke_gated_job(client, Path({str(tmp_path / 'inputs')!r}))\n"
            "monitor = JobMonitor(client, name)\nmonitor"),
        nbformat.v4.new_code_cell("wait_for(lambda: counts(monitor) == GATED, 120, 'the gate')\ngate.write_text('go')\n"
                                  "assert monitor.wait(120)\nprint(monitor.status)"),
    ]
    NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[1].outputs[0]["text"].strip() == "Completed"
    html = nb.cells[0].outputs[-1]["data"]["text/html"]
    assert "4/5 mini-batches done · 1 failed · 0 pending · 9 items scored (1 failed)" in html
    assert "aml-batch-bar" in html and "Completed" in html


def test_job_watch_opens_the_job_monitor_for_a_batch_job(ip, workspace):
    from amlmagic.session import current_session

    name, gate = invoke_gated_job(current_session().client, workspace / "inputs")
    gate.write_text("go")
    widget = ip.run(f"%aml job watch -n {name}")
    try:
        assert type(widget).__name__ == "JobMonitor"
        assert widget.wait(120)
    finally:
        widget.stop()
    assert counts(widget) == FINAL
