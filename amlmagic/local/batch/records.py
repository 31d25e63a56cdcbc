"""Where batch endpoint and deployment records live, and a deployment's snapshot.

    registry/batch_endpoints/<endpoint>.json                 {"spec", "meta"}
    registry/batch_deployments/<endpoint>/<deployment>.json  {"spec", "run", "snapshot", "meta"}
    batch_endpoints/<endpoint>/deployments/<deployment>/<snapshot>/   code/, azureml-models/

A deployment's code and model are snapshotted at create (as Azure uploads them then), with the
online deployments' layout (`endpoints/layout.py`): the model under
`azureml-models/<name>/<version>/<its folder>`, so `glob(f"{AZUREML_MODEL_DIR}/*/*.pt")` finds it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from ...errors import NotFoundError
from ..store import Store

__all__ = ["ENDPOINTS", "deployments_kind", "endpoint_record", "deployment_record", "endpoint_folder",
           "new_snapshot", "prune_snapshots"]

ENDPOINTS = "batch_endpoints"


def deployments_kind(endpoint: str) -> str:
    return f"batch_deployments/{endpoint}"


def endpoint_folder(store: Store, endpoint: str) -> Path:
    return store.root / "batch_endpoints" / endpoint


def endpoint_record(store: Store, name: str) -> dict:
    record = store.get(ENDPOINTS, name, f"delete the endpoint with %aml batch-endpoint delete -n {name}, "
                                        "or restore the file from a backup")
    if record is None:
        raise NotFoundError(f"batch endpoint {name!r} not found: list them with %aml batch-endpoint list, "
                            "or create it with %aml batch-endpoint create -n NAME")
    return record


def deployment_record(store: Store, name: str, endpoint: str) -> dict:
    endpoint_record(store, endpoint)
    record = store.get(deployments_kind(endpoint), name)
    if record is None:
        raise NotFoundError(f"deployment {name!r} not found in batch endpoint {endpoint}: list them with "
                            f"%aml batch-deployment list -e {endpoint}")
    return record


def _deployment_folder(store: Store, endpoint: str, deployment: str) -> Path:
    return endpoint_folder(store, endpoint) / "deployments" / deployment


def new_snapshot(store: Store, endpoint: str, deployment: str) -> Path:
    folder = _deployment_folder(store, endpoint, deployment) / f"{time.time_ns():x}"
    folder.mkdir(parents=True)
    return folder


def prune_snapshots(store: Store, endpoint: str, deployment: str, keep: Path | None) -> None:
    """Remove the deployment's snapshots other than `keep` (None: all). A batch job never reads
    them: it links its own copy at invoke (`submit.py`)."""
    folder = _deployment_folder(store, endpoint, deployment)
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if (keep is None or child.resolve() != Path(keep).resolve()):
            shutil.rmtree(child, ignore_errors=True)
