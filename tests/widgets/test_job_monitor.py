"""JobMonitor driven by real local jobs (detached runner, MLflow metrics, log files)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from amlmagic.widgets import JobMonitor
from tests.widgets.browser import wait_for

SRC = Path(__file__).parent / "jobsrc"


def submit(client, args: str, name: str | None = None):
    from azure.ai.ml import command

    job = command(code=str(SRC), command=f"python train.py {args}", compute="local",
                  experiment_name="widgets", display_name="tiny-train", name=name)
    return client.jobs.create_or_update(job)


def expected_loss(lr: float, steps: int) -> list[float]:
    return [1.0 / (1 + lr * (s + 1)) for s in range(steps)]


def test_monitor_follows_a_running_job_to_completion(client, tmp_path):
    gate = tmp_path / "gate"
    job = submit(client, f"--steps 10 --lr 0.5 --gate {gate}")
    monitor = JobMonitor(client, job.name, interval=0.1)
    try:
        # The first half arrives while the job waits at its gate: the monitor is live.
        wait_for(lambda: len(monitor.store.series.get("loss", [])) == 5, 120, "the first 5 loss points")
        assert monitor.status not in ("Completed", "Failed", "Canceled")
        assert sorted(monitor.metric_names) == ["acc", "loss"]
        gate.write_text("go")
        assert monitor.wait(120), "polling did not stop at the terminal state"
    finally:
        monitor.stop()
    assert monitor.status == "Completed"
    loss = monitor.store.series["loss"]
    assert list(loss.steps) == list(range(10))
    assert list(loss.values) == pytest.approx(expected_loss(0.5, 10))
    assert monitor.ended_at_ms >= monitor.started_at_ms > 0
    assert "training done" in monitor.log_tail
    assert "step 9 loss" in monitor.log_tail
    bundle = monitor._repr_mimebundle_()
    assert "Completed" in bundle["text/html"] and "training done" in bundle["text/html"]
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_cancel_button_cancels_and_records(client, recorded):
    job = submit(client, "--wait-forever")
    monitor = JobMonitor(client, job.name, interval=0.1)
    try:
        wait_for(lambda: "waiting to be canceled" in monitor.log_tail, 120, "the job to start")
        monitor.act("cancel")
        assert monitor.error == ""
        assert monitor.wait(60)
    finally:
        monitor.stop()
    assert monitor.status == "Canceled"
    assert recorded == [f"%aml job cancel -n {job.name}"]
    assert client.jobs.get(job.name).status == "Canceled"


def test_a_finished_job_shows_its_recorded_state_at_once(client):
    job = submit(client, "--steps 4")
    first = JobMonitor(client, job.name, interval=0.1)
    assert first.wait(120)
    first.stop()
    # A monitor opened after the end reads everything in its first poll, then stops.
    late = JobMonitor(client, job.name, interval=0.1)
    assert late.wait(30)
    assert late.status == "Completed"
    assert len(late.store.series["acc"]) == 4
    assert late.log_tail.endswith("training done\n")


def test_a_job_gone_from_the_workspace_stops_the_monitor_with_the_backends_message(client, tmp_path):
    """Polling errors are the backend's AmlMagicErrors: the monitor shows the message and stops,
    keeping its last state, instead of its poller thread dying silently."""
    gate = tmp_path / "gate"
    job = submit(client, f"--steps 2 --lr 0.5 --gate {gate}")
    monitor = JobMonitor(client, job.name, interval=0.1)
    folder = client.jobs.local_dir(job.name)
    away = folder.with_name(folder.name + ".away")
    try:
        wait_for(lambda: len(monitor.store.series.get("loss", [])) == 1, 120, "the first loss point")
        folder.rename(away)
        assert monitor.wait(30), "polling went on for a job the backend no longer has"
        assert job.name in monitor.error and "not found" in monitor.error.lower(), monitor.error
        assert monitor._poller.error is None  # shown in the widget, not left in a dead thread
        assert len(monitor.store.series["loss"]) == 1
    finally:
        monitor.stop()
        if away.exists():
            away.rename(folder)
        gate.write_text("go")
        client.jobs.wait(job.name, timeout=120)


def test_a_metric_logged_once_is_a_labelled_marker_in_the_png(client, tmp_path):
    """A metric with one point (the MNIST job's `test_accuracy`) once drew an empty axis: a line
    through one point draws nothing. The point is a marker now, with its value beside it."""
    import matplotlib.image

    job = submit(client, "--steps 0 --test-accuracy 0.9731")
    monitor = JobMonitor(client, job.name, interval=0.1)
    try:
        assert monitor.wait(120)
    finally:
        monitor.stop()
    assert monitor.series_xy() == {"test_accuracy": ([0], [0.9731])}
    path = tmp_path / "job.png"
    path.write_bytes(base64.b64decode(monitor.static_png()))
    pixels = matplotlib.image.imread(path)[:, :, :3]
    # Axes, ticks, grid and text are grey: only the series colour is saturated.
    saturated = (pixels.max(axis=2) - pixels.min(axis=2)) > 0.3
    assert saturated.sum() >= 20, f"{saturated.sum()} coloured pixels: no marker drawn"
    rows, cols = saturated.nonzero()
    # One round blob: as tall as it is wide, not a line across the axis.
    assert abs((rows.max() - rows.min()) - (cols.max() - cols.min())) <= 2
    from amlmagic.widgets.static import line_charts_figure

    texts = [t.get_text() for ax in line_charts_figure(monitor.series_xy()).axes for t in ax.texts]
    assert "0.9731" in texts


def test_the_monitor_switches_between_the_ranks_of_a_distributed_job(client):
    from azure.ai.ml import command

    job = client.jobs.create_or_update(command(
        command='python -c "import os; print(\'hello from rank\', os.environ[\'RANK\'])"', compute="local",
        environment="azureml:AzureML-sklearn-1.5@latest", distribution={"type": "pytorch", "process_count_per_instance": 2}))
    assert client.jobs.wait(job.name, timeout=120).status == "Completed"
    monitor = JobMonitor(client, job.name, start=False)
    monitor.poll()
    assert monitor.log_names == ["std_log_process_00.txt", "std_log_process_01.txt"]
    assert monitor.log_name == "std_log_process_00.txt" and "hello from rank 0" in monitor.log_tail
    monitor.act("select_log", name="std_log_process_01.txt")
    assert monitor.log_name == "std_log_process_01.txt"
    assert "hello from rank 1" in monitor.log_tail and "rank 0" not in monitor.log_tail
    monitor.act("select_log", name="nothing.txt")
    assert "has no log 'nothing.txt'" in monitor.error and monitor.log_name == "std_log_process_01.txt"


def test_settle_brings_a_monitor_whose_polling_died_to_the_final_state(client, tmp_path):
    """What `%aml job create --stream` does once the job ended: every display ends final, even
    when the polling thread stopped short (here it dies on its first poll)."""
    gate = tmp_path / "gate"
    job = submit(client, f"--steps 2 --lr 0.5 --gate {gate}")
    monitor = JobMonitor(client, job.name, interval=0.1, start=False)
    real_poll = monitor.poll
    monitor.poll = lambda: (_ for _ in ()).throw(RuntimeError("lost the workspace"))
    monitor._poller.start()
    assert monitor.wait(30) and monitor.status not in ("Completed",)
    monitor.poll = real_poll
    gate.write_text("go")
    assert client.jobs.wait(job.name, timeout=120).status == "Completed"
    monitor.settle()
    assert monitor.status == "Completed" and monitor.ended_at_ms > 0
    assert monitor.error == "polling stopped: RuntimeError: lost the workspace"
    assert "training done" in monitor.log_tail
