"""Where endpoint and deployment records live, Azure's naming rule, keys, and the poller the
`begin_*` methods return.

    registry/online_endpoints/<endpoint>.json                 {"spec", "keys", "meta"}
    registry/online_deployments/<endpoint>/<deployment>.json  {"spec", "serving", "snapshot", "status", "meta"}
    endpoints/<endpoint>/                                     the serving state dir (config, state, logs)
    endpoints/<endpoint>/deployments/<deployment>/<snapshot>/ code/, azureml-models/, setup.log
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, ValidationError
from ..store import Store

__all__ = [
    "ENDPOINTS",
    "deployments_kind",
    "endpoint_record",
    "new_key",
    "state_dir",
    "validate_endpoint_name",
]

ENDPOINTS = "online_endpoints"

# Azure's rule (azure-ai-ml's validate_endpoint_or_deployment_name): 3 to 32 characters, a letter
# first, then letters, digits and '-', ending with a letter or digit.
_NAME = re.compile(r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")


def validate_endpoint_name(name: Any, what: str = "endpoint") -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError(f"the {what} has no name: give -n/--name or name: in the YAML")
    if not 3 <= len(name) <= 32 or not _NAME.match(name):
        raise ValidationError(f"invalid {what} name {name!r}: use 3 to 32 letters, digits and '-', "
                              "starting with a letter and ending with a letter or digit")
    return name


def deployments_kind(endpoint: str) -> str:
    """The store kind holding one endpoint's deployment records."""
    return f"online_deployments/{endpoint}"


def state_dir(store: Store, endpoint: str) -> Path:
    return store.root / "endpoints" / endpoint


def endpoint_record(store: Store, name: str) -> dict:
    record = store.get(ENDPOINTS, name, f"delete the endpoint with %aml online-endpoint delete -n {name}, "
                                        "or restore the file from a backup")
    if record is None:
        raise NotFoundError(f"online endpoint {name!r} not found: list them with %aml online-endpoint list, "
                            "or create it with %aml online-endpoint create -n NAME")
    return record


def new_key() -> str:
    """An endpoint key: 32 URL-safe characters from `secrets`, like Azure's."""
    return secrets.token_urlsafe(24)
