"""`WorkspaceExplorer(client)`: the home view: a tree of the workspace like the Azure ML VS Code
extension's (datastores, data, environments, compute, jobs with sweep trials nested, models,
endpoints with deployments), with counts, search and refresh. Selecting an item shows its
details; "open" shows the matching widget below the tree."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import traitlets as t

from ..errors import AmlMagicError
from .base import AmlWidget
from .static import esc, html_card

__all__ = ["WorkspaceExplorer", "GROUPS"]

# (kind, label) in the order the VS Code extension shows them.
GROUPS = [("datastores", "Datastores"), ("data", "Data"), ("environments", "Environments"),
          ("compute", "Compute"), ("jobs", "Jobs"), ("models", "Models"), ("online_endpoints", "Endpoints")]


def _item(entity: Any, **extra: Any) -> dict:
    label = entity.name + (f":{entity.version}" if getattr(entity, "version", None) else "")
    return {"name": entity.name, "label": label, **extra}


class WorkspaceExplorer(AmlWidget):
    _kind = t.Unicode("workspace_explorer").tag(sync=True)
    workspace_name = t.Unicode("").tag(sync=True)
    tree = t.List(t.Dict()).tag(sync=True)
    selected = t.Dict().tag(sync=True)
    details = t.Dict().tag(sync=True)

    def __init__(self, client: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client
        self.workspace_name = str(client.workspace_name or "Workspace")
        self._entities: dict[tuple[str, str], Any] = {}
        self.do_refresh()

    def __repr__(self) -> str:
        return f"WorkspaceExplorer({self.workspace_name!r})"

    def _safe(self, call: Callable[[], Any]) -> list:
        """The listed entities; a group that fails (say, no permission on Azure) shows empty and
        its error shows in the widget, while the other groups still show."""
        try:
            return list(call())
        except AmlMagicError as exc:
            self._failures.append(str(exc))
            return []

    def _jobs(self) -> list[dict]:
        items = []
        for job in self._safe(lambda: self.client.jobs.list()):
            self._entities[("jobs", job.name)] = job
            children = []
            if getattr(job, "type", "") == "sweep":
                for trial in self._safe(partial(self.client.jobs.list, parent_job_name=job.name)):
                    self._entities[("jobs", trial.name)] = trial
                    children.append({"name": trial.name, "status": trial.status, "parent": job.name})
            items.append({"name": job.name, "label": job.display_name or job.name, "status": job.status,
                          "children": children})
        return items

    def _endpoints(self) -> list[dict]:
        items = []
        for ep in self._safe(lambda: self.client.online_endpoints.list()):
            self._entities[("online_endpoints", ep.name)] = ep
            deps = self._safe(partial(self.client.online_deployments.list, ep.name))
            for d in deps:
                self._entities[("online_deployments", d.name)] = d
            items.append({"name": ep.name, "children": [{"name": d.name, "kind": "online_deployments", "parent": ep.name}
                                                         for d in deps]})
        return items

    def do_refresh(self) -> None:
        self._entities.clear()
        self._failures: list[str] = []
        groups = {"datastores": self.client.datastores, "data": self.client.data,
                  "environments": self.client.environments, "compute": self.client.compute,
                  "models": self.client.models}
        tree = []
        for kind, label in GROUPS:
            if kind == "jobs":
                items = self._jobs()
            elif kind == "online_endpoints":
                items = self._endpoints()
            else:
                entities = self._safe(groups[kind].list)
                for e in entities:
                    self._entities[(kind, e.name)] = e
                items = [_item(e) for e in entities]
            tree.append({"kind": kind, "label": label, "count": len(items), "items": items})
        self.tree = tree
        self.error = "; ".join(self._failures)

    def do_select(self, kind: str, name: str, parent: str | None = None) -> None:
        entity = self._entities.get((kind, name))
        self.selected = {"kind": kind, "name": name}
        details: dict = {}
        for field in ("name", "version", "type", "status", "display_name", "description", "path", "image",
                      "size", "provisioning_state", "scoring_uri", "traffic", "tags"):
            value = getattr(entity, field, None)
            if value not in (None, "", {}):
                details[field] = value if isinstance(value, (str, int, float, dict, list)) else str(value)
        self.details = details

    def widget_for(self, kind: str, name: str) -> Any:
        """The widget that matches a tree item (a monitor for a job, the picker for compute...)."""
        from . import ComputePicker, DataBrowser, EndpointTester, EnvironmentBuilder, JobMonitor, SweepMonitor

        if kind == "jobs":
            job = self._entities.get(("jobs", name))
            monitor = SweepMonitor if getattr(job, "type", "") == "sweep" else JobMonitor
            return monitor(self.client, name)
        if kind == "compute":
            return ComputePicker(self.client)
        if kind == "data":
            return DataBrowser(self.client)
        if kind == "environments":
            return EnvironmentBuilder(self.client)
        if kind in ("online_endpoints", "online_deployments"):
            return EndpointTester(self.client, endpoint_name=name if kind == "online_endpoints" else None)
        return None

    def do_open(self, kind: str, name: str, parent: str | None = None) -> None:
        """Show the matching widget under the explorer (in its output area)."""
        widget = self.widget_for(kind, name)
        output = getattr(self, "_output", None)
        if widget is not None and output is not None:
            output.clear_output()
            with output:
                from IPython.display import display

                display(widget)

    def _ipython_display_(self) -> None:
        import ipywidgets
        from IPython.display import display

        self._output = ipywidgets.Output()
        box = ipywidgets.VBox([self, self._output])
        bundle = box._repr_mimebundle_()
        bundle["text/html"] = self.static_html()
        display(bundle, raw=True)

    def static_html(self) -> str:
        parts = []
        for group in self.tree:
            names = ", ".join(esc(i["label"] if "label" in i else i["name"]) for i in group["items"][:20])
            parts.append(f"<div><b>{esc(group['label'])}</b> ({group['count']}) {names}</div>")
        return html_card(self.workspace_name, *parts, kind="aml-workspace-explorer")
