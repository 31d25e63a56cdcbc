"""Pipeline jobs on the fake Azure ML server (fake_azureml.py): the step runs run history holds for
a submitted pipeline, as azure-ai-ml reads them.

What the real service does, and the fake mimics:
- `PUT .../jobs/<pipeline>` (jobType Pipeline) answers 201 with status `NotStarted` (the shared
  recording pipeline_job_create_and_update.json); its steps' components were PUT before it, inline
  steps and `file:` components as anonymous versions (`components/azureml_anonymous/versions/<hash>`),
  which the fake stores as any versioned asset;
- each step runs as a child run in run history: `GET /history/.../runs/<pipeline>/children` lists
  them (azure-ai-ml's `jobs.list(parent_job_name=...)`, via `get_run_children`), each a Run with a
  GUID name, the step key as display name, `parentRunId`, its times, its compute and Azure's step
  properties (`azureml.isreused` / `azureml.reusedrunid` when reused);
- `GET .../jobs/<step run>` answers a job without properties (child jobs are not MFE jobs), so
  azure-ai-ml's `jobs.get` reads the step from run history (`GET /history/.../runs/<step run>`).

The pipeline is the clock: each read of the pipeline job is one tick (30 s of the fake's time). In
a tick a step starts once every step it reads an output of has Completed, and each started step not
finished walks one status of `fake.run_status[step_run_id(pipeline, key)]` (default
Running, Completed); the pipeline's status follows its steps. `POST .../jobs/<pipeline>/cancel`
cancels its running steps and starts no more; the pipeline is then Canceled.

The pipeline's own log (`logs/azureml/executionlogs.txt`, what `az ml job stream` follows for a
pipeline) says when steps are submitted and completed, in the service's words.

Reuse, as Azure decides it: a step whose component (the anonymous version is a hash of its spec
and code), inputs (parent inputs resolved, another step's output by the run that wrote it) and
outputs equal those of an earlier Completed step is Completed at once, carrying the run it reuses;
not when the pipeline sets `force_rerun` or the component `is_deterministic: false`. A step in
`fake.pipelines.reused` (set before submitting) reuses the run named there.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid

__all__ = ["FakePipelines", "step_run_id", "TERMINAL"]

TERMINAL = {"Completed", "Failed", "Canceled", "NotResponding", "Paused"}
_PRODUCER = re.compile(r"\$\{\{\s*parent\.jobs\.([A-Za-z0-9_]+)\.outputs\.")
_EPOCH = datetime.datetime(2026, 1, 5, 10, 0, tzinfo=datetime.timezone.utc)
_TICK = datetime.timedelta(seconds=30)


def step_run_id(pipeline: str, step: str) -> str:
    """The step's child run name: a GUID, as Azure names them; derived, so recordings are stable."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"amlmagic-fake/{pipeline}/{step}"))


def _time(tick: int) -> str:
    return (_EPOCH + tick * _TICK).isoformat().replace("+00:00", "Z")


