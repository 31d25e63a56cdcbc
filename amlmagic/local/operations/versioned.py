"""What data, environments and models share: immutable versions, auto-increment, @latest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import AlreadyExistsError, DamagedStateError, NotFoundError
from ...names import validate_asset_name
from ..store import warn_damaged
from ..workspace import LocalWorkspace, current_user, now_iso

__all__ = ["VersionedOperations"]


class VersionedOperations:
    """Subclasses set `kind` (folder and ARM segment), `noun` (for messages) and implement
    `_prepare(entity) -> spec` (validate, copy content) and `_entity(spec, meta)`."""

    kind = ""
    noun = ""

    def __init__(self, workspace: LocalWorkspace):
        self._ws = workspace
        self._store = workspace.store

    # -- subclass hooks ----------------------------------------------------------------------
    def _prepare(self, entity: Any) -> tuple[dict, dict]:  # (spec, extra meta)
        raise NotImplementedError

    def _entity(self, spec: dict, meta: dict) -> Any:
        raise NotImplementedError

    # -- MLClient interface ------------------------------------------------------------------
    def create_or_update(self, entity: Any, **_: Any) -> Any:
        name = validate_asset_name(entity.name, f"{self.noun} name")
        version = str(entity.version) if entity.version not in (None, "") else None
        if version is not None:
            validate_asset_name(version, f"{self.noun} version")
            self._refuse_existing(name, version)  # before copying any content
        spec, extra_meta = self._prepare(entity)
        with self._store.lock(f"{self.kind}-{name}"):
            if version is None:
                version = self._store.next_version(self.kind, name)
            else:
                self._refuse_existing(name, version)
            spec = {**spec, "name": name, "version": version}
            meta = {"created_at": now_iso(), "created_by": current_user(), **extra_meta}
            self._store.put_version(self.kind, name, version, {"spec": spec, "meta": meta})
        return self._entity(spec, meta)

    def get(self, name: str, version: str | None = None, label: str | None = None, **_: Any) -> Any:
        record = self._record(name, version, label)
        return self._entity(record["spec"], record["meta"])

    def list(self, name: str | None = None, **_: Any) -> list:
        names = [name] if name else self._store.versioned_names(self.kind)
        out = []
        for asset in names:
            versions = self._store.versions(self.kind, asset)
            if name and not versions:
                raise NotFoundError(f"{self.noun} {name!r} not found: list them with %aml {self.noun} list")
            # like `az ml data list`: the latest version of each asset; with a name, every version
            wanted = list(reversed(versions)) if name else [None] if versions else []
            for version in wanted:
                try:
                    version = version or self._store.latest_version(self.kind, asset)
                    out.append(self._entity(**self._unpack(asset, version)))
                except DamagedStateError as exc:  # the healthy ones are still listed
                    warn_damaged(exc)
        return out

    # -- extras --------------------------------------------------------------------------------
    def registered_source(self, name: str, version: str) -> Path | None:
        """The local file or folder the version was registered from, while it still exists;
        None when it came from a URI (a datastore, a job's output) or is gone. NotFoundError for
        an unknown version."""
        source = (self._record(name, str(version), None)["meta"] or {}).get("source")
        if not source or str(source).startswith(("azureml:", "runs:/")) or "://" in str(source):
            return None
        path = Path(source)
        return path if path.exists() else None

    # -- helpers -----------------------------------------------------------------------------
    def _unpack(self, name: str, version: str) -> dict:
        record = self._store.get_version(self.kind, name, version)
        return {"spec": record["spec"], "meta": record["meta"]}

    def _refuse_existing(self, name: str, version: str) -> None:
        if self._store.get_version(self.kind, name, version) is not None:
            raise AlreadyExistsError(
                f"{self.noun} {name} version {version} already exists and versions are immutable: "
                "omit -v/--version to get the next version, or choose another"
            )

    def _record(self, name: str, version: str | None, label: str | None) -> dict:
        if version is None:
            if label not in (None, "latest"):
                raise NotFoundError(f"label {label!r} is not supported locally: use a version or 'latest'")
            version = self._store.latest_version(self.kind, name)
        record = self._store.get_version(self.kind, name, version) if version else None
        if record is None:
            which = f"{name}:{version}" if version else name
            raise NotFoundError(f"{self.noun} {which} not found: list them with %aml {self.noun} list")
        return record

    def _common(self, spec: dict, meta: dict) -> dict:
        """Keyword arguments every versioned entity takes."""
        return {
            "name": spec["name"],
            "version": spec["version"],
            "description": spec.get("description"),
            "tags": spec.get("tags") or {},
            "properties": spec.get("properties") or {},
            "id": self._ws.arm_id(self.kind, spec["name"], spec["version"]),
            "creation_context": self._ws.system_data(meta),
        }
