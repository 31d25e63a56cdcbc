"""The notebook session: which backend `%aml` talks to, and the trail of what it did.

The trail is what `%aml export` writes out: every create, change or delete made through a magic
or a widget, in order, recorded when it happens as a structured action (noun, verb, the entity's
key, the entity the backend returned). The `%aml` line is kept for display and for deploy.sh's
comments only: nothing reads meaning back out of it.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Session", "TrailEntry", "current_session", "entity_key", "reset_session", "VERSIONED_KINDS"]

VERSIONED_KINDS = ("data", "environment", "model", "component")


_DEPLOYMENTS = ("online-deployment", "batch-deployment")  # named within their endpoint


def entity_key(kind: str, entity: Any = None, *, name: str | None = None, version: str | None = None,
               endpoint_name: str | None = None) -> tuple:
    """What names one thing of a workspace: (kind, name, version) for a versioned asset,
    (kind, endpoint, name) for a deployment, else (kind, name). From the entity when there is one
    (a create), else from the names given (a delete)."""
    if entity is not None:
        name = entity.name
        version = getattr(entity, "version", None) if kind in VERSIONED_KINDS else None
        endpoint_name = getattr(entity, "endpoint_name", None) if kind in _DEPLOYMENTS else None
    if kind in VERSIONED_KINDS:
        return (kind, name, None if version is None else str(version))
    if kind in _DEPLOYMENTS:
        return (kind, endpoint_name, name)
    return (kind, name)


@dataclass
class TrailEntry:
    noun: str  # the entity's kind: "data", "job", "online-deployment", ...
    verb: str  # "create", "update", "delete", "cancel", "use", "invoke", ...
    key: tuple  # entity_key(noun, ...)
    entity: Any = None  # what the backend returned (None for a delete)
    line: str = ""  # the %aml line (or the widget's equivalent): display and deploy.sh comments only
    body: str | None = None  # the %%aml cell body, when there was one
    source: str | None = None  # the YAML file given with -f, resolved
    base_path: str | None = None  # folder relative paths of the spec resolve against
    # An action's flags as parsed, when export replays the action itself (a batch invoke: its
    # input, deployment and overrides); the entity is then what the action made (the job).
    params: dict | None = None
    at: str = field(default_factory=lambda: _dt.datetime.now().isoformat(timespec="seconds"))

    @classmethod
    def of(cls, noun: str, verb: str, entity: Any = None, *, name: str | None = None,
           endpoint_name: str | None = None, **details: Any) -> "TrailEntry":
        """An entry whose key comes from the entity, or from `name` (and `endpoint_name`)."""
        return cls(noun, verb, entity_key(noun, entity, name=name, endpoint_name=endpoint_name), entity, **details)


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
    def record(self, entry: TrailEntry) -> TrailEntry:
        """Add what a magic or a widget just did to the trail."""
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
