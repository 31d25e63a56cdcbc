"""What `batch_endpoints.invoke` takes, made plain: which deployment answers, the one data input,
the per-job overrides and the output location (../shared/azureml-semantics-2.md 2.1, 2.4).

    deployment = choose_deployment(store, endpoint_record, "blue")   # None: the default one
    overrides = flatten_overrides([{"mini_batch_size": 20}, {"compute.instance_count": 2}])
"""

from __future__ import annotations

from typing import Any

from ...errors import NotFoundError, ValidationError
from .records import deployments_kind

__all__ = ["choose_deployment", "default_deployment", "flatten_overrides", "one_input", "output_path"]

# The per-job fields of a batch job (SDK `_schema/_deployment/batch/batch_job.py`) and the
# deployment settings they override; `compute.instance_count` is `--instance-count`.
_OVERRIDES = {
    "mini_batch_size": "mini_batch_size", "compute.instance_count": "instance_count",
    "instance_count": "instance_count", "resources.instance_count": "instance_count",
    "output_file_name": "output_file_name", "error_threshold": "error_threshold",
    "retry_settings.max_retries": "max_retries", "retry_settings.timeout": "timeout",
    "max_retries": "max_retries", "timeout": "timeout", "logging_level": "logging_level",
    "max_concurrency_per_instance": "max_concurrency_per_instance",
    "environment_variables": "environment_variables",
}


def default_deployment(endpoint: dict) -> str | None:
    return ((endpoint["spec"].get("defaults") or {}).get("deployment_name")) or None


def choose_deployment(store: Any, endpoint: dict, name: str | None) -> dict:
    """The deployment record that answers: the one named, else the endpoint's default."""
    endpoint_name = endpoint["spec"]["name"]
    kind = deployments_kind(endpoint_name)
    if name is None:
        name = default_deployment(endpoint)
        if name is None:
            raise ValidationError(f"batch endpoint {endpoint_name} has no default deployment: name one with "
                                  f"-d/--deployment-name, or set one with %aml batch-endpoint update -n {endpoint_name} "
                                  "--set defaults.deployment_name=NAME")
    record = store.get(kind, name)
    if record is None:
        raise NotFoundError(f"deployment {name!r} not found in batch endpoint {endpoint_name}: use one of "
                            f"{store.names(kind) or 'none (create one with %aml batch-deployment create)'}")
    return record


def flatten_overrides(params_override: list | None) -> dict:
    """`params_override` (a list of {dotted key: value}) as deployment settings; `retry_settings`
    given whole is kept for `rules.batch.batch_settings` to flatten."""
    settings: dict = {}
    for item in params_override or []:
        for key, value in dict(item).items():
            if key == "retry_settings" and isinstance(value, dict):
                settings.setdefault("retry_settings", {}).update(value)
            elif key in _OVERRIDES:
                settings[_OVERRIDES[key]] = value
            elif key in ("input_data", "output_dataset", "output_data", "name", "properties",
                         "output_dataset.datastore_id", "output_dataset.path"):
                continue  # given through input/outputs/job_name by the caller
            else:
                raise ValidationError(f"{key} cannot be set on a batch job: use one of {', '.join(sorted(_OVERRIDES))}")
    return settings


def one_input(input: Any, inputs: dict | None) -> Any:
    """The one data input of a model deployment (its name is ignored, 2.4)."""
    if input is not None:
        return input
    values = list((inputs or {}).values())
    if len(values) != 1:
        raise ValidationError(f"a model deployment takes exactly one data input, got {len(values)}: give --input")
    return values[0]


def output_path(outputs: dict | None, params_override: list | None) -> str | None:
    """The `score` output's location when the caller chose one (--output-path), else None."""
    for value in (outputs or {}).values():
        path = getattr(value, "path", None) if not isinstance(value, (str, dict)) else (
            value.get("path") if isinstance(value, dict) else value)
        if path:
            return str(path)
    for item in params_override or []:
        if item.get("output_dataset.path"):
            store = item.get("output_dataset.datastore_id") or "workspaceblobstore"
            return f"azureml://datastores/{str(store).rsplit('/', 1)[-1]}/paths/{str(item['output_dataset.path']).lstrip('/')}"
    return None
