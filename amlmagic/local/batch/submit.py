"""Start a batch scoring job: the job `invoke` returns (what `%aml job list` shows), its one step
`batchscoring` (a child job: its logs and the `score` output), and the detached driver.

    name = submit_batch_job(store, deployment_record, input=..., settings=..., output_uri=..., ...)

Both folders are complete before they appear (staging, then rename), as command jobs' are:

    jobs/<job>/     record.json (a pipeline with a parallel `batchscoring` step, as Azure shows
                    it), status.json, plan.json (what the driver runs), worker.json, code/ and
                    azureml-models/ (the deployment's snapshot, linked), user_logs/
    jobs/<step>/    record.json (display name batchscoring, parent_job_name <job>), status.json,
                    plan.json (its logs and outputs), user_logs/
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ...errors import AlreadyExistsError
from ...names import generate_job_name, validate_job_name
from ...rules import DEFAULT_IMAGE, SINGLE_PROCESS_LOG
from ...rules.batch import PROGRESS_LOG, SCORE_OUTPUT, SCORING_STEP
from ..jobs.plan import resolve_compute
from ..jobs.state import job_dir, jobs_root, launch_driver, update_status
from ..osutil import write_json_atomic
from ..store import Store
from ..workspace import current_user, now_iso
from .driver import ERROR_LOG, worker_log

__all__ = ["submit_batch_job", "DRIVER_MODULE"]

DRIVER_MODULE = "amlmagic.local.batch.driver"
MLFLOW_SCORER = "amlmagic.local.batch.mlflow_scorer"


def _link_tree(source: Path, target: Path) -> None:
    """The deployment's snapshot in the job folder: hard links (it never changes), else copies."""
    def link(src: str, dst: str) -> str:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst
    shutil.copytree(source, target, copy_function=link, symlinks=False)


def _status(status: str) -> dict:
    return {"status": status, "history": [[status, now_iso()]]}


def submit_batch_job(store: Store, record: dict, *, input: dict, settings: dict, output_uri: str, output_folder: Path,
                     job_name: str | None, experiment_name: str | None) -> str:
    """`record`: the deployment's (records.py); `input`: {"path" as given, "type", "local_path"}."""
    name = validate_job_name(job_name) if job_name else generate_job_name()
    step = generate_job_name()
    final, step_final = job_dir(store.root, name), job_dir(store.root, step)
    if final.exists():
        raise AlreadyExistsError(f"job {name!r} already exists: give another --job-name")
    spec, run = record["spec"], record["run"]
    snapshot = Path(record["snapshot"])
    mlflow = run["mlflow"]
    workers = int(settings["max_concurrency_per_instance"]) * int(settings["instance_count"])
    experiment = experiment_name or spec["endpoint_name"]
    outputs = {SCORE_OUTPUT: {"type": "uri_folder", "folder": str(output_folder), "path": str(output_folder)}}
    step_logs = [SINGLE_PROCESS_LOG, PROGRESS_LOG, ERROR_LOG] + [
        worker_log(i, int(settings["max_concurrency_per_instance"])) for i in range(workers)]
    code_dir = final / "code" if run.get("code") else None
    model_dir = final / run["model_dir"] if run.get("model_dir") else None
    system_env = {"AZUREML_BI_OUTPUT_PATH": str(output_folder), "AZUREML_RUN_ID": step}
    if model_dir is not None:
        system_env["AZUREML_MODEL_DIR"] = str(model_dir)
    plan = {
        "name": name, "child": step, "step": SCORING_STEP, "workspace_root": str(store.root),
        "endpoint": spec["endpoint_name"], "deployment": spec["name"],
        "input": {**input, "recursive": not mlflow}, "mlflow": mlflow,
        "environment": run["environment"], "settings": settings, "system_env": system_env,
        "compute": resolve_compute(store, spec.get("compute")),
        "cwd": str(code_dir or final),
        "output": {"uri": output_uri, "folder": str(output_folder),
                   "file": str(output_folder / settings["output_file_name"])},
        "logs": [SINGLE_PROCESS_LOG, PROGRESS_LOG], "outputs": outputs,
    }
    worker_config = {
        "code_dir": str(code_dir) if code_dir else None, "script": run.get("scoring_script"),
        "module": MLFLOW_SCORER if mlflow else None,
        "output_action": settings["output_action"], "logging_level": settings["logging_level"],
    }
    created = {"created_at": now_iso(), "created_by": current_user(), "base_path": str(snapshot)}
    io = {"inputs": {"input_data": {"type": input["type"], "path": _shown_path(input)}},
          "outputs": {SCORE_OUTPUT: {"type": "uri_folder", "path": output_uri}}}
    parent_spec = _pipeline_spec(name, spec, run, settings, io, experiment, code_dir)
    step_spec = {"type": "command", "name": step, "display_name": SCORING_STEP, "experiment_name": experiment,
                 "command": f"{run.get('scoring_script') or 'MLflow no-code scoring'}: init() in each of {workers} "
                            f"workers, run(mini_batch) per {settings['mini_batch_size']} files",
                 "compute": spec.get("compute") or "local", **io}
    batch_meta = {"batch_endpoint": spec["endpoint_name"], "batch_deployment": spec["name"]}
    jobs_root(store.root).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=jobs_root(store.root), prefix=f".staging-{name}-"))
    try:
        parent, child = staging / "job", staging / "step"
        for folder in (parent, child):
            (folder / "user_logs" / "logs").mkdir(parents=True)
            (folder / "artifacts").mkdir()
        if run.get("code"):
            _link_tree(snapshot / "code", parent / "code")
        if run.get("model_dir"):
            _link_tree(snapshot / "azureml-models", parent / "azureml-models")
        write_json_atomic(parent / "record.json", {"spec": parent_spec, "meta": {
            **created, "parent_job_name": None, "type": "batch", "compute": spec.get("compute") or "local",
            **batch_meta, "properties": {"azureml.batchrun": "true", **batch_meta}}})
        write_json_atomic(child / "record.json", {"spec": step_spec, "meta": {
            **created, "parent_job_name": name, "type": SCORING_STEP, "compute": spec.get("compute") or "local"}})
        write_json_atomic(parent / "plan.json", plan)
        write_json_atomic(parent / "worker.json", worker_config)
        write_json_atomic(child / "plan.json", {"name": step, "logs": step_logs, "outputs": outputs})
        write_json_atomic(child / "status.json", _status("NotStarted"))
        write_json_atomic(parent / "status.json", _status("NotStarted"))
        os.rename(child, step_final)
        try:
            os.rename(parent, final)
        except OSError:
            shutil.rmtree(step_final, ignore_errors=True)
            raise AlreadyExistsError(f"job {name!r} already exists: give another --job-name") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # Starting, as a runner's job is before its process records itself: a driver that never
    # started (this process died in between) reads Failed after jobs.state's grace period.
    for folder in (step_final, final):
        update_status(folder, "Starting")
    launch_driver(final, DRIVER_MODULE)
    return name


