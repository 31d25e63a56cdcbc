"""Local batch endpoints (issue 15), each against a baseline measured in the same run:

1. overhead: scoring many small files with a trivial `run()` as a batch job (concurrency 1)
   against a plain Python loop calling the same `init()`/`run()` over the same mini-batches in
   one process and writing the same rows. Two input sizes separate the fixed cost (invoke to the
   first mini-batch and the end: goal <= 1 s more) from the cost per mini-batch (goal <= 2 ms more);
2. a CPU-bound `run()` at max_concurrency_per_instance 2 against 1 (goal >= 1.6x the throughput,
   on 2 cores);
3. memory: the driver's peak RSS with 10x the files (goal: flat, ratio ~1).

    python benchmarks/bench_batch.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TRIVIAL = """\
import os

def init():
    pass

def run(mini_batch):
    return [os.path.basename(p) for p in mini_batch]
"""

CPU_BOUND = """\
import os

def init():
    pass

def run(mini_batch):
    total = 0
    for i in range(int(os.environ["WORK"])):
        total += i * i % 7
    return [f"{os.path.basename(p)} {total} {os.getpid()}" for p in mini_batch]
"""

# The machine's own ceiling: the same work in two plain processes at once against one after the
# other (a shared or throttled host gives less than 2x whatever the engine does).
BURN = "total = 0\nfor i in range({work}):\n    total += i * i % 7\n"


def make_files(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        fd = os.open(folder / f"{i:06d}.txt", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"1")
        os.close(fd)
    return folder


def deploy(client, root: Path, name: str, script: str, concurrency: int, env: dict | None = None) -> None:
    from azure.ai.ml.entities import BatchEndpoint
    from azure.ai.ml.entities._load_functions import load_model_batch_deployment

    (root / name / "src").mkdir(parents=True)
    (root / name / "src" / "score.py").write_text(script)
    (root / name / "model").mkdir()
    (root / name / "model" / "m.txt").write_text("1")
    env_lines = "".join(f"    {k}: '{v}'\n" for k, v in (env or {}).items())
    (root / name / "dep.yml").write_text(textwrap.dedent(f"""\
        name: {name}
        endpoint_name: bench
        type: model
        model: {{name: m, path: model}}
        code_configuration: {{code: src, scoring_script: score.py}}
        compute: local
        settings:
          mini_batch_size: 10
          max_concurrency_per_instance: {concurrency}
          retry_settings: {{timeout: 600}}
        """) + (f"  environment_variables:\n{env_lines}" if env_lines else ""))
    try:
        client.batch_endpoints.get("bench")
    except Exception:
        client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="bench")).result()
    client.batch_deployments.begin_create_or_update(load_model_batch_deployment(str(root / name / "dep.yml"))).result()


def invoke_and_wait(client, deployment: str, data: Path, sample_rss: bool = False) -> tuple[float, dict, int, int]:
    """(seconds from invoke to Completed, the progress counters, the driver's peak RSS in kB,
    how many worker processes answered: the last field of each row)."""
    from azure.ai.ml import Input

    from amlmagic.local.jobs.state import raw_status
    from amlmagic.rules.batch import PROGRESS_LOG, parse_progress

    start = time.perf_counter()
    job = client.batch_endpoints.invoke("bench", deployment_name=deployment, input=Input(type="uri_folder", path=str(data)))
    folder = client.jobs.local_dir(job.name)
    peak = 0
    while True:
        status = raw_status(folder)
        if status["status"] in ("Completed", "Failed", "Canceled"):
            break
        if sample_rss and status.get("pid"):
            try:
                text = Path(f"/proc/{status['pid']}/status").read_text()
                peak = max(peak, int(text.split("VmHWM:")[1].split()[0]))
            except (OSError, IndexError):
                pass
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    if status["status"] != "Completed":
        raise SystemExit(f"job {job.name} {status['status']}: {status.get('error')}")
    plan = json.loads((folder / "plan.json").read_text())
    with open(plan["output"]["file"]) as rows:
        workers = len({line.rsplit(" ", 1)[-1] for line in rows})
    return elapsed, vars(parse_progress(client.jobs.read_log(job.name, log=PROGRESS_LOG)[0])), peak, workers


def plain_loop(script: Path, data: Path, out: Path) -> float:
    """The baseline: the same init()/run() over the same mini-batches, in this process."""
    from amlmagic.local.batch.inputs import mini_batches
    from amlmagic.local.batch.output import format_rows

    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location("baseline_score", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.init()
    with open(out, "w") as f:
        for _, files in mini_batches(data, 10):
            f.write(format_rows(module.run(files)))
    return time.perf_counter() - start


def overhead(client, root: Path, small: int, large: int) -> None:
    deploy(client, root, "trivial", TRIVIAL, 1)
    results = {}
    for count in (small, large):
        data = make_files(root / f"data-{count}", count)
        loop = min(plain_loop(root / "trivial" / "src" / "score.py", data, root / f"loop-{count}.txt") for _ in range(2))
        local = min(invoke_and_wait(client, "trivial", data)[0] for _ in range(2))
        results[count] = (loop, local)
        print(f"{count} files, {count // 10} mini-batches: plain loop {loop:.3f} s, batch job {local:.3f} s "
              f"(ratio {local / loop:.1f}x)")
    (l_s, j_s), (l_l, j_l) = results[small], results[large]
    per_batch = ((j_l - l_l) - (j_s - l_s)) / ((large - small) / 10)
    fixed = (j_s - l_s) - per_batch * small / 10
    print(f"fixed cost (invoke to start and end): {fixed:.3f} s more than the loop (goal <= 1 s): "
          f"{'met' if fixed <= 1 else 'NOT met'}")
    print(f"per mini-batch: {per_batch * 1000:.2f} ms more than the loop (goal <= 2 ms): "
          f"{'met' if per_batch <= 0.002 else 'NOT met'}")


def machine_ceiling(work: int) -> float:
    """Throughput of two plain processes at once over one after the other."""
    code = BURN.format(work=work)

    def wall(parallel: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(parallel)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    one = min(wall(1) for _ in range(2))
    return 2 * one / min(wall(2) for _ in range(2))


def concurrency(client, root: Path, batches: int, work: int) -> None:
    data = make_files(root / "cpu-data", batches * 10)
    rates, served = {}, {}
    for workers in (1, 2):
        deploy(client, root, f"cpu{workers}", CPU_BOUND, workers, {"WORK": work})
        runs = [invoke_and_wait(client, f"cpu{workers}", data) for _ in range(2)]
        rates[workers] = max(r[1]["items_scored"] / r[1]["elapsed_seconds"] for r in runs)
        served[workers] = runs[-1][3]
    ratio = rates[2] / rates[1]
    ceiling = machine_ceiling(work * 4)
    print(f"CPU-bound run(), {batches} mini-batches on {os.cpu_count()} cores: concurrency 1 {rates[1]:.1f} items/s, "
          f"concurrency 2 {rates[2]:.1f} items/s ({served[2]} workers served mini-batches): ratio {ratio:.2f}x "
          f"(goal >= 1.6x): {'met' if ratio >= 1.6 else 'NOT met'}")
    print(f"this machine's ceiling: two plain processes at once {ceiling:.2f}x one after the other; the engine "
          f"reaches {ratio / ceiling:.0%} of it")


def memory(client, root: Path, small: int, large: int) -> None:
    peaks = {}
    for count in (small, large):
        data = make_files(root / f"mem-{count}", count)
        peaks[count] = invoke_and_wait(client, "trivial", data, sample_rss=True)[2]
    ratio = peaks[large] / max(1, peaks[small])
    print(f"driver peak RSS: {small} files {peaks[small] / 1024:.1f} MB, {large} files {peaks[large] / 1024:.1f} MB: "
          f"ratio {ratio:.2f} (goal: flat, <= 1.2): {'met' if ratio <= 1.2 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI: smaller inputs, the same measurements")
    args = parser.parse_args()
    from amlmagic.local.client import LocalMLClient

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        client = LocalMLClient(root / ".amlmagic")
        if args.quick:
            overhead(client, root, 200, 2000)
            concurrency(client, root, 8, 600_000)
            memory(client, root, 2000, 20000)
        else:
            overhead(client, root, 1000, 10000)
            concurrency(client, root, 20, 2_000_000)
            memory(client, root, 10000, 100000)


if __name__ == "__main__":
    main()
