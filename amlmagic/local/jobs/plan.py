"""Submit a job from a plain CLI v2 dict: check it, resolve everything the run needs into
`plan.json`, create the job folder, and start the detached runner. No azure.ai.ml import, so a
sweep controller's own detached process can submit its trials through here.

    name = submit_plan(workspace_root, spec, name=None, base_path=folder_of_the_yaml,
                       parent_job_name=None, extra_env=None, search_space=None)

`spec` is the job's CLI v2 dict (amlmagic.spec.jobs.job_to_spec): command, code, environment,
inputs, outputs, compute, environment_variables, display_name, experiment_name, description,
tags, limits.timeout, distribution, resources.instance_count (distribution.py). Any error is
raised before anything is written (one-line message naming the field); the job folder appears
at once, complete, by renaming a staging folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

from ...errors import AlreadyExistsError, NotFoundError, ValidationError
from ...names import generate_job_name, validate_job_name
from ...rules import (
    DATA_TYPES,
    LOCAL_COMPUTE,
    MODEL_TYPES,
    OUTPUT_TYPES,
    SINGLE_PROCESS_LOG,
    compute_for,
    parse_asset_ref,
    strip_azureml_prefix,
)
from ..osutil import launch_detached, write_json_atomic
from ..snapshots import snapshot_code
from ..store import Store
from ..uris import resolve_uri
from ..workspace import current_user, now_iso
from .distribution import instance_notice, plan_distribution, process_table
from .environments import describe_environment
from .expressions import render_command
from .state import job_dir, jobs_root, record_launched_pid, update_status

__all__ = ["submit_plan", "build_plan", "resolve_compute"]

INPUT_TYPES = DATA_TYPES + MODEL_TYPES


def resolve_compute(store: Store, compute: Any) -> dict:
    """{"name", "max_instances"} of the job's compute (the default one when not given);
    `max_instances` is None for the built-in `local` (no slots)."""
    name = compute_for(compute, store.settings().get("default_compute")) or LOCAL_COMPUTE
    if name == LOCAL_COMPUTE:
        return {"name": LOCAL_COMPUTE, "max_instances": None}
    record = store.get("computes", name)
    if record is None:
        raise NotFoundError(f"compute {name!r} not found: create it with %aml compute create, or set compute: local")
    return {"name": name, "max_instances": int(record["spec"].get("max_instances") or 1)}


def _literal(value: Any) -> str:
    return str(value)  # Azure passes literals as the CLI prints them: 42, 0.1, True, text


def _registered_path(store: Store, field: str, path: str, input_type: str) -> Path:
    ref = parse_asset_ref(path)
    kind = "models" if input_type in MODEL_TYPES else "data"
    version = ref.version or store.latest_version(kind, ref.name)
    record = store.get_version(kind, ref.name, version) if version else None
    if record is None:
        noun = "model" if kind == "models" else "data"
        raise NotFoundError(f"{field}: {noun} {path} not found: register it with %aml {noun} create, or fix the path")
    return resolve_uri(store, record["spec"]["path"])


def _resolve_input(store: Store, name: str, value: Any, base_path: Path) -> tuple[str | None, dict]:
    """(the value substituted into the command, the input as recorded in the plan)."""
    field = f"inputs.{name}"
    if not isinstance(value, Mapping):
        return (None if value is None else _literal(value)), {"value": value}
    if "path" not in value or value.get("path") in (None, ""):
        if "value" in value or "default" in value:
            literal = value.get("value", value.get("default"))
            return (None if literal is None else _literal(literal)), {"value": literal}
        raise ValidationError(f"{field} has no path: give path (a local path, azureml:name:version or an azureml:// URI)")
    input_type = value.get("type") or "uri_folder"
    if input_type not in INPUT_TYPES:
        raise ValidationError(f"{field}: type {input_type!r} is not one of {', '.join(INPUT_TYPES)}")
    mode = value.get("mode") or "ro_mount"
    if mode not in ("ro_mount", "download", "direct", "eval_mount", "eval_download"):
        raise ValidationError(f"{field}: mode {mode!r} is not an input mode: use ro_mount, download or direct")
    raw = str(value["path"])
    try:
        if strip_azureml_prefix(raw) != raw:  # azureml:name:version, a registered asset
            local = _registered_path(store, field, raw, input_type)
        else:
            local = resolve_uri(store, raw, base_path)
    except (NotFoundError, ValidationError) as exc:
        raise type(exc)(f"{field}: {exc}") from None
    if not local.exists():
        raise NotFoundError(f"{field}: path {raw} does not exist ({local}): check inputs.{name}.path")
    if input_type == "uri_file" and not local.is_file():
        raise ValidationError(f"{field}: uri_file needs a file but {local} is a folder: use type uri_folder")
    # Our rule: every mode reads the content in place, no copy; the runner makes it read-only
    # (jobs/readonly.py).
    return str(local), {"type": input_type, "mode": mode, "path": raw, "local_path": str(local)}


def _output_paths(store: Store, folder: Path, outputs: Mapping[str, Any]) -> dict[str, dict]:
    planned = {}
    for name, value in (outputs or {}).items():
        value = dict(value or {}) if isinstance(value, Mapping) else {}
        out_type = value.get("type") or "uri_folder"
        if out_type not in OUTPUT_TYPES:
            raise ValidationError(f"outputs.{name}: type {out_type!r} is not one of {', '.join(OUTPUT_TYPES)}")
        target = folder / "outputs" / name
        if value.get("path"):
            target = resolve_uri(store, str(value["path"]))
        if out_type == "uri_file":  # the command writes a file: its folder is made ready
            path, target = (target, target.parent) if value.get("path") else (target / name, target)
        else:
            path = target
        planned[name] = {"type": out_type, "folder": str(target), "path": str(path)}
    return planned


def build_plan(
    store: Store, spec: Mapping[str, Any], name: str, base_path: Path, folder: Path,
    parent_job_name: str | None = None, extra_env: Mapping[str, str] | None = None,
    search_space: Mapping[str, Any] | None = None,
) -> tuple[dict, Path | None]:
    """(the plan, the code folder to snapshot); raises before writing anything."""
    if not isinstance(spec.get("command"), str) or not spec["command"].strip():
        raise ValidationError("command is missing: a command job needs command: (the shell line to run)")
    code = None
    if spec.get("code"):
        raw = spec["code"]["local_path"] if isinstance(spec["code"], Mapping) else str(spec["code"])
        code = Path(raw).expanduser()
        code = code if code.is_absolute() else (base_path / code).resolve()
        if not code.exists():
            raise NotFoundError(f"code: folder {raw} does not exist ({code}): fix the job's code field")
    compute = resolve_compute(store, spec.get("compute"))
    distribution = plan_distribution(spec, compute)
    environment = describe_environment(store, spec.get("environment"), base_path)
    substituted, inputs = {}, {}
    for key, value in (spec.get("inputs") or {}).items():
        substituted[key], inputs[key] = _resolve_input(store, key, value, base_path)
    outputs = _output_paths(store, folder, spec.get("outputs") or {})
    command = render_command(
        spec["command"], substituted, {k: v["path"] for k, v in outputs.items()},
        {k: _literal(v) for k, v in (search_space or {}).items()},
    )
    user_env = {str(k): str(v) for k, v in (spec.get("environment_variables") or {}).items()}
    timeout = (spec.get("limits") or {}).get("timeout")
    plan = {
        "name": name,
        "workspace_root": str(store.root),
        "command": command,
        "cwd": str(folder / "code"),
        "python": sys.executable,
        "environment": environment,
        "compute": compute,
        "inputs": inputs,
        "outputs": outputs,
        "env": {**user_env, **{str(k): str(v) for k, v in (extra_env or {}).items()}},
        "system_env": {"AZUREML_RUN_ID": name, "AZUREML_ARTIFACTS_DIR": str(folder / "artifacts")},
        "experiment_name": spec.get("experiment_name") or _default_experiment(base_path),
        "display_name": spec.get("display_name") or name,
        "tags": {str(k): str(v) for k, v in (spec.get("tags") or {}).items()},
        "parent_job_name": parent_job_name,
        "timeout": int(timeout) if timeout else None,
        "distribution": distribution,
        "notices": [line for line in (instance_notice(spec),) if line],
        # the per-process logs in user_logs/, rank 0 first (what read_log and stream follow)
        "logs": [p["log"] for p in process_table(distribution)] if distribution else [SINGLE_PROCESS_LOG],
    }
    return plan, code


def _default_experiment(base_path: Path) -> str:
    # The CLI names the experiment after the folder the job was submitted from.
    return Path(base_path).resolve().name or "Default"


def submit_plan(
    workspace_root: str | os.PathLike, spec: Mapping[str, Any], *, name: str | None = None,
    base_path: str | os.PathLike | None = None, parent_job_name: str | None = None,
    extra_env: Mapping[str, str] | None = None, search_space: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None, start: bool = True,
) -> str:
    """Create the job and start its detached runner; returns the job name."""
    store = Store(Path(workspace_root))
    name = validate_job_name(name) if name else generate_job_name()
    base = Path(base_path or os.getcwd()).resolve()
    final = job_dir(store.root, name)
    if final.exists():
        raise AlreadyExistsError(f"job {name!r} already exists: give the job another name")
    plan, code = build_plan(store, spec, name, base, final, parent_job_name, extra_env, search_space)
    plan["experiment_name"] = (meta or {}).get("experiment_name") or plan["experiment_name"]
    jobs_root(store.root).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=jobs_root(store.root), prefix=f".staging-{name}-"))
    try:
        if code is not None:
            snapshot_code(code, staging / "code", store.root)
        else:
            (staging / "code").mkdir()
        for sub in ("user_logs", "artifacts", "outputs"):
            (staging / sub).mkdir(exist_ok=True)
        record_spec = {**spec, "name": name, "experiment_name": plan["experiment_name"]}
        record = {
            "spec": record_spec,
            "meta": {
                "created_at": now_iso(), "created_by": current_user(), "base_path": str(base),
                "parent_job_name": parent_job_name, "type": spec.get("type") or "command",
                "compute": plan["compute"]["name"], **dict(meta or {}),
            },
        }
        write_json_atomic(staging / "record.json", record)
        write_json_atomic(staging / "plan.json", plan)
        write_json_atomic(staging / "status.json", {"status": "NotStarted", "history": [["NotStarted", now_iso()]]})
        try:
            os.rename(staging, final)
        except OSError:
            raise AlreadyExistsError(f"job {name!r} already exists: give the job another name") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if start:
        launch_runner(final)
    return name


def launch_runner(folder: Path) -> int:
    """Start the runner in its own session so it outlives this process; record its pid."""
    update_status(folder, "Starting")
    pid = launch_detached("amlmagic.local.jobs.runner", str(folder), log=folder / "runner.log", cwd=folder)
    record_launched_pid(folder, pid)
    return pid
