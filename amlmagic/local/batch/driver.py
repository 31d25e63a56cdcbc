"""The detached driver of one batch scoring job: `python -m amlmagic.local.batch.driver <job folder>`
(started by `submit.py` through `jobs.state.launch_driver`; it outlives the kernel).

It owns the job (`controller.lock`) and its `batchscoring` step (the child job): realizes the
deployment's environment as a command job's is (jobs/environments.py), creates the output file
(an existing one fails the job, as on Azure), counts the input's files, starts
`max_concurrency_per_instance` x `instance_count` workers and runs the scoring loop
(scoring.py), keeping the progress overview (`rules.batch.PROGRESS_LOG`) up to date in both
jobs' `user_logs/`. SIGTERM (`jobs.begin_cancel` on either job) stops every worker and ends both
Canceled.

Logs, in the step's `user_logs/` (Azure's layout, 2.3): `std_log.txt` (the driver's events, also
in the parent's), `logs/job_progress_overview.txt`, `logs/user/error.txt` (each failed attempt
with its traceback), `logs/user/stdout/node<i>/process<NNN>.stdout.txt` (each worker's output).
A driver that died (killed, the machine restarted) is started again when either job's status is
next read (`__init__.py`, jobs/revival.py); it goes on from the journal (journal.py): the settled
mini-batches are skipped and the output keeps each row once.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...rules import TERMINAL_STATUSES
from ...rules.batch import MLFLOW_FILE_TYPES, PROGRESS_LOG, Progress, format_progress
from ..jobs.scheduling import acquire_slot, hold_running, thread_env
from ..jobs.state import job_dir, own_job, raw_status, update_status
from ..osutil import kill_tree, process_start_time, read_json, write_text_atomic
from .inputs import iter_files, mini_batches
from .journal import Journal, Resume
from .pool import WorkerPool
from .scoring import Scoring, ScoringFailed

__all__ = ["BatchDriver", "main", "ERROR_LOG", "JOURNAL", "worker_log"]

ERROR_LOG = "logs/user/error.txt"
JOURNAL = "scoring.journal"


def worker_log(index: int, per_instance: int) -> str:
    """A worker's log in user_logs/: process numbers restart on each instance (node)."""
    return f"logs/user/stdout/node{index // per_instance}/process{index % per_instance:03d}.stdout.txt"


