"""Build a `Lineage` from the entities, through the client interface only (so it works on every
backend): where an asset came from (upstream, to its sources) and where it went (downstream, to
what serves it), never sideways.

    build_lineage(client, "model", "iris-model", "3")
    build_lineage(client, "online-deployment", "blue", endpoint_name="iris-ep")

Upstream: a model or data version <- the job whose output it was (`job_name`, or its path:
rules/lineage.py) <- that job's code (content hash), environment, input data versions (and the
jobs that produced those), parameters; a step or trial <- its pipeline or sweep; a sweep <- its
best trial. Downstream: data or environment -> the jobs that used them -> the models and data
registered from their outputs -> the online deployments that serve a model -> their endpoints.
Downstream looks through the most recent `SCAN_LIMIT` top-level jobs (and their children).
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

from ..errors import AmlMagicError, UsageError
from ..rules import parse_asset_ref
from ..rules.lineage import BEST_TRIAL, output_of, trial_parameters
from .graph import Lineage

__all__ = ["build_lineage", "NOUNS", "SCAN_LIMIT"]

NOUNS = ("model", "data", "environment", "job", "online-endpoint", "online-deployment", "batch-endpoint",
         "batch-deployment")
SCAN_LIMIT = 200
_PARENT_RELATION = {"sweep": "trial", "pipeline": "step"}


def _plain(entity: Any) -> dict:
    try:
        return json.loads(json.dumps(entity._to_dict(), default=str))
    except Exception:  # an entity azure-ai-ml cannot dump: its attributes still name what matters
        return {}


def _ref_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    name, version = getattr(value, "name", None), getattr(value, "version", None)
    return f"azureml:{name}:{version}" if name and version else None


def _serves(deployment: Any, model: Any) -> bool:
    """Whether a deployment (online or batch) serves this model version."""
    ref = _ref_text(deployment.model)
    if not ref or "://" in ref:
        return False
    parsed = parse_asset_ref(ref)
    return parsed.name == model.name and parsed.version == str(model.version)


class _Builder:
    def __init__(self, client: Any):
        self.client = client
        self.graph = Lineage()
        self._jobs: dict[str, Any] = {}
        self._up_done: set[str] = set()
        self._down_done: set[str] = set()
        self._scanned: list[tuple[Any, dict]] | None = None
        self._versions: dict[str, list[Any]] = {}
        self._deployments: list[tuple[Any, Any]] | None = None
        self._batch_deployments: list[tuple[Any, Any]] | None = None

    # -- reads (each entity once) ------------------------------------------------------------
    def job(self, name: str) -> Any:
        if name not in self._jobs:
            self._jobs[name] = self.client.jobs.get(name)
        return self._jobs[name]

    def _asset(self, kind: str, name: str, version: str | None) -> Any:
        client = self.client
        group = {"model": client.models, "data": client.data, "environment": client.environments}[kind]
        return group.get(name, version=version) if version else group.get(name, label="latest")

    def all_jobs(self) -> list[tuple[Any, dict]]:
        """The most recent top-level jobs and their children, with their dumped specs."""
        if self._scanned is None:
            found = []
            for job in islice(self.client.jobs.list(), SCAN_LIMIT):
                found.append(job)
                if getattr(job, "type", None) in _PARENT_RELATION:
                    found += list(self.client.jobs.list(parent_job_name=job.name))
            self._scanned = [(job, _plain(job)) for job in found]
        return self._scanned

    def versions(self, kind: str) -> list[Any]:
        """Every version of every model (or data asset)."""
        if kind not in self._versions:
            group = self.client.models if kind == "model" else self.client.data
            self._versions[kind] = [v for latest in group.list() for v in group.list(name=latest.name)]
        return self._versions[kind]

    def deployments(self) -> list[tuple[Any, Any]]:
        if self._deployments is None:
            self._deployments = [(ep, dep) for ep in self.client.online_endpoints.list()
                                 for dep in self.client.online_deployments.list(ep.name)]
        return self._deployments

    def batch_deployments(self) -> list[tuple[Any, Any]]:
        if self._batch_deployments is None:
            self._batch_deployments = [(ep, dep) for ep in self.client.batch_endpoints.list()
                                       for dep in self.client.batch_deployments.list(ep.name)]
        return self._batch_deployments

    # -- nodes -------------------------------------------------------------------------------
    def job_node(self, job: Any) -> str:
        props = dict(getattr(job, "properties", None) or {})
        spec = _plain(job)
        literals = {k: v for k, v in (spec.get("inputs") or {}).items() if not isinstance(v, dict)}
        literals.update({k: v.get("value", v.get("default")) for k, v in (spec.get("inputs") or {}).items()
                         if isinstance(v, dict) and "path" not in v and ("value" in v or "default" in v)})
        return self.graph.add(
            "job", job.name, type=getattr(job, "type", None), status=getattr(job, "status", None),
            display_name=getattr(job, "display_name", None), experiment=getattr(job, "experiment_name", None),
            parameters={**literals, **trial_parameters(props)}, compute=getattr(job, "compute", None),
            best_trial=props.get(BEST_TRIAL))

    def asset_node(self, kind: str, entity: Any) -> str:
        details = {"type": getattr(entity, "type", None), "path": getattr(entity, "path", None),
                   "description": getattr(entity, "description", None)}
        if kind == "environment":
            details = {"image": getattr(entity, "image", None), "description": getattr(entity, "description", None)}
        return self.graph.add(kind, entity.name, entity.version, **details)

    def deployment_node(self, endpoint: Any, deployment: Any) -> str:
        key = self.graph.add("online-deployment", f"{endpoint.name}/{deployment.name}",
                             model=_ref_text(deployment.model), environment=_ref_text(deployment.environment),
                             instance_type=getattr(deployment, "instance_type", None),
                             instance_count=getattr(deployment, "instance_count", None),
                             state=getattr(deployment, "provisioning_state", None))
        traffic = (getattr(endpoint, "traffic", None) or {}).get(deployment.name, 0)
        self.graph.nodes[key].details["traffic"] = traffic
        endpoint_key = self.graph.add("online-endpoint", endpoint.name, scoring_uri=getattr(endpoint, "scoring_uri", None),
                                      traffic=dict(getattr(endpoint, "traffic", None) or {}) or None)
        self.graph.link(key, endpoint_key, f"{traffic}% traffic")
        return key

    def batch_deployment_node(self, endpoint: Any, deployment: Any) -> str:
        key = self.graph.add("batch-deployment", f"{endpoint.name}/{deployment.name}",
                             model=_ref_text(deployment.model), environment=_ref_text(deployment.environment),
                             compute=getattr(deployment, "compute", None))
        default = ((getattr(endpoint, "defaults", None) or {}).get("deployment_name")
                   if isinstance(getattr(endpoint, "defaults", None), dict)
                   else getattr(getattr(endpoint, "defaults", None), "deployment_name", None))
        endpoint_key = self.graph.add("batch-endpoint", endpoint.name, default_deployment=default)
        self.graph.link(key, endpoint_key, "default" if default == deployment.name else "named")
        return key

    # -- upstream ----------------------------------------------------------------------------
    def job_up(self, name: str) -> str:
        job = self.job(name)
        key = self.job_node(job)
        if key in self._up_done:
            return key
        self._up_done.add(key)
        parent = getattr(job, "parent_job_name", None)
        if parent:
            try:
                parent_job = self.job(parent)
                self.graph.link(self.job_node(parent_job), key, _PARENT_RELATION.get(parent_job.type, "child"))
            except AmlMagicError as exc:
                self.graph.notes.append(f"parent job {parent} of {name}: {exc}")
        best = (getattr(job, "properties", None) or {}).get(BEST_TRIAL)
        if getattr(job, "type", None) == "sweep" and best:
            self.graph.link(self.job_up(best), key, "best trial")
        self._code_up(job, key)
        environment = _ref_text(getattr(job, "environment", None) or (getattr(getattr(job, "trial", None), "environment", None)))
        if environment:
            ref = parse_asset_ref(environment)
            name = ref.name if ref.version or not ref.label else f"{ref.name}@{ref.label}"
            self.graph.link(self.graph.add("environment", name, ref.version, registry=ref.registry), key, "environment")
        for input_name, value in (_plain(job).get("inputs") or {}).items():
            if isinstance(value, dict) and value.get("path"):
                self.graph.link(self.path_up(str(value["path"])), key, f"input {input_name}")
        return key

    def _code_up(self, job: Any, key: str) -> None:
        try:
            digest = self.client.jobs.code_hash(job.name)
        except AmlMagicError as exc:  # the code asset cannot be read: the rest of the lineage still stands
            self.graph.notes.append(f"code of job {job.name}: {exc}")
            return
        if digest:
            source = self.client.jobs.code_source(job.name)
            self.graph.link(self.graph.add("code", digest[:12], hash_sha256=digest,
                                           source=str(source) if source else None), key, "code")

    def path_up(self, path: str) -> str:
        """The node an input or asset path names: a job's output, a data version, or a plain path."""
        produced = output_of(path)
        if produced and self._exists(produced[0]):
            return self.job_up(produced[0])
        if "://" not in path and not path.startswith(("/", ".")):
            ref = parse_asset_ref(path)
            try:
                return self.data_up(self._asset("data", ref.name, ref.version))
            except AmlMagicError as exc:
                self.graph.notes.append(f"data {path}: {exc}")
        return self.graph.add("path", path)

    def _exists(self, job_name: str) -> bool:
        try:
            self.job(job_name)
            return True
        except AmlMagicError:
            return False

    def data_up(self, data: Any) -> str:
        key = self.asset_node("data", data)
        produced = output_of(getattr(data, "path", None))
        if produced and self._exists(produced[0]):
            self.graph.link(self.job_up(produced[0]), key, f"output {produced[1]}")
        return key

    def model_up(self, model: Any) -> str:
        key = self.asset_node("model", model)
        produced = output_of(getattr(model, "path", None))
        job_name = getattr(model, "job_name", None) or (produced[0] if produced else None)
        if job_name and self._exists(job_name):
            self.graph.link(self.job_up(job_name), key, f"output {produced[1]}" if produced else "registered from")
        return key

    # -- downstream --------------------------------------------------------------------------
    def _readers(self, matches) -> list[tuple[Any, str]]:
        """(job, input name) of every scanned job with an input whose path `matches`."""
        found = []
        for job, spec in self.all_jobs():
            for input_name, value in (spec.get("inputs") or {}).items():
                if isinstance(value, dict) and value.get("path") and matches(str(value["path"])):
                    found.append((job, input_name))
        return found

    def data_down(self, key: str, data: Any) -> None:
        def names_it(path: str) -> bool:
            if path == getattr(data, "path", None):
                return True
            if "://" in path:
                return False
            ref = parse_asset_ref(path)
            return ref.name == data.name and (ref.version == str(data.version) or ref.version is None)

        readers = self._readers(names_it)
        parents = {job.name for job, _ in readers}
        for job, input_name in readers:
            if getattr(job, "parent_job_name", None) in parents:
                continue  # a trial or step reads it through its parent, which links to it
            self.graph.link(key, self.job_node(job), f"input {input_name}")
            self.job_down(job)

    def job_down(self, job: Any) -> None:
        key = self.job_node(job)
        if key in self._down_done:
            return
        self._down_done.add(key)
        if getattr(job, "type", None) in _PARENT_RELATION:
            for child in self.client.jobs.list(parent_job_name=job.name):
                self.graph.link(key, self.job_node(child), _PARENT_RELATION[job.type])
                self.job_down(child)
        for kind in ("model", "data"):
            for version in self.versions(kind):
                produced = output_of(getattr(version, "path", None))
                if getattr(version, "job_name", None) == job.name or (produced and produced[0] == job.name):
                    asset_key = self.asset_node(kind, version)
                    self.graph.link(key, asset_key, f"output {produced[1]}" if produced else "registered from")
                    self.model_down(asset_key, version) if kind == "model" else self.data_down(asset_key, version)
        for reader, input_name in self._readers(lambda p: (output_of(p) or ("",))[0] == job.name):
            self.graph.link(key, self.job_node(reader), f"input {input_name}")
            self.job_down(reader)

    def model_down(self, key: str, model: Any) -> None:
        for deployments, node, relation in ((self.deployments, self.deployment_node, "deployed as"),
                                            (self.batch_deployments, self.batch_deployment_node, "batch-deployed as")):
            for endpoint, deployment in deployments():
                if _serves(deployment, model):
                    self.graph.link(key, node(endpoint, deployment), relation)

    def _deployment_up(self, endpoint: Any, deployment: Any, batch: bool = False) -> str:
        key = (self.batch_deployment_node if batch else self.deployment_node)(endpoint, deployment)
        ref = _ref_text(deployment.model)
        if ref and "://" not in ref:
            parsed = parse_asset_ref(ref)
            try:
                self.graph.link(self.model_up(self._asset("model", parsed.name, parsed.version)), key, "deployed as")
            except AmlMagicError as exc:
                self.graph.notes.append(f"model {ref} of deployment {deployment.name}: {exc}")
        return key

    def environment_down(self, key: str, environment: Any) -> None:
        def names_it(job_spec: dict) -> bool:
            text = job_spec.get("environment") or (job_spec.get("trial") or {}).get("environment")
            if not isinstance(text, str):
                return False
            ref = parse_asset_ref(text)
            return ref.name == environment.name and ref.version in (str(environment.version), None)

        for job, spec in self.all_jobs():
            if names_it(spec):
                self.graph.link(key, self.job_node(job), "environment")
                self.job_down(job)


