"""The batch rules: the progress overview's text round-trips, settings merge as Azure applies them."""

from amlmagic.rules.batch import Progress, batch_settings, format_progress, parse_progress


def test_progress_round_trips_through_its_text():
    progress = Progress(mini_batches_total=10, mini_batches_done=3, mini_batches_failed=1,
                        items_scored=30, items_failed=10, retries=2, elapsed_seconds=1.5)
    text = format_progress(progress)
    assert "mini batches pending: 6" in text
    assert "items per second: 20.0" in text
    assert parse_progress(text) == progress


def test_the_last_overview_in_a_log_wins_and_text_without_one_gives_none():
    first, last = Progress(mini_batches_total=4, mini_batches_done=1), Progress(mini_batches_total=4, mini_batches_done=4)
    assert parse_progress(format_progress(first) + format_progress(last)) == last
    assert parse_progress("Traceback: nothing here\n") is None


def test_settings_default_then_deployment_then_invocation_with_none_meaning_unset():
    merged = batch_settings({"mini_batch_size": None, "error_threshold": 5, "retry_settings": {"max_retries": 1}},
                            {"mini_batch_size": 2})
    assert merged["mini_batch_size"] == 2
    assert merged["error_threshold"] == 5
    assert (merged["max_retries"], merged["timeout"]) == (1, 30)
    assert merged["output_file_name"] == "predictions.csv"


def test_settings_problems_name_each_field_a_job_cannot_run_with():
    from amlmagic.rules.batch import settings_problems

    assert settings_problems(batch_settings(None)) == []
    problems = settings_problems(batch_settings({"mini_batch_size": 0, "max_retries": -1, "error_threshold": -2,
                                                 "output_action": "merge", "logging_level": "loud",
                                                 "output_file_name": "a/b.csv", "timeout": True}))
    assert [p.split(":")[0] for p in problems] == ["mini_batch_size", "timeout", "max_retries", "error_threshold",
                                                  "output_action", "logging_level", "output_file_name"]


def test_the_default_output_path_is_named_by_the_job():
    from amlmagic.rules.batch import default_output_path

    assert default_output_path("workspaceblobstore", "job1") == \
        "azureml://datastores/workspaceblobstore/paths/azureml/job1/score/"
