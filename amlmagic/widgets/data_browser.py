"""`DataBrowser(client)`: data assets with their versions (type, path, tags, created), a
preview of the selected version, and registering a new version from a path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import traitlets as t

from ..errors import ValidationError
from .base import AmlWidget
from .preview import preview_path
from .static import html_card, html_table

__all__ = ["DataBrowser"]


def _created(entity: Any) -> str:
    ctx = getattr(entity, "creation_context", None)
    when = getattr(ctx, "created_at", None)
    return str(when)[:19] if when else ""


class DataBrowser(AmlWidget):
    _kind = t.Unicode("data_browser").tag(sync=True)
    assets = t.List(t.Dict()).tag(sync=True)
    selected = t.Dict().tag(sync=True)
    preview = t.Dict().tag(sync=True)

    def __init__(self, client: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client
        self.do_refresh()

    def __repr__(self) -> str:
        return f"DataBrowser(assets={len(self.assets)})"

    def do_refresh(self) -> None:
        assets = []
        for latest in self.client.data.list():
            versions = [{"version": str(v.version), "type": v.type, "path": str(v.path), "tags": dict(v.tags or {}),
                         "created": _created(v)} for v in self.client.data.list(name=latest.name)]
            assets.append({"name": latest.name, "versions": versions})
        self.assets = assets

    def do_select(self, name: str, version: str) -> None:
        self.selected = {"name": name, "version": str(version)}
        self.preview = preview_path(Path(self.client.data.local_path(name, str(version))))

    def do_register(self, name: str, path: str, type: str = "uri_folder", description: str = "",
                    version: str | None = None) -> Any:
        from azure.ai.ml.entities import Data

        if not name or not path:
            raise ValidationError("registering data needs a name and a path")
        data = Data(name=name, path=path, type=type or "uri_folder", description=description or None,
                    version=version or None)
        created = self.client.data.create_or_update(data)
        self._did("data", "create", created, n=name, v=version or None, t=type or "uri_folder", p=path,
                  d=description or None)
        self.do_refresh()
        self.do_select(created.name, str(created.version))
        return created

    def static_html(self) -> str:
        rows = [[a["name"], v["version"], v["type"], v["path"], v["created"]] for a in self.assets for v in a["versions"]]
        return html_card("Data assets", html_table(["name", "version", "type", "path", "created"], rows),
                         kind="aml-data-browser")