def _downstream(b: _Builder, follow) -> None:
    """Our rule: where it went is searched through lists (jobs, versions, deployments) that can
    fail on their own; then one note says so and where it came from still stands."""
    try:
        follow()
    except AmlMagicError as exc:
        b.graph.notes.append(f"where it went could not be listed: {exc}")


def build_lineage(client: Any, noun: str, name: str, version: str | None = None,
                  endpoint_name: str | None = None) -> Lineage:
    """The lineage of one asset, job, endpoint or deployment. NotFoundError (one line naming it)
    for an unknown one; UsageError for a noun without lineage."""
    if noun not in NOUNS:
        raise UsageError(f"lineage of {noun!r} is not known: use one of {', '.join(NOUNS)}")
    b = _Builder(client)
    if noun in ("model", "data", "environment"):
        entity = b._asset(noun, name, version)
        up, down = {"model": (b.model_up, b.model_down), "data": (b.data_up, b.data_down),
                    "environment": (lambda e: b.asset_node("environment", e), b.environment_down)}[noun]
        root = up(entity)
        _downstream(b, lambda: down(root, entity))
    elif noun == "job":
        root = b.job_up(name)
        _downstream(b, lambda: b.job_down(b.job(name)))
    elif noun == "online-endpoint":
        endpoint = client.online_endpoints.get(name)
        root = b.graph.add("online-endpoint", endpoint.name, scoring_uri=getattr(endpoint, "scoring_uri", None),
                           traffic=dict(getattr(endpoint, "traffic", None) or {}) or None)
        for deployment in client.online_deployments.list(endpoint.name):
            b._deployment_up(endpoint, deployment)
    elif noun == "batch-endpoint":
        endpoint = client.batch_endpoints.get(name)
        root = b.graph.add("batch-endpoint", endpoint.name)
        for deployment in client.batch_deployments.list(endpoint.name):
            b._deployment_up(endpoint, deployment, batch=True)
    else:
        if not endpoint_name:
            raise UsageError("the lineage of a deployment needs its endpoint: add -e/--endpoint-name")
        batch = noun == "batch-deployment"
        endpoint = (client.batch_endpoints if batch else client.online_endpoints).get(endpoint_name)
        deployment = (client.batch_deployments if batch else client.online_deployments).get(name, endpoint_name)
        root = b._deployment_up(endpoint, deployment, batch=batch)
    b.graph.root = root
    return b.graph
