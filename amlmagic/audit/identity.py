"""Who made a change on Azure: the signed-in principal from the credential's token claims, else
the entity's system data as the service returned it.

    principal_from_token(token)   # "Ada Lovelace <ada@contoso.com> (oid 1f2e...)" or None
"""

from __future__ import annotations

import base64
import json
from typing import Any

__all__ = ["principal_from_token", "principal_from_entity"]


def _claims(token: str) -> dict:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return {}


def principal_from_token(token: str | None) -> str | None:
    """The principal a JWT names: its display name and sign-in name (a user) or app id (a service
    principal), with its object id; None when the token names nobody (replay's fake token)."""
    claims = _claims(token or "") if token else {}
    login = claims.get("upn") or claims.get("unique_name") or claims.get("preferred_username") or claims.get("email")
    name = claims.get("name")
    who = " ".join(p for p in (name, f"<{login}>" if login else None) if p) or (
        f"app {claims['appid']}" if claims.get("appid") else "")
    oid = claims.get("oid")
    if not who and not oid:
        return None
    return f"{who} (oid {oid})".strip() if oid else who


def principal_from_entity(entity: Any) -> str | None:
    """`system_data.last_modified_by` (else `created_by`) of an entity the service returned."""
    data = getattr(entity, "creation_context", None) or getattr(entity, "system_data", None)
    if data is None:
        return None
    return getattr(data, "last_modified_by", None) or getattr(data, "created_by", None)
