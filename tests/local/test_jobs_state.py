"""Job status on disk: what a reader concludes when a runner is gone or never started."""

import json
import os
from datetime import datetime, timedelta, timezone

from amlmagic.local.jobs import state
from amlmagic.local.osutil import process_start_time


def _write(folder, status):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "status.json").write_text(json.dumps(status))


def _ago(seconds):
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()


def test_starting_without_a_runner_long_after_is_failed(tmp_path):
    _write(tmp_path, {"status": "Starting", "history": [["NotStarted", _ago(200)], ["Starting", _ago(120)]]})
    status = state.read_status(tmp_path)
    assert status["status"] == "Failed" and "never started" in status["error"]
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "Failed"


def test_starting_just_now_is_left_alone(tmp_path):
    _write(tmp_path, {"status": "Starting", "history": [["Starting", _ago(1)]]})
    assert state.read_status(tmp_path)["status"] == "Starting"


def test_a_dead_runner_ends_the_job_failed_and_a_live_one_does_not(tmp_path):
    me = os.getpid()
    _write(tmp_path / "alive", {"status": "Running", "history": [["Running", _ago(1)]], "pid": me,
                                "pid_start": process_start_time(me)})
    assert state.read_status(tmp_path / "alive")["status"] == "Running"
    _write(tmp_path / "dead", {"status": "Running", "history": [["Running", _ago(1)]], "pid": me,
                               "pid_start": "not-its-start-time"})
    assert state.read_status(tmp_path / "dead")["status"] == "Failed"


def test_a_job_launched_twice_runs_once(tmp_path):
    """A restarted sweep controller may launch a trial whose first runner it could not see."""
    from amlmagic.local.client import LocalMLClient
    from amlmagic.local.jobs.plan import launch_runner, submit_plan

    client = LocalMLClient(tmp_path / "ws")
    ran = tmp_path / "ran.txt"
    name = submit_plan(client.root, {"command": f"echo once >> {ran}", "compute": "local"}, base_path=tmp_path,
                       start=False)
    folder = state.job_dir(client.root, name)
    launch_runner(folder)
    launch_runner(folder)
    job = client.jobs.wait(name, timeout=120)
    assert job.status == "Completed"
    assert ran.read_text() == "once\n"


def test_a_parent_kind_registers_how_its_dead_driver_is_revived(tmp_path, monkeypatch):
    """jobs/ knows no kind: a kind's registered reviver restarts its driver, at most
    MAX_CONTROLLER_RESTARTS times; a kind without one (a command job) ends Failed."""
    from amlmagic.local.jobs import revival

    monkeypatch.setattr(revival, "_REVIVERS", {})
    relaunched = []

    def relaunch(folder):
        relaunched.append(folder)
        state.update_status(folder, None, pid=os.getpid(), pid_start=process_start_time(os.getpid()))

    revival.register_reviver("pipeline", relaunch)
    dead = {"status": "Running", "history": [["Running", _ago(1)]], "pid": os.getpid(), "pid_start": "gone"}
    for kind in ("pipeline", "command"):
        _write(tmp_path / kind, dead)
        (tmp_path / kind / "record.json").write_text(json.dumps({"spec": {}, "meta": {"type": kind}}))
    assert state.read_status(tmp_path / "pipeline")["status"] == "Running"
    assert relaunched == [tmp_path / "pipeline"]
    assert state.raw_status(tmp_path / "pipeline")["controller_restarts"] == 1
    assert state.read_status(tmp_path / "command")["status"] == "Failed"

    _write(tmp_path / "pipeline", {**dead, "controller_restarts": state.MAX_CONTROLLER_RESTARTS})
    assert state.read_status(tmp_path / "pipeline")["status"] == "Failed"  # restarted enough
    assert len(relaunched) == 1
