"""`type: mpi` jobs launched by Open MPI's `mpirun` where it is installed (jobs/mpi.py,
jobs/mpi_rank.py), and by the runner's own launcher where it is not: real mpirun, real ranks,
real MPI (mpi4py's allreduce) where mpi4py is installed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat

import pytest

from amlmagic.local.jobs.mpi import FORCE_VARIABLE, Launcher, choose_launcher, mpirun_argv, open_mpi_version, slots
from amlmagic.local.jobs.state import process_alive
from tests.local import test_jobs
from tests.local.test_jobs import poll, status_file, submit

client, cluster = test_jobs.client, test_jobs.cluster  # the job engine tests' fixtures

MPIRUN = shutil.which("mpirun")
needs_open_mpi = pytest.mark.skipif(
    MPIRUN is None or open_mpi_version(MPIRUN) is None,
    reason="Open MPI's mpirun is not installed here (apt-get install openmpi-bin libopenmpi-dev): "
           "the mpirun launch path cannot run")

# What the rank sees, as JSON: Open MPI's variables (PMIX_RANK only mpirun sets), Azure's, its session.
SHOW_RANK = """\
import json, os
keys = [k for k in os.environ if k.startswith(("OMPI_COMM_WORLD", "AZ_BATCH", "AZUREML_"))]
keys += ["PMIX_RANK", "OMP_NUM_THREADS", "RANK", "WORLD_SIZE"]
print(json.dumps({**{k: os.environ.get(k) for k in keys}, "sid": os.getsid(0), "pid": os.getpid()}), flush=True)
"""

MPI_2x2 = "distribution:\n  type: mpi\n  process_count_per_instance: 2\nresources:\n  instance_count: 2\n"


def seen_by_ranks(client, name: str) -> list[dict]:
    return [json.loads(client.jobs.read_log(name, log=log)[0].splitlines()[-1]) for log in client.jobs.log_names(name)]


def job_log(client, name: str) -> str:
    return (client.jobs.local_dir(name) / "user_logs" / "environment.txt").read_text()


def rank_pids(client, name: str) -> list[int]:
    records = (client.jobs.local_dir(name) / "mpirun_ranks.log").read_text().splitlines()
    return [json.loads(line)["pid"] for line in records if "pid" in json.loads(line)]


def everything_gone(pids: list[int]) -> None:
    for pid in pids:
        poll(lambda pid=pid: not process_alive(pid, None), timeout=15, what=f"process {pid} to end")


@needs_open_mpi
def test_mpirun_launches_the_ranks_with_azures_variables(client, cluster, tmp_path):
    job = submit(client, tmp_path, f"command: python show.py\ncode: ./src\ncompute: azureml:{cluster}\n" + MPI_2x2,
                 {"src/show.py": SHOW_RANK})
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Completed", done.error
    assert status_file(client, job.name)["launcher"] == "mpirun"
    assert "launcher: mpirun (Open MPI " in job_log(client, job.name)
    assert client.jobs.log_names(job.name) == [f"std_log_process_0{r}.txt" for r in range(4)]
    seen = seen_by_ranks(client, job.name)
    # mpirun's own world (PMIX_RANK is its runtime's), the simulated nodes' local ranks as the own launcher sets them
    assert [(s["OMPI_COMM_WORLD_RANK"], s["PMIX_RANK"], s["OMPI_COMM_WORLD_LOCAL_RANK"]) for s in seen] == [
        ("0", "0", "0"), ("1", "1", "1"), ("2", "2", "0"), ("3", "3", "1")]
    master = seen[0]["AZ_BATCH_MASTER_NODE"]
    for s in seen:
        assert s["OMPI_COMM_WORLD_SIZE"] == "4" and s["OMPI_COMM_WORLD_LOCAL_SIZE"] == "2"
        assert s["AZ_BATCH_MASTER_NODE"] == master and s["AZ_BATCHAI_MPI_MASTER_NODE"] == "127.0.0.1"
        assert s["AZUREML_PROCESS_NAME"] == f"rank_{s['OMPI_COMM_WORLD_RANK']}" and s["AZUREML_NODE_COUNT"] == "2"
        assert s["RANK"] is None and s["WORLD_SIZE"] is None  # PyTorch's variables are not MPI's
    # every rank's command is a session of its own (docs/distributed.md), bound to no core, threads split
    assert len({s["sid"] for s in seen}) == 4 and all(s["sid"] == s["pid"] for s in seen)
    assert {s["OMP_NUM_THREADS"] for s in seen} == {str(max(1, (os.cpu_count() or 1) // 4))}


ALLREDUCE = """\
import os
import mlflow
from mpi4py import MPI
world = MPI.COMM_WORLD
total = world.allreduce(world.Get_rank() + 1, op=MPI.SUM)
mlflow.log_metric("total", total, step=world.Get_rank())
on_node = world.Split_type(MPI.COMM_TYPE_SHARED).Get_size()
local = os.environ["OMPI_COMM_WORLD_LOCAL_RANK"]
print(f"rank {world.Get_rank()} of {world.Get_size()} sum {total} on_node {on_node} local {local}", flush=True)
"""


@needs_open_mpi
def test_a_real_mpi_allreduce_through_mpi4py(client, tmp_path):
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install mpi4py): no real MPI world to test")
    job = submit(client, tmp_path, "command: python allreduce.py\ncode: ./src\n" + MPI_2x2,
                 {"src/allreduce.py": ALLREDUCE})
    done = client.jobs.wait(job.name, timeout=180)
    assert done.status == "Completed", done.error
    lines = [client.jobs.read_log(job.name, log=log)[0].strip() for log in client.jobs.log_names(job.name)]
    # one MPI world on this one machine (shared memory spans it), the simulated nodes in the variables
    assert lines == [f"rank {r} of 4 sum 10 on_node 4 local {r % 2}" for r in range(4)]
    # every rank logged into the job's one run, through mpirun's environment
    assert sorted(step for step, _, _ in client.jobs.metrics_reader(job.name).read_new()["total"]) == [0, 1, 2, 3]


WRITE_INPUT = """\
import os, sys
from mpi4py import MPI
try:
    open(os.path.join(sys.argv[1], "written.txt"), "w").write("x")
    outcome = "written"
