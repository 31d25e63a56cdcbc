"""`%load_ext amlmagic` and the first command after it, each in fresh interpreters, same run.

    python benchmarks/bench_load_ext.py [--runs 5] [--quick]

1. `%load_ext amlmagic` against `import azure.ai.ml` (the baseline). Goal: loading the extension
   costs at most a quarter of importing azure-ai-ml (ratio <= 0.25). IPython itself is imported
   before the clock starts: a notebook kernel has it already.
2. The first entity-returning command, `%aml data list` on a workspace with one asset, issued
   3 s after `%load_ext` (a user typing), with azure-ai-ml imported in the background since the
   load (amlmagic/warm_up.py) against the same with the import done on demand
   (AMLMAGIC_WARM_UP=0, the baseline). Goal: it answers within 0.5 s.

--quick: one run of each, for CI (tests/benchmarks/test_quick.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 0.25
FIRST_COMMAND_GOAL_S = 0.5
THINK_S = 3.0

_LOAD_EXT = """
import time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t = time.perf_counter()
shell.run_line_magic("load_ext", "amlmagic")
print(time.perf_counter() - t)
"""

_IMPORT_AML = """
import time
t = time.perf_counter()
import azure.ai.ml
print(time.perf_counter() - t)
"""

_MAKE_ASSET = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext amlmagic")
assert shell.run_cell("%aml data create -n digits -p ./digits -t uri_folder").success
"""

# As in a notebook: the extension loads in one cell, the user types for THINK_S, runs the next.
_FIRST_COMMAND = """
import time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext amlmagic")
time.sleep({think})
t = time.perf_counter()
result = shell.run_cell("assets = %aml data list")
elapsed = time.perf_counter() - t
assert result.success and [a.name for a in shell.user_ns["assets"]] == ["digits"]
print(elapsed)
"""


def _env(warm_up: bool = True) -> dict:
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, AMLMAGIC_WARM_UP="1" if warm_up else "0")


def _time(code: str, cwd: Path | None = None, warm_up: bool = True) -> float:
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True,
                         cwd=cwd, env=_env(warm_up))
    if out.returncode != 0:
        raise SystemExit(f"benchmark subprocess failed:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def bench_load(runs: int) -> None:
    load, baseline = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        load.append(_time(_LOAD_EXT))
        baseline.append(_time(_IMPORT_AML))
    load_s, base_s = statistics.median(load), statistics.median(baseline)
    ratio = load_s / base_s
    print(f"%load_ext amlmagic   median {load_s * 1000:8.1f} ms over {runs} runs")
    print(f"import azure.ai.ml   median {base_s * 1000:8.1f} ms (baseline)")
    print(f"ratio {ratio:.3f} (goal <= {GOAL}): {'met' if ratio <= GOAL else 'NOT met'}")


def bench_first_command(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-load-ext-") as tmp:
        folder = Path(tmp)
        (folder / "digits").mkdir()
        (folder / "digits" / "train.csv").write_text("label\n1\n")
        subprocess.run([sys.executable, "-W", "ignore", "-c", _MAKE_ASSET], cwd=folder, env=_env(False),
                       check=True, capture_output=True)
        code = _FIRST_COMMAND.format(think=THINK_S)
        warm, cold = [], []
        for _ in range(runs):
            warm.append(_time(code, folder, warm_up=True))
            cold.append(_time(code, folder, warm_up=False))
    warm_s, cold_s = statistics.median(warm), statistics.median(cold)
    print(f"first %aml data list {THINK_S:.0f} s after %load_ext, background import: median {warm_s * 1000:7.0f} ms "
          f"over {runs} runs (goal <= {FIRST_COMMAND_GOAL_S * 1000:.0f} ms: "
          f"{'met' if warm_s <= FIRST_COMMAND_GOAL_S else 'NOT met'})")
    print(f"first %aml data list {THINK_S:.0f} s after %load_ext, import on demand:  median {cold_s * 1000:7.0f} ms "
          f"(baseline)")
    print(f"ratio {warm_s / cold_s:.3f} (background import / on demand)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one run of each (CI)")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    bench_load(runs)
    bench_first_command(runs)


if __name__ == "__main__":
    main()
