"""`python -m amlmagic.run_notebook` prints the run's progress: each cell as it starts (the
heading before it, else its first line) and its time when it ends, and, while a cell waits on a
job or a sweep, their status changes, one line each; the kernel's TCP warning is not shown.
A small generated notebook on a real kernel (nbclient), running a tiny local job and sweep."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]

# A trial that logs `score` in MLflow's file-store format (importing mlflow would take seconds).
TRIAL = '''\
import argparse, os, time
from urllib.parse import urlparse
from urllib.request import url2pathname
p = argparse.ArgumentParser()
p.add_argument("--q", type=float)
a = p.parse_args()
root = url2pathname(urlparse(os.environ["MLFLOW_TRACKING_URI"]).path)
path = os.path.join(root, os.environ["MLFLOW_EXPERIMENT_ID"], os.environ["MLFLOW_RUN_ID"], "metrics", "score")
with open(path, "a") as f:
    f.write(f"{int(time.time() * 1000)} {a.q} 1\\n")
'''

SWEEP = """\
type: sweep
trial:
  code: ./src
  command: python trial.py --q ${{search_space.q}}
  environment: azureml:AzureML-sklearn-1.5@latest
compute: local
sampling_algorithm: grid
search_space:
  q: {type: choice, values: [0.25, 0.75]}
objective: {goal: maximize, primary_metric: score}
limits: {max_total_trials: 2, max_concurrent_trials: 1}
"""


def _notebook(folder: Path) -> Path:
    src = folder / "src"
    src.mkdir()
    # The job runs until the test has seen its Running line (then the test creates the gate).
    (src / "hello.py").write_text(f"import os, time\nwhile not os.path.exists({str(folder / 'gate')!r}):\n"
                                  "    time.sleep(0.05)\nprint('hello')\n")
    (src / "trial.py").write_text(TRIAL)
    (folder / "sweep.yml").write_text(SWEEP)
    (folder / "job.yml").write_text("command: python hello.py\ncode: ./src\n"
                                    "environment: azureml:AzureML-sklearn-1.5@latest\n")
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

    cells = [
        md("# Progress\n\nA tiny run."),
        md("## Connect\n\nThe local workspace."),
        code("%load_ext amlmagic\n%aml connect --local"),
        md("## Train\n\nA command job."),
        code("job = %aml job create -f job.yml --stream"),
        code("sweep = %aml job create -f sweep.yml --stream\nprint(sweep.status)"),
        md("Not a heading."),
        code("\nsummary = job.status  # the first line\nprint(summary)"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = folder / "progress.ipynb"
    nbformat.write(nb, path)
    return path


def test_progress_lines_in_order_with_times_and_no_kernel_warning(tmp_path):
    notebook = _notebook(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    with open(tmp_path / "stderr.txt", "w+") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "amlmagic.run_notebook", str(notebook)], cwd=tmp_path,
                                   env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        watchdog = threading.Timer(600, process.kill)
        watchdog.start()
        lines = []
        try:
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                if re.match(r"^ {8}job \w+: Running$", lines[-1]):
                    (tmp_path / "gate").write_text("go")
            process.wait()
        finally:
            watchdog.cancel()
        stderr.seek(0)
        errors = stderr.read()
    stdout = "\n".join(lines)
    assert process.returncode == 0, stdout + errors
    assert "without encryption" not in stdout + errors
    done = r"done in \d+\.\d s$"
    expected = [
        r"^\[1/4\] Connect$", r"^\[1/4\] " + done,
        r"^\[2/4\] Train$",
        r"^ {8}job \w+: Running$",  # seen while the cell waits
        r"^ {8}job \w+: Completed$", r"^\[2/4\] " + done,
        r"^\[3/4\] sweep = %aml job create -f sweep.yml --stream$",
        r"^ {8}sweep \w+: Completed, trial 2 of 2 \(2 ended\), best so far score 0\.75 \(\w+: \{\"q\": 0\.75\}\)$",
        r"^\[3/4\] " + done,
        r"^\[4/4\] summary = job.status  # the first line$", r"^\[4/4\] " + done,
    ]
    position = 0
    for pattern in expected:
        found = next((i for i in range(position, len(lines)) if re.search(pattern, lines[i])), None)
        assert found is not None, f"no line matching {pattern!r} after line {position}:\n{stdout}"
        position = found + 1
    # One line per change: no job line repeats the line before it for the same job.
    job_lines = [line.strip() for line in lines if line.startswith(" " * 8)]
    for name in {line.split()[1] for line in job_lines}:
        mine = [line for line in job_lines if line.split()[1] == name]
        assert all(a != b for a, b in itertools.pairwise(mine)), mine
