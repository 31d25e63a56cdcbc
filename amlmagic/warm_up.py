"""Import azure-ai-ml in a background thread once the extension loads.

Importing azure.ai.ml takes seconds; the first `%aml` that returns an entity would pay for it.
A user loads the extension and then types, so the import runs meanwhile in a daemon thread.

Two threads importing parts of one big package at once can deadlock on Python's per-module
import locks (a thread holding `azure.ai.ml.entities` waits for a module the other thread holds
while that one waits for `azure.ai.ml.entities`). So the main thread never imports azure-ai-ml
while the warm-up runs: every cell, and every `%aml` command, first waits for it, at a point
where it holds no import lock. A `%load_ext` run inside a cell starts the warm-up when that cell
ends, so the rest of that cell is not raced either.

AMLMAGIC_WARM_UP=0 turns it off (imports on demand, as before; the benchmark's baseline).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Any

__all__ = ["MODULES", "ENV_VAR", "THREAD_NAME", "warm_up_enabled", "schedule_warm_up", "cancel_warm_up",
           "wait_for_warm_up", "warm_up_thread"]

MODULES = ("azure.ai.ml", "azure.ai.ml.entities")  # what the first entity-returning command needs
ENV_VAR = "AMLMAGIC_WARM_UP"
THREAD_NAME = "amlmagic-warm-up"

_lock = threading.Lock()
_thread: threading.Thread | None = None


def warm_up_enabled() -> bool:
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


def warm_up_thread() -> threading.Thread | None:
    """The warm-up thread, once started (for tests and the benchmark)."""
    return _thread


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the command that needs it imports it again and reports the error
            return


def _start() -> None:
    global _thread
    with _lock:
        if _thread is not None or all(name in sys.modules for name in MODULES):
            return
        _thread = threading.Thread(target=_import_all, name=THREAD_NAME, daemon=True)
        _thread.start()


def wait_for_warm_up(*_: Any) -> None:
    """Block until the warm-up import is over. Call only where this thread holds no import lock
    (at the start of a cell or a command), never from module level."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def _unregister(shell: Any, event: str, callback) -> None:
    try:
        shell.events.unregister(event, callback)
    except ValueError:  # not registered
        pass


def _in_cell(shell: Any) -> bool:
    # IPython sets displayhook.exec_result only while a cell's code runs.
    return getattr(getattr(shell, "displayhook", None), "exec_result", None) is not None


def schedule_warm_up(shell: Any) -> None:
    """Start the warm-up for `shell` (now, or when the running cell ends) and make its cells wait."""
    if not warm_up_enabled():
        return
    _unregister(shell, "pre_run_cell", wait_for_warm_up)
    shell.events.register("pre_run_cell", wait_for_warm_up)
    if not _in_cell(shell):
        _start()
        return

    def start_after_cell(*_: Any) -> None:
        _unregister(shell, "post_run_cell", start_after_cell)
        _start()

    shell.events.register("post_run_cell", start_after_cell)


def cancel_warm_up(shell: Any) -> None:
    """Undo `schedule_warm_up`'s cell hook (on unload); a running import finishes on its own."""
    _unregister(shell, "pre_run_cell", wait_for_warm_up)
