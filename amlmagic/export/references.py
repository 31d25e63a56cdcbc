"""Keep the export's references whole: a job or deployment that names an environment, data
asset, model or compute the session did not create (it existed before this kernel) gets that
thing exported too, read from the workspace; and put every exported thing after what it uses
(`deploy_order`), so deploy.sh creates it before its users."""

from __future__ import annotations

import re
from typing import Any, Iterator, NamedTuple

from ..errors import NotFoundError
from ..rules import LOCAL_COMPUTE, MODEL_TYPES, parse_asset_ref, strip_azureml_prefix, version_key
from ..session import entity_key
from .jobspec import job_spec
from .trail import ORDER, TrailItem

__all__ = ["add_referenced", "references_of", "deploy_order", "JobLink", "job_output_ref", "job_output_links"]

# Both forms Azure accepts for a job's output: the output itself, or a path inside it.
_JOB_OUTPUT = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/(?P<rest>outputs/[^/]+(?:/.*)?)$")


class JobLink(NamedTuple):
    """A path that names another job's output. That job's name is only known once deploy.sh has
    submitted it again, so deploy.sh waits for it and passes `--set <set_key>=azureml://jobs/$JOB_k/<suffix>`."""

    set_key: str  # e.g. "path" (a model), "inputs.train_data.path" (a job input)
    job: str  # the local job that produced the output
    suffix: str  # the URI after `azureml://jobs/<job>/`: "outputs/<name>[/paths/...]"


def job_output_ref(path: Any) -> tuple[str, str] | None:
    """(job name, URI suffix) of an `azureml://jobs/<job>/outputs/<out>[/paths/...]` path, else None."""
    m = _JOB_OUTPUT.match(str(path)) if isinstance(path, str) else None
    return (m["job"], m["rest"]) if m else None


def job_output_links(kind: str, spec: dict) -> list[JobLink]:
    """The paths of a job's inputs (top-level `inputs` for a sweep too) or of a model that are
    other jobs' outputs."""
    if kind == "model":
        paths = [("path", spec.get("path"))]
    elif kind == "job":
        paths = [(f"inputs.{name}.path", value.get("path"))
                 for name, value in (spec.get("inputs") or {}).items() if isinstance(value, dict)]
    else:
        paths = []
    return [JobLink(key, *ref) for key, path in paths if (ref := job_output_ref(path)) is not None]


def _asset_ref(kind: str, text: Any) -> tuple[str, str, str | None] | None:
    if not isinstance(text, str) or not text.startswith("azureml:") or text.startswith("azureml://"):
        return None
    ref = parse_asset_ref(text)
    if ref.registry is not None:
        return None
    return kind, ref.name, ref.version


def references_of(item: TrailItem, spec: dict | None = None) -> Iterator[tuple[str, str, str | None]]:
    """(kind, name, version or None) of everything the item refers to by name (`spec`: a job's
    CLI v2 dict, when the caller has it already)."""
    if item.kind == "job" and spec is None and getattr(item.entity, "type", None) == "pipeline":
        spec = job_spec(item.entity)
    if item.kind == "job" and (spec or {}).get("type") == "pipeline":
        found = []
        for step in (spec.get("jobs") or {}).values():
            component = step.get("trial" if step.get("type") == "sweep" else "component")
            if isinstance(component, str):
                found.append(_asset_ref("component", component))
            for value in (step.get("inputs") or {}).values():
                if isinstance(value, dict):
                    kind = "model" if value.get("type") in MODEL_TYPES else "data"
                    found.append(_asset_ref(kind, value.get("path")))
    elif item.kind == "job":
        spec = spec or job_spec(item.entity)
        command = spec.get("trial") or spec
        found = [_asset_ref("environment", command.get("environment"))]
        for value in (spec.get("inputs") or {}).values():
            if isinstance(value, dict):
                kind = "model" if value.get("type") in MODEL_TYPES else "data"
                found.append(_asset_ref(kind, value.get("path")))
        compute = spec.get("compute")
        if isinstance(compute, str) and strip_azureml_prefix(compute) != LOCAL_COMPUTE:
            found.append(("compute", strip_azureml_prefix(compute), None))
    elif item.kind == "online-deployment":
        from ..spec.assets import model_reference_spec
        from ..spec.jobs import environment_to_spec

        found = [_asset_ref("model", model_reference_spec(item.entity.model)),
                 _asset_ref("environment", environment_to_spec(item.entity.environment))]
    elif item.kind == "batch-deployment":
        from ..spec.batch import batch_deployment_spec

        spec = batch_deployment_spec(item.entity)
        found = [_asset_ref("model", spec.get("model")), _asset_ref("environment", spec.get("environment")),
                 _asset_ref("component", spec.get("component"))]
        compute = spec.get("compute") or (spec.get("settings") or {}).get("default_compute")
        if isinstance(compute, str) and strip_azureml_prefix(compute) != LOCAL_COMPUTE:
            found.append(("compute", strip_azureml_prefix(compute), None))
    elif item.kind == "batch-invocation":  # its input, when a data asset
        found = [_asset_ref("data", item.entity.params.get("input"))]
    else:
        found = []
    yield from (f for f in found if f is not None)


