"""Production data collection: the `data_collector` section of an online deployment.

Azure ML's rules (how-to-collect-production-data; azure-ai-ml's DataCollector schema and
OnlineDeploymentOperations._register_collection_data_assets):
- `collections` maps a name to `{enabled: 'true'|'false', data?, client_id?}`. `request` and
  `response` are reserved for payload logging (the server logs the HTTP payloads); every other
  name is a custom collection, logged by the scoring script with `azureml.ai.monitoring.Collector`.
  An MLflow model deployed without a scoring script is auto-instrumented: its `model_inputs` and
  `model_outputs` are logged without code.
- `sampling_rate` (0.0-1.0, default 1.0) applies to every collection; `rolling_rate` (minute, hour,
  day; default hour) is how the blob path rolls; `request_logging.capture_headers` adds request
  headers to payload logging.
- Data lands under `azureml://datastores/workspaceblobstore/paths/modelDataCollector`
  `/{endpoint}/{deployment}/{collection}/{yyyy}/{MM}/{dd}/{HH}/{instance}.jsonl` (or the
  collection's `data.path`), registered as data asset `{endpoint}-{deployment}-{collection}`
  version 1 unless `data` names another.

Pure functions: nothing here imports azure-ai-ml or touches the disk.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ValidationError

__all__ = [
    "DEFAULT_COLLECTION_ROOT", "DEFAULT_ROLLING_RATE", "MLFLOW_AUTO_COLLECTIONS", "PAYLOAD_COLLECTIONS",
    "ROLLING_RATES", "collection_data_asset", "data_collector_spec", "enabled_collections", "rolled_folder",
]

PAYLOAD_COLLECTIONS = ("request", "response")
MLFLOW_AUTO_COLLECTIONS = ("model_inputs", "model_outputs")
ROLLING_RATES = ("minute", "hour", "day")
DEFAULT_ROLLING_RATE = "hour"
DEFAULT_COLLECTION_ROOT = "azureml://datastores/workspaceblobstore/paths/modelDataCollector"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")  # a blob path segment
_FIELD = "data_collector"


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _enabled(value: Any, field: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    raise ValidationError(f"{field} must be 'True' or 'False' (quoted, as Azure's schema wants), got {value!r}")


def _data(value: Any, field: str) -> str | dict | None:
    if value is None or isinstance(value, str):
        return value
    out = {}
    for key in ("name", "path", "version", "data_id"):
        item = _get(value, key)
        if item is not None:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise ValidationError(f"{field}.{key} must be a string, got {item!r}")
            out[key] = str(item)
    if not out:
        raise ValidationError(f"{field} must be a data asset id or a mapping with name, path and version")
    return out


def _collection(name: Any, value: Any) -> dict:
    field = f"{_FIELD}.collections.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(f"{_FIELD}.collections has the name {name!r}: use letters, digits, '_', '-' "
                              "or '.' (it becomes a folder of the blob path), e.g. model_inputs")
    if value is None:
        raise ValidationError(f"{field} is empty: give it enabled: 'True' or 'False'")
    enabled = _get(value, "enabled")
    if enabled is None:
        raise ValidationError(f"{field}.enabled is required: 'True' or 'False'")
    out: dict[str, Any] = {"enabled": _enabled(enabled, f"{field}.enabled")}
    data = _data(_get(value, "data"), f"{field}.data")
    if data is not None:
        out["data"] = data
    client_id = _get(value, "client_id")
    if client_id is not None:
        out["client_id"] = str(client_id)
    return out


def data_collector_spec(value: Any) -> dict | None:
    """The `data_collector` section (a DataCollector entity or its YAML dict) checked and as YAML
    holds it; None when absent. Raises ValidationError naming the field."""
    if value is None:
        return None
    collections = _get(value, "collections")
    if not collections:
        raise ValidationError(f"{_FIELD}.collections is required: e.g. collections: {{model_inputs: "
                              "{enabled: 'True'}, model_outputs: {enabled: 'True'}}")
    if not isinstance(collections, dict):
        raise ValidationError(f"{_FIELD}.collections must be a mapping of collection name to "
                              f"{{enabled: 'True'}}, got {collections!r}")
    spec: dict[str, Any] = {"collections": {name: _collection(name, c) for name, c in collections.items()}}
    rolling = _get(value, "rolling_rate")
    if rolling is not None:
        if not isinstance(rolling, str) or rolling.lower() not in ROLLING_RATES:
            raise ValidationError(f"{_FIELD}.rolling_rate must be one of {', '.join(ROLLING_RATES)}, got {rolling!r}")
        spec["rolling_rate"] = rolling.lower()
    rate = _get(value, "sampling_rate")
    if rate is not None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise ValidationError(f"{_FIELD}.sampling_rate must be a number from 0.0 to 1.0 (the share of "
                                  f"requests collected), got {rate!r}")
        spec["sampling_rate"] = float(rate)
    logging = _get(value, "request_logging")
    if logging is not None:
        headers = _get(logging, "capture_headers")
        if headers is not None and (not isinstance(headers, (list, tuple))
                                    or not all(isinstance(h, str) and h for h in headers)):
            raise ValidationError(f"{_FIELD}.request_logging.capture_headers must be a list of header names, "
                                  f"got {headers!r}")
        spec["request_logging"] = {"capture_headers": list(headers or [])}
    return spec


def enabled_collections(spec: dict | None) -> list[str]:
    """The names of the enabled collections."""
    if not spec:
        return []
    return [name for name, c in spec["collections"].items() if c["enabled"] == "true"]


def collection_data_asset(endpoint: str, deployment: str, collection: str, data: Any) -> tuple[str, str, str]:
    """(name, version, path) of the data asset a collection registers, as azure-ai-ml does on
    create: `{endpoint}-{deployment}-{collection}` version 1 under modelDataCollector, unless the
    collection's `data` gives its own name, version or path."""
    name, version = f"{endpoint}-{deployment}-{collection}", "1"
    path = f"{DEFAULT_COLLECTION_ROOT}/{endpoint}/{deployment}/{collection}"
    if isinstance(data, dict):
        name, version, path = data.get("name") or name, data.get("version") or version, data.get("path") or path
    return name, version, path


def rolled_folder(rolling_rate: str, utc: tuple) -> str:
    """The folder under a collection for a UTC time tuple (time.gmtime): yyyy/MM/dd[/HH[/mm]]."""
    parts = [f"{utc[0]:04d}", f"{utc[1]:02d}", f"{utc[2]:02d}"]
    if rolling_rate in ("hour", "minute"):
        parts.append(f"{utc[3]:02d}")
    if rolling_rate == "minute":
        parts.append(f"{utc[4]:02d}")
    return "/".join(parts)
