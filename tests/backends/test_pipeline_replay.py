"""A pipeline job on replay, offline: the project's recordings of a three-step pipeline submitted
to the fake Azure ML server (pipeline_scenarios.py, fake_pipelines.py) give, through the client,
the pipeline graph widget and the `%aml` magics, what they gave when recorded: the pipeline, its
steps as run history's child jobs with their statuses, the reused step and the run it reused, a
step's log and metrics. The shared recording of a real pipeline submission goes through
`%aml job create` too; `%aml job create --stream` of a pipeline outside a kernel follows the
pipeline's execution log."""

from pathlib import Path

from conftest import NEEDS_SHARED, OWN_RECORDINGS, SHARED_RECORDINGS
from IPython.utils.capture import capture_output
from pipeline_scenarios import (
    EARLIER_PREPARE,
    PIPELINE,
    STEPS,
    TRAIN_LOG,
    drive_pipeline,
    write_pipeline_files,
)

from amlmagic.backends import connect_replay
from amlmagic.rules import REUSED, REUSED_RUN


def _step_rows(steps):
    return [(s["key"], s["job"], s["status"], s["reused"], s["reason"], s["column"]) for s in steps]


def test_a_pipeline_is_submitted_polled_to_its_end_and_its_steps_read_on_replay(no_network, tmp_path):
    write_pipeline_files(tmp_path)
    client = connect_replay([OWN_RECORDINGS / "pipeline_job.json"])
    seen = drive_pipeline(client, tmp_path)

    created = seen["created"]
    assert (created.name, created.type, created.status, created.display_name) == (
        PIPELINE, "pipeline", "NotStarted", "prepare-train-evaluate")
    assert list(created.jobs) == ["prepare", "train", "evaluate"]
    assert created._to_dict()["jobs"]["train"]["inputs"]["data"]["path"] == "${{parent.jobs.prepare.outputs.prepared}}"

    # The graph's first look: prepare reused (Completed at once), train running, evaluate not started.
    reused = f"reused {EARLIER_PREPARE}"
    assert seen["first_status"] == "Running"
    assert _step_rows(seen["first_steps"]) == [
        ("prepare", STEPS["prepare"], "Completed", True, reused, 0),
        ("train", STEPS["train"], "Running", False, "", 1),
        ("evaluate", "", "NotStarted", False, "", 2)]
    # Polled to the end: every step Completed, with its run's elapsed time (30 s ticks of the fake).
    graph = seen["graph"]
    assert (graph.status, seen["polls"]) == ("Completed", 2)
    assert _step_rows(graph.steps) == [
        ("prepare", STEPS["prepare"], "Completed", True, reused, 0),
        ("train", STEPS["train"], "Completed", False, "", 1),
        ("evaluate", STEPS["evaluate"], "Completed", False, "", 2)]
    assert [s["elapsed_s"] for s in graph.steps] == [0.0, 90.0, 60.0]
    assert graph.edges == [{"source": "prepare", "target": "train", "label": "prepared → data"},
                           {"source": "train", "target": "evaluate", "label": "model"}]
    html = graph.static_html()
    assert "prepare-train-evaluate" in html and "Completed" in html and "<svg" in html

    # Clicking a step opens its job monitor below the graph: its status, log and metric charts.
    monitor = seen["monitor"]
    assert (graph.selected, monitor.job_name, monitor.display_name, monitor.status) == (
        "train", STEPS["train"], "train", "Completed")
    assert (monitor.log_tail, monitor.log_names) == (TRAIN_LOG, ["std_log.txt"])
    assert monitor.series_xy() == {"loss": ([0.0, 1.0], [0.9, 0.45]), "accuracy": ([1.0], [0.82])}

    # A step is run history's child job: shown, its log and its metrics read.
    step = seen["step"]
    assert (step.type, step.name, step.display_name, step.status, step.compute) == (
        "base", STEPS["train"], "train", "Completed", "cpu-cluster")
    assert step.properties["azureml.pipelinerunid"] == PIPELINE
    assert seen["log"] == (TRAIN_LOG, len(TRAIN_LOG.encode()))
    assert seen["metrics"] == {"loss": [(0, 1767607200000, 0.9), (1, 1767607201000, 0.45)],
                               "accuracy": [(1, 1767607202000, 0.82)]}
    children = {c.display_name: c for c in seen["children"]}
    assert {k: (c.name, c.status) for k, c in children.items()} == {
        k: (STEPS[k], "Completed") for k in ("prepare", "train", "evaluate")}
    assert (children["prepare"].properties[REUSED], children["prepare"].properties[REUSED_RUN]) == (
        "true", EARLIER_PREPARE)


