"""Distributed command jobs end to end: `distribution` + `resources.instance_count` submitted
through client.jobs, one real process per rank started by the detached runner; PyTorch DDP over
gloo compared with the same script under `torchrun`."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from amlmagic.errors import ValidationError
from amlmagic.local.jobs.state import process_alive
from tests.local import test_jobs
from tests.local.test_jobs import CURATED, log_of, poll, status_file, submit, write

client, cluster = test_jobs.client, test_jobs.cluster  # the job engine tests' fixtures

# Prints what the rank sees, as JSON, and its session.
SHOW_ENV = """\
import json, os
keys = [k for k in os.environ if k.startswith(("AZ_BATCH", "AZUREML_", "OMPI_COMM_WORLD", "TF_CONFIG"))]
keys += ["MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK", "NODE_RANK", "OMP_NUM_THREADS"]
print(json.dumps({**{k: os.environ.get(k) for k in keys}, "sid": os.getsid(0)}), flush=True)
"""

# Trains a small linear model with DDP over gloo and all-reduces a tensor; rank 0 writes the result.
DDP_SCRIPT = """\
import json, os, sys, time
import torch
import torch.distributed as dist

torch.set_num_threads(1)
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
model = torch.nn.Linear(8, 1)
ddp = torch.nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
data = torch.Generator().manual_seed(1)
x = torch.randn(64, 8, generator=data)
y = x @ torch.arange(1.0, 9.0).unsqueeze(1) + 0.5
shard = slice(rank * 64 // world, (rank + 1) * 64 // world)
for step in range(30):
    opt.zero_grad()
    loss = ((ddp(x[shard]) - y[shard]) ** 2).mean()
    loss.backward()
    opt.step()
total = torch.tensor([float(rank + 1)])
dist.all_reduce(total)
print(f"rank {rank}/{world} loss {loss.item():.6f} sum {total.item()}", flush=True)
if rank == 0:
    os.makedirs(sys.argv[1], exist_ok=True)
    with open(os.path.join(sys.argv[1], "result.json"), "w") as f:
        json.dump({"weight": model.weight.detach().tolist(), "bias": model.bias.item(),
                   "sum": total.item(), "world": world}, f)
dist.barrier()  # every rank done with gloo before any tears it down
dist.destroy_process_group()
if rank == 0:
    time.sleep(0.3)  # rank 0 hosts the store: it leaves last (a store client whose server went first can abort at exit)
"""

PYTORCH_2x2 = "distribution:\n  type: pytorch\n  process_count_per_instance: 2\nresources:\n  instance_count: 2\n"


def ranks(client, name: str) -> list[dict]:
    return [json.loads(client.jobs.read_log(name, log=log)[0].splitlines()[-1]) for log in client.jobs.log_names(name)]


def alive_in_group(pgid: int) -> bool:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and process_alive(int(entry.name), None):
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    return True
            except ProcessLookupError:
                pass
    return False


def test_ddp_job_trains_as_torchrun_does(client, tmp_path):
    job = submit(client, tmp_path, """\
        command: python ddp.py ./outputs
        code: ./src
        distribution:
          type: pytorch
          process_count_per_instance: 2
        """, {"src/ddp.py": DDP_SCRIPT})
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    torchrun = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(tmp_path / "src" / "ddp.py"), str(tmp_path / "torchrun-out")],
        capture_output=True, text=True, timeout=300, env=env)
    assert torchrun.returncode == 0, torchrun.stderr
    done = client.jobs.wait(job.name, timeout=300)
    assert done.status == "Completed", done.error
    local = json.loads((client.jobs.local_dir(job.name) / "artifacts" / "outputs" / "result.json").read_text())
    reference = json.loads((tmp_path / "torchrun-out" / "result.json").read_text())
    assert local["world"] == reference["world"] == 2 and local["sum"] == reference["sum"] == 3.0
    assert local["weight"][0] == pytest.approx(reference["weight"][0], rel=1e-6, abs=1e-7)
    assert local["bias"] == pytest.approx(reference["bias"], rel=1e-6, abs=1e-7)
    # per-rank logs named as on Azure; the stream follows rank 0
    assert client.jobs.log_names(job.name) == ["std_log_process_00.txt", "std_log_process_01.txt"]
    assert client.jobs.read_log(job.name, log="std_log_process_01.txt")[0].startswith("rank 1/2 ")
    assert client.jobs.read_log(job.name)[0].startswith("rank 0/2 ")
    out = io.StringIO()
    client.jobs.stream(job.name, out=out)
    assert "Streaming user_logs/std_log_process_00.txt\n" in out.getvalue()
    assert "rank 0/2 " in out.getvalue() and "rank 1/2 " not in out.getvalue()
    assert not (client.jobs.local_dir(job.name) / "user_logs" / "std_log.txt").exists()


def test_pytorch_variables_ranks_and_nodes(client, cluster, tmp_path):
    job = submit(client, tmp_path, f"command: python show.py\ncode: ./src\ncompute: azureml:{cluster}\n"
                 + PYTORCH_2x2, {"src/show.py": SHOW_ENV})
    assert client.jobs.wait(job.name, timeout=120).status == "Completed"
    seen = ranks(client, job.name)
    assert [(s["RANK"], s["LOCAL_RANK"], s["NODE_RANK"]) for s in seen] == [
        ("0", "0", "0"), ("1", "1", "0"), ("2", "0", "1"), ("3", "1", "1")]
    port = seen[0]["MASTER_PORT"]
    for s in seen:
        assert s["WORLD_SIZE"] == "4" and s["MASTER_ADDR"] == "127.0.0.1" and s["MASTER_PORT"] == port
        assert s["AZ_BATCH_MASTER_NODE"] == f"127.0.0.1:{port}" and s["AZUREML_NODE_COUNT"] == "2"
        assert s["AZUREML_CR_NODE_RANK"] == s["NODE_RANK"] and s["AZUREML_PROCESS_NAME"] == f"rank_{s['RANK']}"
        assert s["AZ_BATCH_HOST_LIST"] == "127.0.0.1,127.0.0.1"
    assert status_file(client, job.name)["master_port"] == int(port)
    # every rank is a session of its own (the kernel's CPU share of a separate program)
    sessions = {s["sid"] for s in seen}
    assert len(sessions) == 4 and sessions == set(status_file(client, job.name)["child_pids"])
    # four processes on this machine: the cores are split among them, at least one thread each
    assert {s["OMP_NUM_THREADS"] for s in seen} == {str(max(1, (os.cpu_count() or 1) // 4))}


def test_mpi_script_sees_its_ranks(client, cluster, tmp_path):
    job = submit(client, tmp_path, f"""\
        command: python show.py
        code: ./src
        compute: azureml:{cluster}
        distribution:
          type: mpi
          process_count_per_instance: 2
        resources:
          instance_count: 2
        """, {"src/show.py": SHOW_ENV})
    assert client.jobs.wait(job.name, timeout=120).status == "Completed"
    seen = ranks(client, job.name)
    assert [(s["OMPI_COMM_WORLD_RANK"], s["OMPI_COMM_WORLD_LOCAL_RANK"]) for s in seen] == [
        ("0", "0"), ("1", "1"), ("2", "0"), ("3", "1")]
    master = seen[0]["AZ_BATCH_MASTER_NODE"]
    for s in seen:
        assert s["OMPI_COMM_WORLD_SIZE"] == "4" and s["OMPI_COMM_WORLD_LOCAL_SIZE"] == "2"
        assert s["AZ_BATCH_MASTER_NODE"] == master and s["AZ_BATCHAI_MPI_MASTER_NODE"] == "127.0.0.1"
        assert s["RANK"] is None and s["WORLD_SIZE"] is None  # PyTorch's variables are not MPI's


def test_tensorflow_tf_config_per_task_and_logs(client, tmp_path):
    job = submit(client, tmp_path, """\
        command: python show.py
        code: ./src
        distribution:
          type: tensorflow
          worker_count: 2
          parameter_server_count: 1
        """, {"src/show.py": SHOW_ENV})
    assert client.jobs.wait(job.name, timeout=120).status == "Completed"
    logs = client.jobs.log_names(job.name)
    assert logs == ["std_log_node_00_worker.txt", "std_log_node_01_worker.txt", "std_log_node_00_ps.txt"]
    configs = [json.loads(s["TF_CONFIG"]) for s in ranks(client, job.name)]
    assert [c["task"] for c in configs] == [
        {"type": "worker", "index": 0}, {"type": "worker", "index": 1}, {"type": "ps", "index": 0}]
    cluster_spec = configs[0]["cluster"]
    assert all(c["cluster"] == cluster_spec and c["environment"] == "cloud" for c in configs)
    addresses = cluster_spec["worker"] + cluster_spec["ps"]
    assert len(cluster_spec["worker"]) == 2 and len(set(addresses)) == 3
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    # Azure's stream pattern matches the first parameter server's log, not a worker's
    assert client.jobs.stream_log_name(job.name) == "std_log_node_00_ps.txt"


# Rank 1 fails after rank 0 has started a grandchild; rank 0 would otherwise run for minutes.
FAIL_ONE = """\
import os, subprocess, sys, time
rank = int(os.environ["RANK"])
if rank == 0:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    print("started", os.getpid(), child.pid, flush=True)
    time.sleep(300)
while "started" not in open("../user_logs/std_log_process_00.txt").read():
    time.sleep(0.05)
print("rank 1 fails", flush=True)
sys.exit(3)
"""


def test_a_failing_rank_fails_the_job_and_stops_the_others(client, tmp_path):
    job = submit(client, tmp_path, "command: python fail.py\ncode: ./src\ndistribution:\n  type: pytorch\n"
                 "  process_count_per_instance: 2\n", {"src/fail.py": FAIL_ONE})
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Failed" and done.properties["exit_code"] == "3"
    assert "process 1 of 2 (user_logs/std_log_process_01.txt) exited with code 3" in done.error
    assert "rank 1 fails" in done.error
    state = status_file(client, job.name)
    _, rank0, grandchild = client.jobs.read_log(job.name)[0].split()[:3]
    for pid in [*state["child_pids"], int(rank0), int(grandchild)]:
        poll(lambda pid=pid: not process_alive(pid, None), timeout=10)
    assert not any(alive_in_group(g) for g in state["process_groups"])
    with socket.socket() as probe:  # the master port is free again
        probe.bind(("127.0.0.1", state["master_port"]))


def test_cancel_stops_every_rank(client, tmp_path):
    job = submit(client, tmp_path, "command: python -c \"import time; print('up', flush=True); time.sleep(300)\"\n"
                 "distribution:\n  type: pytorch\n  process_count_per_instance: 2\n")
    poll(lambda: all("up" in client.jobs.read_log(job.name, log=n)[0] for n in client.jobs.log_names(job.name)))
    pids = status_file(client, job.name)["child_pids"]
    assert len(pids) == 2
    client.jobs.cancel(job.name)
    assert client.jobs.get(job.name).status == "Canceled"
    for pid in pids:
        poll(lambda pid=pid: not process_alive(pid, None), timeout=10)


def test_after_a_machine_restart_the_job_is_failed(client, tmp_path):
    job = submit(client, tmp_path, "command: python -c \"import time; print('up', flush=True); time.sleep(300)\"\n"
                 "distribution:\n  type: pytorch\n  process_count_per_instance: 2\n")
    poll(lambda: "up" in log_of(client, job.name))
    state = status_file(client, job.name)
    for pid in [state["pid"], *state["child_pids"]]:  # everything dies at once, as in a power cut
        os.kill(pid, signal.SIGKILL)
    done = poll(lambda: (j := client.jobs.get(job.name)).status in ("Failed", "Completed") and j, timeout=10)
    assert done.status == "Failed" and "runner process" in done.error and "machine restarted" in done.error


@pytest.mark.parametrize("kind", ["pytorch", "mpi"])  # mpi: under mpirun where Open MPI is installed
def test_a_runner_killed_alone_leaves_no_process_behind(client, tmp_path, kind):
    """Killed (the OOM killer), not a restart: the job is Failed when read, and what the runner
    started (each rank, or mpirun with its ranks) is stopped then, so no port stays bound."""
    from amlmagic.local.osutil import descendants

    job = submit(client, tmp_path, "command: python -c \"import time; print('up', flush=True); time.sleep(300)\"\n"
                 f"distribution:\n  type: {kind}\n  process_count_per_instance: 2\n")
    poll(lambda: all("up" in client.jobs.read_log(job.name, log=n)[0] for n in client.jobs.log_names(job.name)))
    state = status_file(client, job.name)
    left = [pid for child in state["child_pids"] for pid in [child, *descendants(child)]]
    os.kill(state["pid"], signal.SIGKILL)
    done = poll(lambda: (j := client.jobs.get(job.name)).status == "Failed" and j, timeout=10)
    assert "runner process" in done.error
    for pid in left:
        poll(lambda pid=pid: not process_alive(pid, None), timeout=10)


def test_a_distributed_job_takes_a_slot_per_process(client, cluster, tmp_path):
    first = submit(client, tmp_path, f"command: python -c \"import time; print('up', flush=True); time.sleep(300)\"\n"
                   f"compute: azureml:{cluster}\ndistribution:\n  type: pytorch\n  process_count_per_instance: 2\n")
    poll(lambda: client.jobs.get(first.name).status == "Running")
    second = submit(client, tmp_path / "b", f"command: echo second\ncompute: azureml:{cluster}\n")
    poll(lambda: client.jobs.get(second.name).status == "Queued")
    client.jobs.cancel(first.name)
    assert client.jobs.wait(second.name, timeout=60).status == "Completed"


MLFLOW_RANKS = """\
import os, mlflow
rank = int(os.environ["RANK"])
with mlflow.start_run():
    for i in range(40):
        mlflow.log_param("lr", 0.01)              # every rank logs the same value
        mlflow.set_tag("stage", f"step-{i}")
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    mlflow.log_param(f"rank_{rank}", rank)
print("logged", flush=True)
"""


def test_every_rank_logs_into_the_jobs_run(client, tmp_path):
    from amlmagic.local.tracking import read_params

    job = submit(client, tmp_path, "command: python log.py\ncode: ./src\ndistribution:\n  type: pytorch\n"
                 "  process_count_per_instance: 3\n", {"src/log.py": MLFLOW_RANKS})
    done = client.jobs.wait(job.name, timeout=180)
    assert done.status == "Completed", done.error
    assert len(client.jobs.metrics_reader(job.name).read_new()["loss"]) == 3 * 40
    params = read_params(client.root, job.name)
    assert params == {"lr": "0.01", "rank_0": "0", "rank_1": "1", "rank_2": "2"}


# -- bad input: one line naming the field, nothing created -------------------------------------

@pytest.mark.parametrize("body, field", [
    ("distribution:\n  type: pytorch\n  process_count_per_instance: 0\n", "distribution.process_count_per_instance"),
    ("distribution:\n  type: mpi\n  process_count_per_instance: -1\n", "distribution.process_count_per_instance"),
    ("distribution:\n  type: tensorflow\n  worker_count: 0\n", "distribution.worker_count"),
    ("compute: azureml:cpu-cluster\nresources:\n  instance_count: 3\n", "resources.instance_count"),
])
def test_bad_distribution_names_the_field_and_starts_nothing(client, cluster, tmp_path, body, field):
    from azure.ai.ml import load_job

    write(tmp_path, {"job.yml": "command: echo\n" + body + CURATED})
    with pytest.raises(ValidationError) as info:
        client.jobs.create_or_update(load_job(tmp_path / "job.yml"))
    assert str(info.value).startswith(field + ":") and "\n" not in str(info.value)
    jobs = client.root / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())


def test_unknown_type_and_taken_master_port_start_nothing(client, tmp_path):
    from amlmagic.local.jobs.plan import submit_plan

    with pytest.raises(ValidationError, match=r"^distribution.type: 'horovod' is not a distribution type"):
        submit_plan(client.root, {"command": "echo", "distribution": {"type": "horovod"}}, base_path=tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ValidationError, match=rf"^environment_variables.MASTER_PORT: port {port} is in use"):
            submit_plan(client.root, {"command": "echo", "environment_variables": {"MASTER_PORT": port},
                                      "distribution": {"type": "pytorch"}}, base_path=tmp_path)
    jobs = client.root / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())


def test_instance_count_without_distribution_runs_once_and_says_so(client, tmp_path):
    job = submit(client, tmp_path, "command: echo once\nresources:\n  instance_count: 2\n")
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Completed" and log_of(client, job.name) == "once\n"
    assert "has no distribution: the command runs once" in done.properties["notices"]


def test_export_keeps_distribution_and_resources(tmp_path):
    from azure.ai.ml import load_job

    from amlmagic.spec.jobs import job_to_spec, spec_to_job

    text = textwrap.dedent("""\
        command: python train.py
        environment: azureml:AzureML-sklearn-1.5@latest
        distribution:
          type: tensorflow
          worker_count: 2
          parameter_server_count: 1
        resources:
          instance_count: 2
          shm_size: 2g
        """)
    write(tmp_path, {"job.yml": text})
    spec = job_to_spec(load_job(tmp_path / "job.yml"))
    assert spec["distribution"] == {"type": "tensorflow", "worker_count": 2, "parameter_server_count": 1}
    assert spec["resources"] == {"instance_count": 2, "shm_size": "2g"}
    assert job_to_spec(spec_to_job(spec, tmp_path)) == spec
    overridden = job_to_spec(load_job(tmp_path / "job.yml", params_override=[
        {"distribution": {"type": "pytorch", "process_count_per_instance": 4}}]))
    assert overridden["distribution"] == {"type": "pytorch", "process_count_per_instance": 4}


SWEEP_TRIAL = """\
import json, os, mlflow
rank = int(os.environ["RANK"])
mlflow.log_metric("score", float(os.environ["AZUREML_SWEEP_q"]) + rank, step=rank)
print(json.dumps({k: os.environ[k] for k in ("RANK", "WORLD_SIZE", "AZUREML_SWEEP_q", "OMP_NUM_THREADS")}), flush=True)
"""


def test_a_sweep_runs_distributed_trials(client, tmp_path):
    from azure.ai.ml import load_job

    write(tmp_path, {"src/trial.py": SWEEP_TRIAL, "sweep.yml": """\
        type: sweep
        trial:
          code: ./src
          command: python trial.py
          environment: azureml:AzureML-sklearn-1.5@latest
          distribution:
            type: pytorch
            process_count_per_instance: 2
        compute: local
        sampling_algorithm: grid
        search_space:
          q:
            type: choice
            values: [1, 2]
        objective:
          goal: maximize
          primary_metric: score
        limits:
          max_total_trials: 2
          max_concurrent_trials: 2
        """})
    sweep = client.jobs.create_or_update(load_job(tmp_path / "sweep.yml"))
    assert client.jobs.wait(sweep.name, timeout=180).status == "Completed"
    trials = client.jobs.list(parent_job_name=sweep.name)
    assert len(trials) == 2
    for trial in trials:
        assert trial.status == "Completed"
        seen = [json.loads(client.jobs.read_log(trial.name, log=n)[0]) for n in client.jobs.log_names(trial.name)]
        assert [(s["RANK"], s["WORLD_SIZE"]) for s in seen] == [("0", "2"), ("1", "2")]
        # two trials of two processes at once: the cores are split four ways
        assert {s["OMP_NUM_THREADS"] for s in seen} == {str(max(1, (os.cpu_count() or 1) // 4))}
        assert len(client.jobs.metrics_reader(trial.name).read_new()["score"]) == 2  # both ranks log into the trial's run


def test_a_distributed_trial_splits_its_threads_among_its_processes():
    from amlmagic.local.sweep.trials import trial_processes, trial_spec, trial_threads

    sweep = {"trial": {"command": "python t.py", "distribution": {"type": "pytorch", "process_count_per_instance": 2},
                       "resources": {"instance_count": 2}},
             "limits": {"max_total_trials": 8, "max_concurrent_trials": 2}}
    assert trial_processes(sweep) == 4
    assert trial_threads(sweep, None, cores=16)["OMP_NUM_THREADS"] == "2"  # 16 cores / (2 trials x 4 processes)
    assert trial_spec(sweep, None)["distribution"] == sweep["trial"]["distribution"]
    assert trial_spec({**sweep, "trial": {"command": "x"}, "resources": {"instance_count": 3}}, None)["resources"] == {
        "instance_count": 3}  # the sweep's resources when the trial has none


RANK_COMPONENT = """\
type: command
name: ranks
command: python -c "import os; print('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'])"
environment: azureml:AzureML-sklearn-1.5@latest
distribution:
  type: pytorch
  process_count_per_instance: 2
"""

DISTRIBUTED_PIPELINE = """\
type: pipeline
settings: {default_compute: azureml:local}
jobs:
  from_component:
    component: ./ranks.yml
  swept:
    type: sweep
    trial:
      command: python -c "import os, mlflow; mlflow.log_metric('score', ${{search_space.q}}); print('rank', os.environ['RANK'])"
      environment: azureml:AzureML-sklearn-1.5@latest
      distribution: {type: pytorch, process_count_per_instance: PROCESSES}
    sampling_algorithm: grid
    search_space:
      q: {type: choice, values: [1, 2]}
    objective: {goal: maximize, primary_metric: score}
    limits: {max_total_trials: 2}
"""


def test_a_pipeline_runs_a_components_distribution_and_a_distributed_sweep_trial(client, tmp_path):
    """The component's distribution applies unless the step overrides it (Azure: semantics-2
    3.1), and a sweep step's trial component may be distributed (issue 17, item 5)."""
    from azure.ai.ml import load_job

    write(tmp_path, {"ranks.yml": RANK_COMPONENT, "p.yml": DISTRIBUTED_PIPELINE.replace("PROCESSES", "2")})
    pipeline = client.jobs.create_or_update(load_job(tmp_path / "p.yml"))
    assert client.jobs.wait(pipeline.name, timeout=300).status == "Completed"
    steps = {s.display_name: s for s in client.jobs.list(parent_job_name=pipeline.name)}
    two = ["std_log_process_00.txt", "std_log_process_01.txt"]
    assert client.jobs.log_names(steps["from_component"].name) == two
    assert "rank 1 of 2" in client.jobs.read_log(steps["from_component"].name, log=two[1])[0]
    trials = client.jobs.list(parent_job_name=steps["swept"].name)
    assert len(trials) == 2 and all(client.jobs.log_names(t.name) == two for t in trials)


def test_a_pipeline_with_a_bad_distributed_trial_starts_nothing(client, tmp_path):
    from azure.ai.ml import load_job

    write(tmp_path, {"ranks.yml": RANK_COMPONENT, "p.yml": DISTRIBUTED_PIPELINE.replace("PROCESSES", "0")})
    with pytest.raises(ValidationError, match=r"^jobs.swept: distribution.process_count_per_instance: 0 is less"):
        client.jobs.create_or_update(load_job(tmp_path / "p.yml"))
    jobs = client.root / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())
