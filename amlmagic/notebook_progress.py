"""Progress of a headless notebook run (amlmagic.run_notebook), one line per event:

    [ 7/30] 4. Train as a command job
            job calm_apple_x1: Running
            job calm_apple_x1: Completed
    [ 7/30] done in 84.2 s

Each code cell shows, as it starts, the markdown heading right before it, else its first line,
and its time when it ends. While a cell runs, the jobs of the notebook's local workspace
(`<notebook folder>/.amlmagic`, read through the client interface) created during the run are
polled: a command job gets a line when its status changes, a sweep when its status, trial count
or best trial so far does. Nothing is printed when nothing changed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from .rules import is_terminal, status_text

__all__ = ["cell_label", "CellProgress", "JobWatcher", "job_line", "DROPPED_KERNEL_LINES", "filtered_stderr"]

INDENT = " " * 8
# ipykernel (kernelapp.init_sockets) logs this at every start over TCP, which is how nbclient
# starts kernels: on 127.0.0.1 it tells a user nothing, and it is the only thing they would see.
DROPPED_KERNEL_LINES = ("Kernel is running over TCP without encryption.",)


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def cell_label(cells: list, index: int) -> str:
    """The heading of the markdown cell right before cell `index`, else the cell's first line."""
    if index > 0 and cells[index - 1].get("cell_type") == "markdown":
        first = next((line for line in cells[index - 1].get("source", "").splitlines() if line.strip()), "")
        if first.startswith("#"):
            return _short(first.lstrip("#").strip())
    first = next((line for line in cells[index].get("source", "").splitlines() if line.strip()), "")
    return _short(first.strip())


class CellProgress:
    """nbclient hooks (on_cell_execute, on_cell_executed) printing a cell's start and end lines;
    `watcher` (a JobWatcher) polls jobs only while a cell runs."""

    def __init__(self, cells: list, out: TextIO | None = None, watcher: "JobWatcher | None" = None):
        self.cells = cells
        self.out = out or sys.stdout
        self.watcher = watcher
        code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and c.get("source", "").strip()]
        self.numbers = {index: n for n, index in enumerate(code, 1)}
        self.width = len(str(len(code)))
        self.started = 0.0

    def _tag(self, index: int) -> str:
        return f"[{self.numbers.get(index, 0):>{self.width}}/{len(self.numbers)}]"

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def on_cell_execute(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.started = time.perf_counter()
        self._print(f"{self._tag(cell_index)} {cell_label(self.cells, cell_index)}")
        if self.watcher:
            self.watcher.resume()

    def on_cell_executed(self, cell: Any, cell_index: int, execute_reply: Any = None, **_: Any) -> None:
        elapsed = time.perf_counter() - self.started
        if self.watcher:
            self.watcher.pause()  # one last poll: the states the cell ended with
        failed = (execute_reply or {}).get("content", {}).get("status") == "error"
        self._print(f"{self._tag(cell_index)} {'failed after' if failed else 'done in'} {elapsed:.1f} s")


def job_line(job: Any, trials: list | None = None) -> str:
    """One line for a job: its status; for a sweep also its trial count and best trial so far."""
    status = status_text(job) or "?"
    if getattr(job, "type", None) != "sweep":
        return f"job {job.name}: {status}"
    trials = trials or []
    total = getattr(getattr(job, "limits", None), "max_total_trials", None) or "?"
    ended = sum(1 for t in trials if is_terminal(t))
    text = f"sweep {job.name}: {status}, trial {len(trials)} of {total} ({ended} ended)"
    props = dict(getattr(job, "properties", None) or {})
    best, score = props.get("best_child_run_id"), props.get("score")
    if best and score is not None:
        metric = getattr(getattr(job, "objective", None), "primary_metric", None) or "score"
        params = props.get("best_hyperparameters", "")
        try:
            shown = f"{metric} {float(score):.4g}"
        except ValueError:
            shown = f"{metric} {score}"
        text += f", best so far {shown} ({best}{': ' + params if params else ''})"
    return text


class JobWatcher:
    """Polls the notebook's local workspace every `interval` s while resumed, in a daemon thread,
    printing a job's line (job_line) when it changed. Only jobs created after `since` (epoch s)
    count: the folder may hold an earlier run's jobs."""

    def __init__(self, notebook_dir: Path, out: TextIO | None = None, since: float | None = None,
                 interval: float = 1.0):
        self.workspace = Path(notebook_dir) / ".amlmagic"
        self.out = out or sys.stdout
        self.since = time.time() if since is None else since
        self.interval = interval
        self.client: Any = None
        self.shown: dict[str, str] = {}  # job name (or "" for a failed poll) -> its last line
        self.ended: set[str] = set()
        self._running = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # one poll at a time (the thread's and pause()'s)
        self._thread = threading.Thread(target=self._loop, name="amlmagic-job-watcher", daemon=True)

    def start(self) -> "JobWatcher":
        self._thread.start()
        return self

    def resume(self) -> None:
        self._running.set()

    def pause(self) -> None:
        self._running.clear()
        self.poll()

    def stop(self) -> None:
        self._stopped.set()
        self._running.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            self._running.wait()
            if self._stopped.is_set():
                return
            self.poll()
            self._stopped.wait(self.interval)

    def _client(self) -> Any:
        if self.client is None and self.workspace.is_dir():  # once the notebook has connected
            from .local.client import LocalMLClient

            self.client = LocalMLClient(self.workspace)
        return self.client

    def poll(self) -> None:
        """Print the lines that changed since the last poll. Progress is best effort: a state
        being written or a job being deleted is seen at the next poll."""
        with self._lock:
            try:
                client = self._client()
                if client is None:
                    return
                for job in reversed(client.jobs.list()):  # oldest first
                    created = getattr(getattr(job, "creation_context", None), "created_at", None)
                    if job.name in self.ended or created is None or created.timestamp() < self.since:
                        continue
                    trials = (list(client.jobs.list(parent_job_name=job.name))
                              if getattr(job, "type", None) == "sweep" else None)
                    self._show(job.name, job_line(job, trials))
                    if is_terminal(job):  # its line will not change again
                        self.ended.add(job.name)
            except Exception as exc:  # never let progress reporting break the run
                self._show("", f"(job progress unavailable: {type(exc).__name__}: {exc})")

    def _show(self, key: str, line: str) -> None:
        if self.shown.get(key) != line:
            self.shown[key] = line
            print(INDENT + line, file=self.out, flush=True)


def filtered_stderr(target: TextIO | None = None) -> tuple[Any, threading.Thread]:
    """A pipe to hand the kernel as its stderr: a daemon thread copies it to `target` (sys.stderr)
    line by line, without the lines DROPPED_KERNEL_LINES names. Returns (the pipe's write end,
    the thread); close the write end once the kernel is done."""
    read_fd, write_fd = os.pipe()
    target = target or sys.stderr

    def copy() -> None:
        with open(read_fd, "r", errors="replace") as lines:
            for line in lines:
                if not any(dropped in line for dropped in DROPPED_KERNEL_LINES):
                    target.write(line)
                    target.flush()

    thread = threading.Thread(target=copy, name="amlmagic-kernel-stderr", daemon=True)
    thread.start()
    return open(write_fd, "w"), thread
