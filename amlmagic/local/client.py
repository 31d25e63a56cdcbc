"""`LocalMLClient`: MLClient's operation groups over a local workspace folder."""

from __future__ import annotations

import os
from functools import cached_property

from .operations.compute import ComputeOperations
from .operations.data import DataOperations
from .operations.datastores import DatastoreOperations
from .operations.environments import EnvironmentOperations
from .operations.models import ModelOperations
from .workspace import LocalWorkspace

__all__ = ["LocalMLClient"]


class LocalMLClient:
    """Offers the MLClient interface the magics and widgets use, and returns the same
    `azure.ai.ml.entities` classes; jobs, sweeps and endpoints run on this machine."""

    backend = "local"

    def __init__(self, path: str | os.PathLike = ".amlmagic"):
        self.workspace = LocalWorkspace(path)
        self.compute = ComputeOperations(self.workspace)
        self.datastores = DatastoreOperations(self.workspace)
        self.data = DataOperations(self.workspace)
        self.environments = EnvironmentOperations(self.workspace)
        self.models = ModelOperations(self.workspace)

    @property
    def workspace_name(self) -> str:
        return self.workspace.name

    @property
    def root(self):
        return self.workspace.root

    @cached_property
    def jobs(self):
        from .operations.jobs import JobOperations

        return JobOperations(self.workspace, self)

    @cached_property
    def components(self):
        from .operations.components import ComponentOperations

        return ComponentOperations(self.workspace)

    @cached_property
    def online_endpoints(self):
        from .operations.online_endpoints import OnlineEndpointOperations

        return OnlineEndpointOperations(self.workspace, self)

    @cached_property
    def online_deployments(self):
        from .operations.online_deployments import OnlineDeploymentOperations

        return OnlineDeploymentOperations(self.workspace, self)

    @cached_property
    def batch_endpoints(self):
        from .operations.batch_endpoints import BatchEndpointOperations

        return BatchEndpointOperations(self.workspace, self)

    @cached_property
    def batch_deployments(self):
        from .operations.batch_deployments import BatchDeploymentOperations

        return BatchDeploymentOperations(self.workspace, self)

    def __repr__(self) -> str:
        return f"LocalMLClient({str(self.root)!r})"
