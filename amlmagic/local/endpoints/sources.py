"""What a deployment's `model`, `code_configuration` and `environment` resolve to locally.

Accepts what `load_online_deployment` returns: the model as a reference string
(`name:version`, `name@latest`, with or without `azureml:`), an inline `Model` with a local path
(anonymous on Azure: a hash name, version 1) or a `Model` naming a registered version; code
relative to the YAML's folder (the entity's `_base_path`); the environment as a reference, an
inline `Environment`, or None (mlflow_model deployments need none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, ValidationError
from ...rules import parse_asset_ref
from ..uploads import content_hash
from ..uris import resolve_uri

__all__ = ["ModelSource", "resolve_model", "resolve_code", "describe_deployment_environment", "python_for"]

_PATH_PREFIXES = (".", "/", "~", "file:", "azureml://datastores/", "azureml://jobs/")


@dataclass(frozen=True)
class ModelSource:
    name: str
    version: str
    type: str  # custom_model | mlflow_model
    path: Path  # the local file or folder to lay out
    reference: str | None  # azureml:<name>:<version> for a registered model, None for an inline one


def _checked(source: ModelSource) -> ModelSource:
    if source.type not in ("custom_model", "mlflow_model"):
        raise ValidationError(f"model {source.name} is a {source.type}: local deployments serve custom_model "
                              "and mlflow_model models")
    if not source.path.exists():
        raise NotFoundError(f"model path {source.path} does not exist: check model.path in the deployment")
    return source


def _registered(client: Any, text: str) -> ModelSource:
    ref = parse_asset_ref(text)
    if ref.registry is not None:
        raise NotFoundError(f"model {text}: registry {ref.registry!r} is not available locally; register the "
                            "model in this workspace with %aml model create")
    model = client.models.get(ref.name, version=ref.version, label=ref.label)
    version = str(model.version)
    return _checked(ModelSource(model.name, version, model.type or "custom_model",
                                client.models.local_path(model.name, version), f"azureml:{model.name}:{version}"))


def _inline(client: Any, path: str, base: Path, name: str | None, version: Any, model_type: str | None) -> ModelSource:
    local = resolve_uri(client.workspace.store, str(path), base)
    if not local.exists():
        raise NotFoundError(f"model path {local} does not exist: check model.path in the deployment")
    # Azure registers an inline model as an anonymous version named by a hash, version 1.
    name = name or content_hash(local)
    return _checked(ModelSource(name, str(version or 1), model_type or "custom_model", local, None))


def resolve_model(client: Any, model: Any, base: Path) -> ModelSource | None:
    if model is None or model == "":
        return None
    if isinstance(model, (str, Path)):
        text = str(model)
        if text.startswith(_PATH_PREFIXES):
            return _inline(client, text, base, None, None, None)
        return _registered(client, text)
    path, name, version = getattr(model, "path", None), getattr(model, "name", None), getattr(model, "version", None)
    if path:
        return _inline(client, path, base, name, version, getattr(model, "type", None))
    if name:
        return _registered(client, f"{name}:{version}" if version else f"{name}@latest")
    raise ValidationError("the deployment's model has neither a path nor a name: give model.path or "
                          "model: azureml:<name>:<version>")


def resolve_code(store: Any, code_configuration: Any, base: Path) -> tuple[Path | None, str | None]:
    """(the code folder, the scoring script relative to it), or (None, None) without code."""
    if code_configuration is None:
        return None, None
    if isinstance(code_configuration, dict):  # as a hand-built entity may hold it
        code, script = code_configuration.get("code"), code_configuration.get("scoring_script")
    else:
        code, script = getattr(code_configuration, "code", None), getattr(code_configuration, "scoring_script", None)
    code = getattr(code, "path", code)  # a Code entity
    if not script:
        raise ValidationError("code_configuration has no scoring_script: name the script with init() and run()")
    if not code:
        raise ValidationError("code_configuration has no code: give the folder holding the scoring script")
    if str(code).startswith("azureml:") and not str(code).startswith(("azureml://datastores/", "azureml://jobs/")):
        raise ValidationError(f"code {code}: registered code assets are not available locally; give a local folder")
    folder = resolve_uri(store, str(code), base)
    if not folder.is_dir():
        raise NotFoundError(f"code folder {folder} does not exist: check code_configuration.code "
                            "(relative to the YAML file's folder)")
    if not (folder / script).is_file():
        raise NotFoundError(f"scoring script {script} not found in {folder}: check code_configuration.scoring_script")
    return folder, str(script)


def describe_deployment_environment(store: Any, environment: Any, base: Path) -> dict:
    """A JSON-able description of the environment, resolved now so the record is self-contained."""
    from ..jobs.environments import describe_environment

    return describe_environment(store, environment, base)


def python_for(client: Any, described: dict, log: Any) -> str:
    """The interpreter a deployment's workers run: the job engine's environment builder (the
    current Python when it has what the environment asks for, else a venv built once)."""
    from ..jobs.environments import realize_environment

    return str(realize_environment(client, described, log))
