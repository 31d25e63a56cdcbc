"""The pipeline controller, the sweep controller's sibling: `submit_pipeline` checks the graph,
creates the pipeline job and starts the detached controller
(`python -m amlmagic.local.pipeline.controller <pipeline folder>`), which runs each step as a
child job once its inputs exist, or reuses an earlier identical step (reuse.py).

    name = submit_pipeline(workspace_root, spec, name=None, base_path=folder_of_the_yaml)

The pipeline's folder is a job folder (record.json, status.json: `client.jobs` reads, lists and
cancels it like any job) plus `pipeline_state.json` (each step's child job, status, reuse and
reason; saved on every change, so a new controller adopts what a dead one started),
`user_logs/std_log.txt` (a line per step event, what `%aml job stream` shows) and `code/<hash>/`
(each component's code, snapshotted at submit as Azure uploads it then).

Step failure, `settings.continue_on_step_failure`: our rule is False when unset (the 2022
reference and today's schedule reference; today's pipeline reference says True and the SDK sends
nothing): the first failed step cancels the running ones, starts no more, and the pipeline
Fails. With True, steps that do not need a failed step's outputs still run; those that do never
start (they have no child job, their state says why); the pipeline ends Failed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from ...errors import AlreadyExistsError, AmlMagicError
from ...names import generate_job_name, validate_job_name
from ...rules import REUSE_REASON, TERMINAL_STATUSES
from ..jobs.cancel import cancel_job
from ..jobs.plan import build_plan, launch_runner, submit_plan
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
from .graph import Graph, build_graph
from .reuse import explain, find_reusable, fingerprint, fingerprint_parts, previous, remember
from .steps import output_uri, record_reused_job, step_spec

__all__ = ["submit_pipeline", "launch_controller", "PipelineController", "STATE_FILE", "continue_on_failure", "main"]

STATE_FILE = "pipeline_state.json"
POLL_SECONDS = 0.02


def continue_on_failure(settings: Mapping[str, Any]) -> bool:
    """Our rule: False when the pipeline does not say (see the module's docstring)."""
    value = settings.get("continue_on_step_failure")
    return str(value).lower() == "true" if value is not None else False


def _snapshot_components(spec: dict, staging: Path, final: Path, root: Path) -> dict:
    """Each step's component code copied once into the pipeline folder (by source folder); the
    spec names the copies where they will be once `staging` becomes `final`."""
    copies: dict[str, str] = {}
    for step in (spec.get("jobs") or {}).values():
        component = step.get("trial" if step.get("type") == "sweep" else "component")
        code = component.get("code") if isinstance(component, dict) else None
        if not code:
            continue
        if code not in copies:
            relative = Path("code") / hashlib.sha256(code.encode()).hexdigest()[:16] / Path(code).name
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            snapshot_code(Path(code), staging / relative, root)
            copies[code] = str(final / relative)
        component["code"] = copies[code]
    return spec


def submit_pipeline(workspace_root: str | os.PathLike, spec: Mapping[str, Any], *, name: str | None = None,
                    base_path: str | os.PathLike | None = None, start: bool = True,
                    meta: Mapping[str, Any] | None = None) -> str:
    """Check the whole graph, create the pipeline job (Running) and start its controller; `meta`
    is added to its record's meta (a batch endpoint's job says which endpoint started it)."""
    store = Store(Path(workspace_root))
    base = Path(base_path or os.getcwd()).resolve()
    name = validate_job_name(name) if name else generate_job_name()
    final = job_dir(store.root, name)
    if final.exists():
        raise AlreadyExistsError(f"job {name!r} already exists: give the pipeline another name")
    graph = build_graph(store, spec, base)  # one-line ValidationError naming the step and field
    experiment = spec.get("experiment_name") or base.name or "Default"
    for key in graph.order():  # every step as a command job: compute, environment, data paths
        step = graph.steps[key]
        produced = {k: {o: output_uri(graph, graph.steps[k], o, "check") for o in list(graph.steps[k].outputs) + ["artifacts"]}
                    for k in step.depends}
        check = step_spec(graph, step, "check", produced, experiment)
        if step.type == "sweep":
            _sweep_check(check, key)
            continue
        for k, binding in step.inputs.items():
            # An upstream output exists only once its step ran; a step after others may also read
            # a datastore path they write (checked when the step starts).
            if binding[0] == "output" or (step.depends and binding[0] == "data"
                                          and str(binding[1]["path"]).startswith("azureml://datastores/")):
                check["inputs"][k] = f"<{k}, ready when the step starts>"
        _plan_check(store, check, base, final, key)
    jobs_root(store.root).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=jobs_root(store.root), prefix=f".staging-{name}-"))
    try:
        resolved = _resolved_spec(store, spec, graph)
        _snapshot_components(resolved, staging, final, store.root)
        (staging / "user_logs").mkdir()
        (staging / "artifacts").mkdir()
        stamp = now_iso()
        write_json_atomic(staging / "record.json", {
            "spec": {**resolved, "name": name, "experiment_name": experiment},
            "meta": {"created_at": stamp, "created_by": current_user(), "base_path": str(base), "parent_job_name": None,
                     "type": "pipeline", "compute": (graph.settings.get("default_compute") or "local"),
                     **dict(meta or {})},
        })
        write_json_atomic(staging / STATE_FILE, {"workspace_root": str(store.root), "base_path": str(base),
                                                 "steps": {key: {"status": "NotStarted"} for key in graph.order()}})
        write_json_atomic(staging / "status.json", {"status": "Running", "history": [["Running", stamp]],
                                                    "start_time": stamp})
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if start:
        launch_controller(final)
    return name


