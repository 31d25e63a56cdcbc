"""Schedules in `%aml export`: schedule.yml with its job beside it or a reference to an exported
job, deploy.sh's create (and disable) lines, and deploy.sh run with real bash recreating them."""

import signal

import yaml

from amlmagic.local.osutil import kill_tree
from amlmagic.local.schedules.control import scheduler_pid
from amlmagic.session import reset_session

JOB = "command: echo scheduled\nenvironment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33\n"
NIGHTLY = """name: nightly
trigger: {type: cron, expression: "30 2 * * 1-5", start_time: "2099-01-01T00:00:00", time_zone: W. Europe Standard Time}
create_job: ./job.yml
"""
RERUN = """name: rerun
trigger: {type: recurrence, frequency: week, interval: 1, start_time: "2099-01-01T00:00:00",
          schedule: {hours: [6], minutes: [0], week_days: [monday]}}
create_job: azureml:{job}
"""


def stop_scheduler(client):
    pid = scheduler_pid(client.workspace.store)
    if pid:
        kill_tree(pid, signal.SIGKILL)


def test_deploy_sh_recreates_schedules_pointing_at_the_resubmitted_job(ip, workspace, az_shim, tmp_path_factory):
    from amlmagic.session import current_session

    (workspace / "job.yml").write_text(JOB)
    job = ip.run("%aml job create -f job.yml")
    ip.run("%%aml schedule create\n" + NIGHTLY)
    ip.run("%aml schedule disable -n nightly")
    ip.run("%%aml schedule create --export rerun-export.yml\n" + RERUN.replace("{job}", job.name))
    stop_scheduler(current_session().client)
    assert yaml.safe_load((workspace / "rerun-export.yml").read_text())["create_job"] == f"azureml:{job.name}"
    result = ip.run("%aml export --dir out")
    assert {"schedules/nightly/schedule.yml", "schedules/nightly/job.yml", "schedules/rerun/schedule.yml"} <= set(result.files)
    deploy = (workspace / "out" / "deploy.sh").read_text()
    assert deploy.index("az ml job create") < deploy.index("az ml schedule create -f schedules/rerun/schedule.yml")
    assert '--set "create_job=azureml:${JOB_1}"' in deploy and "az ml schedule disable -n nightly" in deploy

    fresh = tmp_path_factory.mktemp("fresh")
    client = reset_session().connect_local(fresh / ".amlmagic")
    try:
        done = az_shim.run(workspace / "out" / "deploy.sh", COMPUTE="local")
        assert done.returncode == 0, done.stderr + "\n".join(az_shim.lines)
        nightly, rerun = client.schedules.get("nightly"), client.schedules.get("rerun")
        assert (nightly.is_enabled, nightly.trigger.time_zone, nightly.create_job.command) == (
            False, "W. Europe Standard Time", "echo scheduled")
        new_job = client.jobs.list()[0].name
        assert new_job != job.name and rerun.create_job == f"azureml:{new_job}" and rerun.is_enabled
    finally:
        stop_scheduler(client)
