"""On-disk state of a local workspace: atomic JSON records, cross-process locks, versions.

Every record is one JSON file written atomically (osutil.write_json_atomic: temp file, fsync,
rename), so a reader never sees half a record and a failed command leaves nothing behind. Every
state file is read by osutil.read_json: a file damaged anyway (emptied, cut short, edited by
hand) is a one-line `DamagedStateError` naming it and what to do; lists leave such an entry out
with a `DamagedStateWarning` (`warn_damaged`) and go on with the healthy ones. Writers that must agree (the next version of an asset, a name that must be unique) hold an
`fcntl` lock on a lock file, so several kernels or processes can write to one workspace at once.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Iterator

from ..errors import DamagedStateError, DamagedStateWarning
from ..rules import version_key
from .osutil import locked, read_json, write_json_atomic

__all__ = ["Store", "warn_damaged"]


def warn_damaged(error: DamagedStateError) -> None:
    """A list leaves out the entry `error` is about and says so (the magics show one line)."""
    warnings.warn(DamagedStateWarning(str(error)), stacklevel=3)


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
            return read_json(self.settings_path, "delete it and connect again (%aml connect --local): amlmagic "
                                                 "writes a new one with the default settings")
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

    def get(self, kind: str, name: str, remedy: str | None = None) -> dict | None:
        try:
            return read_json(self.record_path(kind, name),
                             remedy or f"restore it from a backup, or delete it to drop {kind} {name!r}")
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

    def records(self, kind: str) -> dict[str, dict]:
        """Every readable record of `kind` by name, for lists: a damaged one is left out with a
        warning (`warn_damaged`)."""
        found = {}
        for name in self.names(kind):
            try:
                record = self.get(kind, name)
            except DamagedStateError as exc:
                warn_damaged(exc)
                continue
            if record is not None:  # deleted meanwhile
                found[name] = record
        return found

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
            return read_json(self.version_path(kind, name, version),
                             f"restore it from a backup, or delete it to drop version {version} of {kind} {name!r}")
        except FileNotFoundError:
            return None

    def latest_version(self, kind: str, name: str) -> str | None:
        """The newest version by creation time, as the SDK resolves `@latest`. A damaged version
        is left out with a warning; when every version is damaged, DamagedStateError."""
        records, damaged = [], []
        for version in self.versions(kind, name):
            try:
                record = self.get_version(kind, name, version)
            except DamagedStateError as exc:
                damaged.append(exc)
                continue
            if record:
                records.append((record.get("meta", {}).get("created_at", ""), version_key(version), version))
        if damaged and not records:
            raise damaged[0]
        for exc in damaged:
            warn_damaged(exc)
        return max(records)[2] if records else None

    def next_version(self, kind: str, name: str) -> str:
        numeric = [int(v) for v in self.versions(kind, name) if v.isdigit()]
        return str(max(numeric, default=0) + 1)

    def put_version(self, kind: str, name: str, version: str, record: dict) -> None:
        write_json_atomic(self.version_path(kind, name, version), record)
