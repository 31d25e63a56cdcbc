"""Every benchmark runs as the README says (`python benchmarks/<name>.py`, a real subprocess from
the repository root, nothing on sys.path that only pytest sets up), in its `--quick` mode, and
prints its ratio lines. What the numbers are is the full runs' business, out of CI.

The runs go two at a time (the machine's cores; much of each is waiting on subprocesses), started
together by a module fixture; each test checks its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"

# What each quick run must print, in this order (one regular expression per line).
EXPECTED = {
    "bench_widgets": [
        r"^chart update, 1k points \(baseline\): median [\d.]+ ms$",
        r"^chart update, 10k points: .*\(ratio to baseline [\d.]+x;",
        r"^Chromium script time per update .*\(ratio [\d.]+x\)$",
        r"^log_metric -> tracking store, bare reader every 5 ms \(baseline\)",
        r"^log_metric -> JobMonitor state .*ratio to baseline p95 [\d.]+x\)$",
        r"^log_metric -> chart view in JupyterLab: .*ratio to the Python-side p95 [\d.]+x\)$",
    ],
    "bench_load_ext": [
        r"^import azure\.ai\.ml +median +[\d.]+ ms \(baseline\)$",
        r"^ratio [\d.]+ \(goal <= 0\.25\): (met|NOT met)$",
        r"^first %aml data list 3 s after %load_ext, background import: median +\d+ ms",
        r"^first %aml data list 3 s after %load_ext, import on demand: +median +\d+ ms \(baseline\)$",
        r"^ratio [\d.]+ \(background import / on demand\)$",
    ],
    "bench_mnist_training": [
        r"^baseline pytorch/examples CNN, 2 threads: [\d.]+ s/epoch \(from 10 steps\)$",
        r"^DigitNet width 16, 2 thread\(s\): [\d.]+ s/epoch, [\d.]+x faster than the baseline$",
        r"^DigitNet width 16, 1 thread\(s\): [\d.]+ s/epoch, [\d.]+x faster than the baseline$",
        r"^train\.py, 2 threads, 1 epoch on 512 synthetic digits: [\d.]+ s .*test accuracy [\d.]+$",
    ],
    "bench_serving": [
        r"^cold start to first 200: local [\d.]+s +azmlinfsrv [\d.]+s +ratio [\d.]+x faster",
        r"^ +1 \| .* \| +[\d.]+x$",
        r"^ +4 \| .* \| +[\d.]+x$",
        r"^ +16 \| .* \| +[\d.]+x$",
        r"^goal at concurrency 4 \(>= 1\.5x req/s, lower p99\): (met|NOT met)",
    ],
    "bench_sweep": [
        r"^1\. scheduler overhead per trial: -?[\d.]+ ms .* ratio -?[\d.]+$",
        r"^2\. 2 trials at concurrency 2: [\d.]+ s, ideal .* ratio [\d.]+$",
        r"^3\. bandit: \d+ of \d+ trial-intervals logged .*best the same: True",
    ],
    "bench_tracking": [
        r"^  MLflow stock file store +: [\d.]+ ms/call +\(cached is [\d.]+x faster\)$",
        r"^  baseline: (MLflow sqlite +: [\d.]+ ms/call +\(cached is [\d.]+x faster\)|plain file append)",
        r"^  goal <= 0\.5 ms/call: (OK|OVER GOAL)$",
        r"^  incremental read, 2 new pts: median [\d.]+ ms.*x under the goal\)$",
        r"^  goal <= 10\.0 ms/read: (OK|OVER GOAL)$",
    ],
    "bench_pipeline": [
        r"^5-step chain \(sleep [\d.]+ s each\): pipeline [\d.]+ s, shell [\d.]+ s: ratio [\d.]+ .*per step -?[\d.]+ s",
        r"^the same pipeline reused whole: [\d.]+ s from submit to Completed .*ratio to its first run [\d.]+$",
        r"^two independent CPU-bound steps: pipeline [\d.]+ s, sequential [\d.]+ s: ratio [\d.]+ ",
    ],
    "bench_distributed": [
        r"^job start to first step: one process [\d.]+ s, DDP 2 processes [\d.]+ s .*ratio [\d.]+x",
        r"^all_reduce 10 MB: job [\d.]+ ms, torchrun [\d.]+ ms .*ratio [\d.]+x \(goal <= 2x\)$",
    ],
    "bench_batch": [
        r"^200 files, 20 mini-batches: plain loop [\d.]+ s, batch job [\d.]+ s \(ratio [\d.]+x\)$",
        r"^fixed cost \(invoke to start and end\): -?[\d.]+ s more than the loop \(goal <= 1 s\): (met|NOT met)$",
        r"^per mini-batch: -?[\d.]+ ms more than the loop \(goal <= 2 ms\): (met|NOT met)$",
        r"^CPU-bound run\(\), 8 mini-batches .* ratio [\d.]+x \(goal >= 1\.6x\): (met|NOT met)$",
        r"^this machine's ceiling: two plain processes at once [\d.]+x",
        r"^driver peak RSS: 2000 files [\d.]+ MB, 20000 files [\d.]+ MB: ratio [\d.]+ ",
    ],
    "bench_jobs": [
        r"^hello world: direct \d+ ms, as a job \d+ ms .*ratio [\d.]+x$",
        r"^mlflow\.log_metric: in a job \d+ us/call, .*\(ratio [\d.]+x\)$",
        r"^incremental metrics read: \d+ us .*\(ratio [\d.]+x\)$",
    ],
}


def _skip_reason(name: str) -> str | None:
    if name == "bench_widgets":
        from tests.widgets.browser import skip_reason

        return skip_reason()
    return None


def _run(name: str) -> subprocess.CompletedProcess:
    # The README's command, from the repository root, with the caller's environment.
    return subprocess.run([sys.executable, f"benchmarks/{name}.py", "--quick"], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ))


@pytest.fixture(scope="module")
def quick_runs(request):
    selected = {item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_quick_run_exits_0_and_prints_its_ratios"}
    runnable = [name for name in EXPECTED if name in selected and _skip_reason(name) is None]
    pool = ThreadPoolExecutor(max_workers=2)  # EXPECTED lists the longest first
    futures = {name: pool.submit(_run, name) for name in runnable}
    yield futures
    pool.shutdown(wait=True)


def test_every_benchmark_has_a_quick_run():
    assert sorted(path.stem for path in BENCHMARKS.glob("bench_*.py")) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_quick_run_exits_0_and_prints_its_ratios(name, quick_runs):
    reason = _skip_reason(name)
    if reason:
        pytest.skip(reason)
    out = quick_runs[name].result()
    assert out.returncode == 0, f"{name} --quick exited {out.returncode}:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    lines = out.stdout.splitlines()
    position = 0
    for pattern in EXPECTED[name]:
        found = next((i for i in range(position, len(lines)) if re.search(pattern, lines[i])), None)
        assert found is not None, f"{name}: no line matching {pattern!r} after line {position}:\n{out.stdout}"
        position = found + 1
