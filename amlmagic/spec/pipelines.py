"""Pipeline jobs <-> CLI v2 YAML dicts.

    spec = pipeline_to_spec(job)   # a PipelineJob from load_job or @dsl.pipeline

azure-ai-ml's `_to_dict()` already writes every step with its component (inline command steps
and `file:` references as anonymous inline components, registered ones as `azureml:` references)
and bindings as `${{parent...}}` strings; two things need mending: local input paths come out as
`azureml:./data`, and a pipeline output declared with no fields is dropped (steps still bind it:
amlmagic/local/pipeline/graph.py declares it again).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["pipeline_to_spec", "PIPELINE_SCHEMA", "LOCAL_ONLY_KEYS"]

PIPELINE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json"
LOCAL_ONLY_KEYS = ("component_ref",)  # what the local engine adds to a step; not CLI v2


def _local_path(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        path = value["path"]
        if path.startswith("azureml:") and not path.startswith("azureml://") and (path[8:9] in (".", "/", "~") or "://" in path[8:]):
            return {**value, "path": path[8:]}
    return value


def pipeline_to_spec(job: Any) -> dict:
    spec = json.loads(json.dumps(job._to_dict(), default=str))
    spec = {"$schema": PIPELINE_SCHEMA, **spec}
    for step in (spec.get("jobs") or {}).values():
        step["inputs"] = {k: _local_path(v) for k, v in (step.get("inputs") or {}).items()}
        if not step["inputs"]:
            del step["inputs"]
    spec["inputs"] = {k: _local_path(v) for k, v in (spec.get("inputs") or {}).items()}
    if not spec["inputs"]:
        del spec["inputs"]
    for field in ("name", "experiment_name"):
        if getattr(job, field, None):
            spec[field] = getattr(job, field)
    return spec
