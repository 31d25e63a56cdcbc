"""Real browser: a notebook in JupyterLab / Notebook 7 invokes a real local batch endpoint and
shows its job monitor; the mini-batch bar and counters update live while the job waits at its
gate (3 of 5 done, 1 retry), then end with 4 done and 1 failed, the log beneath. In JupyterLab
Light and Dark every text of the panel reads at WCAG AA contrast."""

from __future__ import annotations

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, write_notebook
from tests.widgets.test_browser_themes import AA, TEXT_CONTRAST

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _batch(page) -> dict:
    return page.evaluate("() => ({...document.querySelector('.aml-job-monitor .aml-batch').dataset})")


THEMES = {"lab": None, "notebook": None,
          "lab-dark": {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}}


def _panel_contrast(page) -> list[dict]:
    """TEXT_CONTRAST's entries (every visible text, its ratio) of the batch panel's texts."""
    texts = page.evaluate(TEXT_CONTRAST)
    inside = page.eval_on_selector_all(".aml-job-monitor .aml-batch *", "els => els.map(e => e.textContent.trim())")
    return [t for t in texts if t["widget"] == "aml-job-monitor" and t["text"] in inside]


@pytest.mark.parametrize("kind", list(THEMES))
def test_batch_progress_updates_live_and_completes(tmp_path, kind):
    write_notebook(tmp_path / "batch.ipynb", [
        "from pathlib import Path\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import JobMonitor\n"
        "from tests.widgets.test_batch_progress import invoke_gated_job\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"name, gate = invoke_gated_job(client, Path({str(tmp_path / 'inputs')!r}))\n"
        "JobMonitor(client, name)",
    ])
    gate = tmp_path / "inputs" / "gate" / "open"
    app = kind.split("-")[0]
    with jupyter_server(app, tmp_path, tmp_path / "server.log", settings=THEMES[kind]) as base, chromium() as page:
        run_all_cells(page, base, app, "batch.ipynb")
        page.wait_for_selector('.aml-job-monitor .aml-batch[data-done="3"][data-pending="2"]', timeout=120_000)
        running = page.get_attribute(".aml-job-monitor", "data-status")
        live = _batch(page)
        live_text = page.inner_text(".aml-job-monitor .aml-batch")
        done_width = page.evaluate("() => document.querySelector('.aml-job-monitor .aml-batch-done').style.width")
        screenshot(page, f"batch-monitor-running-{kind}")
        gate.write_text("go")
        page.wait_for_selector('.aml-job-monitor[data-status="Completed"]', timeout=120_000)
        page.wait_for_selector('.aml-job-monitor .aml-batch[data-done="4"][data-failed="1"][data-pending="0"]',
                               timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('.aml-job-monitor .aml-log')?.textContent.includes('Completed')",
            timeout=30_000)
        final = _batch(page)
        final_text = page.inner_text(".aml-job-monitor .aml-batch")
        no_metrics_hidden = page.is_hidden(".aml-job-monitor .aml-nometrics")
        contrast = _panel_contrast(page)
        screenshot(page, f"batch-monitor-done-{kind}")
    assert running == "Running"
    assert (live["total"], live["failed"], live["itemsScored"]) == ("5", "0", "6")
    assert "3 / 5 mini-batches done" in live_text and "retries: 1" in live_text
    assert done_width == "60%"
    assert (final["itemsScored"], final["total"]) == ("9", "5")
    assert "1 failed" in final_text and "items failed: 1" in final_text
    assert no_metrics_hidden
    assert len(contrast) >= 8  # the headline, failed, pending and the five counters
    assert [t for t in contrast if t["ratio"] < AA] == []
