"""`%aml schedule ...` on the local backend: Microsoft's cli/schedules examples run unchanged (in a
temp folder, as a user would), a schedule from a cell, bad input as one line, and the export."""

import signal
import subprocess
from pathlib import Path

import pytest
from IPython.core.error import UsageError as IPythonUsageError

from amlmagic.local.osutil import kill_tree
from amlmagic.rules.schedules import is_triggered_by
from amlmagic.session import current_session

EXAMPLES = Path("/work/.mirror/Azure+azureml-examples/repo")
FILES = ("cron-job-schedule.yml", "cron-with-settings-job-schedule.yml", "recurrence-job-schedule.yml",
         "simple-pipeline-job.yml")


@pytest.fixture
def examples(ip, workspace):
    if not EXAMPLES.is_dir():
        pytest.skip(f"azureml-examples mirror not found at {EXAMPLES}")
    for name in FILES:
        text = subprocess.run(["git", "-C", str(EXAMPLES), "show", f"HEAD:cli/schedules/{name}"],
                              capture_output=True, text=True, check=True).stdout
        (workspace / name).write_text(text)
    yield ip
    from amlmagic.local.schedules.control import scheduler_pid

    pid = scheduler_pid(current_session().client.workspace.store)
    if pid:
        kill_tree(pid, signal.SIGKILL)


def test_microsoft_schedule_examples_run_unchanged(examples):
    ip = examples
    ip.run("%aml compute create -n cpu-cluster --max-instances 2")  # the cluster the pipeline names
    cron = ip.run("%aml schedule create -f cron-job-schedule.yml")
    assert (cron.name, cron.is_enabled, cron.trigger.time_zone) == ("simple_cron_job_schedule", True, "Pacific Standard Time")
    ip.run("%aml schedule create -f cron-with-settings-job-schedule.yml --no-wait")
    recurrence = ip.run("%aml schedule create -f recurrence-job-schedule.yml")
    assert recurrence.trigger.schedule.hours == [4, 5, 10, 11, 12]
    assert ip.run("%aml schedule show -n simple_cron_job_schedule").name == "simple_cron_job_schedule"
    assert {s.name for s in ip.run("%aml schedule list")} == {
        "simple_cron_job_schedule", "cron_with_settings_job_schedule", "simple_recurrence_job_schedule"}
    updated = ip.run('%aml schedule update -n simple_cron_job_schedule --set description="new description" --no-wait')
    assert "update started" in updated
    assert ip.run("%aml schedule show -n simple_cron_job_schedule").description == "new description"
    ip.run('%aml schedule update -f cron-job-schedule.yml --set trigger.expression="15 * * * *"')
    assert ip.run("%aml schedule show -n simple_cron_job_schedule").trigger.expression == "15 * * * *"
    fired = ip.run("%aml schedule trigger -n cron_with_settings_job_schedule")
    client = current_session().client
    job = client.jobs.wait(fired.job_name, timeout=240)
    assert job.status == "Completed", job.properties.get("error")
    assert job.display_name.startswith("cron_with_settings_job_schedule-") and job.tags["schedule"] == "cron_with_settings_schedule"
    assert job.inputs["hello_string_top_level_input"]._data == job.name  # ${{name}}: the triggered job's name
    listed = ip.run("%aml job list")
    assert any(is_triggered_by(j, "cron_with_settings_job_schedule") for j in listed)
    ip.run("%aml schedule disable -n simple_cron_job_schedule --no-wait")
    ip.run("%aml schedule enable -n simple_cron_job_schedule --no-wait")
    ip.run("%aml schedule disable -n simple_cron_job_schedule")
    assert ip.run("%aml schedule delete -n simple_cron_job_schedule -y").startswith("schedule simple_cron_job_schedule deleted")
    assert [s.name for s in ip.run("%aml schedule list --disabled-only")] == []


SCHEDULE_CELL = """name: nightly
trigger:
  type: cron
  expression: "30 2 * * 1-5"
  time_zone: W. Europe Standard Time
create_job: ./job.yml
"""
JOB = ("command: echo nightly\nenvironment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33\n")


def test_cell_create_show_disable_and_export(ip, workspace):
    (workspace / "job.yml").write_text(JOB)
    created = ip.run("%%aml schedule create\n" + SCHEDULE_CELL)
    assert (created.name, created.trigger.expression) == ("nightly", "30 2 * * 1-5")
    ip.run("%aml schedule disable -n nightly")
    shown = ip.run("%aml schedule show -n nightly")
    assert shown.is_enabled is False
    result = ip.run("%aml export --dir out")
    assert "schedules/nightly/schedule.yml" in result.files and "schedules/nightly/job.yml" in result.files
    import yaml

    spec = yaml.safe_load((workspace / "out" / "schedules" / "nightly" / "schedule.yml").read_text())
    assert (spec["create_job"], spec["trigger"]["time_zone"]) == ("./job.yml", "W. Europe Standard Time")
    assert yaml.safe_load((workspace / "out" / "schedules" / "nightly" / "job.yml").read_text())["command"] == "echo nightly"
    deploy = (workspace / "out" / "deploy.sh").read_text()
    assert deploy.index("az ml schedule create -f schedules/nightly/schedule.yml") < deploy.index(
        "az ml schedule disable -n nightly")


@pytest.mark.parametrize("body, field", [
    ("name: bad\ntrigger: {type: cron, expression: '0 25 * * *'}\ncreate_job: ./job.yml\n", "trigger.expression"),
    ("name: bad\ntrigger: {type: cron, expression: '0 1 * * *', time_zone: Moon Time}\ncreate_job: ./job.yml\n",
     "trigger.time_zone"),
    ("name: bad\ntrigger: {type: cron, expression: '0 1 * * *', start_time: '2030-01-02', end_time: '2030-01-01'}\n"
     "create_job: ./job.yml\n", "trigger.end_time"),
    ("name: bad\ntrigger: {type: recurrence, frequency: hour, interval: 1, schedule: {hours: [1], minutes: [0]}}\n"
     "create_job: ./job.yml\n", "trigger.schedule"),
    ("name: bad\ntrigger: {type: cron, expression: '0 1 * * *'}\ncreate_job: azureml:nothing_here\n", "create_job"),
    ("name: bad\ntrigger: {type: cron, expression: '0 1 * * *'}\ncreate_job: ./missing.yml\n", "missing.yml"),
])
def test_bad_schedules_are_one_line_naming_the_field(ip, workspace, body, field):
    (workspace / "job.yml").write_text(JOB)
    with pytest.raises(IPythonUsageError) as info:
        ip.run("%%aml schedule create\n" + body)
    assert field in str(info.value) and "\n" not in str(info.value)
    assert ip.run("%aml schedule list --include-disabled") == []


def test_delete_of_an_enabled_schedule_says_disable_first(ip, workspace):
    (workspace / "job.yml").write_text(JOB)
    ip.run("%%aml schedule create\n" + SCHEDULE_CELL)
    with pytest.raises(IPythonUsageError, match="You must first disable a schedule to delete it"):
        ip.run("%aml schedule delete -n nightly -y")
    ip.run("%aml schedule disable -n nightly")
