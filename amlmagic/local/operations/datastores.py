"""`client.datastores`: the default datastore (a workspace folder) and registered local folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import AlreadyExistsError, NotFoundError, ValidationError
from ...names import validate_asset_name
from ..uploads import DEFAULT_DATASTORE
from ..uris import resolve_uri
from ..workspace import LocalWorkspace, current_user, now_iso

__all__ = ["DatastoreOperations", "local_datastore"]

_BUILT_IN = (DEFAULT_DATASTORE, "workspaceartifactstore")


def local_datastore(name: str, folder: str | Path, description: str | None = None) -> Any:
    """The entity for a local folder datastore. azure-ai-ml has no local type, so it is a blob
    datastore whose account is `local` and whose `properties["local_path"]` is the folder."""
    from azure.ai.ml.entities import AzureBlobDatastore

    return AzureBlobDatastore(
        name=name, account_name="local", container_name=name, description=description,
        properties={"local_path": str(Path(folder).expanduser().resolve())},
    )


class DatastoreOperations:
    def __init__(self, workspace: LocalWorkspace):
        self._ws = workspace
        self._store = workspace.store

    def create_or_update(self, datastore: Any, **_: Any) -> Any:
        name = validate_asset_name(datastore.name, "datastore name")
        if name in _BUILT_IN:
            raise AlreadyExistsError(f"{name} is built in: choose another datastore name")
        folder = (getattr(datastore, "properties", None) or {}).get("local_path")
        if not folder:
            raise ValidationError("a local datastore needs a folder: give -p/--path FOLDER")
        if not Path(folder).is_dir():
            raise NotFoundError(f"datastore folder {folder} does not exist: create it or check -p/--path")
        record = {
            "spec": {"name": name, "local_path": str(Path(folder).resolve()), "description": datastore.description},
            "meta": {"created_at": now_iso(), "created_by": current_user()},
        }
        self._store.put("datastores", name, record)
        return self._entity(record)

    def get(self, name: str, **_: Any) -> Any:
        if name in _BUILT_IN:
            return self._built_in(name)
        record = self._store.get("datastores", name)
        if record is None:
            raise NotFoundError(f"datastore {name!r} not found: list them with %aml datastore list")
        return self._entity(record)

    def get_default(self, **_: Any) -> Any:
        return self._built_in(DEFAULT_DATASTORE)

    def list(self, **_: Any) -> list:
        registered = self._store.records("datastores").values()
        return [self._built_in(n) for n in _BUILT_IN] + [self._entity(record) for record in registered]

    def delete(self, name: str, **_: Any) -> None:
        if name in _BUILT_IN or not self._store.delete("datastores", name):
            raise NotFoundError(f"datastore {name!r} cannot be deleted: only registered datastores can")

    # -- extras --------------------------------------------------------------------------------
    def local_path(self, uri: str) -> Path | None:
        """The file or folder on this machine an `azureml://datastores/...`, `azureml://jobs/...`
        or `file://` URI names; None when this workspace does not have it (an unknown datastore
        or job is Azure's, and a path that does not exist names nothing here)."""
        text = str(uri)
        if not text.startswith(("azureml://datastores/", "azureml://jobs/", "file://")):
            return None
        try:
            found = resolve_uri(self._store, text)
        except (NotFoundError, ValidationError):
            return None
        return found if found.exists() else None

    def _built_in(self, name: str) -> Any:
        return local_datastore(name, self._store.root / "datastores" / name, "built-in")

    def _entity(self, record: dict) -> Any:
        spec = record["spec"]
        return local_datastore(spec["name"], spec["local_path"], spec.get("description"))
