"""A deployment's `data_collector` on this machine: where each collection's lines land (the
default datastore's `modelDataCollector/...`, or the collection's `data.path`), the data assets
that name them, and the serving config's `collection` section (amlmagic.local.serving.collect).

    spec = data_collector_spec(deployment.data_collector)       # rules: checked, as YAML holds it
    serving = collection_config(client, store, source, endpoint, name, spec, model)
"""

from __future__ import annotations

from typing import Any

from ...errors import NotFoundError
from ...rules.data_collection import collection_data_asset, enabled_collections
from ..uris import resolve_uri

__all__ = ["collection_config", "data_collector_entity"]


def _register(client: Any, name: str, version: str, path: str, endpoint: str, deployment: str) -> None:
    """The data asset of a collection, as azure-ai-ml registers it when the deployment is
    created; an existing version is kept (Azure's "already exists" is not an error)."""
    from azure.ai.ml.entities import Data

    try:
        client.data.get(name, version)
    except NotFoundError:
        client.data.create_or_update(Data(
            name=name, version=version, path=path, type="uri_folder",
            description=f"Production data collected by deployment {deployment} of endpoint {endpoint}."))


def collection_config(client: Any, store: Any, source: str, endpoint: str, deployment: str, spec: dict | None,
                      model: Any) -> dict | None:
    """The serving config's `collection` (None when no collection is enabled). Creates each
    enabled collection's folder and registers its data asset."""
    names = enabled_collections(spec)
    if not names:
        return None
    roots = {}
    for collection in names:
        data_name, version, path = collection_data_asset(endpoint, deployment, collection,
                                                         spec["collections"][collection].get("data"))
        folder = resolve_uri(store, path)
        folder.mkdir(parents=True, exist_ok=True)
        _register(client, data_name, version, path, endpoint, deployment)
        roots[collection] = str(folder)
    headers = (spec.get("request_logging") or {}).get("capture_headers") or []
    return {"source": source, "roots": roots, "sampling_rate": spec.get("sampling_rate", 1.0),
            "rolling_rate": spec.get("rolling_rate") or "hour", "capture_headers": headers,
            "model_name": getattr(model, "name", None), "model_version": getattr(model, "version", None)}


def data_collector_entity(spec: dict | None) -> Any:
    """The DataCollector entity of a stored `data_collector` (as given, so export writes it back)."""
    if not spec:
        return None
    from azure.ai.ml.entities import DataAsset, DataCollector, DeploymentCollection, RequestLogging

    def collection(c: dict) -> Any:
        data = c.get("data")
        if isinstance(data, dict):
            data = DataAsset(**data)
        return DeploymentCollection(enabled=c["enabled"], data=data, client_id=c.get("client_id"))

    logging = spec.get("request_logging")
    return DataCollector(
        collections={name: collection(c) for name, c in spec["collections"].items()},
        rolling_rate=spec.get("rolling_rate"), sampling_rate=spec.get("sampling_rate"),
        request_logging=RequestLogging(capture_headers=logging["capture_headers"]) if logging else None)
