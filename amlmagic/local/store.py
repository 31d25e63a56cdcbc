"""On-disk state of a local workspace: atomic JSON records, cross-process locks, versions.

Every record is one JSON file written atomically (temp file + os.replace), so a reader never
sees half a record and a failed command leaves nothing behind. Writers that must agree (the
next version of an asset, a name that must be unique) hold an `fcntl` lock on a lock file, so
several kernels or processes can write to one workspace at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator

__all__ = ["Store", "write_text_atomic", "write_json_atomic", "read_json"]


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` so readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True, default=str))


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


_local = threading.local()


def _held_locks() -> set:
    if not hasattr(_local, "held"):
        _local.held = set()
    return _local.held


def _version_key(version: str) -> tuple:
    # Numeric versions sort numerically, others after them by text (Azure allows both).
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


class Store:
    """The workspace folder. Kinds are folders under `registry/`."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    # -- locking -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive lock across processes; re-entrant within a thread (flock on a second
        descriptor of the same file would deadlock)."""
        path = self.root / "locks" / f"{name}.lock"
        held = _held_locks()
        if path in held:
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            held.add(path)
            try:
                yield
            finally:
                held.discard(path)
                fcntl.flock(f, fcntl.LOCK_UN)

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
        return sorted((p.stem for p in folder.glob("*.json")), key=_version_key)

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
        records = [(r.get("meta", {}).get("created_at", ""), _version_key(v), v) for r, v in records if r]
        return max(records)[2] if records else None

    def next_version(self, kind: str, name: str) -> str:
        numeric = [int(v) for v in self.versions(kind, name) if v.isdigit()]
        return str(max(numeric, default=0) + 1)

    def put_version(self, kind: str, name: str, version: str, record: dict) -> None:
        write_json_atomic(self.version_path(kind, name, version), record)
