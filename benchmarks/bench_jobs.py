"""Local job engine costs, each against a baseline measured in the same run:

1. a hello-world job from submit to Completed (client.jobs.create_or_update + wait) against
   running the same `python hello.py` directly (goal: at most 0.5 s more);
2. one `mlflow.log_metric` inside a job against the same script on MLflow's stock file store
   outside the engine;
3. one incremental metrics read (MetricsReader.read_new after one new point) against reading
   every point again.

    python benchmarks/bench_jobs.py [--runs 7] [--quick]

--quick: one hello-world run, 200 log calls, 20 reads (CI).
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

LOG_SCRIPT = """\
import os, sys, time, mlflow
n = int(sys.argv[1])
if os.environ.get("MLFLOW_RUN_ID") is None:
    mlflow.start_run()
mlflow.log_metric("warmup", 0.0)
t = time.perf_counter()
for i in range(n):
    mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
print("PER_CALL_MS", (time.perf_counter() - t) * 1000 / n)
"""


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_hello(client, folder: Path, runs: int) -> None:
    from azure.ai.ml import command

    (folder / "src").mkdir()
    (folder / "src" / "hello.py").write_text("print('hello world')\n")
    direct, engine = [], []
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        t = time.perf_counter()
        subprocess.run([sys.executable, "hello.py"], cwd=folder / "src", check=True, capture_output=True)
        direct.append(time.perf_counter() - t)
        job = command(command="python hello.py", code=str(folder / "src"), environment="azureml:AzureML-sklearn-1.5@latest")
        t = time.perf_counter()
        name = client.jobs.create_or_update(job).name
        done = client.jobs.wait(name, timeout=120)
        engine.append(time.perf_counter() - t)
        assert done.status == "Completed", done.error
    d, e = median_ms(direct), median_ms(engine)
    print(f"hello world: direct {d:.0f} ms, as a job {e:.0f} ms (median of {runs}): "
          f"overhead {e - d:.0f} ms (goal <= 500 ms), ratio {e / d:.2f}x")


def bench_log_metric(client, folder: Path, n: int = 2000) -> None:
    from azure.ai.ml import command

    (folder / "log").mkdir()
    (folder / "log" / "log.py").write_text(LOG_SCRIPT)
    job = client.jobs.create_or_update(command(command=f"python log.py {n}", code=str(folder / "log"),
                                               environment="azureml:AzureML-sklearn-1.5@latest"))
    done = client.jobs.wait(job.name, timeout=300)
    assert done.status == "Completed", done.error
    in_job = float(client.jobs.read_log(job.name)[0].split("PER_CALL_MS")[1].split()[0])
    env = {**os.environ, "MLFLOW_TRACKING_URI": (folder / "stock").as_uri(), "MLFLOW_ALLOW_FILE_STORE": "true",
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    out = subprocess.run([sys.executable, "log.py", str(n)], cwd=folder / "log", env=env, check=True,
                         capture_output=True, text=True).stdout
    stock = float(out.split("PER_CALL_MS")[1].split()[0])
    print(f"mlflow.log_metric: in a job {in_job * 1000:.0f} us/call, stock file store outside {stock * 1000:.0f} us/call "
          f"(ratio {in_job / stock:.2f}x)")
    return job.name


def bench_metrics_read(client, name: str, repeats: int = 200) -> None:
    from amlmagic.local.tracking import MetricsReader, read_metrics
    from amlmagic.local.tracking.layout import find_run_dir

    metric_file = find_run_dir(client.root, name) / "metrics" / "loss"
    reader = MetricsReader(client.root, name)
    reader.read_new()
    incremental, full = [], []
    for i in range(repeats):
        with open(metric_file, "a") as f:
            f.write(f"{int(time.time() * 1000)} {i} {10_000 + i}\n")
        t = time.perf_counter()
        got = reader.read_new()
        incremental.append(time.perf_counter() - t)
        assert len(got["loss"]) == 1
        t = time.perf_counter()
        read_metrics(client.root, name)
        full.append(time.perf_counter() - t)
    i, f = median_ms(incremental) * 1000, median_ms(full) * 1000
    print(f"incremental metrics read: {i:.0f} us after one new point, full re-read {f:.0f} us (ratio {i / f:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    from amlmagic.local.client import LocalMLClient

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        client = LocalMLClient(folder / ".amlmagic")
        bench_hello(client, folder, 1 if args.quick else args.runs)
        name = bench_log_metric(client, folder, 200 if args.quick else 2000)
        bench_metrics_read(client, name, 20 if args.quick else 200)


if __name__ == "__main__":
    main()
