"""The driver's worker processes: start one (its own session, two pipes, its log file), send it a
mini-batch, read what the workers answered, kill one (its whole process group).

    pool = WorkerPool(python, config_path, env, cwd, log_for=lambda i: path)
    worker = pool.start(0)
    pool.send(worker, {"id": 3, "files": [...]})
    for worker, message in pool.poll(0.25): ...      # message None: the worker's pipe closed
    pool.kill(worker); pool.reap(worker); pool.close()
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..osutil import kill_tree

__all__ = ["Worker", "WorkerPool", "WORKER_MODULE"]

WORKER_MODULE = "amlmagic.local.batch.worker"
_READ_CHUNK = 1 << 16


@dataclass
class Worker:
    index: int
    proc: subprocess.Popen
    tasks: Any  # the write end of the task pipe (a text file)
    results_fd: int
    ready: bool = False
    task: Any = None  # the mini-batch it is running
    deadline: float | None = None
    buffer: bytes = b""
    log: Path | None = None
    closed: bool = False


@dataclass
class WorkerPool:
    python: str
    config_path: Path
    env: dict
    cwd: Path
    log_for: Callable[[int], Path]
    workers: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._selector = selectors.DefaultSelector()

    def start(self, index: int) -> Worker:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        log = self.log_for(index)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            # Each worker is a session of its own, as every job process is: the kernel gives each
            # session (autogroup) its share of the CPU, and cancel kills the whole group.
            proc = subprocess.Popen(
                [self.python, "-m", WORKER_MODULE, str(self.config_path), str(index), str(task_r), str(result_w),
                 str(os.getpid())],
                pass_fds=(task_r, result_w), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=self.env, cwd=str(self.cwd), start_new_session=True)
        os.close(task_r)
        os.close(result_w)
        worker = Worker(index, proc, os.fdopen(task_w, "w", encoding="utf-8"), result_r, log=log)
        os.set_blocking(result_r, False)
        self._selector.register(result_r, selectors.EVENT_READ, worker)
        self.workers[index] = worker
        return worker

    def send(self, worker: Worker, task: dict) -> bool:
        """False when the worker is gone (its pipe is closed): the caller treats it as died."""
        try:
            worker.tasks.write(json.dumps(task) + "\n")
            worker.tasks.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def poll(self, timeout: float) -> list[tuple[Worker, dict | None]]:
        """Messages that arrived within `timeout` seconds; (worker, None) once a worker's result
        pipe closed (it exited)."""
        events = []
        for key, _ in self._selector.select(max(0.0, timeout)):
            worker: Worker = key.data
            try:
                data = os.read(worker.results_fd, _READ_CHUNK)
            except BlockingIOError:
                continue
            if not data:
                self._forget(worker)
                events.append((worker, None))
                continue
            worker.buffer += data
            *lines, worker.buffer = worker.buffer.split(b"\n")
            events.extend((worker, json.loads(line)) for line in lines if line.strip())
        return events

    def _forget(self, worker: Worker) -> None:
        if worker.closed:
            return
        worker.closed = True
        self._selector.unregister(worker.results_fd)
        os.close(worker.results_fd)
        try:
            worker.tasks.close()
        except OSError:
            pass

    def kill(self, worker: Worker) -> int | None:
        """Stop the worker and whatever it started; its exit code."""
        kill_tree(worker.proc.pid, signal.SIGKILL)
        code = worker.proc.wait()
        self._forget(worker)
        self.workers.pop(worker.index, None)
        return code

    def reap(self, worker: Worker) -> int | None:
        """The exit code of a worker whose pipe closed (killed if it lingers)."""
        try:
            code = worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return self.kill(worker)
        self.workers.pop(worker.index, None)
        return code

    def close(self) -> None:
        for worker in list(self.workers.values()):
            self.kill(worker)
        self._selector.close()
