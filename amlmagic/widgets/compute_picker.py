"""`ComputePicker(client)`: the compute targets (name, type, size, state, instances); choosing
one sets the default compute for later jobs, exactly like `%aml compute use -n NAME`."""

from __future__ import annotations

from typing import Any

import traitlets as t

from .base import AmlWidget
from .static import html_card, html_table

__all__ = ["ComputePicker", "compute_row"]


def compute_row(compute: Any) -> dict:
    state = getattr(compute, "provisioning_state", None) or getattr(compute, "state", None) or ""
    lo, hi = getattr(compute, "min_instances", None), getattr(compute, "max_instances", None)
    instances = f"{lo}-{hi}" if lo is not None and hi is not None else (hi if hi is not None else "")
    return {"name": compute.name, "type": getattr(compute, "type", "") or "", "size": getattr(compute, "size", "") or "",
            "state": str(getattr(state, "value", state)), "instances": str(instances)}


class ComputePicker(AmlWidget):
    _kind = t.Unicode("compute_picker").tag(sync=True)
    computes = t.List(t.Dict()).tag(sync=True)
    default_compute = t.Unicode("").tag(sync=True)

    def __init__(self, client: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client
        self.do_refresh()

    def __repr__(self) -> str:
        return f"ComputePicker(default={self.default_compute!r}, computes={len(self.computes)})"

    def do_refresh(self) -> None:
        with self.hold_sync():
            self.computes = [compute_row(c) for c in self.client.compute.list()]
            self.default_compute = self.client.compute.get_default() or ""

    def do_use(self, name: str) -> None:
        compute = self.client.compute.use(name)
        self.default_compute = self.client.compute.get_default() or name
        self._did("compute", "use", compute, n=name)

    def static_html(self) -> str:
        rows = [[c["name"], c["type"], c["size"], c["state"], c["instances"]] for c in self.computes]
        current = next((i for i, c in enumerate(self.computes) if c["name"] == self.default_compute), None)
        return html_card(f"Compute targets (default: {self.default_compute or 'none'})",
                         html_table(["name", "type", "size", "state", "instances"], rows, highlight=current),
                         kind="aml-compute-picker")
