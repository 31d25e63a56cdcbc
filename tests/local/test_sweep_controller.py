"""The sweep controller on real sweeps: a real detached controller, real trial runners, real
scripts. Limits, cancel, failing trials, grid, bayesian, a dead or restarted controller.

Trial scripts here log their metric by appending to the MLflow file store in MLflow's own format
(`<ms> <value> <step>` per line, in the run the job engine prepared) instead of importing mlflow,
which costs ~5 s per trial on this machine; test_sweep_e2e.py uses mlflow itself.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from support import wait_for

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.jobs.state import job_dir
from amlmagic.local.osutil import process_alive
from amlmagic.local.sweep.controller import STATE_FILE, resume_sweep, submit_sweep
from amlmagic.local.sweep.sampling import make_sampler
from amlmagic.local.sweep.validation import sweep_defaults

poll = functools.partial(wait_for, timeout=90.0)

REPO = Path(__file__).resolve().parents[2]

FASTLOG = '''\
import os, time
from urllib.parse import urlparse
from urllib.request import url2pathname

def log_metric(key, value, step):
    root = url2pathname(urlparse(os.environ["MLFLOW_TRACKING_URI"]).path)
    path = os.path.join(root, os.environ["MLFLOW_EXPERIMENT_ID"], os.environ["MLFLOW_RUN_ID"], "metrics", key)
    with open(path, "a") as f:
        f.write(f"{int(time.time() * 1000)} {value} {step}\\n")
'''

TRAIN = '''\
import argparse, os, sys, time
from fastlog import log_metric
p = argparse.ArgumentParser()
p.add_argument("--x", type=float, default=1.0)
p.add_argument("--steps", type=int, default=3)
p.add_argument("--sleep", type=float, default=0.05)
p.add_argument("--fail", type=int, default=0)
a = p.parse_args()
print("x", a.x, "env", os.environ.get("AZUREML_SWEEP_x"), flush=True)
print("threads", os.environ.get("OMP_NUM_THREADS"), os.environ.get("MKL_NUM_THREADS"), flush=True)
for k in range(1, a.steps + 1):
    log_metric("score", a.x * k, k)
    time.sleep(a.sleep)
if a.fail:
    sys.exit(3)
'''




@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "fastlog.py").write_text(FASTLOG)
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    return LocalMLClient(tmp_path / ".amlmagic")


def sweep_spec(command: str, search_space: dict, limits: dict, sampling="random", **extra) -> dict:
    spec = {
        "type": "sweep",
        "trial": {"code": "./src", "command": command},
        "compute": "local",
        "sampling_algorithm": sampling,
        "search_space": search_space,
        "objective": {"goal": "maximize", "primary_metric": "score"},
        "limits": limits,
    }
    spec.update(extra)
    return spec


def run_sweep(client, spec: dict, timeout: float = 120.0, **kwargs):
    name = submit_sweep(client.root, spec, base_path=Path.cwd(), **kwargs)
    assert client.jobs.get(name).status == "Running"  # Azure: a sweep PUT answers Running
    job = client.jobs.wait(name, timeout=timeout)
    return job, trials_of(client, name)


def trials_of(client, name: str) -> dict:
    return {t.name: t for t in client.jobs.list(parent_job_name=name)}


def state_of(client, name: str) -> dict:
    return json.loads((job_dir(client.root, name) / STATE_FILE).read_text())


def running_intervals(client, name: str) -> list[tuple[float, float]]:
    """(Running since, Running until) of each trial, from its recorded status history: until the
    status after Running (Finalizing or CancelRequested; a pool slot is freed before Finalizing)."""
    out = []
    for trial in trials_of(client, name):
        history = json.loads((job_dir(client.root, trial) / "status.json").read_text())["history"]
        stamps = [(status, datetime.fromisoformat(stamp).timestamp()) for status, stamp in history]
        for i, (status, since) in enumerate(stamps):
            if status == "Running":
                out.append((since, stamps[i + 1][1]))
    return out


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = current = 0
    for _, delta in events:
        current += delta
        best = max(best, current)
    return best


def test_limits_total_and_concurrency_from_running_intervals(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --sleep 0.3",
                      {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
                      {"max_total_trials": 5, "max_concurrent_trials": 2},
                      sampling={"type": "random", "seed": 11})
    job, trials = run_sweep(client, spec)
    assert job.status == "Completed"
    assert sorted(trials) == [f"{job.name}_{i}" for i in range(5)]
    assert all(t.status == "Completed" for t in trials.values())
    intervals = running_intervals(client, job.name)
    assert len(intervals) == 5
    assert max_overlap(intervals) <= 2
    # The seeded sequence is the sampler's, in index order; each trial got its value in its command.
    expected = make_sampler(sweep_defaults(spec))
    for i in range(5):
        params = expected.next_params()
        trial = trials[f"{job.name}_{i}"]
        assert json.loads(trial.properties["hyperparameters"]) == params
        log = client.jobs.read_log(trial.name)[0]
        assert f"x {params['x']} env {params['x']}" in log
        share = max(1, (os.cpu_count() or 1) // 2)  # split up front among the 2 concurrent trials
        assert f"threads {share} {share}" in log
    # best_child_run_id: the largest x (score = 3x at the last step)
    best = max(trials.values(), key=lambda t: json.loads(t.properties["hyperparameters"])["x"])
    assert job.properties["best_child_run_id"] == best.name
    assert float(job.properties["score"]) == pytest.approx(3 * json.loads(best.properties["hyperparameters"])["x"])
    assert json.loads(job.properties["best_hyperparameters"]) == json.loads(best.properties["hyperparameters"])
    assert job.properties["trials_completed"] == "5"


def test_grid_runs_every_combination_once(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps ${{search_space.steps}}",
                      {"x": {"type": "choice", "values": [1, 2, 3]}, "steps": {"type": "choice", "values": [1, 2]}},
                      {"max_total_trials": 20, "max_concurrent_trials": 3}, sampling="grid")
    spec["trial"]["environment_variables"] = {"OMP_NUM_THREADS": "5"}  # the trial's own setting wins
    job, trials = run_sweep(client, spec)
    share = max(1, (os.cpu_count() or 1) // 3)
    assert all(f"threads 5 {share}" in client.jobs.read_log(t)[0] for t in trials)
    assert job.status == "Completed"
    combos = sorted((p["x"], p["steps"]) for p in
                    (json.loads(t.properties["hyperparameters"]) for t in trials.values()))
    assert combos == [(x, s) for x in (1, 2, 3) for s in (1, 2)]
    assert job.properties["space_size"] == "6"
    assert job.properties["best_child_run_id"] == trials[job.name + "_5"].name  # x=3, steps=2: 6
    assert float(job.properties["score"]) == 6.0


def test_failing_trial_does_not_stop_the_sweep(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --fail ${{search_space.fail}}",
                      {"x": {"type": "choice", "values": [1]}, "fail": {"type": "choice", "values": [1, 0, 1]}},
                      {"max_concurrent_trials": 3}, sampling="grid")
    job, trials = run_sweep(client, spec)
    assert job.status == "Completed"
    statuses = sorted(t.status for t in trials.values())
    assert statuses == ["Completed", "Failed", "Failed"]
    assert job.properties["best_child_run_id"] == f"{job.name}_1"
    assert job.properties["trials_failed"] == "2"


def test_sweep_fails_only_when_every_trial_fails(client):
    spec = sweep_spec("python train.py --fail 1 --x ${{search_space.x}}",
                      {"x": {"type": "choice", "values": [1, 2]}}, {}, sampling="grid")
    job, trials = run_sweep(client, spec)
    assert [t.status for t in trials.values()] == ["Failed", "Failed"]
    assert job.status == "Failed"
    assert "every trial failed" in job.properties["error"]
    assert "best_child_run_id" not in job.properties


def test_trial_timeout_cancels_the_trial(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 200 --sleep 0.1",
                      {"x": {"type": "choice", "values": [1, 2]}},
                      {"trial_timeout": 1, "max_concurrent_trials": 2}, sampling="grid")
    job, trials = run_sweep(client, spec)
    assert [t.status for t in trials.values()] == ["Canceled", "Canceled"]
    assert all("limits.timeout" in t.properties["error"] for t in trials.values())
    assert job.status == "Completed"  # nothing failed; no trial completed, so no best
    assert "best_child_run_id" not in job.properties


def test_sweep_timeout_cancels_running_trials_and_the_sweep(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 600 --sleep 0.1",
                      {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
                      {"timeout": 2, "max_total_trials": 10, "max_concurrent_trials": 2})
    job, trials = run_sweep(client, spec)
    assert job.status == "Canceled"
    assert "limits.timeout" in job.properties["error"]
    assert len(trials) == 2  # nothing sampled after the first two, which never ended by themselves
    assert all(t.status == "Canceled" for t in trials.values())


def test_cancel_stops_running_trials(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 600 --sleep 0.1",
                      {"x": {"type": "choice", "values": [1, 2, 3]}}, {"max_concurrent_trials": 2}, sampling="grid")
    name = submit_sweep(client.root, spec, base_path=Path.cwd())
    poll(lambda: sum(t.status == "Running" for t in trials_of(client, name).values()) == 2)
    pids = [json.loads((job_dir(client.root, t) / "status.json").read_text()).get("child_pid")
            for t in trials_of(client, name)]
    client.jobs.cancel(name)
    job = client.jobs.get(name)
    assert job.status == "Canceled"
    trials = trials_of(client, name)
    assert len(trials) == 2 and all(t.status == "Canceled" for t in trials.values())
    assert not any(process_alive(pid, None) for pid in pids if pid)


def test_bayesian_sampler_is_told_each_result(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 2",
                      {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
                      {"max_total_trials": 3, "max_concurrent_trials": 1},
                      sampling="bayesian")  # the schema has no bayesian seed: one is drawn
    job, trials = run_sweep(client, spec, timeout=180)
    assert job.status == "Completed"
    told = state_of(client, job.name)["sampler"]["trials"]
    assert len(told) == 3
    for i, record in enumerate(told):
        x = json.loads(trials[f"{job.name}_{i}"].properties["hyperparameters"])["x"]
        assert record["params"] == {"x": x}
        assert record["state"] == "completed"
        assert record["value"] == pytest.approx(2 * x)  # the trial's best value: x * 2 at step 2


def test_sweep_survives_the_submitting_process(client, tmp_path):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --sleep 0.2",
                      {"x": {"type": "choice", "values": [1, 2, 3]}}, {"max_concurrent_trials": 1}, sampling="grid")
    code = textwrap.dedent(f"""
        import json, sys
        from amlmagic.local.sweep.controller import submit_sweep
        print(submit_sweep({str(client.root)!r}, json.loads(sys.argv[1]), base_path={str(tmp_path)!r}))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    name = done.stdout.strip().splitlines()[-1]
    job = client.jobs.wait(name, timeout=120)  # the submitting process is long gone
    assert job.status == "Completed"
    assert sorted(t.status for t in trials_of(client, name).values()) == ["Completed"] * 3