class FakePipelines:
    def __init__(self, fake):
        self.fake = fake  # the FakeAzureML: its scope, run_status walks and stored jobs
        self.steps: dict[str, dict[str, dict]] = {}  # pipeline -> step key -> its run (None until it starts)
        self.plans: dict[str, dict] = {}  # pipeline -> {clock, keys, producers, settings}
        self.runs: dict[str, tuple[str, str]] = {}  # step run id -> (pipeline, step key)
        self.reused: dict[str, str] = {}  # step run id -> the run it reuses (set before submitting)
        self.completed: dict[str, str] = {}  # a step's fingerprint -> the first run that completed it
        self.fingerprints: dict[str, str] = {}  # step run id -> its fingerprint
        self.events: dict[str, list[str]] = {}  # pipeline -> its execution log's lines

    # -- submission -------------------------------------------------------------------------------
    def submitted(self, name: str, props: dict) -> None:
        jobs = props.get("jobs") or {}
        producers = {key: sorted(set(_PRODUCER.findall(json.dumps(node.get("inputs") or {}))))
                     for key, node in jobs.items()}
        self.plans[name] = {"clock": 0, "keys": list(jobs), "producers": producers, "nodes": jobs,
                            "settings": props.get("settings") or {}, "experiment": props.get("experimentName"),
                            "inputs": {k: (v or {}).get("value", (v or {}).get("uri")) for k, v in (props.get("inputs") or {}).items()},
                            "compute": (props.get("computeId") or "").rsplit("/", 1)[-1]}
        self.steps[name] = {}
        self.events[name] = []
        for key in jobs:
            self.runs[step_run_id(name, key)] = (name, key)
        props["status"] = "NotStarted"

    def is_pipeline(self, run_id: str) -> bool:
        return run_id in self.plans

    def is_step(self, run_id: str) -> bool:
        return run_id in self.runs

    # -- time passing -----------------------------------------------------------------------------
    def tick(self, name: str) -> str:
        """One read of the pipeline: steps start and walk on; the pipeline's status."""
        plan, started = self.plans[name], self.steps[name]
        if self._status(name) in TERMINAL:
            return self._status(name)
        plan["clock"] += 1
        for key in plan["keys"]:
            if key not in started and self._ready(name, key):
                started[key] = run = self._start(name, key)
                self._log(name, f"Submitting 1 runs, first five are: {run['properties']['azureml.nodeid']}:"
                                f"{run['runId']}")
            run = started.get(key)
            if run is not None and run["status"] not in TERMINAL:
                self._walk(run, plan["clock"])
        status = self._status(name)
        if status == "Completed":
            self._log(name, "Finishing experiment: no runs left and nothing to schedule.")
        elif status == "Failed":
            self._log(name, "Execution of experiment failed, update experiment status and cancel running nodes.")
        return status

    def cancel(self, name: str) -> None:
        """`POST .../jobs/<pipeline>/cancel`: its running steps are Canceled and no more start."""
        plan = self.plans[name]
        plan["canceled"] = True
        for run in self.steps[name].values():
            if run["status"] not in TERMINAL:
                self.fake.run_status[run["runId"]] = ["Canceled"]
                self._walk(run, plan["clock"])

    def execution_log(self, name: str) -> str:
        return "".join(f"{line}\n" for line in self.events[name])

    def read_step(self, run_id: str) -> dict:
        """A step's run as run history answers it; a read walks a started step one status on."""
        name, key = self.runs[run_id]
        run = self.steps[name].get(key)
        if run is None:
            return {"runId": run_id, "status": "NotStarted", "displayName": key, "parentRunId": name}
        if run["status"] not in TERMINAL:
            self._walk(run, self.plans[name]["clock"])
        return run

    def children(self, name: str) -> list[dict]:
        """The started steps' runs, newest first (run history's order)."""
        return list(reversed(list(self.steps.get(name, {}).values())))

    # -- internals --------------------------------------------------------------------------------
    def _ready(self, name: str, key: str) -> bool:
        plan, started = self.plans[name], self.steps[name]
        stopped = plan.get("canceled") or any(r["status"] == "Failed" for r in started.values()) and not \
            plan["settings"].get("continue_on_step_failure")
        return not stopped and all(started.get(p, {}).get("status") == "Completed" for p in plan["producers"][key])

    def _start(self, name: str, key: str) -> dict:
        plan = self.plans[name]
        run_id = step_run_id(name, key)
        node = plan["nodes"][key]
        compute = (node.get("computeId") or "").rsplit("/", 1)[-1] or plan["compute"] or \
            str(plan["settings"].get("default_compute") or "").rsplit("/", 1)[-1].replace("azureml:", "")
        component = node.get("componentId") or ""
        # The properties Azure's step runs carry (pipeline, node, module), and reuse's two.
        properties = {"azureml.DevPlatv2": "true", "azureml.runsource": "azureml.StepRun", "StepType": "Command",
                      "azureml.nodeid": run_id[:8], "azureml.pipelinerunid": name, "azureml.pipeline": name,
                      "azureml.moduleid": component, "azureml.moduleName": component.split("/components/")[-1]
                      .split("/")[0], "ComputeTargetType": "AmlCompute"}
        self.fingerprints[run_id] = fingerprint = self._fingerprint(name, key)
        original = self.reused.get(run_id) or (self.completed.get(fingerprint) if self._reusable(name, key) else None)
        if original:
            properties.update({"azureml.isreused": "true", "azureml.reusedrunid": original})
            self.fake.run_status[run_id] = ["Completed"]
        else:
            self.fake.run_status.setdefault(run_id, ["Running", "Completed"])
        now = _time(plan["clock"])
        outputs = {out: {"assetId": f"azureml://datastores/workspaceblobstore/paths/azureml/{run_id}/{out}/",
                         "type": "UriFolder"} for out in (node.get("outputs") or {})}
        return {"runId": run_id, "name": run_id, "displayName": key, "parentRunId": name, "rootRunId": name,
                "experimentId": plan["experiment"], "status": "NotStarted", "runType": "azureml.StepRun",
                "createdUtc": now, "startTimeUtc": now, "endTimeUtc": None, "lastModifiedUtc": now,
                "createdBy": {"userName": "ada@example.com"}, "target": compute,
                "compute": {"target": compute, "targetType": "AmlCompute"}, "properties": properties,
                "tags": {}, "services": {}, "outputs": outputs, "warnings": [], "error": None,
                "logFiles": {"user_logs/std_log.txt": f"{self.fake.url}/logs/{run_id}/std_log.txt"}}

    def _walk(self, run: dict, clock: int) -> None:
        run["status"] = self.fake._next_status(run["runId"])
        run["lastModifiedUtc"] = _time(clock)
        if run["status"] in TERMINAL:
            run["endTimeUtc"] = _time(clock)
            self._log(run["parentRunId"], f"Completing processing run id {run['runId']}.")
        if run["status"] == "Completed" and "azureml.reusedrunid" not in run["properties"]:
            self.completed.setdefault(self.fingerprints[run["runId"]], run["runId"])
        if run["status"] == "Failed":
            run["error"] = {"error": {"code": "UserError", "message": "Execution failed: the command exited with code 1"}}

    def _log(self, name: str, line: str) -> None:
        self.events[name].append(f"[{_time(self.plans[name]['clock']).replace('T', ' ')}] {line}")

    def _fingerprint(self, name: str, key: str) -> str:
        plan, started = self.plans[name], self.steps[name]
        node = plan["nodes"][key]
        text = json.dumps({"component": node.get("componentId"), "inputs": node.get("inputs"),
                           "outputs": node.get("outputs")}, sort_keys=True)
        text = re.sub(r"\$\{\{\s*parent\.inputs\.([A-Za-z0-9_]+)\s*\}\}",
                      lambda m: json.dumps(plan["inputs"].get(m[1])), text)
        for producer in plan["producers"][key]:  # the data it reads: the run that wrote it
            run = started[producer]
            written_by = run["properties"].get("azureml.reusedrunid") or run["runId"]
            text = text.replace(f"parent.jobs.{producer}.outputs", f"runs.{written_by}.outputs")
        return text

    def _reusable(self, name: str, key: str) -> bool:
        plan = self.plans[name]
        component = self.fake.store.get(str(plan["nodes"][key].get("componentId") or "").lower()) or {}
        spec = (component.get("properties") or {}).get("componentSpec") or {}
        return not plan["settings"].get("force_rerun") and spec.get("is_deterministic", True) is not False

    def _status(self, name: str) -> str:
        plan, started = self.plans[name], self.steps[name]
        statuses = [r["status"] for r in started.values()]
        if plan.get("canceled"):
            return "Canceled"
        if not statuses:
            return "NotStarted"
        if "Failed" in statuses and (all(s in TERMINAL for s in statuses) or not plan["settings"].get(
                "continue_on_step_failure")):
            return "Failed"
        if len(started) == len(plan["keys"]) and all(s in TERMINAL for s in statuses):
            return "Completed" if set(statuses) == {"Completed"} else "Canceled"
        waiting = [k for k in plan["keys"] if k not in started]
        if all(s in TERMINAL for s in statuses) and not any(self._ready(name, k) for k in waiting):
            return "Failed" if "Failed" in statuses else "Canceled"  # steps left that can never start
        return "Running"