def test_the_graph_of_a_replayed_pipeline_opens_no_monitor_for_a_step_not_started(no_network, tmp_path):
    write_pipeline_files(tmp_path)
    client = connect_replay([OWN_RECORDINGS / "pipeline_job.json"])
    from azure.ai.ml import load_job

    from amlmagic.widgets import PipelineGraph

    client.jobs.create_or_update(load_job(tmp_path / "pipeline.yml"))
    graph = PipelineGraph(client, PIPELINE, start=False)
    graph.do_select("evaluate")  # not started yet in the recording: nothing to follow
    assert (graph.selected, graph.monitor) == ("evaluate", None)
    graph.do_select("no_such_step")
    assert (graph.selected, graph.monitor) == ("", None)


def _replay_magics(ip):
    write_pipeline_files(Path.cwd())  # the `ip` fixture's notebook folder
    assert ip.run(f"%aml connect --replay {OWN_RECORDINGS / 'magics_pipeline_job.json'}").startswith("connected: replay")


def _beneath(captured) -> list[str]:
    return [output.data.get("text/plain", "") for output in captured.outputs]


def test_pipeline_job_create_show_and_its_steps_through_the_magics(no_network, ip):
    _replay_magics(ip)
    created = ip.run("%aml job create -f pipeline.yml")
    assert (type(created).__name__, created.name, created.status) == ("PipelineJob", PIPELINE, "NotStarted")

    with capture_output() as captured:
        shown = ip.run(f"%aml job show -n {PIPELINE}")
    assert (shown.name, shown.type, shown.status) == (PIPELINE, "pipeline", "Running")
    (steps,) = _beneath(captured)
    rows = [row.split() for row in steps.splitlines()[1:]]
    assert steps.splitlines()[0] == "steps (2):"
    assert rows == [["prepare", STEPS["prepare"], "Completed", "reused", EARLIER_PREPARE],
                    ["train", STEPS["train"], "Running"]]

    listed = ip.run(f"%aml job list --parent-job-name {PIPELINE}")
    assert [(j.display_name, j.name, j.status) for j in listed] == [
        ("train", STEPS["train"], "Running"), ("prepare", STEPS["prepare"], "Completed")]
    assert STEPS["train"] in listed._repr_mimebundle_()["text/plain"]


def test_a_step_is_shown_and_streamed_through_the_magics(no_network, ip):
    _replay_magics(ip)
    ip.run("%aml job create -f pipeline.yml")
    ip.run(f"%aml job show -n {PIPELINE}")
    ip.run(f"%aml job list --parent-job-name {PIPELINE}")
    with capture_output() as captured:
        step = ip.run(f"%aml job show -n {STEPS['prepare']}")
    assert (step.type, step.display_name, step.status) == ("base", "prepare", "Completed")
    assert _beneath(captured) == [f"step prepare: reused {EARLIER_PREPARE}"]

    # MLClient refuses to stream a pipeline's child job; %aml streams it from run history's log.
    with capture_output() as captured:
        streamed = ip.run(f"%aml job stream -n {STEPS['train']}")
    assert (streamed.name, streamed.status) == (STEPS["train"], "Completed")
    assert captured.stdout.startswith(f"RunId: {STEPS['train']}\n")
    streamed_log, summary = captured.stdout.split("\nExecution Summary\n")
    assert streamed_log.endswith(TRAIN_LOG) and "Status: Completed\n" in summary

    with capture_output() as captured:
        ip.run(f"%aml job show -n {PIPELINE}")
    (steps,) = _beneath(captured)
    assert [row.split()[:3] for row in steps.splitlines()[1:]] == [
        ["prepare", STEPS["prepare"], "Completed"], ["train", STEPS["train"], "Completed"],
        ["evaluate", STEPS["evaluate"], "Running"]]