except OSError as exc:
    outcome = exc.strerror
print(MPI.COMM_WORLD.allreduce(1), outcome, flush=True)
"""


@needs_open_mpi
def test_inputs_stay_read_only_for_every_rank_under_mpirun(client, tmp_path):
    from amlmagic.local.jobs.readonly import namespaces_available

    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install mpi4py): no real MPI world to test")
    if not namespaces_available():
        pytest.skip("no mount namespaces here: inputs cannot be made read-only")
    (tmp_path / "data").mkdir()
    job = submit(client, tmp_path, "command: python write.py ${{inputs.d}}\ncode: ./src\n"
                 "inputs:\n  d: {type: uri_folder, path: ./data}\n"
                 "distribution:\n  type: mpi\n  process_count_per_instance: 2\n", {"src/write.py": WRITE_INPUT})
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Completed", done.error
    # each rank's command in its own mount namespace, one MPI world across them
    assert [client.jobs.read_log(job.name, log=n)[0] for n in client.jobs.log_names(job.name)] == [
        "2 Read-only file system\n"] * 2
    assert not (tmp_path / "data" / "written.txt").exists()


# Rank 1 fails once rank 0 has started a grandchild; rank 0 would otherwise run for minutes.
FAIL_ONE = """\
import os, subprocess, sys, time
rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
if rank == 0:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    print("started", os.getpid(), child.pid, flush=True)
    time.sleep(300)
while "started" not in open("../user_logs/std_log_process_00.txt").read():
    time.sleep(0.05)
