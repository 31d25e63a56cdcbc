"""Real browser: the pipeline graph of a pipeline on Azure, replayed offline in JupyterLab from the
project's recording (tests/backends/recordings/pipeline_job.json): the steps are run history's
child jobs with GUID names, the reused step is marked with the run it reused, the graph follows
the recording to Completed, and clicking a step opens its monitor with the step's log."""

import pytest

from tests.widgets.browser import (
    REPO,
    chromium,
    jupyter_server,
    run_all_cells,
    screenshot,
    wait_settled,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BACKENDS = REPO / "tests" / "backends"


def test_a_replayed_azure_pipeline_graph_marks_reuse_and_opens_a_step(tmp_path):
    import sys

    sys.path.insert(0, str(BACKENDS))
    from pipeline_scenarios import EARLIER_PREPARE, STEPS

    write_notebook(tmp_path / "azure-pipeline.ipynb", [
        f"import sys\nsys.path.insert(0, {str(BACKENDS)!r})\n"
        "from pathlib import Path\n"
        "from azure.ai.ml import load_job\n"
        "from pipeline_scenarios import PIPELINE, write_pipeline_files\n"
        "from amlmagic.backends import connect_replay\n"
        "from amlmagic.widgets import PipelineGraph\n"
        "write_pipeline_files(Path.cwd())\n"
        f"client = connect_replay([{str(BACKENDS / 'recordings' / 'pipeline_job.json')!r}])\n"
        "client.jobs.create_or_update(load_job('pipeline.yml'))\n"
        "PipelineGraph(client, PIPELINE)",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium(height=1400) as page:
        run_all_cells(page, base, "lab", "azure-pipeline.ipynb")
        page.wait_for_selector('.aml-pipeline-graph[data-status="Completed"]', timeout=120_000)
        prepare = '.aml-pipeline-graph g.aml-step[data-step="prepare"]'
        page.wait_for_selector(f'{prepare}[data-status="Completed"]', timeout=30_000)
        prepare_class = page.get_attribute(prepare, "class")
        prepare_title = page.text_content(f"{prepare} title")
        statuses = {key: page.get_attribute(f'.aml-pipeline-graph g.aml-step[data-step="{key}"]', "data-status")
                    for key in STEPS}
        box = wait_settled(page, '.aml-pipeline-graph g.aml-step[data-step="train"]')
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "() => document.querySelector('.aml-pipeline-graph .aml-step-monitor .aml-log')"
            "?.textContent.includes('model saved')", timeout=60_000)
        monitor_title = page.text_content(".aml-pipeline-graph .aml-step-monitor")
        screenshot(page, "pipeline-graph-replayed-azure-lab")
    assert "aml-step-reused" in prepare_class and prepare_title == f"reused {EARLIER_PREPARE}"
    assert statuses == {key: "Completed" for key in STEPS}
    assert "train" in monitor_title
