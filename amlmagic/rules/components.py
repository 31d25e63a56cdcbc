"""Command components: the checks azure-ai-ml leaves to the service (../shared/azureml-semantics-2.md
section 1.1), with the messages Azure's documentation gives.

azure-ai-ml itself checks the name pattern, input/output name syntax, binding expressions and
where min/max/enum may appear (its loader and `Component._validate`); these are the rest:
reserved input/output names and optional-argument blocks.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

__all__ = ["COMPONENT_NAME", "RESERVED_IO_NAMES", "component_problems"]

# The SDK's pattern for a registered component's name (anonymous components skip it).
COMPONENT_NAME = re.compile(r"^[a-z][a-z\d_]*$")
RESERVED_IO_NAMES = frozenset({"path", "ld_library_path", "user", "logname", "home", "pwd", "shell"})
_OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
_INPUT_BINDING = re.compile(r"\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def component_problems(spec: Mapping[str, Any]) -> list[str]:
    """`field: why` for each rule a command component's CLI v2 dict breaks ([] when none)."""
    problems: list[str] = []
    inputs = spec.get("inputs") or {}
    outputs = spec.get("outputs") or {}
    for kind, ports in (("inputs", inputs), ("outputs", outputs)):
        for name in ports:
            if str(name).lower() in RESERVED_IO_NAMES:
                problems.append(f"{kind}.{name}: {name!r} is a reserved name; rename the {kind[:-1]}")
    command = str(spec.get("command") or "")
    inside = {m for block in _OPTIONAL_BLOCK.findall(command) for m in _INPUT_BINDING.findall(block)}
    outside = set(_INPUT_BINDING.findall(_OPTIONAL_BLOCK.sub("", command)))
    for name in sorted(inside):
        if not _is_optional(inputs.get(name)):
            problems.append(f"command: input {name!r} sits in $[[...]] but is not optional; "
                            "mark it optional: true or move it out of the block")
    for name in sorted(outside):
        if _is_optional(inputs.get(name)) and name not in inside:
            problems.append(f"command: optional input {name!r} must sit in $[[...]] "
                            "(the part dropped when no value is given)")
    return problems


def _is_optional(port: Any) -> bool:
    return isinstance(port, Mapping) and bool(port.get("optional"))
