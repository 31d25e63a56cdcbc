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
    def jobs(self) -> AzureJobOperations:
        return AzureJobOperations(self.ml_client.jobs, self)

    @cached_property
    def compute(self) -> AzureComputeOperations:
        return AzureComputeOperations(self.ml_client.compute)

    @cached_property
    def datastores(self) -> AzureDatastoreOperations:
        return AzureDatastoreOperations(self.ml_client.datastores)

    @cached_property
    def data(self) -> AzureDataOperations:
        return AzureDataOperations(self.ml_client.data, self.ml_client.datastores)

    @cached_property
    def environments(self) -> AzureEnvironmentOperations:
        return AzureEnvironmentOperations(self.ml_client.environments)

    @cached_property
    def models(self) -> AzureModelOperations:
        return AzureModelOperations(self.ml_client.models, self.jobs)

    @cached_property
    def online_endpoints(self) -> InvokingOperations:
        return InvokingOperations(self.ml_client.online_endpoints)

    @cached_property
    def online_deployments(self) -> TranslatedOperations:
        return TranslatedOperations(self.ml_client.online_deployments)

    @cached_property
    def batch_endpoints(self) -> InvokingOperations:
        """MLClient's: invoke POSTs to the endpoint's scoring URI and returns a `BatchJob`, whose
        name `jobs` follows; list_jobs asks the workspace's discovery service first."""
        return InvokingOperations(self.ml_client.batch_endpoints)

    @cached_property
    def batch_deployments(self) -> TranslatedOperations:
        return TranslatedOperations(self.ml_client.batch_deployments)

    def __getattr__(self, name: str) -> Any:
        """MLClient's other groups (components, schedules, ...) with the same
        translation; its other attributes (subscription_id, ...) as they are."""
        if name.startswith("__") or name == "ml_client":
            raise AttributeError(name)
        attribute = getattr(self.ml_client, name)  # AttributeError stays one: hasattr() must work
        if _is_operation_group(attribute):
            group = TranslatedOperations(attribute)
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