def _fetch(client: Any, kind: str, name: str, version: str | None) -> Any:
    if kind == "compute":
        return client.compute.get(name)
    operations = {"environment": client.environments, "data": client.data, "model": client.models,
                  "component": client.components}[kind]
    return operations.get(name, version=version, label=None if version else "latest")


def add_referenced(items: list[TrailItem], client: Any) -> list[str]:
    """Append what the items refer to and the export lacks; return README notes about it."""
    have = {i.key for i in items}
    notes: list[str] = []
    for item in list(items):
        for kind, name, version in references_of(item):
            try:
                entity = _fetch(client, kind, name, version)
            except NotFoundError:  # not in this workspace: the reference stays, the user provides it
                notes.append(f"{item.kind} {item.entity.name} refers to {kind} {name}"
                             f"{':' + version if version else ''}, which is not in the workspace: create it first.")
                continue
            key = entity_key(kind, entity)
            if key in have:
                continue
            have.add(key)
            items.append(TrailItem(kind, key, entity, None, f"(referenced by {item.kind} {item.entity.name})",
                                   before_session=True))
            notes.append(f"{kind} {entity.name} was created before this session; exported because "
                         f"{item.kind} {item.entity.name} uses it.")
    return notes


def _latest_resolver(items: list[TrailItem]):
    """`latest(user, kind, name)`: the key `@latest` meant when `user` was created, i.e. the
    highest exported version created before it (what existed before the session counts as
    first); failing that, the highest exported version at all."""
    position = {id(item): -1 if item.before_session else n for n, item in enumerate(items)}
    versions: dict[tuple, list[TrailItem]] = {}
    for item in items:
        if item.kind in ("data", "model", "environment"):
            versions.setdefault(item.key[:2], []).append(item)

    def latest(user: TrailItem, kind: str, name: str) -> tuple:
        found = versions.get((kind, name), [])
        before = [i for i in found if position[id(i)] < position[id(user)]] or found
        if not before:
            return (kind, name, None)
        return max(before, key=lambda i: version_key(i.key[2])).key

    return latest


def _dependencies(item: TrailItem, latest, exported_keys: set[tuple]) -> set[tuple]:
    """Keys of the things `item` uses (whether exported or not; among `exported_keys` for what
    is named by its endpoint only, a batch invocation's deployments)."""
    spec = None
    if item.kind == "job":
        spec = job_spec(item.entity)  # once: both the references and the job links read it
    found = set()
    for kind, name, version in references_of(item, spec):
        if kind == "compute":
            found.add((kind, name))
        else:  # no version (`@latest`): the version that was latest when the item was created
            found.add((kind, name, version) if version else latest(item, kind, name))
    if item.kind == "job":
        found |= {("job", link.job) for link in job_output_links("job", spec)}
    elif item.kind == "model":
        found |= {("job", link.job) for link in job_output_links("model", {"path": item.entity.path})}
    elif item.kind == "online-deployment":
        found.add(("online-endpoint", item.entity.endpoint_name))
    elif item.kind == "batch-deployment":
        found.add(("batch-endpoint", item.entity.endpoint_name))
    elif item.kind == "batch-invocation":  # and the deployment it names, else any of its endpoint's
        found.add(("batch-endpoint", item.entity.endpoint_name))
        found |= {key for key in exported_keys if key[0] == "batch-deployment" and key[1] == item.entity.endpoint_name
                  and item.entity.deployment_name in (None, key[2])}
    return found


def deploy_order(items: list[TrailItem]) -> tuple[list[TrailItem], list[str]]:
    """The items in the order deploy.sh creates them, and README notes.

    A stable topological sort: kind order (`ORDER`), then trail order, is the default and the
    tie-break; the next item is always the first in that order whose dependencies (among the
    exported items) are all placed. Dependencies: what `references_of` names (a job's environment,
    data, models and compute; a deployment's model, environment and component; a batch
    invocation's data asset), a deployment's endpoint, a batch invocation's endpoint and
    deployment (without `-d`: all of its endpoint's, the default being one of them), and
    the job whose output a model's path or a job's input names. A model or data reference without
    a version (`@latest`) means the highest exported version created before the item that uses it,
    so a version registered later (say from that job's output) does not make a cycle.

    A thing only uses what existed before it, so cycles should not occur; if one does, the items
    left follow in kind order and a README note says so, instead of looping forever.
    """
    ranked = sorted(items, key=lambda i: ORDER.index(i.kind))  # sort is stable: trail order within a kind
    latest = _latest_resolver(items)
    exported = {item.key for item in items}
    needs = [(item, (_dependencies(item, latest, exported) & exported) - {item.key}) for item in ranked]
    placed: list[TrailItem] = []
    done: set[tuple] = set()
    notes: list[str] = []
    while needs:
        ready = next((n for n, (_item, deps) in enumerate(needs) if deps <= done), None)
        if ready is None:
            left = ", ".join(f"{i.kind} {i.entity.name}" for i, _ in needs)
            notes.append(f"{left} depend on each other, so deploy.sh creates them in kind order: "
                         "check their references before running it.")
            placed += [i for i, _ in needs]
            break
        item, _deps = needs.pop(ready)
        placed.append(item)
        done.add(item.key)
    return placed, notes
