"""Pipeline bindings (../shared/azureml-semantics-2.md section 1.2): `${{parent.inputs.x}}`,
`${{parent.outputs.y}}`, `${{parent.jobs.<step>.outputs.<o>}}`; binding an output to an input is
what makes one step wait for another."""

from __future__ import annotations

import re
from typing import Any, Mapping

__all__ = ["BINDING", "REUSE_REASON", "REUSED", "REUSED_RUN", "parse_binding", "step_edges", "layers", "reuse_note"]

# A reused step's properties, as Azure sets them; and ours: why a step ran or was reused.
REUSED, REUSED_RUN, REUSE_REASON = "azureml.isreused", "azureml.reusedrunid", "amlmagic.reuse"


def reuse_note(properties: Mapping[str, Any] | None) -> str:
    """Why a step ran or was reused: ours (local, `amlmagic.reuse`), else on Azure the run a reused
    step reused (`azureml.reusedrunid`); "" when nothing says."""
    props = properties or {}
    if props.get(REUSE_REASON):
        return str(props[REUSE_REASON])
    if str(props.get(REUSED, "")).lower() == "true" and props.get(REUSED_RUN):
        return f"reused {props[REUSED_RUN]}"
    return ""


BINDING = re.compile(r"^\$\{\{\s*parent\.(inputs|outputs|jobs)\.([A-Za-z0-9_.\-]+)\s*\}\}$")


def parse_binding(value: Any) -> tuple[str, list[str]] | None:
    """("inputs"|"outputs"|"jobs", dotted parts) of a binding, given as a string or as
    `{path: <binding>}` (how azure-ai-ml's dict dump writes a bound input); None otherwise."""
    text = value.get("path") if isinstance(value, Mapping) and set(value) <= {"path", "type", "mode"} else value
    if not isinstance(text, str):
        return None
    m = BINDING.match(text.strip())
    return (m[1], m[2].split(".")) if m else None


def step_edges(jobs: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(producer step, its output, consumer step, its input) for every step input bound to
    another step's output, in the pipeline's `jobs` (a CLI v2 dict)."""
    edges = []
    for consumer, node in jobs.items():
        for name, value in ((node or {}).get("inputs") or {}).items():
            binding = parse_binding(value)
            if binding and binding[0] == "jobs" and len(binding[1]) == 3 and binding[1][1] == "outputs":
                edges.append((binding[1][0], binding[1][2], consumer, name))
    return edges


def layers(steps: list[str], edges: list[tuple[str, str, str, str]]) -> dict[str, int]:
    """Each step's depth: 0 for a step that reads no other step, else 1 + its deepest producer
    (a cycle, which a valid pipeline cannot have, is cut where it closes)."""
    producers: dict[str, set[str]] = {s: set() for s in steps}
    for producer, _, consumer, _ in edges:
        if producer in producers and consumer in producers:
            producers[consumer].add(producer)
    depth: dict[str, int] = {}

    def visit(step: str, seen: frozenset) -> int:
        if step not in depth:
            depth[step] = 1 + max((visit(p, seen | {step}) for p in producers[step] if p not in seen), default=-1)
        return depth[step]

    for step in steps:
        visit(step, frozenset())
    return depth
