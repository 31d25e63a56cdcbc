"""The sweep controller: `submit_sweep` creates a sweep job and starts the detached controller
(`python -m amlmagic.local.sweep.controller <sweep folder>`), which samples trials, runs each as a
child job, applies the early-termination policy as the trials log their primary metric, and
writes the sweep's results.

    name = submit_sweep(workspace_root, spec, name=None, base_path=folder_of_the_yaml)
    resume_sweep(workspace_root, name)     # start a new controller for a sweep whose one died

`spec` is the sweep's CLI v2 dict (amlmagic.spec.jobs.job_to_spec). Everything is checked before
anything is written: the sweep fields (validation.py) and the trial as a command job (inputs,
environment, compute, `${{search_space.x}}` references). Like Azure, the sweep is Running as soon
as it is submitted.

The sweep's folder is a job folder (record.json, status.json: the job engine's files, so
`client.jobs` reads, lists and cancels it like any job) plus:
- `sweep_state.json`: the sampler's `state()`, every trial's params, status, score and early
  termination, the start time. Saved after every sample (before the trial is submitted) and every
  change, so a new controller continues where a dead one stopped: same sequence, no duplicates.
- `user_logs/std_log.txt`: the controller's log, in the style of Azure's hyperdrive log, which
  `%aml job stream` shows; `controller.log`: the process's own stderr.
- `code/`: the trial's code, snapshotted once; every trial snapshots it again, as Azure does.
The sweep also has its own MLflow run (the trials' runs are its children).

Limits (validation.py fills the defaults): at most `max_total_trials` trials, at most
`max_concurrent_trials` unfinished at any time (a trial counts from its submission to its final
status, so Running intervals never overlap more); `trial_timeout` is each trial's own timeout;
past `timeout` the running trials are canceled and the sweep ends Canceled. The controller polls
every POLL_SECONDS: trial statuses (read_status: a trial whose runner died is Failed) and new
primary-metric values (one MetricsReader per trial). SIGTERM (`client.jobs.begin_cancel`)
cancels the running trials and ends the sweep Canceled.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from ...errors import AlreadyExistsError, AmlMagicError, NotFoundError, UsageError
from ...names import generate_job_name, validate_job_name
from ...rules import TERMINAL_STATUSES
from ..jobs.cancel import cancel_job
from ..jobs.state import (
    job_dir,
    jobs_root,
    launch_driver,
    own_job,
    raw_status,
    read_record,
    read_status,
    update_status,
)
from ..osutil import read_json, write_json_atomic
from ..snapshots import snapshot_code
from ..store import Store
from ..workspace import current_user, now_iso
from .policies import TrialProgress, make_policy
from .results import final_status, sweep_properties
from .sampling import make_sampler
from .trials import (
    sweep_env,
    terminate_trial,
    trial_meta,
    trial_name,
    trial_score,
    trial_spec,
    trial_threads,
)
from .validation import sweep_defaults

__all__ = ["submit_sweep", "launch_controller", "resume_sweep", "SweepController", "main",
           "STATE_FILE", "POLL_SECONDS"]

STATE_FILE = "sweep_state.json"  # the controller's saved state: a new controller continues from it
POLL_SECONDS = 0.02  # a finished trial is replaced within ~10 ms on average; a poll costs ~0.2 ms (1% of a core)


def _code_path(spec: Mapping[str, Any], base: Path) -> Path | None:
    raw = (spec.get("trial") or {}).get("code")
    if not raw:
        return None
    raw = raw["local_path"] if isinstance(raw, Mapping) else str(raw)
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else (base / path).resolve()
    if not path.exists():
        raise NotFoundError(f"trial.code: folder {raw} does not exist ({path}): fix the sweep's trial code field")
    return path


def submit_sweep(workspace_root: str | os.PathLike, spec: Mapping[str, Any], *, name: str | None = None,
                 base_path: str | os.PathLike | None = None, start: bool = True,
                 parent_job_name: str | None = None) -> str:
    """Create the sweep job (status Running) and start its detached controller; returns its name."""
    from ..jobs.plan import build_plan
    from ..tracking import prepare_run

    store = Store(Path(workspace_root))
    full = sweep_defaults(spec)  # raises a one-line ValidationError naming the field
    name = validate_job_name(name) if name else generate_job_name()
    base = Path(base_path or os.getcwd()).resolve()
    final = job_dir(store.root, name)
    if final.exists():
        raise AlreadyExistsError(f"job {name!r} already exists: give the sweep another name")
    experiment = spec.get("experiment_name") or base.name or "Default"  # the CLI's default
    code = _code_path(spec, base)
    # Check the trial as a command job now (inputs, environment, compute, references), so a
    # mistake fails the submit instead of every trial.
    check_spec = trial_spec({**spec, "experiment_name": experiment}, code)
    placeholder = {key: "0" for key in full["search_space"]}
    plan, _ = build_plan(store, check_spec, trial_name(name, 0), base, final / "check", name, {}, placeholder)

    jobs_root(store.root).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=jobs_root(store.root), prefix=f".staging-{name}-"))
    try:
        if code is not None:
            snapshot_code(code, staging / "code", store.root)
        for sub in ("user_logs", "artifacts", "outputs"):
            (staging / sub).mkdir(exist_ok=True)
        # The YAML schema requires limits.max_total_trials: the stored spec gets the default
        # when a Python-built sweep has none, so `client.jobs.get` can load it back.
        limits = {**(spec.get("limits") or {}), "max_total_trials": full["limits"]["max_total_trials"]}
        record = {
            "spec": {**spec, "name": name, "experiment_name": experiment, "limits": limits},
            "meta": {"created_at": now_iso(), "created_by": current_user(), "base_path": str(base),
                     "parent_job_name": parent_job_name, "type": "sweep", "compute": plan["compute"]["name"],
                     "pool_size": plan["compute"]["max_instances"]},
        }
        write_json_atomic(staging / "record.json", record)
        write_json_atomic(staging / STATE_FILE, {
            "workspace_root": str(store.root), "base_path": str(base), "started_at": time.time(),
            "sampler": None, "trials": [], "done_sampling": False,
        })
        stamp = now_iso()  # Azure: a sweep PUT answers Running at once
        write_json_atomic(staging / "status.json", {
            "status": "Running", "history": [["Running", stamp]], "start_time": stamp,
            "properties": sweep_properties(full, []),
        })
        try:
            os.rename(staging, final)
        except OSError:
            raise AlreadyExistsError(f"job {name!r} already exists: give the sweep another name") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    prepare_run(store.root, name, experiment_name=experiment, display_name=spec.get("display_name") or name,
                artifacts_dir=final / "artifacts", tags=spec.get("tags"))
    if start:
        launch_controller(final)
    return name


def launch_controller(folder: Path) -> int:
    """Start the controller in its own session (it outlives the kernel); record its pid."""
    return launch_driver(folder, "amlmagic.local.sweep.controller")


def resume_sweep(workspace_root: str | os.PathLike, name: str) -> int:
    """Start a new controller for a sweep that has not ended (e.g. its controller was killed
    before anyone read its status); it continues from sweep_state.json."""
    folder = job_dir(Path(workspace_root), name)
    if not (folder / STATE_FILE).is_file():
        raise NotFoundError(f"sweep {name!r} not found: list jobs with %aml job list")
    status = raw_status(folder).get("status")
    if status in TERMINAL_STATUSES:
        raise UsageError(f"sweep {name} already ended {status}: submit it again to run it anew")
    return launch_controller(folder)


def _log_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SweepController:
    """One sweep's control loop (`run`); all of its state lives in the sweep folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.record = read_record(self.folder)
        self.name = self.record["spec"]["name"]
        self.state = read_json(self.folder / STATE_FILE)
        self.root = Path(self.state["workspace_root"])
        self.spec = sweep_defaults(self.record["spec"])
        self.metric = self.spec["objective"]["primary_metric"]
        self.goal = self.spec["objective"]["goal"]
        self.limits = self.spec["limits"]
        self.sampler = make_sampler(self.spec, self.state.get("sampler"))
        self.policy = make_policy(self.spec.get("early_termination"))
        code = self.folder / "code"
        self.trial_spec = trial_spec(self.record["spec"], code if code.exists() else None)
        pool = self.record["meta"].get("pool_size")
        self.threads = trial_threads({**self.record["spec"], "limits": self.limits}, pool)
        self.readers: dict[str, Any] = {}
        self.values: dict[str, list[float]] = {}
        self.cancel_requested = False
        self.written_properties: dict[str, str] | None = None
        self.log_file = open(self.folder / "user_logs" / "std_log.txt", "a", encoding="utf-8")

    # -- bookkeeping ---------------------------------------------------------------------------
    @property
    def trials(self) -> list[dict]:
        return self.state["trials"]

    def active(self) -> list[dict]:
        return [t for t in self.trials if t["status"] is None]

    def log(self, part: str, text: str) -> None:
        self.log_file.write(f"[{_log_stamp()}][{part}][INFO]{text}\n")
        self.log_file.flush()

    def save(self) -> None:
        self.state["sampler"] = self.sampler.state()
        write_json_atomic(self.folder / STATE_FILE, self.state)

    def write_properties(self) -> None:
        props = sweep_properties(self.spec, self.trials)
        if props != self.written_properties:
            update_status(self.folder, None, properties=props)
            self.written_properties = props

    def restore(self) -> None:
        """Continue after a restart: trials submitted by the dead controller are followed, a
        sampled trial it had not yet submitted is submitted now."""
        for trial in self.trials:
            if self.policy is not None and trial.get("terminated"):
                self.policy.reported.add(trial["name"])
            if trial["status"] is not None:
                continue
            folder = job_dir(self.root, trial["name"])
            if not (folder / "record.json").is_file():
                self.submit(trial)
                continue
            trial["submitted"] = True
            launch = raw_status(folder)
            # Created but its runner never launched: NotStarted, or marked Starting by a controller
            # that died before the runner process existed (no pid recorded).
            if launch.get("status") == "NotStarted" or (launch.get("status") == "Starting" and not launch.get("pid")):
                from ..jobs.plan import launch_runner

                launch_runner(folder)
        self.save()

    # -- trials --------------------------------------------------------------------------------
    def submit(self, trial: dict) -> None:
        from ..jobs.plan import submit_plan

        try:
            submit_plan(self.root, self.trial_spec, name=trial["name"], base_path=self.state["base_path"],
                        parent_job_name=self.name, extra_env={**self.threads, **sweep_env(trial["params"])},
                        search_space=trial["params"], meta=trial_meta(trial["index"], trial["params"]))
            self.log("SCHEDULER", f"Scheduling job, id='{trial['name']}' params={trial['params']}")
        except AmlMagicError as exc:  # e.g. a value the command cannot take: that trial fails
            trial.update(status="Failed", error=f"submit: {exc}")
            self.sampler.tell(trial["index"], None, "failed")
            self.log("SCHEDULER", f"Could not submit '{trial['name']}': {exc}")
        trial["submitted"] = True
        trial["submitted_at"] = time.time()
        self.save()

    def sample_and_submit(self) -> None:
        while (len(self.active()) < self.limits["max_concurrent_trials"]
               and len(self.trials) < self.limits["max_total_trials"] and not self.state["done_sampling"]):
            params = self.sampler.next_params()
            if params is None:
                self.state["done_sampling"] = True
                self.save()
                self.log("GENERATOR", "All jobs generated (the search space is exhausted).")
                return
            index = len(self.trials)
            trial = {"index": index, "name": trial_name(self.name, index), "params": params, "status": None,
                     "score": None, "terminated": None, "error": None, "submitted": False}
            self.trials.append(trial)
            self.save()  # before submitting: a restarted controller never samples this index again
            self.submit(trial)
        if len(self.trials) >= self.limits["max_total_trials"] and not self.state["done_sampling"]:
            self.state["done_sampling"] = True
            self.save()
            self.log("GENERATOR", f"Max number of jobs '{self.limits['max_total_trials']}' reached for experiment.")

    def _new_values(self, trial: dict) -> bool:
        name = trial["name"]
        reader = self.readers.get(name)
        if reader is None:
            from ..tracking import MetricsReader

            reader = self.readers[name] = MetricsReader(self.root, name)
        points = reader.read_new().get(self.metric)
        if not points:
            return False
        self.values.setdefault(name, []).extend(value for _step, _ts, value in points)
        trial["score"] = trial_score(self.values[name], self.goal)
        trial["intervals"] = len(self.values[name])
        return True

    def poll_trials(self, apply_policy: bool = True) -> None:
        fresh, changed = False, False
        for trial in self.active():
            status = read_status(job_dir(self.root, trial["name"]))
            fresh |= self._new_values(trial)
            if status["status"] in TERMINAL_STATUSES:
                self._new_values(trial)  # what it logged just before it ended
                trial.update(status=status["status"], error=status.get("error"), ended_at=time.time())
                self.sampler.tell(trial["index"], trial["score"], status["status"])
                self.log("CONTROLLER", f"Job '{trial['name']}' ended {status['status']}"
                         + (f" (score {trial['score']:g})" if trial["score"] is not None else ""))
                changed = True
        if fresh and apply_policy and self.policy is not None:
            self.apply_policy()
        if changed:
            self.save()

    def apply_policy(self) -> None:
        progress = {t["name"]: TrialProgress(self.values.get(t["name"], []), finished=t["status"] is not None)
                    for t in self.trials if self.values.get(t["name"])}
        by_name = {t["name"]: t for t in self.trials}
        for termination in self.policy.evaluate(progress, self.goal):
            trial = by_name[termination.trial]
            if terminate_trial(self.root, trial["name"], termination):
                trial["terminated"] = {"policy": termination.policy, "interval": termination.interval,
                                       "detail": termination.detail, "numbers": termination.numbers}
                self.log("CONTROLLER", f"Early termination of '{trial['name']}': {termination.detail}")
        self.save()

    def stop_trials(self, why: str) -> None:
        for trial in self.active():
            self.log("CONTROLLER", f"Canceling job '{trial['name']}': {why}")
            cancel_job(self.root, trial["name"])
        while self.active():
            self.poll_trials(apply_policy=False)
            time.sleep(POLL_SECONDS)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> tuple[str, str | None]:
        self.log("CONTROLLER", f"Sweep '{self.name}' controller started (pid {os.getpid()}); "
                 f"{self.goal} {self.metric}, limits {self.limits}")
        self.restore()
        deadline = self.state["started_at"] + self.limits["timeout"]
        canceled = timed_out = False
        while True:
            self.poll_trials()
            if self.cancel_requested or raw_status(self.folder).get("status") == "CancelRequested":
                canceled = True
                break
            if time.time() >= deadline:
                timed_out = True
                break
            self.sample_and_submit()
            self.write_properties()
            if not self.active() and self.state["done_sampling"]:
                break
            time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.time())))
        if canceled or timed_out:
            self.stop_trials("the sweep was canceled" if canceled else "the sweep reached limits.timeout")
        status, error = final_status(self.trials, canceled=canceled, timed_out=timed_out,
                                     timeout=self.limits["timeout"])
        self.finish(status, error)
        return status, error

    def finish(self, status: str, error: str | None) -> None:
        from ..tracking import end_run

        props = sweep_properties(self.spec, self.trials)
        try:
            end_run(self.root, self.name, {"Completed": "FINISHED", "Failed": "FAILED"}.get(status, "KILLED"))
        except AmlMagicError:
            pass  # the sweep's run is a convenience; its status below is what counts
        best = props.get("best_child_run_id")
        self.log("CONTROLLER", f"Changing Run Status from Running to {status}"
                 + (f"; best trial {best} with {self.metric} {props['score']}" if best else ""))
        update_status(self.folder, status, error=error, properties=props)

    def on_sigterm(self, *_: Any) -> None:
        self.cancel_requested = True


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:])[0]).resolve()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the kernel going away is no reason to stop
    ownership = own_job(folder, "controller.lock")
    if ownership is None:  # launched twice (two readers revived it at once): the other one runs it
        return 0
    try:
        controller = SweepController(folder)
        signal.signal(signal.SIGTERM, controller.on_sigterm)
        controller.run()
    except BaseException as exc:
        update_status(folder, "Failed", error=f"the sweep controller failed: {type(exc).__name__}: {exc}")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
