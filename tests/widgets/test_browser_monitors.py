"""Real browser: a notebook in JupyterLab / Notebook 7 runs a real local job and a sweep; the
monitors render and update live (points arrive while the job runs, status reaches Completed,
the parallel coordinates have one line per trial)."""

from __future__ import annotations

import pytest

from tests.widgets.browser import (chromium, jupyter_server, run_all_cells, screenshot, skip_reason,
                                   write_notebook)
from tests.widgets.test_job_monitor import SRC

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _need_browser():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)


def _points(page, metric: str) -> int:
    value = page.evaluate(
        f"() => document.querySelector('.aml-job-monitor .aml-chart[data-metric=\"{metric}\"]')?.dataset.points")
    return int(value or 0)


@pytest.mark.parametrize("kind", ["lab", "notebook"])
def test_job_monitor_updates_live_and_completes(tmp_path, kind):
    gate = tmp_path / "gate"
    write_notebook(tmp_path / "job.ipynb", [
        "from azure.ai.ml import command\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import JobMonitor\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"job = client.jobs.create_or_update(command(code={str(SRC)!r}, compute='local',\n"
        f"    command='python train.py --steps 10 --lr 0.5 --gate {gate}', display_name='browser-train'))\n"
        "JobMonitor(client, job.name)",
    ])
    with jupyter_server(kind, tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, kind, "job.ipynb")
        # Half of the points are charted while the job is still running (waiting at its gate).
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="loss"][data-points="5"]', timeout=120_000)
        running = page.get_attribute(".aml-job-monitor", "data-status")
        screenshot(page, f"job-monitor-running-{kind}")
        gate.write_text("go")
        page.wait_for_selector('.aml-job-monitor[data-status="Completed"]', timeout=120_000)
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="loss"][data-points="10"]', timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('.aml-job-monitor .aml-log')?.textContent.includes('training done')",
            timeout=30_000)
        acc_points = _points(page, "acc")
        cancel_disabled = page.is_disabled(".aml-job-monitor .aml-cancel")
        screenshot(page, f"job-monitor-done-{kind}")
    assert running in ("Running", "Starting", "Preparing", "Queued")
    assert acc_points == 10
    assert cancel_disabled
