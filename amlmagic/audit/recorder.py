"""One client's activity: where its log is, who acts, and the wrapper that records every change
made through its operation groups (`audit_group`), whoever calls them: a magic, a widget or
Python code.

    recorder = ActivityRecorder(root / "activity.jsonl", backend="local", who=lambda entity: "ada")
    audit_group(client.models, "model", recorder)   # its mutating methods now append a line
    recorder.list(name="m", since=..., max_results=10)   # `client.activity.list(...)`

What counts as a change is a method name of MLClient's groups (`VERBS`), and a batch endpoint's
`invoke` (it creates a job: a line of kind job); reads, an online endpoint's `invoke` and
`get_keys` are not (the keys `get_keys` returns are remembered, to be masked by value). An
update's line holds before/after of the fields it changed (`before` read with the group's own
`get` just before the call; our rule: not on replay, whose recorded traffic has no such read).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import threading
from pathlib import Path
from typing import Any, Callable

from .log import ActivityLog
from .redact import redact

__all__ = ["ActivityRecorder", "audit_group", "VERBS", "entity_dict", "changed_fields"]

# MLClient's mutating methods and the verb each is logged as.
VERBS = {
    "create_or_update": "create", "begin_create_or_update": "create", "delete": "delete", "begin_delete": "delete",
    "archive": "archive", "restore": "restore", "begin_cancel": "cancel", "cancel": "cancel", "use": "use",
    "begin_regenerate_keys": "regenerate-keys", "begin_enable": "enable", "begin_disable": "disable",
    "enable": "enable", "disable": "disable", "trigger": "trigger",
}
_SECRET_READS = ("get_keys",)
# Kinds with one mutable state per name: a create_or_update of an existing one is an update.
_STATEFUL = ("compute", "datastore", "online-endpoint", "online-deployment", "batch-endpoint",
             "batch-deployment", "schedule")
_VERSIONED = ("data", "environment", "model", "component")
_UNKNOWN = object()  # never read by this client
# Fields the service fills in or that change on their own: never part of an update's diff.
_VOLATILE = {"id", "$schema", "creation_context", "system_data", "provisioning_state", "scoring_uri",
             "openapi_uri", "swagger_uri", "status", "services", "state"}


def entity_dict(entity: Any) -> dict:
    """The entity as plain JSON data (azure-ai-ml's dump; its public fields where that fails)."""
    if entity is None:
        return {}
    try:
        data = entity._to_dict()
    except Exception:  # some entities cannot dump half-filled; their attributes still tell
        data = {k: v for k, v in vars(entity).items() if not k.startswith("_")}
    return json.loads(json.dumps(data, default=str))


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """(before, after) of the top-level fields the update set that differ from before."""
    old, new = {}, {}
    for key, value in after.items():
        if key in _VOLATILE or value in (None, "", {}, []) and before.get(key) in (None, "", {}, []):
            continue
        if value is not None and before.get(key) != value:
            old[key], new[key] = before.get(key), value
    return old, new


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ActivityRecorder:
    """`client.activity`: appends this client's changes and reads the workspace's log."""

    def __init__(self, path: Path, *, backend: str, who: Callable[[Any], str | None], fetch_before: bool = True):
        self.log = ActivityLog(path)
        self.backend = backend
        self._who = who
        self.fetch_before = fetch_before
        self._secrets: set[str] = set()
        self._seen: dict[tuple, Any] = {}  # (kind, endpoint, name) -> its dict as last read, None: absent
        self._local = threading.local()  # nesting depth: cancel() calling begin_cancel() is one change

    @property
    def path(self) -> Path:
        return self.log.path

    def list(self, *, name: str | None = None, since: _dt.datetime | None = None,
             max_results: int | None = None) -> list[dict]:
        return self.log.read(name=name, since=since, max_results=max_results)

    def remember_secrets(self, value: Any) -> None:
        for field in ("primary_key", "secondary_key", "access_token"):
            text = getattr(value, field, None)
            if isinstance(text, str) and text:
                self._secrets.add(text)

    def record(self, verb: str, kind: str, *, name: Any, version: Any = None, endpoint: Any = None,
               entity: Any = None, before: dict | None = None, after: dict | None = None,
               details: dict | None = None) -> dict:
        entry = {"at": _now(), "who": self._who(entity) or "unknown", "verb": verb, "kind": kind,
                 "name": None if name is None else str(name), "version": None if version is None else str(version),
                 "endpoint": endpoint, "backend": self.backend, "before": before, "after": after, "details": details}
        entry = redact(entry, self._secrets)
        self.log.append(entry)
        return entry

    # -- the wrapper ---------------------------------------------------------------------------
    def _call(self, kind: str, group: Any, method_name: str, method: Callable, *args: Any, **kwargs: Any) -> Any:
        depth = getattr(self._local, "depth", 0)
        if depth:  # a change made inside another (cancel -> begin_cancel): recorded once, outside
            return method(*args, **kwargs)
        verb = VERBS[method_name]
        target = _target(kind, args, kwargs)
        key = (kind, target.get("endpoint"), target.get("name"))
        stateful = verb == "create" and kind in _STATEFUL
        if stateful and self.fetch_before:
            self._seen[key] = _read_before(group, kind, target)
        before = self._seen.get(key, _UNKNOWN) if stateful else None
        self._local.depth = 1
        try:
            result = method(*args, **kwargs)
        finally:
            self._local.depth = 0
        returned = result if _is_entity(result) else None
        entity = returned if returned is not None else target.get("entity")
        fields = {"name": target.get("name"), "version": target.get("version"), "endpoint": target.get("endpoint")}
        if returned is not None:  # the version the service assigned
            fields["name"] = getattr(returned, "name", None) or fields["name"]
            if kind in _VERSIONED:
                fields["version"] = getattr(returned, "version", None) or fields["version"]
        old = new = None
        if before is _UNKNOWN:
            verb = "create_or_update"  # this client never read it: which one it was is unknown
        elif before is not None:
            verb = "update"
            old, new = changed_fields(before, entity_dict(entity))
        if kind in _STATEFUL and verb in ("create", "update", "create_or_update", "delete"):
            # what it is now, as far as this client knows: the before of its next update
            self._seen[key] = None if verb == "delete" else entity_dict(entity) if entity is not None else _UNKNOWN
        details = {"type": str(getattr(entity, "type", None))} if kind == "job" and entity is not None else None
        self.record(verb, kind, entity=returned, before=old, after=new, details=details, **fields)
        return result

    def _invoke_batch(self, method: Callable, *args: Any, **kwargs: Any) -> Any:
        """A batch endpoint's invoke creates a job (unlike an online endpoint's, a request): one
        line, kind job, naming the endpoint that started it."""
        result = method(*args, **kwargs)
        endpoint = kwargs.get("endpoint_name", args[0] if args else None)
        self.record("create", "job", name=getattr(result, "name", None), endpoint=endpoint,
                    details={"type": "batch", "deployment": kwargs.get("deployment_name")})
        return result

    def _read(self, kind: str, method: Callable, *args: Any, **kwargs: Any) -> Any:
        """A `get` of a stateful kind: remembered as the before of a later update (azure, replay)."""
        from ..errors import NotFoundError

        target = _target(kind, args, kwargs)
        key = (kind, target.get("endpoint"), target.get("name"))
        try:
            value = method(*args, **kwargs)
        except NotFoundError:
            self._seen[key] = None
            raise
        self._seen[key] = entity_dict(value)
        return value

    def _read_secret(self, method: Callable, *args: Any, **kwargs: Any) -> Any:
        value = method(*args, **kwargs)
        self.remember_secrets(value)
        return value


def _is_entity(value: Any) -> bool:
    return value is not None and hasattr(value, "name") and not callable(getattr(value, "result", None))


def _target(kind: str, args: tuple, kwargs: dict) -> dict:
    """What a mutating call names: its entity (a create), else name/version/endpoint arguments."""
    # the entity may come by keyword too (begin_create_or_update(endpoint=...), create_or_update(job=...))
    entity = next((v for v in kwargs.values() if v is not None and not isinstance(v, (str, bool, int, float))
                   and hasattr(v, "name")), None)
    first = args[0] if args else entity if entity is not None else kwargs.get("name", kwargs.get("endpoint_name"))
    if first is not None and not isinstance(first, str):  # an entity
        version = getattr(first, "version", None) if kind in _VERSIONED else None
        endpoint = getattr(first, "endpoint_name", None) if kind.endswith("deployment") else None
        return {"entity": first, "name": getattr(first, "name", None), "version": version, "endpoint": endpoint}
    name = kwargs.get("name", args[0] if args else None)
    rest = list(args[1:])
    if kind.endswith("deployment"):
        return {"name": name, "endpoint": kwargs.get("endpoint_name", rest[0] if rest else None)}
    return {"name": name, "version": kwargs.get("version", rest[0] if rest else None) if kind in _VERSIONED else None}


def _read_before(group: Any, kind: str, target: dict) -> dict | None:
    """The entity as it is before the change, or None when it does not exist (or cannot be read)."""
    from ..errors import AmlMagicError

    name = target.get("name")
    if not name:
        return None
    try:
        current = group.get(name, target["endpoint"]) if kind.endswith("deployment") else group.get(name)
    except AmlMagicError:  # not found (a create), or unreadable: no before
        return None
    return entity_dict(current)


def audit_group(group: Any, kind: str, recorder: ActivityRecorder) -> Any:
    """Make `group`'s mutating methods record each change in `recorder` (in place: the group keeps
    its type, so isinstance checks and its other methods are untouched); returns the group."""
    reads = ("get",) if kind in _STATEFUL and not recorder.fetch_before else ()
    for method_name in (*VERBS, *_SECRET_READS, *reads):
        try:
            method = getattr(group, method_name)
        except AttributeError:
            continue
        if not callable(method):
            continue
        if method_name == "get":
            wrapped = functools.wraps(method)(functools.partial(recorder._read, kind, method))
        elif method_name in _SECRET_READS:
            wrapped = functools.wraps(method)(functools.partial(recorder._read_secret, method))
        else:
            wrapped = functools.wraps(method)(functools.partial(recorder._call, kind, group, method_name, method))
        setattr(group, method_name, wrapped)
    if kind == "batch-endpoint" and callable(getattr(group, "invoke", None)):
        group.invoke = functools.wraps(group.invoke)(functools.partial(recorder._invoke_batch, group.invoke))
    return group
