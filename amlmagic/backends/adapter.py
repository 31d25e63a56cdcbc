"""`AzureMLClient`: the `amlmagic.client.AmlClient` interface over azure-ai-ml's MLClient (on a real
workspace, recording its traffic, or on replayed traffic).

    client = connect_replay(["session.json"])    # an AzureMLClient
    client.models.get("nope", version="1")       # amlmagic.errors.NotFoundError
    client.ml_client                             # the MLClient itself, for what the interface lacks
    client.schedules.list()                      # groups outside the interface: forwarded, translated

Every operation group forwards MLClient's methods unchanged and translates their errors once,
here (amlmagic/backends/errors.py), including the errors raised late by pages and pollers.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ..audit import (
    ActivityRecorder,
    audit_group,
    azure_log_path,
    principal_from_entity,
    principal_from_token,
    replay_log_path,
)
from .assets import AzureDataOperations, AzureDatastoreOperations, AzureEnvironmentOperations, AzureModelOperations
from .invoke import InvokingOperations
from .jobs import AzureJobOperations
from .wrap import TranslatedOperations, translated_call

__all__ = ["AzureMLClient", "AzureComputeOperations"]


class AzureComputeOperations(TranslatedOperations):
    def __init__(self, inner: Any):
        super().__init__(inner)
        self._default: str | None = None  # our rule: the default is this session's, not the workspace's

    def get_default(self) -> str | None:
        """The compute later jobs without `compute:` run on (`use`), or None (Azure: serverless)."""
        return self._default

    def use(self, name: str) -> Any:
        """Make an existing compute the default of later jobs this session; the compute."""
        compute = self.get(name)  # NotFoundError for a compute the workspace lacks
        self._default = compute.name
        return compute


class AzureMLClient:
    """The interface's groups over one MLClient; `backend` is "azure" or "replay"."""

    def __init__(self, ml_client: Any, backend: str = "azure", *, poll_interval: float = 2.0):
        self.ml_client = ml_client
        self.backend = backend
        self.poll_interval = poll_interval  # first delay of jobs.wait's polls (0 in replay)

    @property
    def workspace_name(self) -> str:
        return self.ml_client.workspace_name

    @cached_property
    def activity(self) -> ActivityRecorder:
        """The audit trail (amlmagic/audit/location.py says where). Our rule: no request is added
        to Azure's traffic, so an update's before is what this client last read of it."""
        if self.backend == "replay":
            path = replay_log_path()
        else:
            ml = self.ml_client
            path = azure_log_path(ml.subscription_id, ml.resource_group_name, ml.workspace_name)
        return ActivityRecorder(path, backend=self.backend, who=self._who, fetch_before=False)

    def _who(self, entity: Any) -> str | None:
        """The signed-in principal (token claims), else the entity's system data."""
        if "_principal" not in self.__dict__:
            try:
                token = self.ml_client._credential.get_token("https://management.azure.com/.default").token
            except Exception:  # no identity to ask (offline, a credential without tokens): system data
                token = None
            self.__dict__["_principal"] = principal_from_token(token)
        return self.__dict__["_principal"] or principal_from_entity(entity)

    @cached_property
    def jobs(self) -> AzureJobOperations:
        return audit_group(AzureJobOperations(self.ml_client.jobs, self), "job", self.activity)

    @cached_property
    def compute(self) -> AzureComputeOperations:
        return audit_group(AzureComputeOperations(self.ml_client.compute), "compute", self.activity)

    @cached_property
    def datastores(self) -> AzureDatastoreOperations:
        return audit_group(AzureDatastoreOperations(self.ml_client.datastores), "datastore", self.activity)

    @cached_property
    def data(self) -> AzureDataOperations:
        return audit_group(AzureDataOperations(self.ml_client.data, self.ml_client.datastores), "data", self.activity)

    @cached_property
    def environments(self) -> AzureEnvironmentOperations:
        return audit_group(AzureEnvironmentOperations(self.ml_client.environments), "environment", self.activity)

    @cached_property
    def models(self) -> AzureModelOperations:
        return audit_group(AzureModelOperations(self.ml_client.models, self.jobs), "model", self.activity)

    @cached_property
    def online_endpoints(self) -> InvokingOperations:
        return audit_group(InvokingOperations(self.ml_client.online_endpoints), "online-endpoint", self.activity)

    @cached_property
    def online_deployments(self) -> TranslatedOperations:
        return audit_group(TranslatedOperations(self.ml_client.online_deployments), "online-deployment", self.activity)

    @cached_property
    def schedules(self) -> TranslatedOperations:
        return audit_group(TranslatedOperations(self.ml_client.schedules), "schedule", self.activity)

    @cached_property
    def batch_endpoints(self) -> InvokingOperations:
        """MLClient's: invoke POSTs to the endpoint's scoring URI and returns a `BatchJob`, whose
        name `jobs` follows; list_jobs asks the workspace's discovery service first."""
        return audit_group(InvokingOperations(self.ml_client.batch_endpoints), "batch-endpoint", self.activity)

    @cached_property
    def batch_deployments(self) -> TranslatedOperations:
        return audit_group(TranslatedOperations(self.ml_client.batch_deployments), "batch-deployment", self.activity)

    def __getattr__(self, name: str) -> Any:
        """MLClient's other groups (components, registries, ...) with the same
        translation; its other attributes (subscription_id, ...) as they are."""
        if name.startswith("__") or name == "ml_client":
            raise AttributeError(name)
        attribute = getattr(self.ml_client, name)  # AttributeError stays one: hasattr() must work
        if _is_operation_group(attribute):  # batch_endpoints -> kind batch-endpoint
            group = audit_group(TranslatedOperations(attribute), name.rstrip("s").replace("_", "-"), self.activity)
            self.__dict__[name] = group  # one wrapper per group, as MLClient keeps one group
            return group
        if callable(attribute) and not name.startswith("_") and not isinstance(attribute, type):
            return translated_call(attribute)
        return attribute

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(self.ml_client)))

    def __repr__(self) -> str:
        return f"AzureMLClient(backend={self.backend!r}, workspace={self.workspace_name!r})"


def _is_operation_group(value: Any) -> bool:
    """MLClient's groups are `*Operations` objects of azure.ai.ml (`_ScopeDependentOperations` and kin)."""
    kind = type(value)
    return kind.__name__.endswith("Operations") and kind.__module__.startswith("azure.ai.ml")
