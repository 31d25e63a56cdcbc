"""Real browser: JupyterLab runs a notebook that starts a real local batch scoring job and shows
its JobMonitor; the progress bar and line update while the job runs (one mini-batch held at a
gate) and reach every mini-batch done."""

from __future__ import annotations

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEXT = "() => document.querySelector('.aml-job-monitor .aml-progress-text')?.textContent || ''"


def test_batch_progress_updates_live_and_completes(tmp_path):
    gate = tmp_path / "gate"
    (tmp_path / "job").mkdir()
    write_notebook(tmp_path / "batch.ipynb", [
        "from pathlib import Path\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import JobMonitor\n"
        "from tests.widgets.test_job_monitor_batch import start_gated_batch_job\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"name = start_gated_batch_job(client, Path({str(tmp_path / 'job')!r}), Path({str(gate)!r}))\n"
        "JobMonitor(client, name)",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, "lab", "batch.ipynb")
        page.wait_for_function(f"() => ({TEXT})().includes('4 done, 0 failed, 1 pending of 5')", timeout=120_000)
        running = page.get_attribute(".aml-job-monitor", "data-status")
        width = page.evaluate("() => document.querySelector('.aml-progress-done').style.width")
        screenshot(page, "batch-progress-running-lab")
        gate.write_text("go")
        page.wait_for_selector('.aml-job-monitor[data-status="Completed"]', timeout=120_000)
        page.wait_for_function(f"() => ({TEXT})().includes('5 done, 0 failed, 0 pending of 5 · items scored 10')",
                               timeout=30_000)
        screenshot(page, "batch-progress-done-lab")
    assert running == "Running"
    assert width == "80%"
