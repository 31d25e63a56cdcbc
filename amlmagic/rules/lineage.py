"""What ties Azure ML assets to the jobs that made them, as Azure writes it (for lineage).

- A job's output is named `azureml://jobs/<job>/outputs/<output>[/paths/...]`; a model or data
  version registered from it keeps that path, or the datastore path Azure wrote the output to:
  by default `azureml://datastores/<datastore>/paths/azureml/<job>/<output>/`
  (`${{default_datastore}}/paths/azureml/${{name}}/${{output_name}}/`).
- A sweep names its best trial in the property `best_child_run_id`; a trial's parameters are its
  property `hyperparameters` (JSON).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["output_of", "BEST_TRIAL", "HYPERPARAMETERS", "trial_parameters"]

BEST_TRIAL = "best_child_run_id"
HYPERPARAMETERS = "hyperparameters"

_JOB_OUTPUT = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)")
_DEFAULT_OUTPUT = re.compile(r"^azureml://datastores/[^/]+/paths/azureml/(?P<job>[^/]+)/(?P<output>[^/]+)")


def output_of(path: Any) -> tuple[str, str] | None:
    """(job, output) a path names as a job's output, or None."""
    match = _JOB_OUTPUT.match(str(path or "")) or _DEFAULT_OUTPUT.match(str(path or ""))
    return (match["job"], match["output"]) if match else None


def trial_parameters(properties: dict | None) -> dict:
    """A sweep trial's sampled parameters ({} for any other job)."""
    raw = (properties or {}).get(HYPERPARAMETERS)
    if not raw:
        return {}
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return dict(value) if isinstance(value, dict) else {}