def _sweep_check(spec: dict, key: str) -> None:
    from ..sweep.validation import sweep_defaults

    try:
        sweep_defaults(spec)
    except AmlMagicError as exc:
        raise type(exc)(f"jobs.{key}: {exc}") from None


def _plan_check(store: Store, spec: dict, base: Path, final: Path, key: str) -> None:
    try:
        build_plan(store, spec, "check", base, final / "check")
    except AmlMagicError as exc:
        raise type(exc)(f"jobs.{key}: {exc}") from None


def _resolved_spec(store: Store, spec: Mapping[str, Any], graph: Graph) -> dict:
    """The spec as submitted, each step's component resolved inline (registered ones pinned to
    the version used), so the controller and `client.jobs.get` need no registry lookups."""
    resolved = {k: v for k, v in spec.items() if k != "jobs"}
    resolved["jobs"] = {}
    for key, node in (spec.get("jobs") or {}).items():
        node = dict(node)
        component = dict(graph.steps[key].component)
        field = "trial" if graph.steps[key].type == "sweep" else "component"
        if isinstance(spec["jobs"][key].get(field), str):
            node["component_ref"] = f"azureml:{component['name']}:{component['version']}"
        node[field] = component
        resolved["jobs"][key] = node
    return resolved


def launch_controller(folder: Path) -> int:
    """Start the controller in its own session (it outlives the kernel); record its pid."""
    return launch_driver(folder, "amlmagic.local.pipeline.controller")


