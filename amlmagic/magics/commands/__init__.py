"""One module per noun; each maps verbs to functions `verb(ctx) -> result`."""

from __future__ import annotations

import importlib
from typing import Any, Callable

__all__ = ["handler_for"]

_MODULES = {
    "workspace": "workspace", "connect": "workspace", "help": "workspace", "export": "workspace",
    "compute": "compute", "datastore": "assets", "data": "assets", "environment": "assets", "model": "assets",
    "job": "jobs", "component": "components", "online-endpoint": "endpoints", "online-deployment": "endpoints",
}


def handler_for(noun: str, verb: str) -> Callable[[Any], Any]:
    module = importlib.import_module(f".{_MODULES[noun]}", __name__)
    name = f"{noun}_{verb or 'default'}".replace("-", "_")
    return getattr(module, name)
