"""`client.components`: command component versions, with archive and restore.

A version's `code:` is snapshotted at create (what Azure's upload keeps: .amlignore, else
.gitignore) into the default datastore, content-addressed, so the registered version never changes
when its source does. Archive state (../shared/azureml-semantics-2.md section 1.1):
- archiving a version hides it from `list`; pipelines naming it still run;
- archiving the component (no version) archives the container, which hides every version;
- a version cannot be restored while its container is archived: restore the container first.
Our rule: `@latest` (and a reference without a version) skips archived versions, as `list` does.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, UsageError, ValidationError
from ...rules.components import COMPONENT_NAME, component_problems
from ..snapshots import snapshot_code
from ..uploads import upload_local_path
from ..uris import resolve_uri
from ..workspace import now_iso
from .versioned import VersionedOperations

__all__ = ["ComponentOperations"]

_ACTIVE, _ARCHIVED, _ALL = "ActiveOnly", "ArchivedOnly", "All"


def _view(list_view_type: Any) -> str:
    text = str(getattr(list_view_type, "value", list_view_type) or _ACTIVE)
    if text not in (_ACTIVE, _ARCHIVED, _ALL):
        raise UsageError(f"list_view_type {text!r}: use ActiveOnly, ArchivedOnly or All")
    return text


def _sdk_problems(component: Any) -> list[str]:
    """azure-ai-ml's own checks (name pattern, binding expressions, io names), as `field: why`."""
    result = component._validate(raise_error=False)
    return [f"{field}: {' '.join(str(why).split())}" for field, why in (result.error_messages or {}).items()]


class ComponentOperations(VersionedOperations):
    kind = "components"
    noun = "component"

    # -- create --------------------------------------------------------------------------------
    def create_or_update(self, component: Any, **kwargs: Any) -> Any:
        if getattr(component, "type", "command") != "command":
            raise ValidationError(f"component type {component.type!r} cannot be registered locally yet: "
                                  "use a command component")
        if not component.name or not COMPONENT_NAME.match(str(component.name)):
            raise ValidationError(
                f"name: Component name should only contain lower letter, number, underscore and start with a "
                f"lower letter. Currently got {component.name}.")
        return super().create_or_update(component, **kwargs)

    def _prepare(self, component: Any) -> tuple[dict, dict]:
        spec = component._to_dict()
        problems = _sdk_problems(component) + component_problems(spec)
        if problems:
            raise ValidationError(f"component {component.name}: " + "; ".join(problems))
        spec.pop("$schema", None)
        spec.pop("version", None)
        base = Path(getattr(component, "base_path", None) or os.getcwd())
        source = None
        if spec.get("code"):
            code = Path(str(spec["code"])).expanduser()
            code = code if code.is_absolute() else (base / code)
            if not code.exists():
                raise NotFoundError(f"code: {code} does not exist; fix the component's code: path")
            spec["code"] = self._upload_code(code)
            source = str(code)
        return spec, {"source": source, "archived": False}

    def _upload_code(self, code: Path) -> str:
        with tempfile.TemporaryDirectory(dir=self._store.root, prefix=".snapshot-") as staging:
            snapshot = snapshot_code(code, Path(staging) / code.name, self._store.root)
            return upload_local_path(self._store, snapshot)

    def _entity(self, spec: dict, meta: dict) -> Any:
        import yaml
        from azure.ai.ml import load_component

        data = {k: v for k, v in spec.items() if k not in ("description", "tags", "properties")}
        if data.get("code"):  # azure-ai-ml wants a local path or a code asset: the snapshot
            data["code"] = str(resolve_uri(self._store, data["code"]))
        component = load_component(io.StringIO(yaml.safe_dump(data, sort_keys=False)))
        common = self._common(spec, meta)
        component.description, component.tags = common["description"], common["tags"]
        component.properties.update(common["properties"])
        component._id = common["id"]
        component._creation_context = common["creation_context"]
        return component

    # -- read ------------------------------------------------------------------------------------
    def get(self, name: str, version: str | None = None, label: str | None = None, **_: Any) -> Any:
        if version is None:
            version = self._latest_active(name, label)
        return super().get(name, version=version)

    def list(self, name: str | None = None, *, list_view_type: Any = _ACTIVE, **_: Any) -> list:
        view = _view(list_view_type)
        names = [name] if name else self._store.versioned_names(self.kind)
        out = []
        for component in names:
            versions = [v for v in reversed(self._store.versions(self.kind, component))
                        if self._shown(component, v, view)]
            if name:
                out.extend(self._entity(**self._unpack(component, v)) for v in versions)
            elif versions:  # `az ml component list`: the latest shown version of each
                latest = max(versions, key=lambda v: self._unpack(component, v)["meta"].get("created_at", ""))
                out.append(self._entity(**self._unpack(component, latest)))
        if name and not self._store.versions(self.kind, name):
            raise NotFoundError(f"component {name!r} not found: list them with %aml component list")
        return out

    # -- archive / restore -----------------------------------------------------------------------
    def archive(self, name: str, version: str | None = None, label: str | None = None, **_: Any) -> None:
        self._set_archived(name, version, label, True)

    def restore(self, name: str, version: str | None = None, label: str | None = None, **_: Any) -> None:
        self._set_archived(name, version, label, False)

    def _set_archived(self, name: str, version: str | None, label: str | None, archived: bool) -> None:
        if not self._store.versions(self.kind, name):
            raise NotFoundError(f"component {name!r} not found: list them with %aml component list")
        with self._store.lock(f"{self.kind}-{name}"):
            if version is None and label is None:  # the whole container
                self._store.put(self.kind, name, {"archived": archived, "modified_at": now_iso()})
                return
            if version is None:
                version = self._latest_active(name, label)
            record = self._record(name, version, None)
            if not archived and self._container_archived(name):
                raise ValidationError(f"component {name} is archived as a whole: restore it first with "
                                      f"%aml component restore -n {name}, then version {version}")
            record["meta"] = {**record["meta"], "archived": archived, "modified_at": now_iso()}
            self._store.put_version(self.kind, name, version, record)

    def _container_archived(self, name: str) -> bool:
        return bool((self._store.get(self.kind, name) or {}).get("archived"))

    def _shown(self, name: str, version: str, view: str) -> bool:
        archived = self._container_archived(name) or bool(self._unpack(name, version)["meta"].get("archived"))
        return view == _ALL or (view == _ARCHIVED) == archived

    def _latest_active(self, name: str, label: str | None) -> str:
        if label not in (None, "latest"):
            raise NotFoundError(f"label {label!r} is not supported locally: use a version or 'latest'")
        active = [(self._unpack(name, v)["meta"].get("created_at", ""), v) for v in self._store.versions(self.kind, name)
                  if self._shown(name, v, _ACTIVE)]
        if not active:
            hint = ("its versions are archived: restore one with %aml component restore"
                    if self._store.versions(self.kind, name) else "list them with %aml component list")
            raise NotFoundError(f"component {name}@latest not found: {hint}")
        return max(active)[1]
