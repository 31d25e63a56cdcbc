"""What the maturity report reads from a workspace, through the client interface only (so it works
on every backend), each list read once and shared by the practice checks.

Our rule (cost on Azure, where a list pages through the whole history): at most `MAX_JOBS` of
the jobs `jobs.list()` returns, the children of at most `MAX_PARENTS` pipelines and sweeps, the
metrics of at most `MAX_METRIC_JOBS` completed jobs and the versions of at most `MAX_MODELS`
models are read. A practice found beyond them is reported missing, with what was read.
"""

from __future__ import annotations

from functools import cached_property
from itertools import islice
from typing import Any, Iterator

from ..rules import parse_asset_ref, status_text

__all__ = ["WorkspaceFacts", "MAX_JOBS", "MAX_PARENTS", "MAX_METRIC_JOBS", "MAX_MODELS", "asset_name", "asset_label",
           "job_inputs", "job_environments"]

MAX_JOBS = 200
MAX_PARENTS = 10
MAX_METRIC_JOBS = 10
MAX_MODELS = 50


def asset_name(reference: Any) -> str | None:
    """The asset name a reference (`azureml:name:version`, `name:version`, `name@latest`, an ARM
    id) names; None for what cannot name one (a datastore URI, a job output, an inline entity)."""
    if not isinstance(reference, str) or not reference or reference.startswith(("azureml://datastores/", "azureml://jobs/")):
        return None
    if "://" in reference and not reference.startswith("azureml://registries/"):
        return None
    return parse_asset_ref(reference).name


def asset_label(reference: str) -> str:
    """`name:version` (or `name@label`) of a reference in any form, an ARM id included."""
    ref = parse_asset_ref(reference)
    return f"{ref.name}:{ref.version}" if ref.version else f"{ref.name}@{ref.label}"


def _path(value: Any) -> Any:
    """An input's path; None for a literal (a number, a string), which has none."""
    from azure.ai.ml.exceptions import ValidationException

    if isinstance(value, dict):
        return value.get("path")
    try:
        return getattr(value, "path", None)
    except ValidationException:  # azure-ai-ml raises for a pipeline's literal input ("<int> does not have path")
        return None


def job_inputs(job: Any) -> Iterator[tuple[str, Any]]:
    """(where, path) of the job's inputs, a pipeline's steps' too."""
    for key, value in (getattr(job, "inputs", None) or {}).items():
        yield key, _path(value)
    for step, node in (getattr(job, "jobs", None) or {}).items():
        for key, value in (getattr(node, "inputs", None) or {}).items():
            yield f"{step}.{key}", _path(value)


def job_environments(job: Any) -> Iterator[Any]:
    """The environments the job runs on: its own, its trial's, its steps' (a reference or an entity)."""
    for holder in (job, getattr(job, "trial", None), *(getattr(job, "jobs", None) or {}).values()):
        env = getattr(holder, "environment", None)
        if env is not None:
            yield env
        component = getattr(holder, "component", None)
        if component is not None and not isinstance(component, str) and getattr(component, "environment", None):
            yield component.environment


class WorkspaceFacts:
    """Lazy, shared reads of one workspace. Each property raises the backend's AmlMagicError as is:
    the practice that needed it is then reported not assessed, the others still are."""

    def __init__(self, client: Any):
        self.client = client

    @cached_property
    def jobs(self) -> list[Any]:
        return list(islice(self.client.jobs.list(), MAX_JOBS))

    @cached_property
    def data(self) -> list[Any]:
        return list(self.client.data.list())

    @cached_property
    def environments(self) -> list[Any]:
        return list(self.client.environments.list())

    @cached_property
    def components(self) -> list[Any]:
        return list(self.client.components.list())

    @cached_property
    def model_versions(self) -> list[Any]:
        """Every version of (at most MAX_MODELS) models."""
        names = [m.name for m in islice(self.client.models.list(), MAX_MODELS)]
        return [version for name in names for version in self.client.models.list(name=name)]

    @cached_property
    def schedules(self) -> list[Any]:
        return list(self.client.schedules.list(list_view_type="All"))

    @cached_property
    def endpoints(self) -> list[Any]:
        return list(self.client.online_endpoints.list())

    @cached_property
    def deployments(self) -> list[Any]:
        return [d for e in self.endpoints for d in self.client.online_deployments.list(e.name)]

    def children(self, job: Any) -> list[Any]:
        return self._children.setdefault(job.name, list(self.client.jobs.list(parent_job_name=job.name)))

    @cached_property
    def _children(self) -> dict[str, list[Any]]:
        return {}

    def parents(self, kind: str) -> list[Any]:
        return [j for j in self.jobs if getattr(j, "type", None) == kind][:MAX_PARENTS]

    def training_runs(self) -> Iterator[Any]:
        """Completed command jobs, then the completed steps and trials of pipelines and sweeps."""
        yield from (j for j in self.jobs if j.type == "command" and status_text(j) == "Completed")
        for parent in self.parents("sweep") + self.parents("pipeline"):
            yield from (c for c in self.children(parent) if status_text(c) == "Completed")

    def lineage(self, model: Any) -> dict:
        return self.client.models.lineage(model.name, model.version)
