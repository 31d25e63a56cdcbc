"""The local workspace: a folder, its store, and the identity of what it holds."""

from __future__ import annotations

import datetime as _dt
import getpass
import os
from pathlib import Path

from ..errors import DamagedStateError, UsageError
from .store import Store, warn_damaged

__all__ = ["LocalWorkspace", "now_iso", "current_user"]


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def _parse_time(text: str | None) -> _dt.datetime | None:
    """Entities carry datetimes (their dump calls isoformat); the store keeps ISO text."""
    return _dt.datetime.fromisoformat(text) if text else None


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER", "local")


class LocalWorkspace:
    """A workspace folder (default `./.amlmagic`). Creating one is idempotent."""

    def __init__(self, path: str | os.PathLike = ".amlmagic"):
        self.root = Path(path).expanduser().resolve()
        self.store = Store(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"{self.root} is a file, not a workspace folder: give a folder (new or existing)")
        if not self.store.settings_path.exists():
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create the workspace folder {self.root} ({exc.strerror or exc}): "
                                 "give another folder") from None
            with self.store.lock("workspace"):
                if not self.store.settings_path.exists():
                    self.store.update_settings(
                        name=self.root.parent.name or "local", created_at=now_iso(), default_compute="local"
                    )
            (self.root / "datastores" / "workspaceblobstore").mkdir(parents=True, exist_ok=True)

    @property
    def name(self) -> str:
        try:
            return self.store.settings().get("name", "local")
        except DamagedStateError as exc:  # the name is only shown and put in ids: every command goes on
            warn_damaged(exc)
            return self.root.parent.name or "local"

    def arm_id(self, kind: str, name: str, version: str | None = None) -> str:
        base = (
            "/subscriptions/local/resourceGroups/local/providers/Microsoft.MachineLearningServices"
            f"/workspaces/{self.name}/{kind}/{name}"
        )
        return f"{base}/versions/{version}" if version else base

    def system_data(self, meta: dict):
        from azure.ai.ml.entities import SystemData

        created = _parse_time(meta.get("created_at"))
        return SystemData(
            created_by=meta.get("created_by"),
            created_at=created,
            last_modified_at=_parse_time(meta.get("modified_at")) or created,
            created_by_type="User",
        )
