"""A pipeline's steps on Azure (amlmagic/backends/steps.py), on replay: a step that failed is
streamed from run history's log, then fails with one line carrying run history's error, as
MLClient's stream fails a failed job; the pipeline stopped at the failure (our recording of the
fake Azure ML server, pipeline_scenarios.py `pipeline_step_failed`)."""

from conftest import OWN_RECORDINGS
from pipeline_scenarios import PIPELINE, STEPS, TRAIN_LOG, drive_failed_pipeline, write_pipeline_files

from amlmagic.backends import connect_replay
from amlmagic.backends.steps import is_step
from amlmagic.errors import BackendError


def test_a_failed_step_streams_its_log_then_fails_with_run_historys_error(no_network, tmp_path):
    write_pipeline_files(tmp_path)
    client = connect_replay([OWN_RECORDINGS / "pipeline_step_failed.json"])
    seen = drive_failed_pipeline(client, tmp_path)

    assert (seen["pipeline"].name, seen["pipeline"].status) == (PIPELINE, "Failed")
    # continue_on_step_failure is false: evaluate, which reads train's output, never started
    assert [(c.display_name, c.status) for c in seen["children"]] == [("train", "Failed"), ("prepare", "Completed")]
    assert all(is_step(c) for c in seen["children"]) and not is_step(seen["pipeline"])

    error = seen["error"]
    assert isinstance(error, BackendError)
    assert str(error) == (f"step train ({STEPS['train']}) Failed: Execution failed: the command exited with code 1")
    log, summary = seen["streamed"].split("\nExecution Summary\n")
    assert log.startswith(f"RunId: {STEPS['train']}\n") and log.endswith(TRAIN_LOG)
    assert summary.rstrip().endswith("Status: Failed")
