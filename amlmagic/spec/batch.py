"""Batch endpoints and deployments -> CLI v2 YAML dicts (`az ml batch-endpoint|batch-deployment
create -f`), each loading with azure-ai-ml's `load_batch_endpoint` / `load_batch_deployment`.

    kind = batch_kind(entity)            # "batch-endpoint" | "batch-deployment" | None
    spec = batch_endpoint_spec(endpoint) # without its default deployment (deploy.sh sets it)
    spec = batch_deployment_spec(dep)    # `type: model` with `settings:`, or `type: pipeline`

A deployment is written in the current form (`type:` and `settings:`), whichever class the backend
returned: Azure's `get` answers the legacy `BatchDeployment` (settings at the top level), a create
answers `ModelBatchDeployment`; both hold the same settings. Paths stay as the entity has them
(the exporter relocates them); unset settings are left out, so Azure applies its defaults.
"""

from __future__ import annotations

import re
from typing import Any

from .assets import _described, _plain, model_reference_spec
from .components import component_to_spec
from .jobs import environment_to_spec

__all__ = ["BATCH_SCHEMAS", "batch_kind", "batch_endpoint_spec", "batch_deployment_spec", "default_deployment",
           "batch_to_spec"]

_BASE = "https://azuremlschemas.azureedge.net/latest/"
BATCH_SCHEMAS = {
    "batch-endpoint": _BASE + "batchEndpoint.schema.json",
    "model": _BASE + "modelBatchDeployment.schema.json",
    "pipeline": _BASE + "pipelineComponentBatchDeployment.schema.json",
}
_KINDS = {"BatchEndpoint": "batch-endpoint", "BatchDeployment": "batch-deployment",
          "ModelBatchDeployment": "batch-deployment", "PipelineComponentBatchDeployment": "batch-deployment"}
# settings: of a model deployment, in the order the YAML reference lists them
_SETTINGS = ("max_concurrency_per_instance", "mini_batch_size", "output_action", "output_file_name",
             "error_threshold", "logging_level")


# An ARM id as Azure answers a deployment's model, environment, compute or component.
_ARM_ID = re.compile(r"^(?:azureml:)?/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/"
                     r"workspaces/[^/]+/(?P<kind>models|environments|computes|components)/(?P<name>[^/]+)"
                     r"(?:/versions/(?P<version>[^/]+))?/?$", re.IGNORECASE)


def _short(reference: Any) -> Any:
    """`azureml:name:version` (a compute: `azureml:name`) for an ARM id of the workspace's own
    assets, so the YAML names them in whichever workspace it is deployed to."""
    m = _ARM_ID.match(reference) if isinstance(reference, str) else None
    if m is None:
        return reference
    return f"azureml:{m['name']}:{m['version']}" if m["version"] else f"azureml:{m['name']}"


def batch_kind(entity: Any) -> str | None:
    return _KINDS.get(type(entity).__name__)


def default_deployment(endpoint: Any) -> str | None:
    """The endpoint's default deployment: azure-ai-ml keeps `defaults` as given on create (a dict,
    `deployment_name`) and as the service answers it (its REST model: `.deployment_name`, shown
    as `deploymentName`)."""
    defaults = getattr(endpoint, "defaults", None)
    if not defaults:
        return None
    named = getattr(defaults, "deployment_name", None)
    if named is None and hasattr(defaults, "get"):
        named = defaults.get("deployment_name") or defaults.get("deploymentName")
    return named or None


def batch_endpoint_spec(endpoint: Any) -> dict:
    """The endpoint without `defaults`: its default deployment exists only once deploy.sh has
    created it (`az ml batch-deployment create --set-default`)."""
    spec: dict[str, Any] = {"$schema": BATCH_SCHEMAS["batch-endpoint"], "name": endpoint.name}
    _described(endpoint, spec)
    spec["auth_mode"] = getattr(endpoint, "auth_mode", None) or "aad_token"
    return spec


