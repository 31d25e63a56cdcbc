"""A sweep's trials as child jobs: their names, their CLI v2 command-job spec, what they are told
about their parameters, their score, and how an early-terminated trial is marked and canceled.

    spec = trial_spec(sweep_spec, code_dir=sweep_folder / "code")     # a command job dict
    name = submit_plan(root, spec, name=trial_name(sweep, 3), parent_job_name=sweep,
                       search_space=params, extra_env=sweep_env(params),
                       meta=trial_meta(3, params))
    terminate_trial(root, name, termination)       # records policy/detail/numbers, then cancels

Azure's rules (../shared/azureml-semantics.md, "Sweep jobs"; the SweepJob docstring of
azure-ai-ml): a trial is named `<sweep>_<index>`, `${{search_space.x}}` in its command becomes
the sampled value, and each parameter also reaches the trial as the environment variable
`AZUREML_SWEEP_<name>`. The trial runs the sweep's `trial` (command, code, environment,
environment variables) with the sweep's inputs, outputs, compute and experiment; `trial_timeout`
becomes the trial's own `limits.timeout`, so the runner cancels it (status Canceled).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

from ...errors import AmlMagicError
from ...rules import TERMINAL_STATUSES
from ..jobs.cancel import cancel_job
from ..jobs.state import job_dir, read_status, update_status

__all__ = [
    "HYPERPARAMETERS_PROPERTY", "TERMINATION_PROPERTY", "trial_name", "trial_spec", "sweep_env",
    "trial_meta", "trial_score", "terminate_trial", "trial_threads", "trial_processes",
]

HYPERPARAMETERS_PROPERTY = "hyperparameters"  # JSON of the trial's sampled values
TERMINATION_PROPERTY = "early_termination"  # JSON {policy, interval, detail, numbers}


def trial_name(sweep_name: str, index: int) -> str:
    return f"{sweep_name}_{index}"


def trial_spec(sweep_spec: Mapping[str, Any], code_dir: Path | None) -> dict[str, Any]:
    """The command job every trial of the sweep runs (search-space values are given at submit)."""
    trial = dict(sweep_spec.get("trial") or {})
    spec: dict[str, Any] = {"type": "command", "command": trial.get("command")}
    if trial.get("code") and code_dir is not None:
        spec["code"] = str(code_dir)  # the sweep's snapshot, taken once at submit
    for key in ("environment", "environment_variables", "distribution"):
        if trial.get(key):
            spec[key] = trial[key]
    # A distributed trial (our rule: the trial's own resources, else the sweep's).
    if trial.get("resources") or sweep_spec.get("resources"):
        spec["resources"] = trial.get("resources") or sweep_spec["resources"]
    for key in ("inputs", "outputs", "compute", "experiment_name", "tags"):
        if sweep_spec.get(key):
            spec[key] = sweep_spec[key]
    trial_timeout = (sweep_spec.get("limits") or {}).get("trial_timeout")
    if trial_timeout:
        spec["limits"] = {"timeout": int(trial_timeout)}
    return spec


def _env_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def sweep_env(params: Mapping[str, Any]) -> dict[str, str]:
    """AZUREML_SWEEP_<name> for each parameter, as Azure sets them (dicts and lists as JSON)."""
    return {f"AZUREML_SWEEP_{name}": _env_text(value) for name, value in params.items()}


def trial_processes(sweep_spec: Mapping[str, Any]) -> int:
    """How many processes each trial runs: one, or its distribution's world size."""
    from ..jobs.distribution import plan_distribution, world_size

    try:
        dist = plan_distribution(trial_spec(sweep_spec, None), {"name": "local", "max_instances": None})
    except AmlMagicError:  # checked when the sweep was submitted; a port taken since fails the trial
        return 1
    return world_size(dist) if dist else 1


def trial_threads(sweep_spec: Mapping[str, Any], pool_size: int | None, cores: int | None = None) -> dict[str, str]:
    """Thread-count variables for every trial, split up front among the trials that will run at
    once: min(max_concurrent_trials, max_total_trials, the pool's max_instances) (our rule). The
    job engine splits among the jobs running when each starts, which lets the first trial take
    every core; measured here, two 2-thread trials on 2 cores trained 5.4x slower than two
    1-thread ones. A distributed trial's share is split again among its processes. A variable the
    trial sets in environment_variables wins."""
    from ..jobs.scheduling import THREAD_VARIABLES

    limits = sweep_spec.get("limits") or {}
    at_once = min(x for x in (limits.get("max_concurrent_trials"), limits.get("max_total_trials"), pool_size) if x)
    share = str(max(1, (cores or os.cpu_count() or 1) // (max(1, int(at_once)) * trial_processes(sweep_spec))))
    user = (sweep_spec.get("trial") or {}).get("environment_variables") or {}
    return {name: share for name in THREAD_VARIABLES if name not in user}


def trial_meta(index: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """Stored in the trial's record: its index and, as a job property, its parameters."""
    return {"sweep_trial_index": index,
            "properties": {HYPERPARAMETERS_PROPERTY: json.dumps(dict(params), sort_keys=True)}}


def trial_score(values: list[float], goal: str) -> float | None:
    """Our rule: a trial's result is the best primary-metric value it logged (what bandit compares
    and what the sweep monitor charts); NaN values never win. None when it logged none."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return None
    return max(finite) if goal == "maximize" else min(finite)


def terminate_trial(workspace_root: Path, name: str, termination: Any) -> bool:
    """Record why the policy stops the trial (before it ends, so it never shows Canceled without
    the reason), then cancel it. False when the trial had already ended (nothing recorded)."""
    folder = job_dir(workspace_root, name)
    status = read_status(folder)
    if status.get("status") in TERMINAL_STATUSES:
        return False
    mark = {"policy": termination.policy, "interval": termination.interval,
            "detail": termination.detail, "numbers": termination.numbers}
    properties = dict(status.get("properties") or {})
    properties[TERMINATION_PROPERTY] = json.dumps(mark, sort_keys=True, default=str)
    current = update_status(folder, None, properties=properties, early_termination=mark)
    if current.get("status") in TERMINAL_STATUSES:  # it ended between the read and the write
        return False
    cancel_job(workspace_root, name)
    return True
