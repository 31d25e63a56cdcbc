"""A sweep's results: its best trial, the properties Azure shows on the sweep job, and its final
status.

    props = sweep_properties(spec, trials)     # trials: the controller's trial records
    status, error = final_status(trials, canceled=False, timed_out=False)

Each trial record is a dict: {"index", "name", "params", "status" (None while it runs),
"score" (trial_score of its primary-metric values), "terminated" (the policy's mark or None),
"error"}.

Azure's sweep properties (recorded HyperDrive runs): `primary_metric_config`, `runTemplate`
HyperDrive, `azureml.runsource` hyperdrive, `space_size` (grid), and once a trial has a result
`best_child_run_id`, `score`, `best_metric_status` Succeeded, `best_data_container_id`
`dcid.<trial>`. Ours on top: `best_hyperparameters` (JSON), `best_primary_metric`, and trial counts.
All values are strings, as Azure's are.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from ...rules import best_trial
from .sampling import grid_size, parse_sampling_algorithm
from .search_space import parse_search_space

__all__ = ["sweep_properties", "trial_counts", "final_status"]


def trial_counts(trials: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    statuses = [t.get("status") for t in trials]
    return {
        "trials_submitted": len(trials),
        "trials_running": sum(1 for s in statuses if s is None),
        "trials_completed": statuses.count("Completed"),
        "trials_failed": sum(1 for s in statuses if s in ("Failed", "NotResponding")),
        "trials_canceled": statuses.count("Canceled"),
        "trials_early_terminated": sum(1 for t in trials if t.get("status") == "Canceled" and t.get("terminated")),
    }


def sweep_properties(spec: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    objective = spec.get("objective") or {}
    goal = str(objective.get("goal") or "maximize").lower()
    metric = objective.get("primary_metric")
    props = {
        "primary_metric_config": json.dumps({"name": metric, "goal": goal}, separators=(",", ":")),
        "runTemplate": "HyperDrive",
        "azureml.runsource": "hyperdrive",
        "platform": "AML",
    }
    if parse_sampling_algorithm(spec.get("sampling_algorithm"))["type"] == "grid":
        props["space_size"] = str(grid_size(parse_search_space(spec.get("search_space"))))
    best = best_trial(trials, goal)
    if best is not None:
        props.update({
            "best_child_run_id": best["name"],
            "score": repr(float(best["score"])),
            "best_metric_status": "Succeeded",
            "best_data_container_id": f"dcid.{best['name']}",
            "best_primary_metric": str(metric),
            "best_hyperparameters": json.dumps(best["params"], sort_keys=True),
        })
    props.update({key: str(value) for key, value in trial_counts(trials).items()})
    return props


def final_status(trials: Sequence[Mapping[str, Any]], *, canceled: bool, timed_out: bool,
                 timeout: int | None = None) -> tuple[str, str | None]:
    """(status, error) of a sweep whose trials have all ended.

    Canceled when the user canceled it or its `timeout` passed (Azure cancels the sweep and its
    trials at the time limit); otherwise Failed only when every trial failed (a failing trial
    does not stop the sweep), else Completed."""
    if canceled:
        return "Canceled", None
    if timed_out:
        return "Canceled", f"the sweep ran longer than limits.timeout ({timeout} s); its running trials were canceled"
    failed = [t for t in trials if t.get("status") in ("Failed", "NotResponding")]
    if trials and len(failed) == len(trials):
        first = failed[0]
        reason = (first.get("error") or "see its log").splitlines()[0]
        return "Failed", (f"every trial failed ({len(trials)}); {first['name']}: {reason} "
                          f"(read its log with %aml job stream -n {first['name']})")
    if not trials:
        return "Failed", "no trial was started"
    return "Completed", None
