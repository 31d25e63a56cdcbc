"""Which compute a job runs on."""

from __future__ import annotations

from .references import strip_azureml_prefix

__all__ = ["LOCAL_COMPUTE", "compute_for"]

LOCAL_COMPUTE = "local"


def compute_for(job_compute: str | None, default: str | None) -> str | None:
    """The job's own `compute:` (without `azureml:`), else the workspace default set by
    `%aml compute use`, else None (Azure then runs it serverless; locally: `local`)."""
    if job_compute not in (None, ""):
        return strip_azureml_prefix(str(job_compute))
    return default or None
