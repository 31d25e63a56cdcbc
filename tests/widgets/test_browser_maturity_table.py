"""Real browser: `%aml mlops --dir` in JupyterLab renders the MaturityTable; after a job that reads
the data asset on the registered environment has run, Refresh shows level 1; every text of the
table reads at WCAG AA contrast in JupyterLab Light and Dark."""

from __future__ import annotations

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, write_notebook
from tests.widgets.test_browser_themes import AA, TEXT_CONTRAST

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_mlops_table_in_jupyterlab_refreshes_and_reads_in_both_themes(tmp_path):
    from azure.ai.ml import command
    from azure.ai.ml.entities import Data, Environment

    from amlmagic.local.client import LocalMLClient

    ws = tmp_path / "ws"
    client = LocalMLClient(ws)
    (tmp_path / "rows.csv").write_text("1\n")
    client.data.create_or_update(Data(name="rows", version="1", path=str(tmp_path / "rows.csv"), type="uri_file"))
    client.environments.create_or_update(Environment(name="env", version="1", image="python:3.11-slim"))
    (tmp_path / "exported" / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "exported" / "deploy.sh").write_text("az ml job create -f job.yml\n")
    (tmp_path / "exported" / ".github" / "workflows" / "ml.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: bash deploy.sh\n")
    write_notebook(tmp_path / "mlops.ipynb", [
        f"%load_ext amlmagic\n%aml connect --local {ws}",
        "%aml mlops --dir exported",
    ])
    settings = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}
    with (jupyter_server("lab", tmp_path, tmp_path / "server.log", settings=settings) as base,
          chromium() as page):
        run_all_cells(page, base, "lab", "mlops.ipynb")
        page.wait_for_selector('.aml-maturity .aml-reached[data-level="0"]', timeout=90_000)
        row = page.locator('.aml-maturity tr[data-practice="ci-workflow"]')
        assert row.get_attribute("data-status") == "present"
        assert "deploy.sh running az ml" in row.inner_text()
        assert "GitHub Actions: .github/workflows/ml.yml runs deploy.sh (az ml), no approval gate" in row.inner_text()
        job = client.jobs.create_or_update(command(
            command="echo ${{inputs.rows}}", inputs={"rows": {"type": "uri_file", "path": "azureml:rows:1"}},
            environment="azureml:env:1", compute="local"))
        assert client.jobs.wait(job.name, timeout=120).status == "Completed"
        page.click(".aml-maturity .aml-refresh")
        page.wait_for_selector('.aml-maturity .aml-reached[data-level="1"]', timeout=30_000)
        present = page.locator('.aml-maturity tr[data-status="present"]').evaluate_all(
            "rows => rows.map(r => r.dataset.practice)")
        assert present == ["versioned-data", "environments-as-code", "ci-workflow"]
        texts = {"light": page.evaluate(TEXT_CONTRAST)}
        screenshot(page, "maturity-table-light-lab")
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
        texts["dark"] = page.evaluate(TEXT_CONTRAST)
        screenshot(page, "maturity-table-dark-lab")
    for theme, found in texts.items():
        ours = [t for t in found if t["widget"] == "aml-maturity"]
        assert len(ours) > 20, theme
        poor = [t for t in ours if t["ratio"] < AA]
        assert not poor, f"{theme}: {poor[:10]}"
