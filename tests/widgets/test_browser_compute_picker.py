"""Real browser: clicking a row of the compute picker in JupyterLab and Notebook 7 changes the
workspace's default compute (read back from disk by a separate client)."""

from __future__ import annotations

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, wait_for, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("kind", ["lab", "notebook"])
def test_clicking_a_compute_row_sets_the_default(tmp_path, kind):
    from azure.ai.ml.entities import AmlCompute

    from amlmagic.local.client import LocalMLClient

    ws = tmp_path / "ws"
    client = LocalMLClient(ws)
    client.compute.begin_create_or_update(AmlCompute(name="gpu-box", max_instances=2))
    assert client.compute.get_default() == "local"
    write_notebook(tmp_path / "picker.ipynb", [
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import ComputePicker\n"
        f"picker = ComputePicker(LocalMLClient({str(ws)!r}))\npicker",
    ])
    with jupyter_server(kind, tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, kind, "picker.ipynb")
        row = page.wait_for_selector('.aml-compute-picker tr[data-compute="gpu-box"]', timeout=60_000)
        row.click()
        page.wait_for_selector('.aml-compute-picker tr.aml-selected[data-compute="gpu-box"]', timeout=30_000)
        line = page.wait_for_selector(".aml-compute-picker .aml-line", timeout=30_000).text_content()
        screenshot(page, f"compute-picker-{kind}")
    assert line == "%aml compute use -n gpu-box"
    wait_for(lambda: LocalMLClient(ws).compute.get_default() == "gpu-box", 10, "the default compute on disk")
