"""The maturity report's practice checks, one function each: what was found (evidence) and, when the
practice is missing, the next step. Which level each belongs to is `levels.PRACTICE_LEVELS`.

A check reads the workspace through `WorkspaceFacts` (the client interface) and, for what only a
repository can show, the `FolderFacts` of `--dir` (None without it: then it is not assessed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..rules import REUSE_REASON, REUSED, parse_asset_ref
from ..rules.schedules import TRIGGER_TAG
from .facts import MAX_METRIC_JOBS, WorkspaceFacts, asset_label, asset_name, job_environments, job_inputs
from .folder import FolderFacts

__all__ = ["Finding", "TITLES", "PRESENT", "MISSING", "NOT_ASSESSED", "PRACTICES", "Check"]

PRESENT, MISSING, NOT_ASSESSED = "present", "missing", "not assessed"
_SHOWN = 3  # evidence lines per practice: the first few, then "and N more"
# Environments azure-ai-ml registers itself for an inline environment: not written as code by anyone.
_ANONYMOUS_ENV_PREFIXES = ("CliV2AnonymousEnvironment", "azureml_")

TITLES = {
    "versioned-data": "Versioned data that jobs reference",
    "environments-as-code": "Environments as code",
    "tracked-metrics": "Tracked training metrics",
    "models-from-jobs": "Models registered from job outputs, with lineage",
    "pipelines-and-reuse": "Pipelines and reuse",
    "schedules": "Scheduled retraining",
    "ci-workflow": "Exported YAML and a CI/CD workflow",
    "staged-rollout": "Staged rollout (blue/green traffic)",
    "traceable-deployments": "Deployments traced to their training job",
    "data-collection": "Production data collection on endpoints",
}


@dataclass
class Finding:
    practice: str
    title: str
    status: str
    evidence: list[str] = field(default_factory=list)
    next_step: str = ""


def _found(practice: str, evidence: list[str], next_step: str, present: bool | None = None) -> Finding:
    present = bool(evidence) if present is None else present
    shown = evidence[:_SHOWN] + ([f"and {len(evidence) - _SHOWN} more"] if len(evidence) > _SHOWN else [])
    return Finding(practice, TITLES[practice], PRESENT if present else MISSING, shown, "" if present else next_step)


def versioned_data(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    names = {d.name for d in ws.data}
    used = [f"job {job.name} reads {asset_label(path)} ({where})" for job in ws.jobs for where, path in job_inputs(job)
            if asset_name(path) in names]
    step = ("register the data: %aml data create -n NAME -p PATH, and name it in the job's inputs "
            "(path: azureml:NAME:VERSION)" if not names else
            f"name a data asset in a job's inputs (path: azureml:{sorted(names)[0]}:VERSION) instead of a local path")
    evidence = used or ([f"data assets registered ({', '.join(sorted(names))}) but no job reads one"] if names else [])
    return _found("versioned-data", evidence, step, present=bool(used))


def _registered(env: Any) -> bool:
    return not str(env.name).startswith(_ANONYMOUS_ENV_PREFIXES)


def environments_as_code(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    registered = {e.name for e in ws.environments if _registered(e)}
    used = sorted({f"job {job.name} runs on {asset_label(env)}" for job in ws.jobs for env in job_environments(job)
                   if asset_name(env) in registered})
    evidence = used or ([f"environments registered ({', '.join(sorted(registered))}) but no job names one"]
                        if registered else [])
    step = ("define the environment as code (a conda file or Dockerfile) and register it: %%aml environment "
            "create -n NAME; then name it in jobs (environment: azureml:NAME:VERSION)")
    return _found("environments-as-code", evidence, step, present=bool(used))


def tracked_metrics(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    evidence: list[str] = []
    for checked, job in enumerate(ws.training_runs()):
        if checked >= MAX_METRIC_JOBS or evidence:
            break
        metrics = ws.client.jobs.metrics_reader(job.name).read_new()
        if metrics:
            evidence.append(f"job {job.name} logged {', '.join(sorted(metrics)[:5])}")
    step = "log metrics from the training script (mlflow.log_metric) and follow them with %aml job watch"
    return _found("tracked-metrics", evidence, step)


def _lineage_line(model: Any, lineage: dict) -> str:
    used = [asset_label(v) if asset_name(v) else str(v) for v in (lineage.get("inputs") or {}).values()]
    used += [asset_label(e) if asset_name(e) else str(e) for e in [lineage.get("environment")] if e]
    return f"model {model.name}:{model.version} <- job {lineage['job']}" + (f" ({', '.join(used)})" if used else "")


def models_from_jobs(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    evidence = []
    for model in ws.model_versions:
        lineage = ws.lineage(model)
        if lineage.get("job"):
            evidence.append(_lineage_line(model, lineage))
    step = ("register the model from the job's output, so it keeps its lineage: %aml model create -n NAME "
            "-p azureml://jobs/JOB/outputs/OUTPUT/paths/")
    return _found("models-from-jobs", evidence, step)


def _component_refs(pipeline: Any) -> list[str]:
    refs = []
    for step, node in (getattr(pipeline, "jobs", None) or {}).items():
        component = getattr(node, "component", None)
        if isinstance(component, str) and asset_name(component):
            refs.append(f"{step} uses component {parse_asset_ref(component).name}")
    return refs


def pipelines_and_reuse(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    pipelines = ws.parents("pipeline")
    evidence = []
    for pipeline in pipelines:
        reused = [c for c in ws.children(pipeline) if (c.properties or {}).get(REUSED) in ("true", True)
                  or (c.properties or {}).get(REUSE_REASON, "").startswith("reused")]
        if reused:
            evidence.append(f"pipeline {pipeline.name} reused {len(reused)} step(s) from earlier runs")
        evidence += [f"pipeline {pipeline.name}: {ref}" for ref in _component_refs(pipeline)]
    if not pipelines:
        step = "chain the steps as a pipeline job (type: pipeline, one component per step): %aml job create -f pipeline.yml"
        return _found("pipelines-and-reuse", [], step)
    step = ("make steps reusable: register them as components (%aml component create -f step.yml) or submit the "
            "pipeline again unchanged (steps whose inputs did not change are reused)")
    ran = [f"pipeline {p.name} ran" for p in pipelines[:1]]
    return _found("pipelines-and-reuse", evidence or ran, step, present=bool(evidence))


def _trigger_text(trigger: Any) -> str:
    expression = getattr(trigger, "expression", None)
    if expression:
        return f"cron {expression}"
    return f"every {getattr(trigger, 'interval', 1)} {getattr(trigger, 'frequency', '?')}(s)"


def schedules(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    """Our rule: a schedule counts when it is enabled, or when it has triggered a job (a retraining
    schedule shown working, then paused); one defined but never run while disabled does not."""
    evidence, counted, paused = [], False, []
    for schedule in ws.schedules:
        fired = sum(1 for j in ws.jobs if (getattr(j, "tags", None) or {}).get(TRIGGER_TAG) == schedule.name)
        enabled = schedule.is_enabled is not False
        counted = counted or enabled or fired > 0
        if not enabled and not fired:
            paused.append(schedule.name)
        evidence.append(f"schedule {schedule.name} ({_trigger_text(schedule.trigger)}, "
                        f"{'enabled' if enabled else 'disabled'}) triggered {fired} job(s)")
    step = (f"enable it: %aml schedule enable -n {paused[0]}" if paused else
            "retrain on a schedule: %aml schedule create -f schedule.yml (a cron or recurrence trigger whose "
            "create_job is the training job or pipeline)")
    return _found("schedules", evidence, step, present=counted)


def ci_workflow(_ws: WorkspaceFacts, folder: FolderFacts | None) -> Finding:
    if folder is None:
        return Finding("ci-workflow", TITLES["ci-workflow"], NOT_ASSESSED, [],
                       "export it (%aml export --ci github) and assess the folder: %aml mlops --dir aml-export")
    evidence = []
    code = ([f"{len(folder.yaml_files)} CLI v2 YAML file(s)"] if folder.yaml_files else []) + (
        [f"{', '.join(folder.scripts[:2])} running az ml"] if folder.scripts else [])
    if code:
        evidence.append(", ".join(code))
    runs = [w for w in folder.workflows if w.runs_az_ml]
    for flow in runs:
        how = "az ml" if flow.runs_az_ml == "az ml" else f"{flow.runs_az_ml} (az ml)"
        gate = ", deployment waits for an approval environment" if flow.gated else ", no approval gate"
        evidence.append(f"{flow.system}: {flow.path} runs {how}{gate}")
    if not folder.yaml_files and not folder.scripts:
        step = f"export the session as CLI v2 YAML with a workflow into {folder.root}: %aml export --dir {folder.root} --ci github"
    else:
        step = "add a workflow that runs it: %aml export --ci github (or --ci azure-pipelines)"
    return _found("ci-workflow", evidence, step, present=bool(runs) and bool(folder.yaml_files or folder.scripts))


def staged_rollout(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    evidence = []
    by_endpoint: dict[str, list[str]] = {}
    for deployment in ws.deployments:
        by_endpoint.setdefault(deployment.endpoint_name, []).append(deployment.name)
    for endpoint in ws.endpoints:
        traffic = {k: int(v) for k, v in (endpoint.traffic or {}).items()}
        split = ", ".join(f"{k} {v}%" for k, v in traffic.items())
        mirror = {k: v for k, v in (getattr(endpoint, "mirror_traffic", None) or {}).items() if v}
        if len(by_endpoint.get(endpoint.name, [])) > 1 or mirror or 0 < max(traffic.values(), default=0) < 100:
            evidence.append(f"endpoint {endpoint.name}: {split or 'no traffic'}"
                            + (f", mirrored to {', '.join(mirror)}" if mirror else ""))
    step = ("roll out a new model beside the current one: a second deployment, then %aml online-endpoint update "
            "-n ENDPOINT --traffic \"blue=90 green=10\" (or --mirror-traffic)")
    return _found("staged-rollout", evidence, step)


def _served_model(deployment: Any) -> tuple[str, str | None] | None:
    model = deployment.model
    if isinstance(model, str) and asset_name(model):
        ref = parse_asset_ref(model)
        return ref.name, ref.version
    return None


def traceable_deployments(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    versions = {(m.name, str(m.version)): m for m in ws.model_versions}
    evidence = []
    for deployment in ws.deployments:
        served = _served_model(deployment)
        model = versions.get((served[0], str(served[1]))) if served and served[1] else None
        lineage = ws.lineage(model) if model is not None else {}
        if lineage.get("job"):
            evidence.append(f"{deployment.endpoint_name}/{deployment.name} serves {_lineage_line(model, lineage)}")
    step = ("deploy a registered model that came from a job (model: azureml:NAME:VERSION, registered with "
            "-p azureml://jobs/JOB/outputs/...), so each answer traces back to its job and data")
    return _found("traceable-deployments", evidence, step)


def _collections(deployment: Any) -> list[str]:
    collector = getattr(deployment, "data_collector", None)
    collections = getattr(collector, "collections", None) or {}
    return [name for name, c in collections.items() if str(getattr(c, "enabled", "")).lower() == "true"]


def data_collection(ws: WorkspaceFacts, _folder: FolderFacts | None) -> Finding:
    evidence = []
    for deployment in ws.deployments:
        enabled = _collections(deployment)
        if enabled:
            rate = getattr(deployment.data_collector, "sampling_rate", None)
            evidence.append(f"{deployment.endpoint_name}/{deployment.name} collects {', '.join(enabled)}"
                            + (f" (sampling {rate})" if rate is not None else ""))
    step = ("collect production data: add data_collector: {collections: {model_inputs: {enabled: 'True'}, "
            "model_outputs: {enabled: 'True'}}} to a deployment and update it")
    return _found("data-collection", evidence, step)


Check = Callable[[WorkspaceFacts, "FolderFacts | None"], Finding]

# In the order the report shows them (by level, then as a notebook meets them).
PRACTICES: dict[str, Check] = {
    "versioned-data": versioned_data,
    "environments-as-code": environments_as_code,
    "tracked-metrics": tracked_metrics,
    "models-from-jobs": models_from_jobs,
    "pipelines-and-reuse": pipelines_and_reuse,
    "schedules": schedules,
    "ci-workflow": ci_workflow,
    "staged-rollout": staged_rollout,
    "traceable-deployments": traceable_deployments,
    "data-collection": data_collection,
}
