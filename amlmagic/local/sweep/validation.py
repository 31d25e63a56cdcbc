"""Submit-time checks of a sweep spec and its defaults.

    validate_sweep(spec)          # raises a one-line ValidationError naming the field, else None
    full = sweep_defaults(spec)   # a copy with limits, sampling and policy defaults filled in

`spec` is the CLI v2 sweep YAML as a dict (`search_space`, `sampling_algorithm`, `objective`,
`early_termination`, `limits`, `trial`, ...). Fields outside the sweep's own are left to the job
checks, except that every `${{search_space.x}}` in `trial.command` must name a parameter.

Rules (../shared/azureml-semantics.md, "Sweep jobs"): grid takes only choice, bayesian only
choice/uniform/quniform and no early termination (both rejected here, our rule: the SDK lets
them through); max_total_trials 1..1000 (default 1000), max_concurrent_trials >= 1 (default: the
total; more than the total is allowed and simply never reached), timeout >= 1 s (default
5,184,000), trial_timeout >= 1 s (default none).
"""

from __future__ import annotations

import copy
import re
from typing import Any, Mapping

from amlmagic.errors import ValidationError
from amlmagic.local.sweep.policies import effective_interval, make_policy, parse_goal, policy_type
from amlmagic.local.sweep.sampling import check_space_for, parse_sampling_algorithm
from amlmagic.local.sweep.search_space import parse_search_space

__all__ = [
    "DEFAULT_MAX_TOTAL_TRIALS",
    "MAX_TOTAL_TRIALS",
    "DEFAULT_TIMEOUT",
    "LIMIT_FIELDS",
    "validate_sweep",
    "sweep_defaults",
    "search_space_references",
]

MAX_TOTAL_TRIALS = 1000
DEFAULT_MAX_TOTAL_TRIALS = 1000
DEFAULT_TIMEOUT = 5_184_000  # seconds: 60 days
LIMIT_FIELDS = ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout")

_REFERENCE = re.compile(r"\$\{\{\s*search_space\.([A-Za-z0-9_.\-]+)\s*\}\}")


def search_space_references(command: str) -> list[str]:
    """The parameter names a trial command refers to as ${{search_space.x}}, in order."""
    return _REFERENCE.findall(command or "")


def validate_sweep(spec: Mapping[str, Any]) -> None:
    """Reject a sweep spec Azure (or our rules) would refuse, with a one-line ValidationError."""
    _checked(spec)


def _checked(spec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise ValidationError("sweep: the job spec must be a mapping (the sweep YAML)")
    space = parse_search_space(spec.get("search_space"))
    algorithm = parse_sampling_algorithm(spec.get("sampling_algorithm"))
    check_space_for(algorithm["type"], space)

    objective = spec.get("objective")
    if not isinstance(objective, Mapping) or not objective.get("primary_metric"):
        raise ValidationError("objective.primary_metric: required, the metric name the script logs with mlflow.log_metric")
    if not isinstance(objective["primary_metric"], str):
        raise ValidationError(f"objective.primary_metric: must be a metric name, got {objective['primary_metric']!r}")
    goal = parse_goal(objective.get("goal"))

    termination = spec.get("early_termination")
    if termination and algorithm["type"] == "bayesian":
        raise ValidationError("early_termination: bayesian sampling does not support early termination; "
                              "remove early_termination or use random sampling")
    make_policy(termination)  # raises on bad fields

    limits = _limits(spec.get("limits"))
    trial = spec.get("trial")
    command = trial.get("command") if isinstance(trial, Mapping) else None
    if isinstance(command, str):
        for name in search_space_references(command):
            if name not in space:
                raise ValidationError(f"trial.command: ${{{{search_space.{name}}}}} is not in search_space "
                                      f"(it has {', '.join(space)})")
    return {"algorithm": algorithm, "goal": goal, "limits": limits}


def _limits(limits: Any) -> dict[str, Any]:
    where = "limits"
    if limits is None:
        limits = {}
    if not isinstance(limits, Mapping):
        raise ValidationError(f"{where}: must be a mapping, e.g. {{max_total_trials: 20, max_concurrent_trials: 2}}")
    for key in limits:
        if key not in LIMIT_FIELDS:
            raise ValidationError(f"{where}: unknown field {key!r} (use {', '.join(LIMIT_FIELDS)})")
    values = {key: _whole(limits.get(key), f"{where}.{key}") for key in LIMIT_FIELDS}
    total = values["max_total_trials"]
    if total is not None and not 1 <= total <= MAX_TOTAL_TRIALS:
        raise ValidationError(f"{where}.max_total_trials: must be 1..{MAX_TOTAL_TRIALS}, got {total}")
    for key in ("max_concurrent_trials", "timeout", "trial_timeout"):
        if values[key] is not None and values[key] < 1:
            raise ValidationError(f"{where}.{key}: must be at least 1, got {values[key]}")
    total = total if total is not None else DEFAULT_MAX_TOTAL_TRIALS
    return {
        "max_total_trials": total,
        "max_concurrent_trials": values["max_concurrent_trials"] if values["max_concurrent_trials"] is not None else total,
        "timeout": values["timeout"] if values["timeout"] is not None else DEFAULT_TIMEOUT,
        "trial_timeout": values["trial_timeout"],
    }


def _whole(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, float) and value.is_integer()):
        raise ValidationError(f"{where}: needs a whole number, got {value!r}")
    return int(value)


def sweep_defaults(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A validated copy of `spec` with defaults filled in: `limits` (all four keys),
    `sampling_algorithm` as a dict, `objective.goal` lower case, and `early_termination` with
    evaluation_interval (0 counts as 1, our rule), delay_evaluation and exclude_finished_jobs."""
    checked = _checked(spec)
    full = copy.deepcopy(dict(spec))
    full["limits"] = checked["limits"]
    full["sampling_algorithm"] = checked["algorithm"]
    full["objective"] = {**full["objective"], "goal": checked["goal"]}
    termination = full.get("early_termination")
    if termination:
        termination["type"] = policy_type(termination["type"])
        termination["evaluation_interval"] = effective_interval(termination.get("evaluation_interval"))
        termination["delay_evaluation"] = int(termination.get("delay_evaluation") or 0)
        if termination["type"] == "truncation_selection":
            termination.setdefault("exclude_finished_jobs", False)
    else:
        full["early_termination"] = None
    return full
