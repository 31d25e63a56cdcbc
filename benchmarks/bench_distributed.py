"""Distributed (PyTorch DDP, gloo) jobs on this machine, each against a baseline measured in the
same run:

1. job start (submit) to the first training step: a DDP job of 2 processes (distribution:
   pytorch, process_count_per_instance: 2) against the same script run as one process
   (process_count_per_instance: 1, a world of one: the same imports, process group and DDP
   wrapper) (goal: at most 1.5 s more); the same 2 processes under `torchrun` shown beside;
2. all-reduce of a 10 MB float32 tensor, per call: the 2-process job against the same script
   launched by `torchrun --nproc_per_node 2` (goal: within 2x);
3. where Open MPI is installed: a `type: mpi` job of 2 processes, job start to rank 0's first
   line, launched by `mpirun` against the own launcher (AMLMAGIC_MPI_LAUNCHER=own) (no goal:
   what mpirun's launch costs).

    python benchmarks/bench_distributed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Prints the wall-clock time of its first finished DDP training step (epoch seconds).
FIRST_STEP = """\
import time
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(64, 32), torch.randn(64, 1)
opt.zero_grad()
((model(x) - y) ** 2).mean().backward()
opt.step()
if dist.get_rank() == 0:
    print("FIRST_STEP", time.time(), flush=True)
last_rank = dist.get_rank()
dist.barrier()  # every rank done with gloo before any tears it down
dist.destroy_process_group()
if last_rank == 0:
    time.sleep(0.3)  # rank 0 hosts the store: it leaves last (a store client whose server went first can abort at exit)
"""

# Times all-reduces of a 10 MB tensor after a warm-up; rank 0 prints the median per call.
ALL_REDUCE = """\
import statistics, time
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
tensor = torch.ones(10 * 1024 * 1024 // 4)
for _ in range(3):
    dist.all_reduce(tensor)
times = []
for _ in range(20):
    t = time.perf_counter()
    dist.all_reduce(tensor)
    times.append(time.perf_counter() - t)
if dist.get_rank() == 0:
    print("ALL_REDUCE_MS", statistics.median(times) * 1000, flush=True)
last_rank = dist.get_rank()
dist.barrier()  # every rank done with gloo before any tears it down
dist.destroy_process_group()
if last_rank == 0:
    time.sleep(0.3)  # rank 0 hosts the store: it leaves last (a store client whose server went first can abort at exit)
"""

ENVIRONMENT = "azureml:AzureML-sklearn-1.5@latest"

FIRST_LINE = """\
import os, time
if os.environ["OMPI_COMM_WORLD_RANK"] == "0":
    print("FIRST_LINE", time.time(), flush=True)
"""


def job_value(client, job, key: str, started: list | None = None) -> tuple[float, float]:
    """(submit time, the number the job's rank 0 printed after `key`); appends to `started` the
    seconds from submit to Running (the engine's part: its processes start right after)."""
    from datetime import datetime

    t = time.time()
    name = client.jobs.create_or_update(job).name
    done = client.jobs.wait(name, timeout=600)
    assert done.status == "Completed", done.error
    if started is not None:
        started.append(datetime.fromisoformat(done.properties["StartTimeUtc"]).timestamp() - t)
    text = client.jobs.read_log(name)[0]
    return t, float(text.split(key)[1].split()[0])


def bench_first_step(client, code: Path, runs: int) -> None:
    from azure.ai.ml import command

    single, ddp, torchrun = [], [], []
    engine: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(runs):  # interleaved, so machine noise hits all alike
        for processes, times in ((1, single), (2, ddp)):
            job = command(command="python first_step.py", code=str(code), environment=ENVIRONMENT,
                          distribution={"type": "pytorch", "process_count_per_instance": processes})
            start, first = job_value(client, job, "FIRST_STEP", engine[processes])
            times.append(first - start)
        start = time.time()
        torchrun.append(float(run_torchrun(code / "first_step.py").split("FIRST_STEP")[1].split()[0]) - start)
    s, d, t = statistics.median(single), statistics.median(ddp), statistics.median(torchrun)
    print(f"job start to first step: one process {s:.2f} s, DDP 2 processes {d:.2f} s (median of {runs}): "
          f"+{d - s:.2f} s (goal <= +1.5 s), ratio {d / s:.2f}x; the same 2 processes under torchrun "
          f"{t:.2f} s (job/torchrun {d / t:.2f}x)")
    e1, e2 = statistics.median(engine[1]), statistics.median(engine[2])
    print(f"  of which submit to Running (the engine; the processes start next): one process {e1:.2f} s, "
          f"2 processes {e2:.2f} s (+{e2 - e1:.2f} s)")


def run_torchrun(script: Path) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)],
        capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"torchrun failed with code {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def bench_all_reduce(client, code: Path, runs: int) -> None:
    from azure.ai.ml import command

    local, torchrun = [], []
    for _ in range(runs):
        job = command(command="python all_reduce.py", code=str(code), environment=ENVIRONMENT,
                      distribution={"type": "pytorch", "process_count_per_instance": 2})
        local.append(job_value(client, job, "ALL_REDUCE_MS")[1])
        out = run_torchrun(code / "all_reduce.py")
        torchrun.append(float(out.split("ALL_REDUCE_MS")[1].split()[0]))
    lo, tr = statistics.median(local), statistics.median(torchrun)
    print(f"all_reduce 10 MB: job {lo:.1f} ms, torchrun {tr:.1f} ms (median of {runs}): "
          f"ratio {lo / tr:.2f}x (goal <= 2x)")


def bench_mpi_launch(client, code: Path, runs: int) -> None:
    from azure.ai.ml import command

    from amlmagic.local.jobs.mpi import FORCE_VARIABLE, choose_launcher

    if choose_launcher({"type": "mpi"}, os.environ).kind != "mpirun":
        print("type: mpi launch: skipped (Open MPI's mpirun is not installed)")
        return
    times: dict[str, list[float]] = {"own": [], "mpirun": []}
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        for launcher, seconds in times.items():
            job = command(command="python first_line.py", code=str(code), environment=ENVIRONMENT,
                          environment_variables={FORCE_VARIABLE: launcher},
                          distribution={"type": "mpi", "process_count_per_instance": 2})
            start, first = job_value(client, job, "FIRST_LINE")
            seconds.append(first - start)
    own, mpirun = statistics.median(times["own"]), statistics.median(times["mpirun"])
    print(f"type: mpi, 2 processes, job start to rank 0's first line: own launcher {own:.2f} s, mpirun "
          f"{mpirun:.2f} s (median of {runs}): +{mpirun - own:.2f} s for mpirun")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="CI: one run of each")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    from amlmagic.local.client import LocalMLClient

    with tempfile.TemporaryDirectory(prefix="amlmagic-bench-dist-") as tmp:
        folder = Path(tmp)
        code = folder / "src"
        code.mkdir()
        (code / "first_step.py").write_text(FIRST_STEP)
        (code / "all_reduce.py").write_text(ALL_REDUCE)
        (code / "first_line.py").write_text(FIRST_LINE)
        os.chdir(folder)
        client = LocalMLClient(folder / ".amlmagic")
        bench_first_step(client, code, args.runs)
        bench_all_reduce(client, code, args.runs)
        bench_mpi_launch(client, code, args.runs)


if __name__ == "__main__":
    main()
