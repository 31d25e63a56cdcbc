"""The MNIST lifecycle notebook, run headless as CI runs it: `python -m amlmagic.run_notebook
--fast` (AMLMAGIC_FAST=1: tiny synthetic digits, one epoch, three trials) with nbclient, in a temp
copy of notebooks/. One run per module; the tests read its summary, its executed notebook and
the local workspace it left."""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MNIST_DIR

NOTEBOOKS = Path(MNIST_DIR).parent
NOTEBOOK = "mnist-lifecycle.ipynb"
RUN_TIMEOUT = 900  # seconds; a run takes under a minute on an idle 2-core machine

# Folders of `%aml export` and the azure-ai-ml loader each one's YAML must load with (in
# azure.ai.ml.entities._load_functions: the batch deployment and schedule loaders are not exported).
EXPORT_LOADERS = {
    "environments": "load_environment",
    "data": "load_data",
    "computes": "load_compute",
    "jobs": "load_job",
    "models": "load_model",
    "endpoints": "load_online_endpoint",
    "deployments": "load_online_deployment",
    "batch-endpoints": "load_batch_endpoint",
    "batch-deployments": "load_model_batch_deployment",
    "schedules": "load_schedule",
}


def _stop_endpoints(workspace_root: Path) -> None:
    """Delete what the notebook left running if it failed before its clean-up cell: endpoint
    servers are detached processes that outlive the kernel."""
    if not workspace_root.is_dir():
        return
    from amlmagic.local.client import LocalMLClient

    client = LocalMLClient(workspace_root)
    for endpoint in client.online_endpoints.list():
        client.online_endpoints.begin_delete(name=endpoint.name).result()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import nbformat

    folder = tmp_path_factory.mktemp("mnist-notebook") / "notebooks"
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(
        "data", ".amlmagic", "__pycache__", "*.executed.ipynb", "mnist-export", "sample-request.json", "batch-input",
        "batch-output", "collected", "pipeline-report"))
    command = [sys.executable, "-m", "amlmagic.run_notebook", str(folder / NOTEBOOK), "--fast"]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # its own group: a timeout also stops the kernel
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    finally:
        _stop_endpoints(folder / ".amlmagic")
    assert process.returncode == 0, f"the notebook failed:\n{stdout[-2000:]}\n{stderr[-4000:]}"
    executed = nbformat.read(folder / "mnist-lifecycle.executed.ipynb", as_version=4)
    return {"folder": folder, "summary": stdout, "stderr": stderr, "notebook": executed}


def summary_line(run, prefix: str) -> str:
    lines = [line for line in run["summary"].splitlines() if line.startswith(prefix)]
    assert lines, f"no summary line starting with {prefix!r} in:\n{run['summary']}"
    return lines[0]


def cell_text(run, source_start: str) -> str:
    """The printed and displayed text of the code cell whose source starts with source_start."""
    for cell in run["notebook"].cells:
        if cell.cell_type == "code" and cell.source.startswith(source_start):
            parts = []
            for output in cell.outputs:
                parts.append(output.get("text", "") if output.output_type == "stream"
                             else output.get("data", {}).get("text/plain", ""))
            return "".join(parts)
    raise AssertionError(f"no cell starting with {source_start!r}")


def widget_states(run) -> dict[str, list[dict]]:
    """The saved anywidget states of the executed notebook, by widget kind."""
    saved = run["notebook"].metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    by_kind: dict[str, list[dict]] = {}
    for model in saved.values():
        if model["model_name"] == "AnyModel":
            by_kind.setdefault(model["state"]["_kind"], []).append(model["state"])
    return by_kind


def local_client(run):
    from amlmagic.local.client import LocalMLClient

    return LocalMLClient(run["folder"] / ".amlmagic")


def test_committed_notebook_is_what_the_generator_writes():
    import nbformat

    sys.path.insert(0, str(NOTEBOOKS))
    try:
        from build_mnist_notebook import build_notebook
    finally:
        sys.path.remove(str(NOTEBOOKS))
    committed = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    assert [(c.cell_type, c.source, c.metadata) for c in committed.cells] == \
        [(c.cell_type, c.source, c.metadata) for c in build_notebook().cells]
    assert any("summary" in c.metadata.get("tags", []) for c in committed.cells)


