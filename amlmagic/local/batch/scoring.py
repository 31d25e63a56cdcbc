"""The scoring loop of a batch job: mini-batches to idle workers, answers back, retries, the
error threshold, the output file, the progress counters (../shared/azureml-semantics-2.md 2.3).

- A mini-batch whose `run()` raises, or whose worker dies, is retried up to `max_retries` times
  (a new worker, `init()` again, when the old one died); once its attempts are spent, all its
  items count as failed. One that runs past `timeout` seconds is killed with its worker and
  retried the same way; if every attempt timed out, the job fails.
- `run()` returning fewer items than files: the rows it returned are written, the difference
  counts as failed items, and the mini-batch counts as failed (not retried: our rule, the same
  code would return the same).
- Failed items are counted over the whole input; more than `error_threshold` (-1: no limit)
  ends the job Failed.
- A mini-batch's rows are appended once, when its answer arrives, and only for the attempt that
  is still current: a killed attempt's answer is dropped, so a retry never duplicates nor loses
  rows already written. Nothing keeps results: memory does not grow with the input.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ...rules.batch import Progress
from .pool import Worker, WorkerPool

__all__ = ["Scoring", "ScoringFailed", "describe_batch"]

PROGRESS_SECONDS = 0.5


class ScoringFailed(Exception):
    """The job fails with this reason (one line, naming the mini-batch and its files)."""


def describe_batch(task: dict) -> str:
    files = task["files"]
    names = ", ".join(os.path.basename(f) for f in files[:3]) + (", ..." if len(files) > 3 else "")
    return f"mini-batch {task['id']} ({len(files)} file{'s' if len(files) != 1 else ''}: {names})"


@dataclass
class Scoring:
    pool: WorkerPool
    batches: Iterator[tuple[int, list[str]]]
    settings: dict
    output: Any  # the output file, open for appending (None: summary_only)
    progress: Progress
    log: Callable[[str], None]
    error_log: Callable[[str], None]
    on_progress: Callable[[], None]
    canceled: Callable[[], bool]
    settled: Callable[[int], None] = lambda _: None  # after a mini-batch's rows and counters (journal)
    skip: set = field(default_factory=set)  # mini-batches a previous driver settled
    retry: deque = field(default_factory=deque)
    exhausted: bool = False

    # -- the loop --------------------------------------------------------------------------------
    def run(self, workers: int) -> None:
        started = time.monotonic()
        for index in range(workers):
            self.pool.start(index)
        last_progress = 0.0
        while True:
            if self.canceled():
                return
            self._assign()
            busy = [w for w in self.pool.workers.values() if w.task is not None]
            if not busy and self.exhausted and not self.retry:
                break
            now = time.monotonic()
            deadlines = [w.deadline for w in busy if w.deadline is not None]
            wait = min([PROGRESS_SECONDS] + [d - now for d in deadlines])
            for worker, message in self.pool.poll(wait):
                self._answer(worker, message)
            now = time.monotonic()
            for worker in [w for w in self.pool.workers.values() if w.task is not None and w.deadline is not None]:
                if now >= worker.deadline:
                    self._timed_out(worker)
            self.progress.elapsed_seconds = now - started
            if now - last_progress >= PROGRESS_SECONDS:
                last_progress = now
                self.on_progress()
        self.progress.elapsed_seconds = time.monotonic() - started

    def _next_task(self) -> dict | None:
        if self.retry:
            return self.retry.popleft()
        if self.exhausted:
            return None
        for index, files in self.batches:
            if index not in self.skip:
                return {"id": index, "files": files, "attempts": 0, "timeouts": 0}
        self.exhausted = True
        return None

    def _assign(self) -> None:
        for worker in list(self.pool.workers.values()):
            if not worker.ready or worker.task is not None:
                continue
            task = self._next_task()
            if task is None:
                return
            worker.task = task
            worker.deadline = time.monotonic() + float(self.settings["timeout"])
            if not self.pool.send(worker, {"id": task["id"], "files": task["files"]}):
                self._died(worker, self.pool.kill(worker))  # its pipe broke: gone, or going

    # -- answers -----------------------------------------------------------------------------------
    def _answer(self, worker: Worker, message: dict | None) -> None:
        if message is None:
            self._died(worker, self.pool.reap(worker))
        elif "init_error" in message:
            if message.get("traceback"):
                self.error_log(f"worker {worker.index}: {message['traceback']}")
            raise ScoringFailed(message["init_error"])
        elif "ready" in message:
            worker.ready = True
        elif worker.task is not None and message.get("id") == worker.task["id"]:
            task, worker.task, worker.deadline = worker.task, None, None
            if message["ok"]:
                self._succeeded(task, message)
            else:
                self.error_log(f"{describe_batch(task)}, attempt {task['attempts'] + 1}: {message.get('traceback') or message['error']}")
                self._attempt_failed(task, f"run() raised {message['error']}")

    def _succeeded(self, task: dict, message: dict) -> None:
        given, returned = len(task["files"]), int(message["returned"])
        if self.output is not None and message.get("text"):
            self.output.write(message["text"])
            self.output.flush()  # written once: the answer of the current attempt only
        scored = min(given, returned)
        self.progress.items_scored += scored
        if scored < given:
            self.progress.mini_batches_failed += 1
            self._items_failed(given - scored, f"{describe_batch(task)}: run() returned {returned} items for "
                                               f"{given} files")
        else:
            self.progress.mini_batches_done += 1
        self.settled(task["id"])

    def _died(self, worker: Worker, code: int | None) -> None:
        task = worker.task
        if not worker.ready and task is None:
            raise ScoringFailed(f"worker {worker.index} exited with code {code} before init() finished: see "
                                f"{_log_name(worker)}")
        if task is not None:
            self.error_log(f"{describe_batch(task)}, attempt {task['attempts'] + 1}: the worker process exited "
                           f"with code {code}")
            self._attempt_failed(task, f"the worker process exited with code {code}")
        if self._more_work() and not self.canceled():
            self.pool.start(worker.index)  # a new process, init() again

    def _timed_out(self, worker: Worker) -> None:
        task = worker.task
        worker.task = None
        self.pool.kill(worker)
        task["timeouts"] += 1
        self.error_log(f"{describe_batch(task)}, attempt {task['attempts'] + 1}: no answer in "
                       f"{self.settings['timeout']} seconds (retry_settings.timeout): the worker was stopped")
        self._attempt_failed(task, f"timed out after {self.settings['timeout']} seconds")
        if self._more_work():
            self.pool.start(worker.index)

    def _more_work(self) -> bool:
        return bool(self.retry) or not self.exhausted

    def _attempt_failed(self, task: dict, reason: str) -> None:
        task["attempts"] += 1
        if task["attempts"] <= int(self.settings["max_retries"]):
            self.progress.retries += 1
            self.log(f"{describe_batch(task)}: {reason}; retry {task['attempts']} of {self.settings['max_retries']}")
            self.retry.append(task)
            return
        if task["timeouts"] == task["attempts"]:
            raise ScoringFailed(f"{describe_batch(task)} timed out on every attempt ({task['attempts']} of "
                                f"{self.settings['timeout']} s each): raise retry_settings.timeout or make run() faster")
        self.progress.mini_batches_failed += 1
        self._items_failed(len(task["files"]), f"{describe_batch(task)} failed after {task['attempts']} "
                                               f"attempts: {reason}")
        self.settled(task["id"])

    def _items_failed(self, count: int, reason: str) -> None:
        self.progress.items_failed += count
        self.log(f"{reason}; {count} item{'s' if count != 1 else ''} failed")
        threshold = int(self.settings["error_threshold"])
        if 0 <= threshold < self.progress.items_failed:
            raise ScoringFailed(f"{self.progress.items_failed} items failed, more than error_threshold "
                                f"{threshold}; the last: {reason}")


def _log_name(worker: Worker) -> str:
    text = str(worker.log or "")
    return text[text.find("user_logs/") + len("user_logs/"):] if "user_logs/" in text else text
