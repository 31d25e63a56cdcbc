"""Real browser: in JupyterLab, `%aml lineage model` of a model registered from a real local job
draws the lineage graph (nodes by kind); clicking the job node shows its details and opens its
job monitor with the job's log below the graph."""

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, wait_settled, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_lineage_graph_draws_kinds_and_opens_a_jobs_monitor(tmp_path):
    write_notebook(tmp_path / "lineage.ipynb", [
        "%load_ext amlmagic\n%aml connect --local ws",
        "from azure.ai.ml import Output, command\n"
        "from azure.ai.ml.entities import Model\n"
        "from amlmagic.session import current_session\n"
        "client = current_session().client\n"
        "job = client.jobs.create_or_update(command(\n"
        "    command='echo trained-for-lineage && echo 1 > ${{outputs.model}}/w.txt',\n"
        "    outputs={'model': Output(type='uri_folder')}))\n"
        "client.jobs.wait(job.name, timeout=120)\n"
        "client.models.create_or_update(Model(name='browser-model', path=f'azureml://jobs/{job.name}/outputs/model'))",
        "%aml lineage model -n browser-model",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium(height=1400) as page:
        run_all_cells(page, base, "lab", "lineage.ipynb")
        page.wait_for_selector('.aml-lineage-graph g.aml-node[data-kind="job"]', timeout=120_000)
        kinds = page.eval_on_selector_all(".aml-lineage-graph g.aml-node", "els => els.map(e => e.dataset.kind)")
        root = page.get_attribute(".aml-lineage-graph g.aml-node-root", "data-key")
        relation = page.text_content(".aml-lineage-graph .aml-edge-label")
        box = wait_settled(page, '.aml-lineage-graph g.aml-node[data-kind="job"]')
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "() => document.querySelector('.aml-lineage-graph .aml-node-opened .aml-log')"
            "?.textContent.includes('trained-for-lineage')", timeout=60_000)
        details = page.text_content(".aml-lineage-graph .aml-node-details")
        screenshot(page, "lineage-graph-lab")
    assert sorted(kinds) == ["job", "model"]
    assert root == "model:browser-model:1" and relation == "output model"
    assert "kindjob" in details.replace(" ", "") and "statusCompleted" in details.replace(" ", "")
