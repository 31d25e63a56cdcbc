"""Real browser: a notebook in JupyterLab / Notebook 7 runs a real local pipeline; the graph
updates live (a step turns Running, then every step Completed), and clicking a step opens its
job monitor with the step's log below the graph."""

import textwrap

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, wait_settled, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PIPELINE = textwrap.dedent("""
    type: pipeline
    display_name: browser-pipeline
    settings: {{default_compute: azureml:local}}
    jobs:
      prepare:
        command: python wait.py {gate} && echo prepared > ${{{{outputs.out}}}}/x.txt
        code: ./src
        environment: azureml:AzureML-sklearn-1.5@latest
        outputs: {{out: {{type: uri_folder}}}}
      train:
        command: cat ${{{{inputs.data}}}}/x.txt && echo trained-from-the-graph
        environment: azureml:AzureML-sklearn-1.5@latest
        inputs: {{data: "${{{{parent.jobs.prepare.outputs.out}}}}"}}
""")


@pytest.mark.parametrize("kind", ["lab", "notebook"])
def test_pipeline_graph_updates_live_and_opens_a_step(tmp_path, kind):
    gate = tmp_path / "gate"
    (tmp_path / "p.yml").write_text(PIPELINE.format(gate=gate))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "wait.py").write_text(  # holds the step Running until the test opens the gate
        "import pathlib, sys, time\nwhile not pathlib.Path(sys.argv[1]).exists():\n    time.sleep(0.1)\n")
    write_notebook(tmp_path / "pipeline.ipynb", [
        "from azure.ai.ml import load_job\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import PipelineGraph\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"job = client.jobs.create_or_update(load_job({str(tmp_path / 'p.yml')!r}))\n"
        "PipelineGraph(client, job.name)",
    ])
    with jupyter_server(kind, tmp_path, tmp_path / "server.log") as base, chromium(height=1400) as page:
        run_all_cells(page, base, kind, "pipeline.ipynb")
        page.wait_for_selector('.aml-pipeline-graph g.aml-step[data-step="prepare"][data-status="Running"]',
                               timeout=120_000)
        waiting = page.get_attribute('.aml-pipeline-graph g.aml-step[data-step="train"]', "data-status")
        edge = page.text_content(".aml-pipeline-graph .aml-edge-label")
        assert page.is_enabled(".aml-pipeline-graph > .aml-head .aml-cancel")  # running: it can be canceled
        screenshot(page, f"pipeline-graph-running-{kind}")
        gate.write_text("go")
        page.wait_for_selector('.aml-pipeline-graph[data-status="Completed"]', timeout=120_000)
        page.wait_for_selector('.aml-pipeline-graph g.aml-step[data-step="train"][data-status="Completed"]',
                               timeout=30_000)
        page.wait_for_selector(".aml-pipeline-graph > .aml-head .aml-cancel:disabled", timeout=30_000)  # ended
        box = wait_settled(page, '.aml-pipeline-graph g.aml-step[data-step="train"]')
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "() => document.querySelector('.aml-pipeline-graph .aml-step-monitor .aml-log')"
            "?.textContent.includes('trained-from-the-graph')", timeout=60_000)
        reason = page.text_content(".aml-pipeline-graph .aml-step-reason")
        screenshot(page, f"pipeline-graph-done-{kind}")
    assert waiting == "NotStarted"
    assert edge == "out → data"
    assert reason.startswith("train: ran: first run of this step")
