"""The azure and replay backends: azure-ai-ml's MLClient on a real workspace, on recorded
traffic (replay), or on a real workspace while recording its traffic (record mode).

    from amlmagic.backends import connect_azure, connect_replay, backend_name
    client = connect_replay(["tests/backends/recordings/compute.json"])   # an AzureMLClient
    client.compute.get("cpu-cluster")       # errors are amlmagic.errors types

Importing this package is cheap: azure.ai.ml, azure.identity and requests are imported inside
the functions that need them.
"""

from __future__ import annotations

from .azure import StaticTokenCredential, backend_name, connect_azure, connect_replay, stop_replay
from .errors import explain_azure_error, translate_azure_error
from .metrics import AzureMetricsReader

__all__ = [
    "AzureMLClient",
    "translate_azure_error",
    "connect_azure",
    "connect_replay",
    "stop_replay",
    "backend_name",
    "explain_azure_error",
    "AzureMetricsReader",
    "StaticTokenCredential",
]


def __getattr__(name: str):
    if name == "AzureMLClient":  # the adapter and its groups load with the first client
        from .adapter import AzureMLClient

        return AzureMLClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
