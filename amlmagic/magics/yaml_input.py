"""Turn `-f FILE`, a `%%aml` cell body and `--set key=value` into an azure-ai-ml entity, with
one-line errors that name the file, field and line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..errors import NotFoundError, UsageError, ValidationError
from .schema_errors import schema_error_line

__all__ = ["load_entity", "load_fields", "parse_overrides", "LOADERS"]

LOADERS = {
    "job": "load_job",
    "data": "load_data",
    "environment": "load_environment",
    "model": "load_model",
    "component": "load_component",
    "compute": "load_compute",
    "datastore": "load_datastore",
    "online-endpoint": "load_online_endpoint",
    "online-deployment": "load_online_deployment",
    "batch-endpoint": "load_batch_endpoint",
    # `az ml batch-deployment create` picks the loader by the YAML's type (model, pipeline, none)
    "batch-deployment": "load_batch_deployment",
    "model-batch-deployment": "load_model_batch_deployment",
    "pipeline-batch-deployment": "load_pipeline_component_batch_deployment",
}


def parse_overrides(pairs: list[str] | None) -> list[dict]:
    """`--set a.b=1` -> `[{"a.b": 1}]`, values read as YAML scalars like `az ml --set`."""
    import yaml

    overrides = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set takes key=value (e.g. --set description=\"first run\"), not {pair!r}")
        try:
            parsed = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            parsed = value
        overrides.append({key.strip(): parsed})
    return overrides


def _check_yaml(text: str, where: str) -> dict:
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError(f"invalid YAML in {where}{at}: {problem}") from None
    if not isinstance(loaded, dict):
        raise ValidationError(f"{where} must be a YAML mapping of fields (name:, type:, ...)")
    return loaded


def _one_line(exc: Exception, where: str, document: Any) -> str:
    fields = schema_error_line(exc, document)
    if fields:
        return f"{where}: {fields}"
    message = str(getattr(exc, "message", None) or exc).replace("\\n", "\n")
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith(("{", "}"))]
    # azure-ai-ml lists field errors as  "path": "x", "message": "..." : keep the essentials
    fields = [line for line in lines if line.startswith(('"path"', '"message"', '"value"'))]
    text = " ".join(fields) if fields else (lines[0] if lines else type(exc).__name__)
    return f"{where}: " + text.replace('"', "").replace("\\", "")


def load_entity(noun: str, *, file: str | None, body: str | None, cwd: Path, overrides: list[dict]) -> Any:
    if file:
        path = (cwd / file).expanduser().resolve()
        if not path.is_file():
            raise NotFoundError(f"YAML file {path} does not exist: check -f/--file")
        document = _check_yaml(path.read_text(), path.name)
        return _load(noun, str(path), None, overrides, path.name, document)
    document = _check_yaml(body or "", "the cell")
    # relative paths resolve against the notebook's folder
    return _load(noun, io.StringIO(body), str(cwd / "cell.yml"), overrides, "the cell", document)


def load_fields(noun: str, fields: dict, *, cwd: Path, overrides: list[dict]) -> Any:
    """The entity the flags describe, loaded as if they were a YAML file in the notebook's folder,
    so `--set` applies to it exactly as to `-f`."""
    import yaml

    document = {key: value for key, value in fields.items() if value is not None}
    return _load(noun, io.StringIO(yaml.safe_dump(document)), str(cwd / "flags.yml"), overrides, "the flags", document)


def _load(noun: str, source: Any, origin: str | None, overrides: list[dict], where: str, document: dict) -> Any:
    import azure.ai.ml as aml
    from azure.ai.ml.entities import _load_functions  # the batch deployment loaders azure.ai.ml does not export

    loader = getattr(aml, LOADERS[noun], None) or getattr(_load_functions, LOADERS[noun])
    try:
        return loader(source, relative_origin=origin, params_override=overrides)
    except (FileNotFoundError, NotFoundError) as exc:
        raise NotFoundError(f"{where}: {exc}") from None
    except Exception as exc:  # azure-ai-ml's ValidationException and schema errors
        # AttributeError: azure-ai-ml's loaders call str methods on fields given as another type
        # (a compute's `type: 1`): a field of the wrong type, so the YAML's fault.
        if type(exc).__name__ in ("ValidationException", "ValidationError", "UserErrorException",
                                  "MlException", "ValueError", "TypeError", "KeyError", "AttributeError"):
            raise ValidationError(_one_line(exc, where, document)) from None
        raise
