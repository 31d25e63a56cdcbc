"""An endpoint's server config: its schema, validation, and the files under the state dir.

The caller owns the state dir (e.g. `.amlmagic/endpoints/<name>/`); in it live

    config.json        what the server should serve (written by `write_config`)
    state.json         what the server is serving (written by the server process)
    server.log         the server process's own stdout/stderr
    logs/<dep>.log     one log per deployment: its workers' stdout/stderr plus server events
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.osutil import write_bytes_atomic
from amlmagic.rules import MODEL_TYPES

__all__ = [
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "EndpointPaths",
    "MAX_MIRROR_PERCENT",
    "MAX_REQUEST_TIMEOUT_MS",
    "check_request_timeout",
    "config_digest",
    "normalize_config",
    "read_config",
    "write_config",
]

# Azure ML caps mirrored traffic at 50% of live traffic.
MAX_MIRROR_PERCENT = 50
# What a local deployment serves: Azure ML's model types but Triton's, which needs its own server.
SERVED_MODEL_TYPES = tuple(t for t in MODEL_TYPES if t != "triton_model")
# Azure's default scoring timeout when request_settings.request_timeout_ms is not set
# (azure.ai.ml.entities.OnlineRequestSettings: "request_timeout_ms: defaults to 5000").
DEFAULT_REQUEST_TIMEOUT_MS = 5000
# Azure's limit (managed online deployment YAML reference: "the maximum value allowed is
# 180000 milliseconds"); azure-ai-ml's schema only checks for an integer.
MAX_REQUEST_TIMEOUT_MS = 180_000


@dataclass(frozen=True)
class EndpointPaths:
    """The files of one endpoint's state dir."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def server_log(self) -> Path:
        return self.root / "server.log"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    def deployment_log(self, deployment: str) -> Path:
        return self.root / "logs" / f"{deployment}.log"


def config_digest(raw: bytes) -> str:
    """Identifies one version of config.json: the server reports the digest it applied, so a
    caller knows when its write has taken effect."""
    return hashlib.sha256(raw).hexdigest()[:16]


def _percentages(config: dict, key: str) -> dict[str, int]:
    value = config.get(key) or {}
    if not isinstance(value, dict):
        raise ValidationError(f"{key} must be a mapping of deployment name to percent, got {value!r}.")
    out = {}
    for name, pct in value.items():
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or pct != int(pct) or not 0 <= pct <= 100:
            raise ValidationError(f"{key}.{name} must be a whole percent between 0 and 100, got {pct!r}.")
        if name not in config["deployments"]:
            raise ValidationError(f"{key} names deployment '{name}', which the endpoint does not have: "
                                  f"create it first or remove it from {key}.")
        out[name] = int(pct)
    return out


def check_request_timeout(value, field: str = "request_settings.request_timeout_ms") -> int:
    """The scoring timeout in ms: None gives Azure's default; else a whole number of ms from 1 to
    Azure's maximum. Raises ValidationError naming `field`."""
    if value is None:
        return DEFAULT_REQUEST_TIMEOUT_MS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REQUEST_TIMEOUT_MS:
        raise ValidationError(f"{field} must be a whole number of milliseconds from 1 to {MAX_REQUEST_TIMEOUT_MS} "
                              f"(Azure's maximum), got {value!r}; leave it out for the default "
                              f"{DEFAULT_REQUEST_TIMEOUT_MS}.")
    return value


