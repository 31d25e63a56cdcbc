"""The notebook session: which backend `%aml` talks to, and the trail of what it created.

The trail is what `%aml export` writes out: every create or change made through a magic or a
widget, in order, with the entity the backend returned and the line that did it.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Session", "TrailEntry", "current_session", "record_action", "reset_session"]


@dataclass
class TrailEntry:
    line: str  # the %aml line (or the widget's equivalent)
    entity: Any = None  # what the backend returned
    body: str | None = None  # the %%aml cell body, when there was one
    source: str | None = None  # the YAML file given with -f, resolved
    base_path: str | None = None  # folder relative paths of the spec resolve against
    at: str = field(default_factory=lambda: _dt.datetime.now().isoformat(timespec="seconds"))


class Session:
    def __init__(self) -> None:
        self._client: Any = None
        self.connection: dict[str, Any] = {}
        self.trail: list[TrailEntry] = []

    # -- the client ----------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:  # the embedded local backend is the default
            self.connect_local()
        return self._client

    def connect_local(self, path: str | os.PathLike | None = None) -> Any:
        from .local.client import LocalMLClient

        self._client = LocalMLClient(Path(path) if path else Path.cwd() / ".amlmagic")
        self.connection = {"backend": "local", "path": str(self._client.root)}
        return self._client

    def connect_azure(self, **kwargs: Any) -> Any:
        from .backends import connect_azure

        self._client = connect_azure(**kwargs)
        self.connection = {"backend": "azure", **{k: v for k, v in kwargs.items() if k != "show" and v}}
        return self._client

    def connect_replay(self, paths: list[str]) -> Any:
        from .backends import connect_replay

        self._client = connect_replay(paths)
        self.connection = {"backend": "replay", "recordings": list(paths)}
        return self._client

    @property
    def backend(self) -> str:
        self.client  # noqa: B018  (connects the default)
        return self.connection["backend"]

    # -- the trail -----------------------------------------------------------------------------
    def record(self, line: str, entity: Any = None, **details: Any) -> TrailEntry:
        entry = TrailEntry(line=line, entity=entity, **details)
        self.trail.append(entry)
        return entry


_session: Session | None = None


def current_session() -> Session:
    global _session
    if _session is None:
        _session = Session()
    return _session


def reset_session() -> Session:
    """A fresh session (a new kernel, or a test)."""
    global _session
    _session = Session()
    return _session


def record_action(line: str, entity: Any = None) -> TrailEntry:
    """Record a widget action like a magic, for `%aml export`."""
    return current_session().record(line, entity)
