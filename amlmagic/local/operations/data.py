"""`client.data`: data assets, versioned references into datastores (as in Azure ML)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, ValidationError
from ...rules import DATA_TYPES
from ..uploads import check_regular, upload_local_path
from ..uris import is_remote_uri, resolve_uri
from .versioned import VersionedOperations

__all__ = ["DataOperations", "local_source_path"]


def local_source_path(entity: Any, attribute: str = "path") -> str:
    """The entity's path, made absolute against the folder its YAML came from."""
    raw = str(getattr(entity, attribute))
    if raw.startswith(("azureml:", "file://", "runs:/")) or is_remote_uri(raw) or Path(raw).is_absolute():
        return raw
    return str((Path(getattr(entity, "_base_path", None) or ".") / raw).resolve())


class DataOperations(VersionedOperations):
    kind = "data"
    noun = "data"

    def _prepare(self, data: Any) -> tuple[dict, dict]:
        data_type = data.type or "uri_folder"
        if data_type not in DATA_TYPES:
            raise ValidationError(f"data type {data_type!r} is not one of {', '.join(DATA_TYPES)}: set -t/--type")
        if not data.path:
            raise ValidationError("data needs a path: give -p/--path (a local file or folder, or an azureml:// URI)")
        source = local_source_path(data)
        local = resolve_uri(self._store, source)
        if not local.exists():
            raise NotFoundError(f"data path {source} does not exist: check -p/--path")
        check_regular(local, walk=False)  # /proc, a device, pipe or socket: refused as such, not as a wrong type
        if data_type == "uri_file" and not local.is_file():
            raise ValidationError(f"uri_file needs a file but {source} is a folder: use -t uri_folder")
        if data_type in ("uri_folder", "mltable") and not local.is_dir():
            raise ValidationError(f"{data_type} needs a folder but {source} is a file: use -t uri_file")
        if data_type == "mltable" and not (local / "MLTable").is_file():
            raise ValidationError(f"mltable folder {source} has no MLTable file: add one or use -t uri_folder")
        # Local content is copied into the default datastore; datastore URIs are referenced.
        path = source if source.startswith("azureml://") else upload_local_path(self._store, local)
        spec = {"type": data_type, "path": path}
        for field in ("description", "tags", "properties"):
            if getattr(data, field, None):
                spec[field] = getattr(data, field)
        return spec, {"source": source}

    def _entity(self, spec: dict, meta: dict) -> Any:
        from azure.ai.ml.entities import Data

        return Data(type=spec["type"], path=spec["path"], **self._common(spec, meta))

    def local_path(self, name: str, version: str | None = None) -> Path:
        """Where the content of a data version lives in the workspace."""
        return resolve_uri(self._store, self.get(name, version).path)

    def download(self, name: str, version: str | None = None, download_path: str = ".", **_: Any) -> Path:
        source = self.local_path(name, version)
        target = Path(download_path).expanduser().resolve() / source.name
        if target.exists():
            raise ValidationError(f"{target} exists: choose another --download-path or remove it")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        return target
