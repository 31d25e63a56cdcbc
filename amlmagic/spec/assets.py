"""Assets, computes, datastores and online endpoints/deployments -> CLI v2 YAML dicts.

    kind, spec = asset_to_spec(entity)    # kind: data | environment | model | compute | datastore
                                          #       | online-endpoint | online-deployment

The dicts hold what the entity holds, paths as they are (the exporter relocates them): every
dict loads with the matching azure-ai-ml loader (`load_data`, `load_environment`, ...).
Datastore credentials and endpoint keys are never part of a dict; environment variables are kept
as they are, and `is_secret_name` tells the exporter which ones to leave out of files.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..rules.data_collection import data_collector_spec
from .jobs import environment_to_spec as _job_environment

__all__ = [
    "ASSET_SCHEMAS", "asset_kind", "asset_to_spec", "data_spec", "environment_spec", "model_spec",
    "compute_spec", "datastore_spec", "online_endpoint_spec", "online_deployment_spec",
    "model_reference_spec", "is_secret_name",
]

_BASE = "https://azuremlschemas.azureedge.net/latest/"
ASSET_SCHEMAS = {
    "data": _BASE + "data.schema.json",
    "environment": _BASE + "environment.schema.json",
    "model": _BASE + "model.schema.json",
    "compute": _BASE + "amlCompute.schema.json",
    "datastore": _BASE + "azureBlob.schema.json",
    "online-endpoint": _BASE + "managedOnlineEndpoint.schema.json",
    "online-deployment": _BASE + "managedOnlineDeployment.schema.json",
}

_KINDS = {
    "Data": "data", "Environment": "environment", "Model": "model", "AmlCompute": "compute",
    "AzureBlobDatastore": "datastore", "ManagedOnlineEndpoint": "online-endpoint",
    "KubernetesOnlineEndpoint": "online-endpoint", "ManagedOnlineDeployment": "online-deployment",
    "KubernetesOnlineDeployment": "online-deployment",
}

# Names of settings that carry credentials: their values never reach an exported file.
_SECRET_NAME = re.compile(r"(key|token|secret|passw|pwd|credential|connection_?string|sas)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(str(name)))


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _described(entity: Any, spec: dict) -> dict:
    if getattr(entity, "description", None):
        spec["description"] = entity.description
    tags = getattr(entity, "tags", None)
    if tags:
        spec["tags"] = {str(k): str(v) for k, v in tags.items()}
    return spec


def asset_kind(entity: Any) -> str | None:
    """The CLI noun of an entity (None for jobs and anything else)."""
    return _KINDS.get(type(entity).__name__)


def _start(kind: str, entity: Any) -> dict:
    spec: dict[str, Any] = {"$schema": ASSET_SCHEMAS[kind], "name": entity.name}
    if getattr(entity, "version", None) not in (None, "") and kind in ("data", "environment", "model"):
        spec["version"] = str(entity.version)
    return spec


def data_spec(data: Any) -> dict:
    spec = _start("data", data)
    spec["type"] = data.type or "uri_folder"
    spec["path"] = str(data.path)
    return _described(data, spec)


def environment_spec(env: Any) -> dict:
    spec = _start("environment", env)
    if env.image:
        spec["image"] = env.image
    if env.conda_file:
        spec["conda_file"] = _plain(env.conda_file) if isinstance(env.conda_file, dict) else str(env.conda_file)
    if env.build is not None:
        spec["build"] = {"path": str(env.build.path)}
        if env.build.dockerfile_path:
            spec["build"]["dockerfile_path"] = env.build.dockerfile_path
    return _described(env, spec)


def model_spec(model: Any) -> dict:
    spec = _start("model", model)
    spec["type"] = model.type or "custom_model"
    spec["path"] = str(model.path)
    return _described(model, spec)


def compute_spec(compute: Any) -> dict:
    spec = _start("compute", compute)
    spec["type"] = "amlcompute"
    for field in ("size", "min_instances", "max_instances", "idle_time_before_scale_down", "tier"):
        value = getattr(compute, field, None)
        if value not in (None, ""):
            spec[field] = value
    return _described(compute, spec)


def datastore_spec(datastore: Any) -> dict:
    """A blob datastore without credentials (identity-based access): keys and SAS tokens are
    never exported. A local folder datastore keeps its container name; its account is a
    placeholder the user replaces."""
    spec = _start("datastore", datastore)
    spec["type"] = "azure_blob"
    spec["account_name"] = datastore.account_name
    spec["container_name"] = datastore.container_name
    return _described(datastore, spec)


def online_endpoint_spec(endpoint: Any) -> dict:
    """The endpoint without its traffic: traffic goes to deployments that exist only later, so
    the exporter sets it with `az ml online-endpoint update --traffic` at the end."""
    spec = _start("online-endpoint", endpoint)
    spec["auth_mode"] = getattr(endpoint, "auth_mode", None) or "key"
    return _described(endpoint, spec)


def model_reference_spec(model: Any) -> Any:
    """A deployment's model: `azureml:name:version`, or an inline {path, type} dict."""
    if model is None or model == "":
        return None
    if isinstance(model, str):
        looks_like_path = model.startswith((".", "/", "~", "file:", "azureml://"))
        return model if looks_like_path or model.startswith("azureml:") else f"azureml:{model}"
    path = getattr(model, "path", None)
    name, version = getattr(model, "name", None), getattr(model, "version", None)
    if path:
        inline: dict[str, Any] = {"path": str(path)}
        if getattr(model, "type", None):
            inline["type"] = model.type
        return inline
    return f"azureml:{name}:{version}" if version else f"azureml:{name}@latest"


def online_deployment_spec(deployment: Any) -> dict:
    spec = _start("online-deployment", deployment)
    spec["endpoint_name"] = deployment.endpoint_name
    model = model_reference_spec(getattr(deployment, "model", None))
    if model:
        spec["model"] = model
    code_configuration = getattr(deployment, "code_configuration", None)
    if code_configuration is not None:
        code = getattr(code_configuration, "code", None)
        spec["code_configuration"] = {"code": str(getattr(code, "path", code)),
                                      "scoring_script": code_configuration.scoring_script}
    environment = _job_environment(getattr(deployment, "environment", None))
    if environment:
        spec["environment"] = environment
    spec["instance_type"] = getattr(deployment, "instance_type", None) or "Standard_DS3_v2"
    spec["instance_count"] = int(getattr(deployment, "instance_count", None) or 1)
    variables = {str(k): str(v) for k, v in (getattr(deployment, "environment_variables", None) or {}).items()}
    if variables:
        spec["environment_variables"] = variables
    settings = getattr(deployment, "request_settings", None)
    if settings is not None:
        fields = ("request_timeout_ms", "max_concurrent_requests_per_instance", "max_queue_wait_ms")
        chosen = {f: getattr(settings, f) for f in fields if getattr(settings, f, None) is not None}
        if chosen:
            spec["request_settings"] = chosen
    collector = data_collector_spec(getattr(deployment, "data_collector", None))
    if collector:
        spec["data_collector"] = collector
    return _described(deployment, spec)


_BUILDERS = {
    "data": data_spec, "environment": environment_spec, "model": model_spec, "compute": compute_spec,
    "datastore": datastore_spec, "online-endpoint": online_endpoint_spec,
    "online-deployment": online_deployment_spec,
}


def asset_to_spec(entity: Any) -> tuple[str, dict]:
    kind = asset_kind(entity)
    if kind is None:
        raise TypeError(f"{type(entity).__name__} is not an asset, compute, datastore or online endpoint")
    return kind, _BUILDERS[kind](entity)