def test_pipeline_job_create_stream_follows_the_pipeline_log_to_its_end(no_network, ip):
    write_pipeline_files(Path.cwd())
    ip.run(f"%aml connect --replay {OWN_RECORDINGS / 'magics_pipeline_stream.json'}")
    with capture_output() as captured:
        job = ip.run("%aml job create -f pipeline.yml --stream")
    assert (job.name, job.type, job.status) == (PIPELINE, "pipeline", "Completed")
    log, summary = captured.stdout.split("\nExecution Summary\n")
    events = [line.split("] ", 1)[1] for line in log.splitlines() if line.startswith("[")]
    assert events == [
        f"Submitting 1 runs, first five are: {STEPS['prepare'][:8]}:{STEPS['prepare']}",
        f"Completing processing run id {STEPS['prepare']}.",
        f"Submitting 1 runs, first five are: {STEPS['train'][:8]}:{STEPS['train']}",
        f"Completing processing run id {STEPS['train']}.",
        f"Submitting 1 runs, first five are: {STEPS['evaluate'][:8]}:{STEPS['evaluate']}",
        f"Completing processing run id {STEPS['evaluate']}.",
        "Finishing experiment: no runs left and nothing to schedule."]
    assert summary.startswith(f"=================\nRunId: {PIPELINE}\n")
    with capture_output() as captured:
        ip.run(f"%aml job show -n {PIPELINE}")
    (steps,) = _beneath(captured)
    assert [row.split()[:3] for row in steps.splitlines()[1:]] == [
        [key, STEPS[key], "Completed"] for key in ("prepare", "train", "evaluate")]


def test_canceling_a_pipeline_cancels_its_running_step_and_starts_no_more(no_network, ip):
    write_pipeline_files(Path.cwd())
    ip.run(f"%aml connect --replay {OWN_RECORDINGS / 'magics_pipeline_cancel.json'}")
    ip.run("%aml job create -f pipeline.yml")
    ip.run(f"%aml job show -n {PIPELINE}")
    canceled = ip.run(f"%aml job cancel -n {PIPELINE}")
    assert (canceled.name, canceled.status) == (PIPELINE, "Canceled")
    with capture_output() as captured:
        shown = ip.run(f"%aml job show -n {PIPELINE}")
    assert shown.status == "Canceled"
    (steps,) = _beneath(captured)
    assert [row.split()[:3] for row in steps.splitlines()[1:]] == [
        ["prepare", STEPS["prepare"], "Completed"], ["train", STEPS["train"], "Canceled"]]  # evaluate never started


@NEEDS_SHARED
def test_the_shared_pipeline_recording_through_aml_job_create(no_network, ip):
    """The real service's answer to a pipeline submission (../shared/recordings), submitted by
    `%aml job create -f` and shown from the entity it returned."""
    from test_conformance import PIPELINE_YML, variables

    names = variables("pipeline_job_create_and_update.json")
    (Path.cwd() / "iris-mltable").mkdir()
    (Path.cwd() / "iris-mltable" / "MLTable").write_text("paths:\n  - file: ./iris.csv\n")
    (Path.cwd() / "pipeline.yml").write_text(PIPELINE_YML.format(name=names["name"]))
    assert ip.run(f"%aml connect --replay {SHARED_RECORDINGS / 'pipeline_job_create_and_update.json'} "
                  f"{OWN_RECORDINGS / 'workspace_get_sanitized.json'}").startswith("connected: replay")
    created = ip.run("%aml job create -f pipeline.yml")
    assert (type(created).__name__, created.name, created.status, created.experiment_name) == (
        "PipelineJob", names["name"], "NotStarted", "my_first_experiment")
    assert sorted(created.jobs) == ["hello_world_component", "hello_world_component_2"]
    assert created.jobs["hello_world_component"].component == "microsoftsamplescommandcomponentbasic_nopaths_test:1"
