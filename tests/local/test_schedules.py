"""Schedules on the local backend, with the real detached scheduler and real job processes.

The schedule clock runs 60 times faster (AMLMAGIC_SCHEDULE_CLOCK, rules/schedules.py): a
schedule minute passes in a real second, and the scheduler inherits the setting.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.ai.ml.entities import CronTrigger, JobSchedule, RecurrenceTrigger

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.osutil import kill_tree, process_alive
from amlmagic.local.schedules.control import scheduler_pid
from amlmagic.local.schedules.records import read_state
from amlmagic.rules.schedules import CLOCK_ENV, TRIGGER_TAG, schedule_now

JOB = ("$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n"
       "environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33\n"
       "command: echo hello ${{inputs.greeting}}\ninputs:\n  greeting: world\n")


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CLOCK_ENV, f"60@{datetime.now(timezone.utc).isoformat()}")
    (tmp_path / "job.yml").write_text(JOB)
    client = LocalMLClient(tmp_path / ".amlmagic")
    yield client
    pid = scheduler_pid(client.workspace.store)
    if pid:
        kill_tree(pid, signal.SIGKILL)


def load_job_file(path="job.yml"):
    from azure.ai.ml import load_job

    return load_job(path)


def every_five_minutes(name="fast", **kwargs):
    return JobSchedule(name=name, trigger=RecurrenceTrigger(frequency="minute", interval=5, **kwargs),
                       create_job=load_job_file())


def wait_for(predicate, timeout=90.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def scheduled(client, name):
    """The slots the scheduler fired (not manual triggers), as datetimes."""
    return [datetime.fromisoformat(j["slot"]) for j in read_state(client.workspace.store, name)["jobs"] if not j["manual"]]


def test_fires_at_creation_and_each_slot_with_azure_names_and_links(client):
    created = client.schedules.begin_create_or_update(every_five_minutes()).result()
    assert (created.name, created.is_enabled, type(created.trigger).__name__) == ("fast", True, "RecurrenceTrigger")
    slots = wait_for(lambda: len(scheduled(client, "fast")) >= 2 and scheduled(client, "fast"), what="two slots")
    start = created.creation_context.created_at
    assert slots[0] == start and slots[1] == start + timedelta(minutes=5)  # the first run is immediate
    jobs = [j for j in client.jobs.list() if j.tags.get(TRIGGER_TAG) == "fast"]
    assert {j.display_name for j in jobs} >= {f"fast-{s:%Y%m%dT%H%M%SZ}" for s in slots[:2]}
    assert {j.experiment_name for j in jobs} == {"fast"}  # the schedule's name by default
    first = client.jobs.wait(jobs[-1].name, timeout=120)
    assert first.status == "Completed"
    assert "hello world" in client.jobs.read_log(first.name)[0]


def test_restart_brings_the_scheduler_back_without_backfill(client):
    client.schedules.begin_create_or_update(every_five_minutes()).result()
    wait_for(lambda: len(scheduled(client, "fast")) >= 2, what="two slots")
    store = client.workspace.store
    old = scheduler_pid(store)
    kill_tree(old, signal.SIGKILL)  # as a machine restart leaves it: gone, no chance to clean up
    wait_for(lambda: not process_alive(old), what="the scheduler to die")
    before = scheduled(client, "fast")
    time.sleep(12)  # twelve schedule minutes: two or more slots pass with no scheduler
    restarted_at = schedule_now()
    assert scheduler_pid(store) is None
    client.schedules.get("fast")  # reading schedule state starts it again
    new = wait_for(lambda: scheduler_pid(store), what="a new scheduler")
    assert new != old
    after = wait_for(lambda: [s for s in scheduled(client, "fast") if s not in before], what="the next slot")
    missed = [before[-1] + timedelta(minutes=5 * k) for k in range(1, 4)]
    missed = [s for s in missed if s < restarted_at - timedelta(minutes=1)]
    assert missed and not set(missed) & set(after)  # no backfill of what passed while it was gone
    assert after[0] >= restarted_at - timedelta(minutes=1)
    slots = scheduled(client, "fast")
    assert len(slots) == len(set(slots))  # no slot fired twice


def test_disable_stops_it_delete_needs_disable_and_leaves_the_jobs(client):
    client.schedules.begin_create_or_update(every_five_minutes()).result()
    wait_for(lambda: scheduled(client, "fast"), what="the first slot")
    with pytest.raises(ValidationError, match="You must first disable a schedule to delete it"):
        client.schedules.begin_delete("fast")
    disabled = client.schedules.begin_disable("fast").result()
    assert disabled.is_enabled is False
    count = len(scheduled(client, "fast"))
    time.sleep(11)  # two slots pass
    assert len(scheduled(client, "fast")) == count
    assert [s.name for s in client.schedules.list()] == []
    assert [s.name for s in client.schedules.list(list_view_type="DisabledOnly")] == ["fast"]
    wait_for(lambda: scheduler_pid(client.workspace.store) is None, what="the idle scheduler to end")
    with pytest.raises(ValidationError, match="enable it first"):
        client.schedules.trigger("fast")
    jobs = {j.name for j in client.jobs.list() if j.tags.get(TRIGGER_TAG) == "fast"}
    client.schedules.begin_delete("fast").result()
    with pytest.raises(NotFoundError):
        client.schedules.get("fast")
    assert jobs and jobs <= {j.name for j in client.jobs.list()}  # past jobs stay
    # The audit trail: the schedule's own changes, in order; the refused delete is not one.
    changes = [e["verb"] for e in reversed(client.activity.list(name="fast")) if e["kind"] == "schedule"]
    assert changes == ["create", "disable", "delete"], changes


def test_trigger_fires_once_now_and_enable_resumes_without_catch_up(client):
    start = (schedule_now() + timedelta(days=1)).replace(microsecond=0)
    client.schedules.begin_create_or_update(every_five_minutes(start_time=start.isoformat())).result()
    result = client.schedules.trigger("fast")
    job = client.jobs.get(result.job_name)
    assert (result.schedule_action_type, job.tags[TRIGGER_TAG]) == ("CreateJob", "fast")
    assert job.display_name.startswith("fast-") and scheduled(client, "fast") == []  # a future start: no slot yet
    client.schedules.begin_disable("fast").result()
    enabled = client.schedules.begin_enable("fast").result()
    assert enabled.is_enabled and scheduler_pid(client.workspace.store)


def test_past_start_time_fires_the_next_calculated_slot_not_the_past(client):
    past = (schedule_now() - timedelta(days=3)).replace(second=0, microsecond=0)
    created = client.schedules.begin_create_or_update(every_five_minutes(start_time=past.isoformat())).result()
    first = wait_for(lambda: scheduled(client, "fast"), what="a slot")[0]
    assert first >= created.creation_context.created_at
    assert (first - past.replace(tzinfo=timezone.utc)) % timedelta(minutes=5) == timedelta(0)


def test_a_schedule_past_its_end_time_needs_no_scheduler(client):
    ended = every_five_minutes(start_time="2020-01-01T00:00:00", end_time="2020-02-01T00:00:00")
    client.schedules.begin_create_or_update(ended).result()
    wait_for(lambda: scheduler_pid(client.workspace.store) is None, what="the scheduler to find nothing to do")
    assert client.schedules.get("fast").is_enabled and scheduler_pid(client.workspace.store) is None
    assert scheduled(client, "fast") == []


def test_a_second_scheduler_leaves_the_workspace_to_the_first(client):
    client.schedules.begin_create_or_update(every_five_minutes()).result()
    first = wait_for(lambda: scheduler_pid(client.workspace.store), what="the scheduler")
    log = client.root / "schedules" / "scheduler.log"
    wait_for(lambda: log.is_file() and f"scheduler {first} started" in log.read_text(), what="it to hold its lock")
    run = subprocess.run([sys.executable, "-m", "amlmagic.local.schedules.scheduler", str(client.root)],
                         capture_output=True, text=True, timeout=60, env={**os.environ})
    assert "another scheduler runs this workspace" in run.stdout
    assert scheduler_pid(client.workspace.store) == first


@pytest.mark.parametrize("trigger, field", [
    (CronTrigger(expression="61 * * * *"), "trigger.expression"),
    (CronTrigger(expression="0 0 * *"), "trigger.expression"),
    (CronTrigger(expression="0 0 * * *", time_zone="Mars Standard Time"), "trigger.time_zone"),
    (CronTrigger(expression="0 0 * * *", start_time="2025-02-01T00:00:00", end_time="2025-01-01T00:00:00"),
     "trigger.end_time"),
    (RecurrenceTrigger(frequency="day", interval=1, schedule={"hours": [1], "minutes": [0], "month_days": [3]}),
     "trigger.schedule.month_days"),
])
def test_bad_triggers_name_the_field_and_create_nothing(client, trigger, field):
    from azure.ai.ml.entities import RecurrencePattern

    if isinstance(getattr(trigger, "schedule", None), dict):
        trigger.schedule = RecurrencePattern(**trigger.schedule)
    with pytest.raises(ValidationError) as info:
        client.schedules.begin_create_or_update(JobSchedule(name="bad", trigger=trigger, create_job=load_job_file()))
    assert str(info.value).startswith(field) and "\n" not in str(info.value)
    assert client.schedules.list(list_view_type="All") == []


def test_create_job_naming_an_unknown_job_is_refused(client):
    schedule = JobSchedule(name="bad", trigger=CronTrigger(expression="0 0 * * *"), create_job="azureml:no_such_job")
    with pytest.raises(NotFoundError, match="^create_job: job 'no_such_job' not found"):
        client.schedules.begin_create_or_update(schedule)
    with pytest.raises(NotFoundError, match="schedule 'bad' not found"):
        client.schedules.get("bad")


PIPELINE = """\
type: pipeline
inputs:
  greeting: world