print("rank 1 fails", flush=True)
sys.exit(3)
"""


@needs_open_mpi
def test_a_failing_rank_under_mpirun_fails_the_job_and_leaves_nothing(client, tmp_path):
    job = submit(client, tmp_path, "command: python fail.py\ncode: ./src\ndistribution:\n  type: mpi\n"
                 "  process_count_per_instance: 2\n", {"src/fail.py": FAIL_ONE})
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Failed" and done.properties["exit_code"] == "3", done.error
    assert "process 1 of 2 (user_logs/std_log_process_01.txt) exited with code 3" in done.error
    assert "rank 1 fails" in done.error
    state = status_file(client, job.name)
    assert state["launcher"] == "mpirun"
    _, rank0, grandchild = client.jobs.read_log(job.name)[0].split()[:3]
    everything_gone([*state["child_pids"], *rank_pids(client, job.name), int(rank0), int(grandchild)])
    master = json.loads((client.jobs.local_dir(job.name) / "mpirun_ranks.json").read_text())["ranks"][0]["env"]
    with socket.socket() as probe:  # the port the job's variables named is free
        probe.bind(("127.0.0.1", int(master["AZ_BATCH_MASTER_NODE"].split(":")[1])))


@needs_open_mpi
def test_mpirun_failing_by_itself_fails_the_job_with_its_output(client, tmp_path):
    job = submit(client, tmp_path, "command: echo never\nenvironment_variables:\n"
                 "  OMPI_MCA_rmaps_base_mapping_policy: bogus\n"  # mpirun refuses to place the ranks
                 "distribution:\n  type: mpi\n  process_count_per_instance: 2\n")
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Failed" and done.error.startswith("mpirun exited with code 1 before any rank failed")
    assert "Policy: bogus" in done.error
    assert client.jobs.read_log(job.name)[0] == ""


SLEEPER = "command: python -c \"import time; print('up', flush=True); time.sleep(300)\"\n"


@needs_open_mpi
def test_cancel_under_mpirun_stops_every_rank(client, tmp_path):
    job = submit(client, tmp_path, SLEEPER + "distribution:\n  type: mpi\n  process_count_per_instance: 3\n")
    poll(lambda: all("up" in client.jobs.read_log(job.name, log=n)[0] for n in client.jobs.log_names(job.name)))
    pids = [*status_file(client, job.name)["child_pids"], *rank_pids(client, job.name)]
    assert len(pids) == 4  # mpirun and its three ranks' commands
    client.jobs.cancel(job.name)
    assert client.jobs.wait(job.name, timeout=30).status == "Canceled"
    everything_gone(pids)


@needs_open_mpi
def test_a_timeout_under_mpirun_stops_every_rank(client, tmp_path):
    job = submit(client, tmp_path, SLEEPER + "limits:\n  timeout: 3\n"
                 "distribution:\n  type: mpi\n  process_count_per_instance: 2\n")
    poll(lambda: all("up" in client.jobs.read_log(job.name, log=n)[0] for n in client.jobs.log_names(job.name)))
    pids = [*status_file(client, job.name)["child_pids"], *rank_pids(client, job.name)]
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Canceled" and "limits.timeout (3 s)" in done.error
    everything_gone(pids)


@needs_open_mpi
def test_after_a_machine_restart_an_mpirun_job_is_failed(client, tmp_path):
    from amlmagic.local.osutil import descendants

    job = submit(client, tmp_path, SLEEPER + "distribution:\n  type: mpi\n  process_count_per_instance: 2\n")
    poll(lambda: all("up" in client.jobs.read_log(job.name, log=n)[0] for n in client.jobs.log_names(job.name)))
    runner = status_file(client, job.name)["pid"]
    for pid in [runner, *descendants(runner)]:  # everything dies at once, as in a power cut
        os.kill(pid, signal.SIGKILL)
    done = poll(lambda: (j := client.jobs.get(job.name)).status in ("Failed", "Completed") and j, timeout=10)
    assert done.status == "Failed" and "machine restarted" in done.error


def path_without_mpirun(folder) -> str:
    """The test process's PATH with every folder holding an `mpirun` replaced by a copy of its
    links, all but the MPI launchers'."""
    entries = []
    for index, entry in enumerate(os.environ["PATH"].split(os.pathsep)):
        if not os.path.exists(os.path.join(entry, "mpirun")):
            entries.append(entry)
            continue
        shadow = folder / f"path{index}"
        shadow.mkdir()
        for name in os.listdir(entry):
            if not name.startswith(("mpirun", "mpiexec", "orterun", "prterun")):
                (shadow / name).symlink_to(os.path.join(entry, name))
        entries.append(str(shadow))
    return os.pathsep.join(entries)