class BatchDriver:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.plan = read_json(self.folder / "plan.json")
        self.root = Path(self.plan["workspace_root"])
        self.step = job_dir(self.root, self.plan["child"])
        self.settings = self.plan["settings"]
        self.progress = Progress()
        self.canceled = False
        self._logs = [open(f / "user_logs" / "std_log.txt", "a", encoding="utf-8") for f in (self.folder, self.step)]
        errors = self.step / "user_logs" / ERROR_LOG
        errors.parent.mkdir(parents=True, exist_ok=True)
        self._errors = open(errors, "a", encoding="utf-8")

    # -- logs ----------------------------------------------------------------------------------
    def log(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for log in self._logs:
            log.write(f"[{stamp}] {text}\n")
            log.flush()

    def error_log(self, text: str) -> None:
        self._errors.write(text.rstrip() + "\n")
        self._errors.flush()

    def write_progress(self) -> None:
        text = format_progress(self.progress)
        for folder in (self.folder, self.step):
            write_text_atomic(folder / "user_logs" / PROGRESS_LOG, text)

    def on_sigterm(self, *_: object) -> None:
        self.canceled = True
        kill_tree(os.getpid(), signal.SIGTERM, include_self=False)  # e.g. a pip build

    # -- the job ---------------------------------------------------------------------------------
    def run(self) -> str:
        update_status(self.folder, "Running")
        update_status(self.step, "Preparing", pid=os.getpid(), pid_start=process_start_time(os.getpid()))
        try:
            status, error = self._run()
        except ScoringFailed as exc:
            status, error = ("Canceled", None) if self.canceled else ("Failed", str(exc))
        if self.canceled:
            status, error = "Canceled", None
        self.write_progress()
        if error:
            self.log(f"failed: {error}")
        self.log(f"{self.plan['child']} ({self.plan['step']}): {status}")
        update_status(self.step, status, error=error)
        self.log(f"batch job {self.plan['name']}: {status}")
        update_status(self.folder, status, error=error)
        return status

    def _run(self) -> tuple[str, str | None]:
        from ..jobs.environments import realize

        plan = self.plan
        env_log = open(self.step / "user_logs" / "environment.txt", "a", encoding="utf-8")
        try:
            python = realize(self.root, plan["environment"], lambda line: (env_log.write(line + "\n"), env_log.flush()))
        except Exception as exc:
            return ("Canceled", None) if self.canceled else ("Failed", f"environment: {exc}")
        finally:
            env_log.close()
        if self.canceled:
            return "Canceled", None
        output, resume = self._open_output()
        journal = Journal(self.folder / JOURNAL)
        try:
            total = self._count()
            if total == 0:
                return "Failed", f"the input {plan['input']['path']} holds no files: nothing to score"
            size = int(self.settings["mini_batch_size"])
            self.progress.mini_batches_total = -(-total // size)
            per_instance = int(self.settings["max_concurrency_per_instance"])
            workers = per_instance * int(self.settings["instance_count"])
            self.log(f"{total} files in {self.progress.mini_batches_total} mini-batches of {size}; {workers} worker "
                     f"processes ({self.settings['instance_count']} instance(s) x {per_instance})")
            slots = self._take_slots(workers)
            if slots is None:
                return "Canceled", None
            running = hold_running(self.root, plan["child"], workers)
            update_status(self.step, "Running")
            self.write_progress()
            pool = WorkerPool(str(python), self.folder / "worker.json", self._worker_env(), Path(plan["cwd"]),
                              lambda i: self.step / "user_logs" / worker_log(i, per_instance))
            scoring = Scoring(pool, mini_batches(Path(plan["input"]["local_path"]), size, plan["input"]["recursive"]),
                              self.settings, output, self.progress, self.log, self.error_log, self.write_progress,
                              lambda: self.canceled, skip=resume.settled,
                              settled=lambda i: journal.append(i, output.tell() if output else 0, self._counters()))
            try:
                scoring.run(workers)
            finally:
                pool.close()
                for held in [running, *slots]:
                    held.close()
        finally:
            journal.close()
            if output is not None:
                output.close()
        if self.canceled:
            return "Canceled", None
        p = self.progress
        self.log(f"scored {p.items_scored} items in {p.mini_batches_done + p.mini_batches_failed} mini-batches "
                 f"({p.items_failed} items failed, {p.retries} retries) in {p.elapsed_seconds:.1f} s")
        return "Completed", None

    def _counters(self) -> dict:
        return {k: v for k, v in vars(self.progress).items() if k not in ("mini_batches_total", "elapsed_seconds")}

    def _open_output(self) -> tuple[Any, Resume]:
        """The output file, open for appending (None for summary_only), and what a previous driver
        of this job settled (nothing on a first start)."""
        out = self.plan["output"]
        Path(out["folder"]).mkdir(parents=True, exist_ok=True)
        journal = Journal(self.folder / JOURNAL)
        if journal.exists():  # a driver of this job ran before: go on where it stopped
            resume = journal.load()
            for key, value in resume.counters.items():
                setattr(self.progress, key, value)
            self.log(f"driver started again: {len(resume.settled)} mini-batches were settled; going on")
            if self.settings["output_action"] == "summary_only":
                return None, resume
            output = open(out["file"], "a", encoding="utf-8")
            output.truncate(resume.offset)  # rows the dead driver wrote past its last settled mini-batch
            return output, resume
        journal.create()
        if self.settings["output_action"] == "summary_only":
            return None, Resume()
        try:
            return open(out["file"], "x", encoding="utf-8"), Resume()  # exclusive: an existing file fails the job
        except FileExistsError:
            raise ScoringFailed(f"the output file {self.settings['output_file_name']} already exists at "
                                f"{out['uri']}: give another --output-path, or --set "
                                "output_file_name=<new name>") from None

    def _count(self) -> int:
        """The input's file count (streamed); an MLflow deployment fails on a file it cannot read."""
        source = self.plan["input"]
        total = 0
        for path in iter_files(Path(source["local_path"]), source["recursive"]):
            total += 1
            if self.plan.get("mlflow") and os.path.splitext(path)[1].lower() not in MLFLOW_FILE_TYPES:
                raise ScoringFailed(f"file {os.path.basename(path)} is not a type an MLflow deployment scores "
                                    f"({', '.join(sorted(MLFLOW_FILE_TYPES))}): remove it from the input")
        return total

    def _take_slots(self, workers: int) -> list | None:
        """A slot of the compute pool per worker process (as a command job's processes take
        them, jobs/scheduling.py), capped at the pool; [] on the built-in `local`; None when
        canceled while queued."""
        compute = self.plan["compute"]
        if not compute.get("max_instances"):
            return []
        update_status(self.step, "Queued")
        return acquire_slot(self.root, compute["name"], compute["max_instances"], lambda: self.canceled, count=workers)

    def _worker_env(self) -> dict:
        env = dict(os.environ)
        # Thread-count variables (OMP_NUM_THREADS, ...) share the cores between the running
        # processes, this job's workers among them, as a command job's are.
        env.update(thread_env(self.root, self.settings.get("environment_variables") or {}))
        env.update({str(k): str(v) for k, v in (self.settings.get("environment_variables") or {}).items()})
        env.update(self.plan["system_env"])
        return env


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:])[0]).resolve()
    ownership = own_job(folder, "controller.lock")
    if ownership is None or raw_status(folder).get("status") in TERMINAL_STATUSES:
        return 0
    driver = BatchDriver(folder)
    signal.signal(signal.SIGTERM, driver.on_sigterm)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        driver.run()
    except BaseException as exc:  # a bug or a vanished workspace: both jobs fail with the reason
        for target in (driver.step, folder):
            update_status(target, "Failed", error=f"the batch driver failed: {type(exc).__name__}: {exc}")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
