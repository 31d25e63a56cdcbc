"""Sweep controller benchmark: `python benchmarks/bench_sweep.py [--trials 8] [--concurrency 4] [--quick]`.

1. Scheduler overhead per trial (goal <= 50 ms): N trials run one at a time by the sweep
   controller, against the same N trials run back to back by a bare loop in this process
   (submit_plan, then wait for the status file at 5 ms polls). (sweep - loop) / N is what the
   controller adds per trial: noticing the end, sampling, saving its state, submitting.
   Also shown: the median gap from a trial's end to the next trial's submission.
2. Wall time of N short trials at concurrency c against the ideal ceil(N / c) x trial time
   (the trial time measured by the bare loop in the same run).
3. Trial-intervals saved by bandit on a sweep whose best result stays the same: the same grid
   sweep with and without early termination; every interval is one logged primary-metric value.

Trial scripts log their metric in MLflow's file-store format without importing mlflow (~5 s per
import on this machine would swamp what is measured).

--quick: 2 trials at concurrency 2, 0.2 s trials, a 4-trial bandit sweep of 6 short steps (CI).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amlmagic.local.jobs.plan import submit_plan  # noqa: E402
from amlmagic.local.jobs.state import job_dir, raw_status, read_status  # noqa: E402
from amlmagic.local.sweep.controller import STATE_FILE, submit_sweep  # noqa: E402
from amlmagic.local.tracking import read_metrics  # noqa: E402
from amlmagic.local.workspace import LocalWorkspace  # noqa: E402
from amlmagic.rules import TERMINAL_STATUSES  # noqa: E402

TRAIN = '''\
import argparse, os, time
from urllib.parse import urlparse
from urllib.request import url2pathname
p = argparse.ArgumentParser()
p.add_argument("--q", type=float, default=1.0)
p.add_argument("--steps", type=int, default=1)
p.add_argument("--sleep", type=float, default=0.0)
a = p.parse_args()
root = url2pathname(urlparse(os.environ["MLFLOW_TRACKING_URI"]).path)
path = os.path.join(root, os.environ["MLFLOW_EXPERIMENT_ID"], os.environ["MLFLOW_RUN_ID"], "metrics", "score")
for k in range(1, a.steps + 1):
    with open(path, "a") as f:
        f.write(f"{int(time.time() * 1000)} {a.q * k} {k}\\n")
    time.sleep(a.sleep)
'''


def wait_status(folder: Path, poll: float) -> dict:
    while True:
        status = read_status(folder)
        if status["status"] in TERMINAL_STATUSES:
            return status
        time.sleep(poll)


def stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def sweep_spec(command: str, space: dict, total: int, concurrency: int, policy: dict | None = None) -> dict:
    spec = {
        "type": "sweep", "trial": {"code": "./src", "command": command}, "compute": "local",
        "sampling_algorithm": "grid", "search_space": space,
        "objective": {"goal": "maximize", "primary_metric": "score"},
        "limits": {"max_total_trials": total, "max_concurrent_trials": concurrency},
    }
    if policy:
        spec["early_termination"] = policy
    return spec


def run_sweep(root: Path, base: Path, spec: dict) -> tuple[str, float]:
    start = time.perf_counter()
    name = submit_sweep(root, spec, base_path=base)
    wait_status(job_dir(root, name), 0.005)
    return name, time.perf_counter() - start


def bare_loop(root: Path, base: Path, n: int, command: str) -> float:
    spec = {"type": "command", "command": command, "code": "./src", "compute": "local"}
    start = time.perf_counter()
    for _ in range(n):
        name = submit_plan(root, spec, base_path=base)
        wait_status(job_dir(root, name), 0.005)
    return time.perf_counter() - start


def gaps_ms(root: Path, name: str) -> list[float]:
    """From each trial's end to the next trial's submission (concurrency 1)."""
    trials = json.loads((job_dir(root, name) / STATE_FILE).read_text())["trials"]
    out = []
    for prev, nxt in itertools.pairwise(trials):
        ended = stamp(raw_status(job_dir(root, prev["name"]))["end_time"])
        out.append((nxt["submitted_at"] - ended) * 1000)
    return out


def intervals_logged(root: Path, name: str) -> int:
    trials = json.loads((job_dir(root, name) / STATE_FILE).read_text())["trials"]
    return sum(len(read_metrics(root, t["name"]).get("score", [])) for t in trials)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    n, c = (2, 2) if args.quick else (args.trials, args.concurrency)
    trial_sleep = 0.2 if args.quick else 0.5
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "src").mkdir()
        (base / "src" / "train.py").write_text(TRAIN)
        root = LocalWorkspace(base / ".amlmagic").root
        short = f"python train.py --q 1 --steps 1 --sleep {trial_sleep}"

        # 1. overhead per trial
        bare_loop(root, base, 1, short)  # warm the file cache
        loop_s = bare_loop(root, base, n, short)
        name, sweep_s = run_sweep(root, base, sweep_spec(
            short + " --q ${{search_space.q}}", {"q": {"type": "choice", "values": list(range(n))}}, n, 1))
        per_trial_ms = (sweep_s - loop_s) / n * 1000
        trial_s = loop_s / n
        gaps = gaps_ms(root, name)
        print(f"1. scheduler overhead per trial: {per_trial_ms:.1f} ms "
              f"(sweep {sweep_s:.2f} s vs bare loop {loop_s:.2f} s for {n} trials of {trial_s * 1000:.0f} ms); "
              f"goal 50 ms -> ratio {per_trial_ms / 50:.2f}")
        print(f"   end-to-next-submit gap: median {statistics.median(gaps):.1f} ms, max {max(gaps):.1f} ms")

        # 2. N trials at concurrency c against ceil(N / c) x trial time
        _, wall = run_sweep(root, base, sweep_spec(
            short + " --q ${{search_space.q}}", {"q": {"type": "choice", "values": list(range(n))}}, n, c))
        ideal = math.ceil(n / c) * trial_s
        print(f"2. {n} trials at concurrency {c}: {wall:.2f} s, ideal {math.ceil(n / c)} x {trial_s:.2f} s = "
              f"{ideal:.2f} s -> ratio {wall / ideal:.2f}")

        # 3. bandit: intervals saved, same best
        qs = [10, 2, 8, 1] if args.quick else [10, 9, 3, 2, 8, 1, 5, 4]
        steps, step_sleep, delay = (6, 0.05, 2) if args.quick else (20, 0.1, 3)
        curve = f"python train.py --q ${{{{search_space.q}}}} --steps {steps} --sleep {step_sleep}"
        space = {"q": {"type": "choice", "values": qs}}
        plain, plain_s = run_sweep(root, base, sweep_spec(curve, space, len(qs), 2))
        bandit, bandit_s = run_sweep(root, base, sweep_spec(curve, space, len(qs), 2, {
            "type": "bandit", "slack_factor": 0.2, "evaluation_interval": 1, "delay_evaluation": delay}))
        props = {s: raw_status(job_dir(root, s))["properties"] for s in (plain, bandit)}
        same = all(props[plain][k] == props[bandit][k] for k in ("best_hyperparameters", "score"))
        full, cut = intervals_logged(root, plain), intervals_logged(root, bandit)
        print(f"3. bandit: {cut} of {full} trial-intervals logged ({1 - cut / full:.0%} saved), "
              f"{props[bandit]['trials_early_terminated']} trials stopped, wall {bandit_s:.1f} s vs {plain_s:.1f} s; "
              f"best the same: {same} ({props[bandit]['best_hyperparameters']}, score {props[bandit]['score']})")


if __name__ == "__main__":
    main()
