"""The detached process that runs one job: `python -m amlmagic.local.jobs.runner <job folder>`.

It executes the job's plan.json (plan.py) and never imports azure.ai.ml:
Preparing (MLflow run, environment realized) -> Queued (slots of the compute pool, one per
process) -> Running (the command in bash, output to user_logs/std_log.txt, in its own session;
a distributed job starts one such process per rank, each logging to its own file, and the first
process to fail stops the others: distribution.py; a `type: mpi` job starts them through Open
MPI's mpirun where it is installed: mpi.py) -> Finalizing
(./outputs and ./logs moved into the artifacts, the MLflow run ended) -> Completed | Failed |
Canceled. SIGTERM (begin_cancel) stops the whole process tree and ends the job Canceled.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from ...rules import SINGLE_PROCESS_LOG
from ..osutil import kill_tree, process_start_time, read_json
from ..tracking import end_run, prepare_run
from .distribution import choose_ports, port_taken, process_env, process_table
from .mpi import Launcher, choose_launcher, first_failure, mpirun_command, read_records
from .readonly import UNPROTECTED_NOTICE, readonly_command
from .scheduling import acquire_slot, hold_running, thread_env
from .state import own_job, update_status

__all__ = ["main", "log_tail"]

_GRACE_SECONDS = 3.0
_TAIL_CHARS = 2000


def log_tail(path: Path, chars: int = _TAIL_CHARS) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - chars))
            return f.read().decode(errors="replace").strip()
    except FileNotFoundError:
        return ""




class _Runner:
    def __init__(self, folder: Path):
        self.folder = folder
        self.plan = read_json(folder / "plan.json")
        self.root = Path(self.plan["workspace_root"])
        self.canceled = False
        self.timed_out = False
        self.children: list[subprocess.Popen] = []
        self.groups: list[int] = []
        self.mpirun = False  # launched with Open MPI's mpirun (mpi.py)
        self.notices: list[str] = []
        self.system_log = open(folder / "user_logs" / "environment.txt", "a")

    # -- cancellation ----------------------------------------------------------------------
    def on_sigterm(self, *_: object) -> None:
        self.canceled = True
        self._stop_processes()

    def _stop_processes(self) -> None:
        for child in list(self.children):
            if child.poll() is None:
                kill_tree(child.pid, signal.SIGTERM)
                timer = threading.Timer(_GRACE_SECONDS, kill_tree, (child.pid, signal.SIGKILL))
                timer.daemon = True
                timer.start()
        kill_tree(os.getpid(), signal.SIGTERM, include_self=False)  # e.g. a pip build

    def _kill_groups(self) -> None:
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def log(self, line: str) -> None:
        self.system_log.write(line + "\n")
        self.system_log.flush()

    def notice(self, line: str) -> None:
        self.log(line)
        self.notices.append(line)
        update_status(self.folder, None, notices=self.notices)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> None:
        plan = self.plan
        update_status(self.folder, "Preparing")
        mlflow_env = prepare_run(
            self.root, plan["name"], experiment_name=plan["experiment_name"],
            display_name=plan["display_name"], artifacts_dir=self.folder / "artifacts",
            tags=plan["tags"], parent_job_name=plan.get("parent_job_name"),
        )
        try:
            final, error, code = self._run(mlflow_env)
        except BaseException as exc:  # the runner's own failure must still end the job
            final, error, code = ("Canceled", None, None) if self.canceled else (
                "Failed", f"{type(exc).__name__}: {exc}", None)
            traceback.print_exc()
        update_status(self.folder, "Finalizing")
        self._capture_artifacts()
        end_run(self.root, plan["name"], {"Completed": "FINISHED", "Failed": "FAILED"}.get(final, "KILLED"))
        update_status(self.folder, final, error=error, exit_code=code)

    def _run(self, mlflow_env: dict) -> tuple[str, str | None, int | None]:
        from .environments import realize, shim_python

        plan = self.plan
        described = plan["environment"]
        for line in [described.get("notice"), *plan.get("notices", [])]:
            if line:
                self.notice(line)
        try:
            python = realize(self.root, {**described, "notice": None}, self.log)
        except Exception as exc:
            if self.canceled:
                return "Canceled", None, None
            return "Failed", f"environment: {exc}", None
        if self.canceled:
            return "Canceled", None, None

        slot = None
        compute = plan["compute"]
        processes = len(plan.get("logs") or [SINGLE_PROCESS_LOG])
        if compute.get("max_instances"):
            update_status(self.folder, "Queued")
            slot = acquire_slot(self.root, compute["name"], compute["max_instances"], lambda: self.canceled,
                                count=processes)
            if slot is None:
                return "Canceled", None, None
        running = hold_running(self.root, plan["name"], processes)
        try:
            return self._execute(python, shim_python(self.root, str(python)), mlflow_env)
        finally:
            running.close()
            for held in slot or ():
                held.close()

    def _environ(self, bin_dir: Path, mlflow_env: dict) -> dict:
        plan = self.plan
        env = dict(os.environ)
        env.update(thread_env(self.root, plan["env"]))
        env.update(plan["system_env"])
        env.update(plan["env"])
        user_path = plan["env"].get("PYTHONPATH")
        env.update(mlflow_env)
        if user_path:  # the tracking plugin must stay first on PYTHONPATH (tracking/runs.py)
            env["PYTHONPATH"] = os.pathsep.join([mlflow_env["PYTHONPATH"].split(os.pathsep)[0], user_path])
        env["PATH"] = os.pathsep.join([str(bin_dir), plan["env"].get("PATH") or os.environ.get("PATH", "")])
        return env

    def _launches(self) -> list[dict]:
        """Each process to start, rank 0 first: its log in user_logs/, its node (a process
        group) and the variables Azure sets for it (distribution.py)."""
        dist = self.plan.get("distribution")
        if not dist:
            return [{"log": SINGLE_PROCESS_LOG, "node_rank": 0, "rank": 0, "env": {}}]
        ports = choose_ports(dist)
        return [{**proc, "env": process_env(dist, proc, ports)} for proc in process_table(dist)]

    def _execute(self, python: Path, bin_dir: Path, mlflow_env: dict) -> tuple[str, str | None, int | None]:
        plan = self.plan
        cwd = Path(plan["cwd"])
        for sub in ("outputs", "logs"):  # Azure's script finds ./outputs and ./logs ready
            (cwd / sub).mkdir(exist_ok=True)
        for out in plan["outputs"].values():
            Path(out["folder"]).mkdir(parents=True, exist_ok=True)
        dist = plan.get("distribution")
        if dist and dist.get("master_port") and port_taken(int(dist["master_port"])):
            return "Failed", (f"environment_variables.MASTER_PORT: port {dist['master_port']} is in use on this "
                              "machine: pick a free port, or leave MASTER_PORT out and a free one is chosen"), None
        launches = self._launches()
        shell = shutil.which("bash") or "/bin/sh"
        base_env = self._environ(bin_dir, mlflow_env)
        inputs = [i["local_path"] for i in plan["inputs"].values() if isinstance(i, dict) and i.get("local_path")]
        outputs = [out["folder"] for out in plan["outputs"].values()]
        launcher = choose_launcher(dist, base_env)
        if dist:
            self.log(f"launcher: {launcher.kind} ({launcher.reason})")
        update_status(self.folder, "Running")
        if self.canceled:
            return "Canceled", None, None
        if launcher.kind == "mpirun":
            self._start_mpirun(launcher, launches, shell, base_env, cwd, inputs, outputs)
        else:
            self._start_own(launches, shell, base_env, cwd, inputs, outputs)
        self.groups = [c.pid for c in self.children]
        update_status(self.folder, None, child_pids=[c.pid for c in self.children], process_groups=self.groups,
                      child_starts=[process_start_time(c.pid) for c in self.children],
                      child_pid=self.children[0].pid, **({
                          "master_port": int(launches[0]["env"].get("MASTER_PORT", 0)) or None,
                          "launcher": launcher.kind} if dist else {}))
        if self.canceled:  # SIGTERM arrived between the check and Popen
            self._stop_processes()
        failed = self._wait_all(plan.get("timeout"))
        self.groups += [r["pid"] for r in self.rank_records if "pid" in r]  # each mpirun rank's session
        self._kill_groups()  # whatever a process left behind in its group
        codes = [c.returncode for c in self.children]
        if self.canceled:
            return "Canceled", None, codes[0]
        if self.timed_out:
            return ("Canceled", f"the job ran longer than limits.timeout ({plan['timeout']} s) and was canceled",
                    codes[0])
        if failed is None:
            return "Completed", None, 0
        if launcher.kind == "mpirun":
            first = first_failure(self.rank_records)
            if first is None:  # mpirun itself failed (no rank's command ended non-zero)
                return "Failed", (f"mpirun exited with code {codes[0]} before any rank failed; its output "
                                  f"(mpirun.txt):\n{log_tail(self.folder / 'mpirun.txt')}"), codes[0]
            failed, code = first
            launch = launches[failed]
        else:
            launch, code = launches[failed], codes[failed]
        tail = log_tail(self.folder / "user_logs" / launch["log"])
        if not dist:
            return "Failed", f"the command exited with code {code}; last output:\n{tail}", code
        return "Failed", (f"process {launch['rank']} of {len(launches)} (user_logs/{launch['log']}) exited with code "
                          f"{code}, so the other processes were stopped; last output:\n{tail}"), code

    def _start_own(self, launches: list[dict], shell: str, base_env: dict, cwd: Path, inputs: list, outputs: list) -> None:
        """The own launcher: one process per rank, each started here with its variables."""
        for launch in launches:
            env = {**base_env, **launch["env"]}
            protected = readonly_command(shell, self.plan["command"], inputs, env, outputs)
            argv = protected or [shell, "-c", self.plan["command"]]
            with open(self.folder / "user_logs" / launch["log"], "ab") as log:
                if inputs and protected is None:
                    log.write(UNPROTECTED_NOTICE.encode())
                    log.flush()
                # Our rule: every process is a session (so a process group) of its own, as every
                # job's command is: the kernel shares the CPU between sessions (autogroups), and
                # ranks in one session got one process's share (docs/distributed.md).
                child = subprocess.Popen(
                    argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.children.append(child)

    def _start_mpirun(self, launcher: Launcher, launches: list[dict], shell: str, base_env: dict, cwd: Path,
                      inputs: list, outputs: list) -> None:
        """One mpirun for every rank (mpi.py); each rank's wrapper (mpi_rank.py) writes its log,
        adds its variables and runs the command in a session of its own. mpirun's own messages
        go to mpirun.txt in the job's folder."""
        env = dict(base_env)
        protected = readonly_command(shell, self.plan["command"], inputs, env, outputs)
        argv = mpirun_command(launcher, self.folder, launches, protected or [shell, "-c", self.plan["command"]],
                              self.plan["distribution"]["nodes"], UNPROTECTED_NOTICE if inputs and protected is None else "")
        self.mpirun = True
        self.log("mpirun: " + " ".join(argv))
        with open(self.folder / "mpirun.txt", "ab") as log:
            self.children.append(subprocess.Popen(
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))

    @property
    def rank_records(self) -> list[dict]:
        """The mpirun ranks' pids and exit codes, in the order they happened (mpi.py)."""
        return read_records(self.folder) if self.mpirun else []

    def _wait_all(self, timeout: float | None) -> int | None:
        """Wait until every process has ended; the first to fail stops the others (as Azure
        fails a distributed job when one process fails). The failed one's index, or None."""
        ended: queue.Queue = queue.Queue()
        for index, child in enumerate(self.children):
            threading.Thread(target=lambda i=index, c=child: ended.put((i, c.wait())), daemon=True).start()
        deadline = None if timeout is None else time.monotonic() + timeout
        failed, running = None, len(self.children)
        while running:
            try:
                wait = None if deadline is None or self.timed_out else max(0.0, deadline - time.monotonic())
                index, code = ended.get(timeout=wait)
            except queue.Empty:
                self.timed_out = True
                self._stop_processes()
                continue
            running -= 1
            if code != 0 and failed is None and not (self.canceled or self.timed_out):
                failed = index
                self._stop_processes()
        return failed

    def _capture_artifacts(self) -> None:
        """./outputs and ./logs of the working folder become the job's artifacts (as on Azure)."""
        cwd = Path(self.plan["cwd"])
        for sub in ("outputs", "logs"):
            source, target = cwd / sub, self.folder / "artifacts" / sub
            if not source.is_dir() or source.is_symlink():
                continue
            if not target.exists():
                os.replace(source, target)
                continue
            for item in source.rglob("*"):
                if item.is_file() or item.is_symlink():
                    dest = target / item.relative_to(source)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(item, dest)
            shutil.rmtree(source, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:])[0]).resolve()
    ownership = own_job(folder, "runner.lock")
    if ownership is None:  # launched twice (a restarted sweep controller): the other one runs it
        return 0
    runner = _Runner(folder)
    signal.signal(signal.SIGTERM, runner.on_sigterm)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the kernel's terminal going away is no reason to stop
    try:
        runner.run()
    except BaseException as exc:
        update_status(folder, "Failed", error=f"the job runner failed: {type(exc).__name__}: {exc}")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
