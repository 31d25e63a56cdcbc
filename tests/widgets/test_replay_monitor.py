"""Over the replay backend a monitor shows the recorded job: its status and metrics."""

from __future__ import annotations

from tests.widgets.browser import REPO


def test_replayed_job_shows_its_recorded_status_and_metrics():
    from amlmagic.backends import connect_replay
    from amlmagic.widgets import JobMonitor

    client = connect_replay([REPO / "tests" / "backends" / "recordings" / "command_job.json"])
    monitor = JobMonitor(client, "train-job-1", start=False)
    assert monitor.status == "Starting"  # every recorded GET of this job answered Starting
    assert monitor.display_name == "train"
    monitor.poll()
    monitor.poll()
    assert {n: list(s.values) for n, s in monitor.store.series.items()} == {"loss": [0.9, 0.5], "accuracy": [0.8]}
    assert list(monitor.store.series["loss"].steps) == [0, 1]
    assert "Starting" in monitor.static_html()