jobs:
  say:
    command: echo hello ${{inputs.greeting}}
    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
    inputs:
      greeting: ${{parent.inputs.greeting}}
"""


def test_an_existing_job_is_resubmitted_with_deep_merged_overrides(client, tmp_path):
    from azure.ai.ml.entities._load_functions import load_schedule

    (tmp_path / "pipeline.yml").write_text(PIPELINE)
    source = client.jobs.create_or_update(load_job_file("pipeline.yml"))
    (tmp_path / "s.yml").write_text(
        "name: again\ntrigger: {type: cron, expression: '0 0 * * *', start_time: '2099-01-01T00:00:00'}\n"
        f"create_job:\n  type: pipeline\n  job: azureml:{source.name}\n  experiment_name: reruns\n"
        "  inputs: {greeting: '${{name}}'}\n  tags: {why: override}\n")
    client.schedules.begin_create_or_update(load_schedule(tmp_path / "s.yml")).result()
    job = client.jobs.wait(client.schedules.trigger("again").job_name, timeout=180)
    assert (job.experiment_name, job.tags["why"], job.status) == ("reruns", "override", "Completed")
    step = client.jobs.list(parent_job_name=job.name)[0]
    assert f"hello {job.name}" in client.jobs.read_log(step.name)[0]  # ${{name}}: the triggered job's name
