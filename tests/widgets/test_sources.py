import json
from datetime import datetime, timezone

from azure.ai.ml import command
from azure.ai.ml.entities import SystemData

from amlmagic.rules import is_terminal, status_text
from amlmagic.widgets.sources import job_times_ms, trial_params, trial_termination


def _job(**props):
    job = command(command="echo", compute="local")
    job.properties = props
    return job


def test_times_prefer_the_start_and_end_properties():
    job = _job(StartTimeUtc="2026-01-05T10:00:00Z", EndTimeUtc="2026-01-05T10:00:30+00:00")
    start, end = job_times_ms(job)
    assert end - start == 30_000
    assert start == datetime(2026, 1, 5, 10, tzinfo=timezone.utc).timestamp() * 1000


def test_times_fall_back_to_the_creation_context():
    job = _job()
    job._creation_context = SystemData(created_at="2026-01-05T10:00:00", last_modified_at="2026-01-05T10:01:00")
    assert job_times_ms(job)[1] is None  # still running: no end
    job._status = "Completed"
    start, end = job_times_ms(job)
    assert end - start == 60_000
    assert status_text(job) == "Completed" and is_terminal("Completed") and not is_terminal("Running")


def test_trial_params_and_termination_from_properties():
    job = _job(hyperparameters=json.dumps({"--lr": 0.1, "batch": 32}),
               early_termination=json.dumps({"policy": "bandit", "interval": 2}))
    assert trial_params(job) == {"lr": 0.1, "batch": 32}
    assert trial_termination(job) == "bandit"
    plain = _job()
    assert trial_params(plain) == {} and trial_termination(plain) == ""
