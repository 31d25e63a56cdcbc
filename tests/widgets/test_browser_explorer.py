"""Real browser: the workspace explorer lists the workspace, shows an item's details, and opens
the matching widget (the compute picker for a compute) below the tree."""

from __future__ import annotations

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_explorer_selects_and_opens_the_matching_widget(tmp_path, client):
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(AmlCompute(name="cpu", max_instances=2))
    write_notebook(tmp_path / "explorer.ipynb", [
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import WorkspaceExplorer\n"
        f"WorkspaceExplorer(LocalMLClient({str(client.root)!r}))",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, "lab", "explorer.ipynb")
        head = page.wait_for_selector('.aml-workspace-explorer [data-group="compute"] .aml-group-head', timeout=60_000)
        count = head.text_content()
        head.click()
        page.click('.aml-workspace-explorer .aml-node[data-name="cpu"]')
        page.wait_for_selector(".aml-workspace-explorer .aml-details .aml-open", timeout=30_000)
        details = page.text_content(".aml-workspace-explorer .aml-details")
        page.click(".aml-workspace-explorer .aml-details .aml-open")
        page.wait_for_selector('.aml-compute-picker tr[data-compute="cpu"]', timeout=30_000)
        page.fill(".aml-workspace-explorer .aml-search", "cp")
        visible = page.eval_on_selector_all(".aml-workspace-explorer .aml-node", "els => els.map(e => e.dataset.name)")
        screenshot(page, "workspace-explorer-lab")
    assert "(2)" in count
    assert "Standard_DS3_v2" in details
    assert visible == ["cpu"]
