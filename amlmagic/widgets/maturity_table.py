"""`MaturityTable(report, reassess=None)`: the MLOps maturity report as a table: the five levels
with the one reached, and each practice with its status, the evidence found and the next step.
Refresh assesses again (`reassess`, e.g. after the next step was taken). The report is any object
with `to_dict()` and `html()` (`amlmagic.mlops.MaturityReport`)."""

from __future__ import annotations

from typing import Any, Callable

import traitlets as t

from .base import AmlWidget

__all__ = ["MaturityTable"]


class MaturityTable(AmlWidget):
    _kind = t.Unicode("maturity_table").tag(sync=True)
    workspace = t.Unicode("").tag(sync=True)
    folder = t.Unicode("").tag(sync=True)
    level = t.Int(0).tag(sync=True)
    level_name = t.Unicode("").tag(sync=True)
    levels = t.List(t.Dict()).tag(sync=True)
    practices = t.List(t.Dict()).tag(sync=True)

    def __init__(self, report: Any, reassess: Callable[[], Any] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._reassess = reassess
        self._show(report)

    def __repr__(self) -> str:
        return f"MaturityTable(level={self.level}, workspace={self.workspace!r})"

    def _show(self, report: Any) -> None:
        self.report = report
        data = report.to_dict()
        with self.hold_sync():
            self.workspace, self.folder = data["workspace"], data["folder"] or ""
            self.level, self.level_name = data["level"], data["level_name"]
            self.levels, self.practices = data["levels"], data["practices"]

    def to_dict(self) -> dict:
        return self.report.to_dict()

    def do_refresh(self) -> None:
        if self._reassess is not None:
            self._show(self._reassess())

    def static_html(self) -> str:
        return self.report.html()
