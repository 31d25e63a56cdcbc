"""Step reuse, as Azure ML does it, and why a step ran (../shared/azureml-semantics-2.md section 1.3).

A step is reused when its component is deterministic, the pipeline does not `force_rerun`, and
its fingerprint equals that of an earlier Completed step: component definition, code snapshot
(file by file), environment, inputs (data asset versions resolved, local data by content, an
upstream output by the job that wrote it), parameters, output settings and run settings.

Our rules, where no source settles it:
- the compute is not part of the fingerprint (the same step on another pool gives the same result);
- a datastore URI counts by its text, not its content (what Azure v1 did: only the reference);
- steps of a `force_rerun` pipeline are never recorded for reuse by later steps (Azure's docs).

Beyond Azure: every step says why it ran or was reused. The last fingerprint of each step (keyed
by experiment, pipeline display name and step key) is kept, so a rerun names what changed.

Index, under `<workspace>/pipelines/`: `reuse/<fingerprint>.json` -> {"job", "outputs"} of the
Completed step to reuse; `steps/<step identity>.json` -> {"parts", "job"} of its latest run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

from ...rules import parse_asset_ref
from ..osutil import write_json_atomic
from ..store import Store
from ..uploads import content_hash
from ..uris import is_remote_uri, resolve_uri

__all__ = ["fingerprint_parts", "fingerprint", "find_reusable", "remember", "explain", "file_hashes"]

_NOT_DEFINITION = ("name", "version", "display_name", "description", "tags", "code", "$schema", "properties")


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]


def file_hashes(folder: Path | None) -> dict[str, str]:
    """{relative path: content hash} of a code snapshot."""
    if folder is None or not Path(folder).exists():
        return {}
    folder = Path(folder)
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    return {(p.name if p == folder else p.relative_to(folder).as_posix()):
            hashlib.sha256(p.read_bytes()).hexdigest()[:24] for p in files}


def _environment(store: Store, environment: Any) -> str:
    if isinstance(environment, Mapping):
        return "inline:" + _sha(environment)
    text = str(environment or "")
    if text.startswith("azureml:") and not text.startswith("azureml://"):
        ref = parse_asset_ref(text)
        if not ref.version and store.versions("environments", ref.name):
            return f"{ref.name}:{store.latest_version('environments', ref.name)}"
        return f"{ref.name}:{ref.version or ref.label}"
    return text


def _input_identity(store: Store, value: Any, base_path: Path, producers: Mapping[str, str]) -> Any:
    if not isinstance(value, Mapping):
        return value
    path = str(value.get("path"))
    if path in producers:  # an upstream output: the job that wrote it
        return producers[path]
    kind = str(value.get("type") or "uri_folder")
    if path.startswith("azureml:") and not path.startswith("azureml://"):
        ref = parse_asset_ref(path)
        folder = "models" if kind.endswith("_model") else "data"
        version = ref.version or store.latest_version(folder, ref.name)
        return f"{kind}:{ref.name}:{version}"
    if path.startswith("azureml://") or is_remote_uri(path):
        return f"{kind}:{path}"
    local = resolve_uri(store, path, base_path)
    return f"{kind}:content:{content_hash(local)}" if local.exists() else f"{kind}:{path}"


def fingerprint_parts(store: Store, spec: Mapping[str, Any], component: Mapping[str, Any], code: Path | None,
                      base_path: Path, producers: Mapping[str, str], output_settings: Mapping[str, Any]) -> dict:
    """What decides reuse, part by part. `producers` maps an upstream output URI to
    "<job>/<output>" of the (original) job that wrote it; `output_settings` are the step's
    outputs as declared (type, mode, path template), not their per-job locations."""
    definition = {k: v for k, v in component.items() if k not in _NOT_DEFINITION}
    outputs = {name: {k: v for k, v in out.items() if k != "pipeline_output"} for name, out in output_settings.items()}
    return {
        "component": _sha(definition),
        "code": file_hashes(code),
        "environment": _environment(store, component.get("environment")),
        "inputs": {k: _input_identity(store, v, base_path, producers) for k, v in (spec.get("inputs") or {}).items()},
        "outputs": outputs,
        "run": {k: spec[k] for k in ("environment_variables", "limits", "resources", "distribution") if spec.get(k)},
    }


def fingerprint(parts: Mapping[str, Any]) -> str:
    return _sha(parts)


def _index(store: Store, *parts: str) -> Path:
    return store.root / "pipelines" / Path(*parts)


def find_reusable(store: Store, fp: str, job_status) -> dict | None:
    """{"job", "outputs"} of a Completed step with this fingerprint, or None. `job_status(name)`
    reads a job's status (the job may have been deleted or may have failed since)."""
    try:
        entry = json.loads(_index(store, "reuse", f"{fp}.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        return entry if job_status(entry["job"]) == "Completed" else None
    except Exception:  # the original job's folder is gone or unreadable: run again
        return None


def remember(store: Store, identity: str, parts: Mapping[str, Any], job: str, outputs: Mapping[str, str] | None,
             reusable: bool) -> None:
    """Record a step's latest fingerprint, and (when it Completed and may be reused) its outputs."""
    write_json_atomic(_index(store, "steps", f"{_sha(identity)}.json"), {"identity": identity, "parts": parts, "job": job})
    if reusable and outputs is not None:
        write_json_atomic(_index(store, "reuse", f"{fingerprint(parts)}.json"), {"job": job, "outputs": dict(outputs)})


def previous(store: Store, identity: str) -> dict | None:
    try:
        return json.loads(_index(store, "steps", f"{_sha(identity)}.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def explain(before: Mapping[str, Any] | None, now: Mapping[str, Any]) -> str:
    """Why a step could not be reused: what changed since its previous run, one line."""
    if before is None:
        return "first run of this step"
    changes = []
    if before["component"] != now["component"]:
        changes.append("the component's definition changed (command, inputs, outputs or environment)")
    old_code, new_code = before.get("code") or {}, now.get("code") or {}
    edited = sorted(f for f in new_code if f in old_code and new_code[f] != old_code[f])
    added = sorted(set(new_code) - set(old_code))
    removed = sorted(set(old_code) - set(new_code))
    code = [f"{f} changed" for f in edited] + [f"{f} added" for f in added] + [f"{f} removed" for f in removed]
    if code:
        changes.append("code: " + ", ".join(code[:5]) + (f" (+{len(code) - 5} more)" if len(code) > 5 else ""))
    if before["environment"] != now["environment"]:
        changes.append(f"environment {before['environment']} -> {now['environment']}")
    old_in, new_in = before.get("inputs") or {}, now.get("inputs") or {}
    for name in sorted(set(old_in) | set(new_in)):
        if old_in.get(name) != new_in.get(name):
            changes.append(f"input {name}: {_short(old_in.get(name))} -> {_short(new_in.get(name))}")
    if before.get("outputs") != now.get("outputs"):
        changes.append("output settings changed")
    if before.get("run") != now.get("run"):
        changes.append("run settings changed (environment_variables, limits, resources or distribution)")
    return "; ".join(changes) if changes else "nothing changed since its previous run, which did not complete"


def _short(value: Any) -> str:
    text = "unset" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