def _shown_path(input: dict) -> str:
    text = str(input["path"])
    return text if text.startswith("azureml:") else str(input["local_path"])


def _pipeline_spec(name: str, spec: dict, run: dict, settings: dict, io: dict, experiment: str,
                   code_dir: Path | None) -> dict:
    """How `jobs.get` shows the job: a pipeline whose one step is a parallel job (2.4)."""
    task: dict[str, Any] = {"type": "run_function", "append_row_to": "${{outputs.%s}}" % SCORE_OUTPUT}
    if code_dir is not None:
        task.update(code=str(code_dir), entry_script=run["scoring_script"])
    env = spec.get("environment")
    # A parallel step needs an environment: a registered one by reference, an inline one as
    # given; an MLflow deployment's is generated on Azure (the default image stands in).
    task["environment"] = env if isinstance(env, str) else {
        "image": (env or {}).get("image") or DEFAULT_IMAGE,
        **({"conda_file": env["conda_file"]} if (env or {}).get("conda_file") else {})}
    step = {
        "type": "parallel", "compute": spec.get("compute") or "local",
        "inputs": {"input_data": "${{parent.inputs.input_data}}"},
        "outputs": {SCORE_OUTPUT: "${{parent.outputs.%s}}" % SCORE_OUTPUT},
        "input_data": "${{inputs.input_data}}", "mini_batch_size": str(settings["mini_batch_size"]),
        "max_concurrency_per_instance": settings["max_concurrency_per_instance"],
        "error_threshold": settings["error_threshold"], "logging_level": str(settings["logging_level"]).upper(),
        "retry_settings": {"max_retries": settings["max_retries"], "timeout": settings["timeout"]},
        "resources": {"instance_count": settings["instance_count"]},
        "environment_variables": {str(k): str(v) for k, v in (settings.get("environment_variables") or {}).items()},
        "task": task,
    }
    return {"type": "pipeline", "name": name, "display_name": spec["name"], "experiment_name": experiment,
            "description": f"batch scoring: endpoint {spec['endpoint_name']}, deployment {spec['name']}",
            **io, "jobs": {SCORING_STEP: step}}