def _text(value: Any) -> Any:
    """An enum setting (output_action) as its YAML word."""
    value = getattr(value, "value", value)
    return value.lower() if isinstance(value, str) and value in ("AppendRow", "SummaryOnly") else value


def _model_settings(deployment: Any) -> dict:
    settings = {name: _text(getattr(deployment, name, None)) for name in _SETTINGS}
    settings = {k: v for k, v in settings.items() if v is not None}
    if settings.get("output_action") in ("appendrow", "summaryonly"):
        settings["output_action"] = {"appendrow": "append_row", "summaryonly": "summary_only"}[settings["output_action"]]
    retry = getattr(deployment, "retry_settings", None)
    if retry is not None:
        chosen = {f: getattr(retry, f) for f in ("max_retries", "timeout") if getattr(retry, f, None) is not None}
        if chosen:
            settings["retry_settings"] = chosen
    # under settings: (ModelBatchDeployment keeps them there, its top-level attribute stays empty)
    variables = (getattr(getattr(deployment, "_settings", None), "environment_variables", None)
                 or getattr(deployment, "environment_variables", None) or {})
    variables = {str(k): str(v) for k, v in variables.items()}
    if variables:
        settings["environment_variables"] = variables
    return settings


def _model_deployment(deployment: Any, spec: dict) -> dict:
    model = _short(model_reference_spec(getattr(deployment, "model", None)))
    if model:
        spec["model"] = model
    code_configuration = getattr(deployment, "code_configuration", None)
    if code_configuration is not None:
        code = str(getattr(getattr(code_configuration, "code", None), "path", code_configuration.code))
        if code.startswith("/subscriptions/"):  # a code asset Azure holds (an Azure session's): a reference
            code = f"azureml:{code}"
        spec["code_configuration"] = {"code": code,
                                      "scoring_script": str(code_configuration.scoring_script)}
    environment = _short(environment_to_spec(getattr(deployment, "environment", None)))
    if environment:
        spec["environment"] = environment
    if getattr(deployment, "compute", None):  # `azureml:name`, as the examples write it
        compute = _short(str(deployment.compute))
        spec["compute"] = compute if compute.startswith("azureml:") else f"azureml:{compute}"
    instance_count = getattr(deployment, "instance_count", None)
    if instance_count:
        spec["resources"] = {"instance_count": int(instance_count)}
    settings = _model_settings(deployment)
    if settings:
        spec["settings"] = settings
    return spec


def _pipeline_deployment(deployment: Any, spec: dict) -> dict:
    component = getattr(deployment, "component", None)
    if isinstance(component, str):
        component = _short(component)
        spec["component"] = component if component.startswith("azureml:") else f"azureml:{component}"
    elif component is not None:
        version = getattr(component, "version", None)
        name = getattr(component, "name", None)
        registered = name and version and name != "azureml_anonymous" and getattr(component, "id", None)
        spec["component"] = f"azureml:{name}:{version}" if registered else component_to_spec(component)
    settings = {k: _short(v) for k, v in _plain(getattr(deployment, "settings", None) or {}).items() if v is not None}
    if settings:
        spec["settings"] = settings
    return spec


def batch_deployment_spec(deployment: Any) -> dict:
    pipeline = type(deployment).__name__ == "PipelineComponentBatchDeployment"
    kind = "pipeline" if pipeline else "model"
    spec: dict[str, Any] = {"$schema": BATCH_SCHEMAS[kind], "name": deployment.name,
                            "endpoint_name": deployment.endpoint_name, "type": kind}
    _described(deployment, spec)
    return _pipeline_deployment(deployment, spec) if pipeline else _model_deployment(deployment, spec)


def batch_to_spec(entity: Any) -> tuple[str, dict]:
    kind = batch_kind(entity)
    if kind is None:
        raise TypeError(f"{type(entity).__name__} is not a batch endpoint or deployment")
    return kind, batch_endpoint_spec(entity) if kind == "batch-endpoint" else batch_deployment_spec(entity)
