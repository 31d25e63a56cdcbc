"""On-disk state of a local workspace: atomic JSON records, cross-process locks, versions.

Every record is one JSON file written atomically (osutil.write_json_atomic: temp file, fsync,
rename), so a reader never sees half a record and a failed command leaves nothing behind.
Writers that must agree (the next version of an asset, a name that must be unique) hold an
`fcntl` lock on a lock file, so several kernels or processes can write to one workspace at once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

from ..rules import version_key
from .osutil import locked, read_json, write_json_atomic

__all__ = ["Store"]


class Store:
    """The workspace folder. Kinds are folders under `registry/`."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    # -- locking -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive lock across processes; re-entrant within a thread (flock on a second
        descriptor of the same file would deadlock)."""
        with locked(self.root / "locks" / f"{name}.lock"):
            yield

    # -- workspace settings --------------------------------------------------------------
    @property
    def settings_path(self) -> Path:
        return self.root / "workspace.json"

    def settings(self) -> dict:
        try:
            return read_json(self.settings_path)
        except FileNotFoundError:
            return {}

    def update_settings(self, **changes: Any) -> dict:
        with self.lock("workspace"):
            settings = self.settings()
            settings.update(changes)
            write_json_atomic(self.settings_path, settings)
            return settings

    # -- unversioned records (computes, datastores, endpoints, jobs) ------------------------
    def record_path(self, kind: str, name: str) -> Path:
        return self.root / "registry" / kind / f"{name}.json"

    def get(self, kind: str, name: str) -> dict | None:
        try:
            return read_json(self.record_path(kind, name))
        except FileNotFoundError:
            return None

    def put(self, kind: str, name: str, record: dict) -> None:
        write_json_atomic(self.record_path(kind, name), record)

    def delete(self, kind: str, name: str) -> bool:
        try:
            self.record_path(kind, name).unlink()
            return True
        except FileNotFoundError:
            return False

    def names(self, kind: str) -> list[str]:
        folder = self.root / "registry" / kind
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json"))

    # -- versioned records (data, environments, models) ----------------------------------
    def version_path(self, kind: str, name: str, version: str) -> Path:
        return self.root / "registry" / kind / name / f"{version}.json"

    def versions(self, kind: str, name: str) -> list[str]:
        folder = self.root / "registry" / kind / name
        if not folder.is_dir():
            return []
        return sorted((p.stem for p in folder.glob("*.json")), key=version_key)

    def versioned_names(self, kind: str) -> list[str]:
        folder = self.root / "registry" / kind
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.json")))

    def get_version(self, kind: str, name: str, version: str) -> dict | None:
        try:
            return read_json(self.version_path(kind, name, version))
        except FileNotFoundError:
            return None

    def latest_version(self, kind: str, name: str) -> str | None:
        """The newest version by creation time, as the SDK resolves `@latest`."""
        records = [(self.get_version(kind, name, v), v) for v in self.versions(kind, name)]
        records = [(r.get("meta", {}).get("created_at", ""), version_key(v), v) for r, v in records if r]
        return max(records)[2] if records else None

    def next_version(self, kind: str, name: str) -> str:
        numeric = [int(v) for v in self.versions(kind, name) if v.isdigit()]
        return str(max(numeric, default=0) + 1)

    def put_version(self, kind: str, name: str, version: str, record: dict) -> None:
        write_json_atomic(self.version_path(kind, name, version), record)
