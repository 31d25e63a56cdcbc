"""Turn `-f FILE`, a `%%aml` cell body and `--set key=value` into an azure-ai-ml entity, with
one-line errors that name the file, field and line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..errors import NotFoundError, UsageError, ValidationError

__all__ = ["load_entity", "parse_overrides", "LOADERS"]

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
}


def parse_overrides(pairs: list[str] | None) -> list[dict]:
    """`--set a.b=1` -> `[{"a.b": 1}]`, values read as YAML scalars like `az ml --set`."""
    import yaml

    overrides = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set takes key=value, not {pair!r}")
        try:
            parsed = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            parsed = value
        overrides.append({key: parsed})
    return overrides


def _check_yaml(text: str, where: str) -> None:
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


def _one_line(exc: Exception, where: str) -> str:
    message = str(getattr(exc, "message", None) or exc)
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith(("{", "}"))]
    # azure-ai-ml lists field errors as  "path": "x", "message": "..." : keep the essentials
    fields = [line for line in lines if line.startswith(('"path"', '"message"', '"value"'))]
    text = " ".join(fields) if fields else (lines[0] if lines else type(exc).__name__)
    return f"{where}: " + text.replace('"', "")


def load_entity(noun: str, *, file: str | None, body: str | None, cwd: Path, overrides: list[dict]) -> Any:
    import azure.ai.ml as aml

    loader = getattr(aml, LOADERS[noun])
    if file:
        path = (cwd / file).expanduser().resolve()
        if not path.is_file():
            raise NotFoundError(f"YAML file {path} does not exist: check -f/--file")
        _check_yaml(path.read_text(), path.name)
        source: Any = str(path)
        origin = None
        where = path.name
    else:
        _check_yaml(body or "", "the cell")
        source = io.StringIO(body)
        origin = str(cwd / "cell.yml")  # relative paths resolve against the notebook's folder
        where = "the cell"
    try:
        return loader(source, relative_origin=origin, params_override=overrides)
    except (FileNotFoundError, NotFoundError) as exc:
        raise NotFoundError(f"{where}: {exc}") from None
    except Exception as exc:  # azure-ai-ml's ValidationException and schema errors
        if type(exc).__name__ in ("ValidationException", "ValidationError", "UserErrorException",
                                  "MlException", "ValueError", "TypeError", "KeyError"):
            raise ValidationError(_one_line(exc, where)) from None
        raise
