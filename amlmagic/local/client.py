"""`LocalMLClient`: MLClient's operation groups over a local workspace folder."""

from __future__ import annotations

import os
from functools import cached_property

from ..audit import ActivityRecorder, audit_group, local_log_path
from .operations.compute import ComputeOperations
from .operations.data import DataOperations
from .operations.datastores import DatastoreOperations
from .operations.environments import EnvironmentOperations
from .operations.models import ModelOperations
from .workspace import LocalWorkspace, current_user

__all__ = ["LocalMLClient"]


class LocalMLClient:
    """Offers the MLClient interface the magics and widgets use, and returns the same
    `azure.ai.ml.entities` classes; jobs, sweeps and endpoints run on this machine."""

    backend = "local"

    def __init__(self, path: str | os.PathLike = ".amlmagic"):
        self.workspace = LocalWorkspace(path)
        # the audit trail: every group's changes are appended to <workspace>/activity.jsonl
        self.activity = ActivityRecorder(local_log_path(self.workspace.root), backend="local",
                                         who=lambda _entity: current_user())
        self.compute = self._audited(ComputeOperations(self.workspace), "compute")
        self.datastores = self._audited(DatastoreOperations(self.workspace), "datastore")
        self.data = self._audited(DataOperations(self.workspace), "data")
        self.environments = self._audited(EnvironmentOperations(self.workspace), "environment")
        self.models = self._audited(ModelOperations(self.workspace), "model")

    def _audited(self, group, kind: str):
        return audit_group(group, kind, self.activity)

    @property
    def workspace_name(self) -> str:
        return self.workspace.name

    @property
    def root(self):
        return self.workspace.root

    @cached_property
    def jobs(self):
        from .operations.jobs import JobOperations

        return self._audited(JobOperations(self.workspace, self), "job")

    @cached_property
    def components(self):
        from .operations.components import ComponentOperations

        return self._audited(ComponentOperations(self.workspace), "component")

    @cached_property
    def online_endpoints(self):
        from .operations.online_endpoints import OnlineEndpointOperations

        return self._audited(OnlineEndpointOperations(self.workspace, self), "online-endpoint")

    @cached_property
    def online_deployments(self):
        from .operations.online_deployments import OnlineDeploymentOperations

        return self._audited(OnlineDeploymentOperations(self.workspace, self), "online-deployment")

    @cached_property
    def schedules(self):
        from .schedules.operations import ScheduleOperations

        return self._audited(ScheduleOperations(self.workspace, self), "schedule")

    @cached_property
    def batch_endpoints(self):
        from .operations.batch_endpoints import BatchEndpointOperations

        return self._audited(BatchEndpointOperations(self.workspace, self), "batch-endpoint")

    @cached_property
    def batch_deployments(self):
        from .operations.batch_deployments import BatchDeploymentOperations

        return self._audited(BatchDeploymentOperations(self.workspace, self), "batch-deployment")

    def __repr__(self) -> str:
        return f"LocalMLClient({str(self.root)!r})"