class PipelineController:
    """One pipeline's control loop (`run`); all of its state lives in the pipeline folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.record = read_record(self.folder)
        self.spec = self.record["spec"]
        self.name = self.spec["name"]
        self.state = read_json(self.folder / STATE_FILE)
        self.store = Store(Path(self.state["workspace_root"]))
        self.base = Path(self.state["base_path"])
        self.graph = build_graph(self.store, self.spec, self.base)
        self.force_rerun = str(self.graph.settings.get("force_rerun", "")).lower() == "true"
        self.keep_going = continue_on_failure(self.graph.settings)
        self.cancel_requested = False
        self.log_file = open(self.folder / "user_logs" / "std_log.txt", "a", encoding="utf-8")

    def log(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.log_file.write(f"[{stamp}] {text}\n")
        self.log_file.flush()

    def save(self) -> None:
        write_json_atomic(self.folder / STATE_FILE, self.state)

    def _steps(self) -> dict[str, dict]:
        return self.state["steps"]

    # -- one step ----------------------------------------------------------------------------
    def _produced(self) -> dict[str, dict[str, str]]:
        return {k: s["outputs"] for k, s in self._steps().items() if s.get("outputs")}

    def _start(self, key: str) -> None:
        step = self.graph.steps[key]
        entry = self._steps()[key]
        job_name = generate_job_name()
        spec = step_spec(self.graph, step, job_name, self._produced(), self.spec["experiment_name"])
        producers = {uri: f"{s['original']}/{out}" for s in self._steps().values() if s.get("outputs")
                     for out, uri in s["outputs"].items()}
        code = Path(step.component["code"]) if step.component.get("code") else None
        parts = fingerprint_parts(self.store, spec, step.component, code, self.base, producers, step.outputs)
        fp = fingerprint(parts)
        identity = f"{self.spec['experiment_name']}/{self.spec.get('display_name') or 'pipeline'}/{key}"
        deterministic = step.component.get("is_deterministic", True) not in (False, "false", "False")
        reusable = deterministic and not self.force_rerun
        found = find_reusable(self.store, fp, lambda job: read_status(job_dir(self.store.root, job))["status"]) \
            if reusable else None
        entry.update({"job": job_name, "fingerprint": fp, "parts": parts, "identity": identity, "reusable": reusable})
        if found is not None:
            reason = f"reused {found['job']}: component, code, environment, inputs and settings unchanged"
            record_reused_job(self.store.root, found["job"], job_name, self.name, spec, reason)
            entry.update({"status": "Completed", "reused": True, "original": found["job"], "outputs": found["outputs"],
                          "reason": reason})
            remember(self.store, identity, parts, found["job"], None, reusable=False)
            self.log(f"step {key}: {reason} (job {job_name})")
        else:
            why = ("force_rerun is set on the pipeline" if self.force_rerun else
                   "its component is not deterministic (is_deterministic: false)" if not deterministic else
                   explain((previous(self.store, identity) or {}).get("parts"), parts))
            # Saved before the submit: a controller restarted in between adopts the job, never
            # submits the step twice (`_adopt`).
            entry.update({"status": "Starting", "reason": f"ran: {why}"})
            self.save()
            try:
                if step.type == "sweep":
                    from ..sweep.controller import submit_sweep

                    submit_sweep(self.store.root, spec, name=job_name, base_path=self.base, parent_job_name=self.name)
                else:
                    submit_plan(self.store.root, spec, name=job_name, base_path=self.base, parent_job_name=self.name,
                                meta={"properties": {REUSE_REASON: f"ran: {why}"}})
            except AmlMagicError as exc:  # e.g. a datastore path the steps before it did not write
                entry.update({"status": "Failed", "job": None, "reason": f"could not start: {exc}"})
                self.log(f"step {key}: could not start: {exc}")
                self.save()
                return
            outputs = {o: output_uri(self.graph, step, o, job_name) for o in list(step.outputs) + ["artifacts"]}
            entry.update({"status": "Running", "reused": False, "original": job_name, "outputs": None,
                          "planned_outputs": outputs, "reason": f"ran: {why}"})
            self.log(f"step {key}: started job {job_name} ({why})")
        self.save()

    def _finish(self, key: str, status: str) -> None:
        entry = self._steps()[key]
        entry["status"] = status
        if status == "Completed":
            entry["outputs"] = entry.pop("planned_outputs")
            if self.graph.steps[key].type == "sweep":  # downstream steps read the best trial's outputs
                best = (read_status(job_dir(self.store.root, entry["job"])).get("properties") or {}).get(
                    "best_child_run_id")
                step = self.graph.steps[key]
                entry["outputs"] = {o: output_uri(self.graph, step, o, best) for o in step.outputs} if best else {}
        remember(self.store, entry["identity"], entry["parts"], entry["job"], entry.get("outputs"),
                 reusable=status == "Completed" and entry["reusable"])
        self.log(f"step {key}: {status} (job {entry['job']})")
        self.save()

    def _adopt(self) -> None:
        """What a previous controller of this pipeline left: a step caught between saving and
        submitting runs if its job exists, else starts again."""
        for key, entry in self._steps().items():
            if entry["status"] == "Starting":
                exists = entry.get("job") and (job_dir(self.store.root, entry["job"]) / "record.json").is_file()
                if exists and self.graph.steps[key].type == "command":
                    self._launch_if_never_started(job_dir(self.store.root, entry["job"]))
                step = self.graph.steps[key]
                entry.update({"status": "Running", "reused": False, "original": entry["job"], "outputs": None,
                              "planned_outputs": {o: output_uri(self.graph, step, o, entry["job"])
                                                  for o in list(step.outputs) + ["artifacts"]}}
                             if exists else {"status": "NotStarted"})
        self.save()

    @staticmethod
    def _launch_if_never_started(folder: Path) -> None:
        """A step job whose folder was written but whose runner the dead controller never started
        (killed between the two) is started now, not left to fail as never launched."""
        status = raw_status(folder)
        if status.get("status") in ("NotStarted", "Starting") and not status.get("pid"):
            launch_runner(folder)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> str:
        self._adopt()
        self.log(f"pipeline {self.name}: {len(self.graph.steps)} steps")
        update_status(self.folder, "Running")
        while True:
            steps = self._steps()
            for key, entry in steps.items():  # running steps that ended
                if entry["status"] == "Running":
                    status = read_status(job_dir(self.store.root, entry["job"]))["status"]
                    if status in TERMINAL_STATUSES:
                        self._finish(key, status)
            failed = any(e["status"] in TERMINAL_STATUSES and e["status"] != "Completed" for e in steps.values())
            if self.cancel_requested or (failed and not self.keep_going):
                return self._stop("Canceled" if self.cancel_requested else "Failed")
            for key in self.graph.order():
                entry = steps[key]
                if entry["status"] != "NotStarted":
                    continue
                upstream = [steps[d]["status"] for d in self.graph.steps[key].depends]
                if all(s == "Completed" for s in upstream):
                    self._start(key)
                elif any(s in TERMINAL_STATUSES for s in upstream if s != "Completed"):
                    entry.update({"status": "Skipped", "reason": "an upstream step did not complete"})
                    self.log(f"step {key}: not started, an upstream step did not complete")
                    self.save()
            if all(e["status"] in TERMINAL_STATUSES or e["status"] == "Skipped" for e in steps.values()):
                final = "Completed" if all(e["status"] == "Completed" for e in steps.values()) else "Failed"
                return self._end(final)
            time.sleep(POLL_SECONDS)

    def _stop(self, status: str) -> str:
        for entry in self._steps().values():
            if entry["status"] == "Running":
                cancel_job(self.store.root, entry["job"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = [e for e in self._steps().values() if e["status"] == "Running"
                       and read_status(job_dir(self.store.root, e["job"]))["status"] not in TERMINAL_STATUSES]
            if not running:
                break
            time.sleep(POLL_SECONDS)
        for key, entry in self._steps().items():
            if entry["status"] == "Running":
                self._finish(key, read_status(job_dir(self.store.root, entry["job"]))["status"])
            elif entry["status"] == "NotStarted":
                entry.update({"status": "Skipped", "reason": f"the pipeline was {status.lower()} first"})
        self.save()
        return self._end(status)

    def _register_outputs(self) -> None:
        """A pipeline output with `name` (and `version`) registers what its step wrote as a data
        asset version, as Azure does when the pipeline completes."""
        for key, entry in self._steps().items():
            for output, settings in self.graph.steps[key].outputs.items():
                parent = settings.get("pipeline_output")
                declared = self.graph.outputs.get(parent) or {} if parent else settings
                asset = declared.get("name")
                if not asset or entry.get("status") != "Completed":
                    continue
                with self.store.lock(f"data-{asset}"):
                    version = str(declared.get("version") or self.store.next_version("data", asset))
                    if self.store.get_version("data", asset, version) is not None:
                        self.log(f"output {parent or output}: data {asset}:{version} exists already; not registered")
                        continue
                    spec = {"type": settings["type"], "path": entry["outputs"][output], "name": asset, "version": version}
                    meta = {"created_at": now_iso(), "created_by": current_user(), "source": entry["outputs"][output],
                            "job": entry["original"]}
                    self.store.put_version("data", asset, version, {"spec": spec, "meta": meta})
                self.log(f"output {parent or output}: registered data {asset}:{version}")

    def _end(self, status: str) -> str:
        if status == "Completed":
            self._register_outputs()
        failed = [k for k, e in self._steps().items() if e["status"] in ("Failed", "Canceled", "NotResponding")]
        error = None
        if failed and status == "Failed":
            entry = self._steps()[failed[0]]
            error = (f"step {failed[0]} ended {entry['status']}: see %aml job show -n {entry['job']}" if entry.get("job")
                     else f"step {failed[0]} {entry['reason']}")
        self.log(f"pipeline {self.name}: {status}")
        update_status(self.folder, status, error=error, end_time=now_iso())
        return status


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:])[0]).resolve()
    ownership = own_job(folder, "controller.lock")
    if ownership is None:
        return 0
    controller = PipelineController(folder)
    signal.signal(signal.SIGTERM, lambda *_: setattr(controller, "cancel_requested", True))
    try:
        controller.run()
    except Exception as exc:  # a bug or a vanished workspace: the pipeline fails with the reason
        update_status(folder, "Failed", error=f"the pipeline controller failed: {type(exc).__name__}: {exc}")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
