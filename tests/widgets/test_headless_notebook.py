"""A notebook executed headless (nbclient) keeps the monitor's final state in its static
fallbacks: the display made while the job ran is updated to Completed with a PNG chart."""

from __future__ import annotations

import base64
import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.widgets.browser import REPO
from tests.widgets.test_job_monitor import SRC

pytestmark = pytest.mark.slow


def test_static_html_and_png_show_the_final_state(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from azure.ai.ml import command\n"
            "from amlmagic.local.client import LocalMLClient\n"
            "from amlmagic.widgets import JobMonitor\n"
            f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
            f"job = client.jobs.create_or_update(command(code={str(SRC)!r}, compute='local',\n"
            "    command='python train.py --steps 6', display_name='headless-train'))\n"
            "monitor = JobMonitor(client, job.name)\nmonitor"),
        nbformat.v4.new_code_cell("assert monitor.wait(120)\nprint(monitor.status)"),
    ]
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[1].outputs[0]["text"].strip() == "Completed"
    display = nb.cells[0].outputs[-1]
    data = display["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "Completed" in data["text/html"] and "headless-train" in data["text/html"]
    assert "training done" in data["text/html"]
    assert base64.b64decode(data["image/png"])[:4] == b"\x89PNG"