def _controller_pid(client, name: str) -> int:
    return json.loads((job_dir(client.root, name) / "status.json").read_text())["pid"]


def test_a_controller_that_died_silently_is_restarted_and_the_sweep_completes(client):
    """Killed (or the machine restarted): reading the sweep's status starts a new controller,
    which adopts the trial that kept running and runs the rest."""
    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 10 --sleep 0.1",
                      {"x": {"type": "choice", "values": [1, 2, 3]}}, {"max_concurrent_trials": 1}, sampling="grid")
    name = submit_sweep(client.root, spec, base_path=Path.cwd())
    poll(lambda: trials_of(client, name))
    pid = _controller_pid(client, name)
    os.kill(pid, signal.SIGKILL)
    poll(lambda: not process_alive(pid, None))
    assert client.jobs.get(name).status == "Running"  # the read revived it
    revived = _controller_pid(client, name)
    assert revived != pid and process_alive(revived, None)
    job = client.jobs.wait(name, timeout=120)
    assert job.status == "Completed"
    assert {t.name: t.status for t in trials_of(client, name).values()} == {
        f"{name}_{i}": "Completed" for i in range(3)}
    assert json.loads((job_dir(client.root, name) / "status.json").read_text())["controller_restarts"] == 1


def test_a_controller_that_keeps_dying_ends_the_sweep_failed(client):
    from amlmagic.local.jobs.state import MAX_CONTROLLER_RESTARTS

    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 600 --sleep 0.1",
                      {"x": {"type": "choice", "values": [1]}}, {}, sampling="grid")
    name = submit_sweep(client.root, spec, base_path=Path.cwd())
    poll(lambda: trials_of(client, name))
    killed = []
    for _ in range(MAX_CONTROLLER_RESTARTS + 1):
        pid = poll(lambda: (p := _controller_pid(client, name)) not in killed and process_alive(p, None) and p)
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        poll(lambda pid=pid: not process_alive(pid, None))
        status = client.jobs.get(name).status
    assert status == "Failed"
    job = client.jobs.get(name)
    assert f"pid {killed[-1]}" in job.properties["error"]
    client.jobs.cancel(f"{name}_0")  # the orphaned trial can still be canceled


