"""`%load_ext amlmagic` against `import azure.ai.ml`, each in fresh interpreters, same run.

    python benchmarks/bench_load_ext.py [--runs 5]

Goal: loading the extension costs at most a quarter of importing azure-ai-ml (ratio <= 0.25).
IPython itself is imported before the clock starts: a notebook kernel has it already.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

GOAL = 0.25

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


def _time(code: str) -> float:
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    load, baseline = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        load.append(_time(_LOAD_EXT))
        baseline.append(_time(_IMPORT_AML))
    load_s, base_s = statistics.median(load), statistics.median(baseline)
    ratio = load_s / base_s
    print(f"%load_ext amlmagic   median {load_s * 1000:8.1f} ms over {runs} runs")
    print(f"import azure.ai.ml   median {base_s * 1000:8.1f} ms (baseline)")
    print(f"ratio {ratio:.3f} (goal <= {GOAL}): {'met' if ratio <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
