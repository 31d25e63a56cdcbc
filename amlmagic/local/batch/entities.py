"""A batch deployment record as azure-ai-ml's entity: `ModelBatchDeployment` (type: model),
`BatchDeployment` (a legacy deployment without type), `PipelineComponentBatchDeployment`."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["deployment_entity"]


def _model(spec: dict) -> Any:
    from azure.ai.ml.entities import Model

    model = spec.get("model")
    if model is None:
        return None
    return model["reference"] or Model(name=model["name"], version=model["version"], type=model["type"],
                                       path=model["path"])


def _environment(spec: dict) -> Any:
    from azure.ai.ml.entities import Environment

    env = spec.get("environment")
    if isinstance(env, dict):
        return Environment(name=env.get("name"), image=env.get("image"), conda_file=env.get("conda_file"))
    return env


def deployment_entity(workspace: Any, record: dict) -> Any:
    from azure.ai.ml.entities import (
        BatchDeployment,
        BatchRetrySettings,
        CodeConfiguration,
        ModelBatchDeployment,
        ModelBatchDeploymentSettings,
        PipelineComponentBatchDeployment,
        ResourceConfiguration,
    )

    spec = record["spec"]
    common = dict(name=spec["name"], endpoint_name=spec["endpoint_name"], description=spec.get("description"),
                  tags=spec.get("tags") or {})
    arm = workspace.arm_id("batchEndpoints", spec["endpoint_name"]) + f"/deployments/{spec['name']}"
    extra = dict(provisioning_state="Succeeded", id=arm, creation_context=workspace.system_data(record["meta"]))
    if spec.get("type") == "pipeline":
        return PipelineComponentBatchDeployment(component=spec["component_ref"], settings=dict(spec.get("settings") or {}),
                                                **common, **extra)
    settings = dict(spec.get("settings") or {})
    retry = settings.pop("retry_settings", None)
    count = settings.pop("instance_count", None)
    code = spec.get("code_configuration")
    fields = dict(model=_model(spec), environment=_environment(spec), compute=spec.get("compute"),
                  properties=spec.get("properties") or {},
                  code_configuration=CodeConfiguration(code=code["code"], scoring_script=code["scoring_script"])
                  if code else None,
                  resources=ResourceConfiguration(instance_count=count) if count is not None else None)
    retry_settings = BatchRetrySettings(**retry) if retry else None
    if spec.get("type") == "model":
        return ModelBatchDeployment(settings=ModelBatchDeploymentSettings(
            mini_batch_size=settings.pop("mini_batch_size", None), retry_settings=retry_settings, **settings),
            **common, **fields, **extra)
    with warnings.catch_warnings():  # the legacy base class warns that it is one; it is what Azure returns
        warnings.simplefilter("ignore")
        return BatchDeployment(retry_settings=retry_settings, **settings, **common, **fields, **extra)
