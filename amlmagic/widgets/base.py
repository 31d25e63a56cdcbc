"""The base of every amlmagic widget: the committed bundle, the `_kind` that picks the view,
action dispatch (the views send `{"type": "action", "action": ..., "args": {...}}`), the `%aml`
line of the last action, and displays that fall back to static HTML/PNG and update to a final
state."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from ..errors import AmlMagicError
from .actions import record_widget_action
from .series import points_message

__all__ = ["AmlWidget", "STATIC_DIR", "RESYNC_SECONDS", "RESYNC_MAX_POINTS"]

STATIC_DIR = Path(__file__).parent / "static"
# A view that missed a chunk asks for a snapshot, but the kernel answers only between cells.
# So while points keep coming, a full snapshot is also pushed every RESYNC_SECONDS (over iopub,
# which works while a cell runs), as long as it stays small.
RESYNC_SECONDS = 2.0
RESYNC_MAX_POINTS = 50_000


class AmlWidget(anywidget.AnyWidget):
    _esm = STATIC_DIR / "widgets.js"
    _css = STATIC_DIR / "widgets.css"
    _kind = t.Unicode("").tag(sync=True)
    last_action = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._handles: list = []
        self._lock = threading.RLock()
        self.store = None  # a SeriesStore in widgets with charts
        self._unsynced = False
        self._last_resync = time.monotonic()
        self.on_msg(self._on_custom_msg)

    # -- messages from the views -------------------------------------------------------------
    def _on_custom_msg(self, _widget: Any, content: dict, buffers: list) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "snapshot":
            self._send_snapshot()
        elif content.get("type") == "action":
            args = content.get("args")
            self.act(content.get("action", ""), **(args if isinstance(args, dict) else {}))

    def act(self, action: str, **args: Any) -> None:
        """Run a view action (`do_<action>`); an `AmlMagicError` shows in the widget, not a traceback."""
        method = getattr(self, f"do_{action}", None)
        if method is None:
            self.error = f"unknown action {action!r}"
            return
        try:
            self.error = ""
            method(**args)
        except AmlMagicError as exc:  # every backend raises these; anything else is a bug and propagates
            self.error = str(exc)

    # -- chart points ---------------------------------------------------------------------------
    def _send_points(self, new: dict) -> list:
        """Add `{series: [(step, ts, value)]}` to the store and send only those points."""
        with self._lock:
            chunks = self.store.add(new)
            if chunks:
                content, buffers = points_message(chunks, reset=False)
                self.send(content, buffers)
                self._unsynced = True
        self._maybe_resync()
        return chunks

    def _send_snapshot(self) -> None:
        """Send every point (a view just rendered, or missed a chunk)."""
        if self.store is None:
            return
        with self._lock:
            content, buffers = points_message(self.store.snapshot(), reset=True)
            self.send(content, buffers)
            self._unsynced = False
            self._last_resync = time.monotonic()

    def _maybe_resync(self, force: bool = False) -> None:
        total = sum(len(s) for s in self.store.series.values())
        due = time.monotonic() - self._last_resync >= RESYNC_SECONDS
        if self._unsynced and (force or (due and total <= RESYNC_MAX_POINTS)):
            self._send_snapshot()

    def _did(self, noun: str, verb: str, entity: Any = None, **flags: Any) -> None:
        """Record what the widget just did, as `%aml noun verb flags`, and show that line."""
        self.last_action = record_widget_action(noun, verb, entity, **flags)

    # -- display with static fallbacks ----------------------------------------------------------
    def static_html(self) -> str:
        return f"<div>{self.__class__.__name__}</div>"

    def static_png(self) -> str | None:
        return None

    def _repr_mimebundle_(self, **kwargs: Any):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["text/html"] = self.static_html()
        png = self.static_png()
        if png:
            bundle["image/png"] = png
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        if handle is not None:
            self._handles.append(handle)

    def refresh_displays(self) -> None:
        """Replace every display of this widget with its current state (e.g. a finished job),
        so a saved notebook shows the final state in its static fallbacks."""
        if not self._handles:
            return
        bundle = self._repr_mimebundle_()
        for handle in self._handles:
            try:
                handle.update(bundle, raw=True)
            except Exception:  # the kernel's display machinery is gone (shutdown): nothing to update
                pass