@pytest.mark.parametrize("how", ["no mpirun on PATH", f"{FORCE_VARIABLE}=own"])
def test_without_mpirun_the_own_launcher_starts_each_rank(client, tmp_path, monkeypatch, how):
    if how.startswith(FORCE_VARIABLE):
        monkeypatch.setenv(FORCE_VARIABLE, "own")
    else:
        monkeypatch.setenv("PATH", path_without_mpirun(tmp_path))
    job = submit(client, tmp_path / "job", "command: python show.py\ncode: ./src\n" + MPI_2x2,
                 {"src/show.py": SHOW_RANK})
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Completed", done.error
    state = status_file(client, job.name)
    assert state["launcher"] == "own" and len(state["child_pids"]) == 4
    assert "launcher: own (" in job_log(client, job.name)
    seen = seen_by_ranks(client, job.name)
    assert [(s["OMPI_COMM_WORLD_RANK"], s["OMPI_COMM_WORLD_LOCAL_RANK"], s["PMIX_RANK"]) for s in seen] == [
        ("0", "0", None), ("1", "1", None), ("2", "0", None), ("3", "1", None)]
    assert [s["sid"] for s in seen] == state["child_pids"]


# -- the rule and mpirun's command line ------------------------------------------------------

def test_only_open_mpis_mpirun_launches(tmp_path):
    hydra = tmp_path / "mpirun"  # an MPICH-style launcher answers --version differently
    hydra.write_text("#!/bin/sh\necho 'HYDRA build details:'\necho '    Version: 4.1'\n")
    hydra.chmod(hydra.stat().st_mode | stat.S_IXUSR)
    mpi = {"type": "mpi", "nodes": 1, "processes_per_node": 2}
    chosen = choose_launcher(mpi, {"PATH": str(tmp_path)})
    assert chosen.kind == "own" and "is not Open MPI's" in chosen.reason
    assert choose_launcher(mpi, {"PATH": str(tmp_path / "none")}).reason.startswith("no mpirun on PATH")
    assert choose_launcher({"type": "pytorch", "nodes": 1, "processes_per_node": 2}, os.environ).kind == "own"
    if MPIRUN and open_mpi_version(MPIRUN):
        assert choose_launcher(mpi, {"PATH": os.path.dirname(MPIRUN)}).kind == "mpirun"
        assert choose_launcher(mpi, {"PATH": os.path.dirname(MPIRUN), FORCE_VARIABLE: "own"}).kind == "own"


def test_mpirun_command_line():
    launcher = Launcher("mpirun", "test", "/usr/bin/mpirun")
    fits = mpirun_argv(launcher, slots(), ["prog"])
    assert fits[:5] == ["/usr/bin/mpirun", "-np", str(slots()), "--bind-to", "none"] and fits[-1] == "prog"
    assert "--oversubscribe" not in fits
    assert "--oversubscribe" in mpirun_argv(launcher, slots() + 1, ["prog"])
    assert ("--allow-run-as-root" in fits) == (os.geteuid() == 0)