def test_a_second_controller_for_the_same_sweep_exits(client):
    from amlmagic.local.sweep.controller import launch_controller

    spec = sweep_spec("python train.py --x ${{search_space.x}} --steps 20 --sleep 0.1",
                      {"x": {"type": "choice", "values": [1, 2]}}, {"max_concurrent_trials": 1}, sampling="grid")
    name = submit_sweep(client.root, spec, base_path=Path.cwd())
    poll(lambda: trials_of(client, name))
    first = _controller_pid(client, name)
    second = launch_controller(job_dir(client.root, name))
    poll(lambda: not process_alive(second, None))  # it found the lock taken and left
    assert _controller_pid(client, name) == first and process_alive(first, None)
    job = client.jobs.wait(name, timeout=120)
    assert job.status == "Completed" and sorted(trials_of(client, name)) == [f"{name}_0", f"{name}_1"]


def test_restarted_controller_continues_the_sequence(client):
    spec = sweep_spec("python train.py --x ${{search_space.x}} --sleep 0.3",
                      {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
                      {"max_total_trials": 5, "max_concurrent_trials": 2})  # no seed: one is drawn and kept
    name = submit_sweep(client.root, spec, base_path=Path.cwd())
    folder = job_dir(client.root, name)
    poll(lambda: len(state_of(client, name)["trials"]) >= 2)
    pid = json.loads((folder / "status.json").read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    poll(lambda: not process_alive(pid, None))
    resume_sweep(client.root, name)  # before anyone reads the dead controller's status
    job = client.jobs.wait(name, timeout=120)
    assert job.status == "Completed"
    trials = trials_of(client, name)
    assert sorted(trials) == [f"{name}_{i}" for i in range(5)]
    seed = state_of(client, name)["sampler"]["seed"]
    expected = make_sampler(sweep_defaults({**spec, "sampling_algorithm": {"type": "random", "seed": seed}}))
    for i in range(5):
        assert json.loads(trials[f"{name}_{i}"].properties["hyperparameters"]) == expected.next_params()
    assert max_overlap(running_intervals(client, name)) <= 2


def test_submit_checks_the_trial_before_writing(client):
    bad_input = sweep_spec("python train.py --x ${{search_space.x}} --d ${{inputs.data}}",
                           {"x": {"type": "choice", "values": [1]}}, {}, sampling="grid",
                           inputs={"data": {"type": "uri_folder", "path": "./missing"}})
    with pytest.raises(NotFoundError, match="inputs.data"):
        submit_sweep(client.root, bad_input, base_path=Path.cwd())
    undefined = sweep_spec("python train.py --x ${{search_space.y}}", {"x": {"type": "choice", "values": [1]}}, {})
    with pytest.raises(ValidationError, match="search_space.y"):
        submit_sweep(client.root, undefined, base_path=Path.cwd())
    jobs = client.root / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())  # nothing was written


def test_compute_pool_bounds_concurrency_below_max_concurrent_trials(client):
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(AmlCompute(name="one-node", max_instances=1)).result()
    spec = sweep_spec("python train.py --x ${{search_space.x}} --sleep 0.2",
                      {"x": {"type": "choice", "values": [1, 2, 3]}}, {"max_concurrent_trials": 3},
                      sampling="grid", compute="azureml:one-node")
    job, trials = run_sweep(client, spec)
    assert job.status == "Completed" and len(trials) == 3
    assert max_overlap(running_intervals(client, job.name)) == 1
    assert all(t.properties["compute"] == "one-node" for t in trials.values())


@pytest.mark.parametrize("launch_state", ["NotStarted", "Starting"])
def test_restart_launches_a_trial_created_but_never_started(client, launch_state):
    """A controller that died between creating trial 0's folder and starting its runner
    (NotStarted), or after marking it Starting but before the runner process existed."""
    from amlmagic.local.jobs.plan import submit_plan
    from amlmagic.local.jobs.state import raw_status, update_status
    from amlmagic.local.sweep.trials import sweep_env, trial_meta, trial_spec

    spec = sweep_spec("python train.py --x ${{search_space.x}}",
                      {"x": {"type": "choice", "values": [1, 2]}}, {"max_concurrent_trials": 1}, sampling="grid")
    name = submit_sweep(client.root, spec, base_path=Path.cwd(), start=False)
    folder = job_dir(client.root, name)
    sampler = make_sampler(sweep_defaults(spec))
    params = sampler.next_params()
    state = state_of(client, name)
    state["sampler"] = sampler.state()
    state["trials"] = [{"index": 0, "name": f"{name}_0", "params": params, "status": None, "score": None,
                        "terminated": None, "error": None, "submitted": False}]
    (folder / STATE_FILE).write_text(json.dumps(state))
    submit_plan(client.root, trial_spec(json.loads((folder / "record.json").read_text())["spec"], folder / "code"),
                name=f"{name}_0", base_path=Path.cwd(), parent_job_name=name, extra_env=sweep_env(params),
                search_space=params, meta=trial_meta(0, params), start=False)
    update_status(job_dir(client.root, f"{name}_0"), launch_state)
    assert raw_status(job_dir(client.root, f"{name}_0"))["status"] == launch_state
    resume_sweep(client.root, name)
    job = client.jobs.wait(name, timeout=120)
    assert job.status == "Completed"
    assert {t.name: t.status for t in client.jobs.list(parent_job_name=name)} == {
        f"{name}_0": "Completed", f"{name}_1": "Completed"}