def _collection(name: str, value) -> dict | None:
    """Data collection: `{source, roots: {collection: folder}, sampling_rate, rolling_rate,
    capture_headers, model_name, model_version}` (built by the online deployments' operations
    from `data_collector`), or None when nothing is collected."""
    if not value:
        return None
    roots = value.get("roots") if isinstance(value, dict) else None
    if not isinstance(roots, dict) or not roots or not all(isinstance(r, str) for r in roots.values()):
        raise ValidationError(f"deployments.{name}.collection.roots must map each collection to a folder.")
    rate = value.get("sampling_rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValidationError(f"deployments.{name}.collection.sampling_rate must be from 0.0 to 1.0, got {rate!r}.")
    return {"source": str(value.get("source") or name), "roots": {k: str(Path(v).resolve()) for k, v in roots.items()},
            "sampling_rate": float(rate), "rolling_rate": value.get("rolling_rate") or "hour",
            "capture_headers": list(value.get("capture_headers") or []),
            "model_name": value.get("model_name"), "model_version": value.get("model_version")}


def _deployment(name: str, spec: dict) -> dict:
    if not isinstance(spec, dict):
        raise ValidationError(f"deployments.{name} must be a mapping, got {spec!r}.")
    model_type = spec.get("model_type") or "custom_model"
    if model_type not in SERVED_MODEL_TYPES:
        raise ValidationError(f"deployments.{name}.model_type must be one of {', '.join(SERVED_MODEL_TYPES)}, "
                              f"got {model_type!r}.")
    count = spec.get("instance_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValidationError(f"deployments.{name}.instance_count must be a whole number >= 1, got {count!r}.")
    out = {
        "code_dir": spec.get("code_dir"),
        "scoring_script": spec.get("scoring_script"),
        "model_dir": spec.get("model_dir"),
        "model_type": model_type,
        "instance_count": count,
        "python": spec.get("python") or sys.executable,
        "environment_variables": {str(k): str(v) for k, v in (spec.get("environment_variables") or {}).items()},
        "request_timeout_ms": check_request_timeout(spec.get("request_timeout_ms"),
                                                    f"deployments.{name}.request_timeout_ms"),
    }
    out["collection"] = _collection(name, spec.get("collection"))
    if model_type == "custom_model" and not out["scoring_script"]:
        raise ValidationError(f"deployments.{name} is a custom_model deployment without a scoring script: "
                              "set code_configuration.scoring_script.")
    if model_type == "mlflow_model" and not out["model_dir"]:
        raise ValidationError(f"deployments.{name} is an mlflow_model deployment without a model: set model.")
    for key in ("code_dir", "model_dir"):
        if out[key] is not None:
            out[key] = str(Path(out[key]).resolve())
    return out


def normalize_config(config: dict) -> dict:
    """Validate `config` and fill defaults. Raises ValidationError naming the bad field."""
    if not isinstance(config, dict):
        raise ValidationError("The endpoint config must be a mapping.")
    name = config.get("endpoint")
    if not isinstance(name, str) or not name:
        raise ValidationError("endpoint must be the endpoint's name.")
    keys = config.get("keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise ValidationError("keys must be a list of non-empty strings (primary, secondary).")
    auth_mode = config.get("auth_mode") or "key"
    if auth_mode not in ("key", "aml_token"):
        raise ValidationError(f"auth_mode must be key or aml_token, got {auth_mode!r}.")
    deployments = config.get("deployments") or {}
    if not isinstance(deployments, dict):
        raise ValidationError("deployments must be a mapping of name to deployment.")
    out = {"endpoint": name, "keys": keys, "auth_mode": auth_mode,
           "deployments": {d: _deployment(d, spec) for d, spec in deployments.items()}}
    traffic = _percentages(out | {"traffic": config.get("traffic")}, "traffic")
    # Azure's rule: live traffic sums to 100, or is all 0 (then scoring answers 404).
    if traffic and sum(traffic.values()) not in (0, 100):
        raise ValidationError(f"traffic must sum to 100 (or all be 0), got {sum(traffic.values())}: {traffic}.")
    mirror = _percentages(out | {"mirror_traffic": config.get("mirror_traffic")}, "mirror_traffic")
    for dep, pct in mirror.items():
        if pct > MAX_MIRROR_PERCENT:
            raise ValidationError(f"mirror_traffic.{dep} is {pct}%: Azure ML mirrors at most "
                                  f"{MAX_MIRROR_PERCENT}% of traffic.")
        # Azure's rule: a deployment receives live traffic or mirrored traffic, not both.
        if pct and traffic.get(dep):
            raise ValidationError(f"Deployment '{dep}' has both live and mirror traffic: set one of them to 0.")
    out["traffic"] = traffic
    out["mirror_traffic"] = mirror
    return out


def write_config(state_dir: Path, config: dict) -> None:
    """Validate and atomically write the config the server serves (applied by start/reload)."""
    normalized = normalize_config(config)
    data = json.dumps(normalized, indent=2, sort_keys=True).encode()
    write_bytes_atomic(EndpointPaths(Path(state_dir)).config, data)


def read_config(paths: EndpointPaths) -> tuple[dict, str]:
    """The config and its digest."""
    try:
        raw = paths.config.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"No endpoint config in {paths.root}: call write_config first.") from None
    try:
        config = json.loads(raw)
    except ValueError as ex:
        raise ValidationError(f"{paths.config} is not valid JSON ({ex}): write it with write_config.") from None
    return normalize_config(config), config_digest(raw)