def test_the_scoring_uri_comes_from_online_endpoint_show():
    import nbformat

    code = "\n".join(c.source for c in nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    assert "endpoint = %aml online-endpoint show -n {ENDPOINT}\nscoring_uri = endpoint.scoring_uri\n" in code
    assert "%aml online-endpoint list" not in code  # no search through the list for it


def test_summary_reports_jobs_sweep_and_model(run):
    assert "fast: synthetic digits" in summary_line(run, "MNIST lifecycle")
    assert re.match(r"training job \w+: Completed, test accuracy [\d.]+%", summary_line(run, "training job"))
    sweep = re.match(r"sweep (\w+): Completed, (\d+) trials, stopped early: (\d+)", summary_line(run, "sweep"))
    assert sweep and int(sweep[2]) == 3 and int(sweep[3]) <= 3
    best = re.match(r"best trial (\w+): (.*)", summary_line(run, "best trial"))
    assert best and best[1].startswith(sweep[1] + "_")
    params = dict(pair.split("=") for pair in best[2].split(", "))
    assert set(params) == {"batch_size", "lr", "width"}
    assert int(params["batch_size"]) in (64, 128, 256) and int(params["width"]) in (12, 16, 24)
    assert 0.002 <= float(params["lr"]) <= 0.031  # exp(-6.2) .. exp(-3.5)
    assert re.match(r"registered model mnist-cnn:1: test accuracy [\d.]+% \(through the endpoint: [\d.]+% of 120 ",
                    summary_line(run, "registered model"))


def test_progress_shows_cells_the_training_job_and_the_sweep(run):
    """run_notebook's progress lines (amlmagic/notebook_progress.py), before the summary."""
    lines = run["summary"].splitlines()

    def matching(pattern):
        return [line for line in lines if re.match(pattern, line)]

    assert matching(r"^\[ ?\d+/\d+\] 4\. Train as a command job$")
    assert matching(r"^\[ ?\d+/\d+\] done in \d+\.\d s$")
    assert matching(r"^ {8}job \w+: Completed$")
    assert matching(r"^ {8}sweep \w+: Completed, trial 3 of 3 \(3 ended\), best so far val_accuracy [\d.]+ \(\w+: ")
    assert "without encryption" not in run["stderr"]


def test_workspace_holds_completed_jobs_and_the_best_trials_model(run):
    client = local_client(run)
    jobs = {job.name: job for job in client.jobs.list()}
    sweeps = [job for job in jobs.values() if job.type == "sweep"]
    assert len(sweeps) == 1 and sweeps[0].status == "Completed"
    commands = [job for job in jobs.values() if job.type == "command"]
    assert len(commands) == 1 and commands[0].status == "Completed"
    trials = list(client.jobs.list(parent_job_name=sweeps[0].name))
    assert len(trials) == 3 and all(t.status in ("Completed", "Canceled") for t in trials)
    best = sweeps[0].properties["best_child_run_id"]
    assert best in {t.name for t in trials if t.status == "Completed"}
    blue, green = client.models.get("mnist-cnn", version="1"), client.models.get("mnist-cnn", version="2")
    assert blue.path == f"azureml://jobs/{best}/outputs/model/paths/"
    assert green.path == f"azureml://jobs/{commands[0].name}/outputs/model/paths/"


def test_endpoint_answers_digits_and_splits_traffic(run):
    asked = ast.literal_eval(cell_text(run, "import torchvision").split(":", 1)[1].strip())
    answered = ast.literal_eval(cell_text(run, "invoke_answer = ").split(":", 1)[1].strip())
    assert len(asked) == len(answered) == 8 and all(0 <= d <= 9 for d in answered)
    assert str(answered) in summary_line(run, "endpoint mnist-digits answered")
    observed = ast.literal_eval(summary_line(run, "traffic blue=90 green=10").split(": ", 1)[1])
    assert set(observed) <= {"blue", "green"} and sum(observed.values()) == 100
    assert observed["blue"] >= 50  # 90% of 100: fewer than 50 has a probability below 1e-30


def test_mlops_sections_report_what_they_did(run):
    # green's production data: one collected response per request it answered
    green = re.match(r"production data: green answered (\d+) requests, (\d+) responses collected",
                     summary_line(run, "production data"))
    assert green and green[1] == green[2] and int(green[1]) > 0
    # the batch job scored every test image, as PNG files, with the registered model
    batch = re.match(r"batch job (\w+): (\d+) files scored, accuracy ([\d.]+)%", summary_line(run, "batch job"))
    assert batch and int(batch[2]) == 120  # fast mode's test images
    client = local_client(run)
    job = client.jobs.get(batch[1])
    assert (job.type, job.status) == ("pipeline", "Completed")
    assert [s.display_name for s in client.jobs.list(parent_job_name=job.name)] == ["batchscoring"]
    # the schedule: triggered once (its pipeline reused every step of section 4b), then disabled
    triggered = re.match(r"schedule mnist-weekly-retrain: triggered (\w+) \(Completed\), then disabled",
                         summary_line(run, "schedule"))
    assert triggered
    steps = client.jobs.list(parent_job_name=triggered[1])
    assert len(steps) == 3 and all(s.properties.get("azureml.isreused") == "true" for s in steps)
    assert client.schedules.get("mnist-weekly-retrain").is_enabled is False
    assert [j.display_name for j in client.jobs.list() if "mnist-weekly-retrain" in (j.display_name or "")] == [
        client.jobs.get(triggered[1]).display_name]  # nothing fired at creation: the start time is past
    # the audit trail holds every change the notebook made, the clean-up's delete last
    activity = client.activity.list()
    assert {("create", "online-endpoint"), ("create", "batch-deployment"), ("disable", "schedule")} <= {
        (e["verb"], e["kind"]) for e in activity}
    assert (activity[0]["verb"], activity[0]["kind"], activity[0]["name"]) == ("delete", "online-endpoint", "mnist-digits")
    assert re.match(r"MLOps maturity: level 4 ", summary_line(run, "MLOps maturity"))
    assert (run["folder"] / "mnist-export" / ".github" / "workflows" / "azureml-train-deploy.yml").is_file()


def test_endpoint_deleted_by_the_clean_up_cell(run):
    assert "online endpoint mnist-digits deleted" in cell_text(run, "%aml online-endpoint delete")
    assert list(local_client(run).online_endpoints.list()) == []


def test_widgets_saved_with_final_state_and_static_fallbacks(run):
    states = widget_states(run)
    assert {"data_browser", "job_monitor", "sweep_monitor", "endpoint_tester"} <= set(states)
    assert [s["status"] for s in states["job_monitor"]] == ["Completed", "Completed"]  # the training, the batch job
    sweep = states["sweep_monitor"][0]
    assert sweep["status"] == "Completed" and len(sweep["trials"]) == 3 and sweep["best_trial"]
    assert states["endpoint_tester"][0]["endpoint"] == "mnist-digits"
    graphs = states["pipeline_graph"]  # section 4b: the pipeline, then the same one again, reused whole
    assert len(graphs) == 2 and all(g["status"] == "Completed" for g in graphs)
    assert all([s["key"] for s in g["steps"]] == ["prepare", "train", "evaluate"] for g in graphs)
    assert sorted(all(s["reused"] for s in g["steps"]) for g in graphs) == [False, True]
    assert not any(s["reused"] for g in graphs for s in g["steps"] if not all(t["reused"] for t in g["steps"]))
    views = [o for c in run["notebook"].cells if c.cell_type == "code" for o in c.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    # section 9's batch job, followed live: its progress counters saved at the end
    (batch,) = [m for m in states["job_monitor"] if m.get("batch")]
    scored = int(re.search(r": (\d+) files scored", summary_line(run, "batch job"))[1])
    assert (batch["batch"]["items_scored"], batch["batch"]["failed"], batch["batch"]["pending"]) == (scored, 0, 0)
    (lineage,) = states["lineage_graph"]  # section 10: the deployed model, back to its trial, on to both endpoints
    assert {"model", "job", "code", "data", "environment", "online-deployment", "batch-deployment"} <= {
        n["kind"] for n in lineage["nodes"]}
    (maturity,) = states["maturity_table"]  # section 12
    assert maturity["level"] == 4
    assert len(views) == 9 and all("text/html" in o["data"] for o in views)  # what a static viewer shows


def test_export_loads_with_azure_ai_ml(run):
    from azure.ai.ml.entities import _load_functions

    from amlmagic.export import MARKER

    export = run["folder"] / "mnist-export"
    files = [p for p in export.rglob("*") if p.is_file() and p.name != MARKER]
    assert f"exported {len(files)} files" in summary_line(run, "exported")
    loaded: dict[str, list] = {}
    for folder, loader in EXPORT_LOADERS.items():
        for path in sorted((export / folder).glob("*/*.yml")):
            if path.name == "conda.yml":
                continue
            loaded.setdefault(folder, []).append(getattr(_load_functions, loader)(str(path)))
    assert set(loaded) == set(EXPORT_LOADERS)
    assert sorted(job.type for job in loaded["jobs"]) == ["command", "pipeline", "pipeline", "sweep"]
    assert sorted(model.version for model in loaded["models"]) == ["1", "2"]
    assert sorted(d.name for d in loaded["deployments"]) == ["blue", "green"]
    deploy = (export / "deploy.sh").read_text()
    assert "--traffic 'blue=90 green=10'" in deploy
    assert subprocess.run(["bash", "-n", str(export / "deploy.sh")]).returncode == 0
