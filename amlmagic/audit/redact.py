"""Secrets never reach the activity log: values are dropped by their key's name and by their
shape, and values this client has seen as secrets (fetched endpoint keys) by their text.

    redact({"primary_key": "k", "url": "https://a/b?sv=1&sig=abc"})
    # {"primary_key": "***", "url": "https://a/b?sv=1&sig=***"}
"""

from __future__ import annotations

import re
from typing import Any, Iterable

__all__ = ["redact", "MASK", "is_secret_key"]

MASK = "***"

# A field whose name says it holds a secret (endpoint keys, account keys, SAS tokens, passwords,
# client secrets, connection strings, credentials blocks).
_SECRET_NAME = re.compile(
    r"(^|[_\-.])(key|keys|primary_?key|secondary_?key|account_?key|secret|client_?secret|token|access_?token|"
    r"password|passwd|pwd|sas|sas_?token|signature|sig|connection_?string|credentials?|authorization)($|[_\-.])"
    r"|key$|secret|password|token$|connectionstring|sas_?token",
    re.IGNORECASE,
)

# Secret shapes inside any string.
_SHAPES = (
    re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),  # a JWT (bearer, aml_token)
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),  # an Authorization header value
    # connection strings: AccountKey=..., SharedAccessKey=..., SharedAccessSignature=..., Password=...
    re.compile(r"(?i)((?:account_?key|shared_?access_?key|shared_?access_?signature|password|pwd)\s*=\s*)[^;\s\"']+"),
    re.compile(r"(?i)([?&]sig=)[^&\s\"']+"),  # the signature of a SAS URL or query
)
# A high-entropy token: 24+ base64/url-safe characters with upper, lower and digits (endpoint
# keys, storage account keys). Hex content hashes and names (no mix of cases) are kept.
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{24,}={0,2}(?![A-Za-z0-9+/_\-])")


def is_secret_key(name: str) -> bool:
    return bool(_SECRET_NAME.search(str(name)))


def _looks_random(token: str) -> bool:
    body = token.rstrip("=")
    mixed = any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body)
    # a path segment run (ARM ids, datastore URIs) has slashes; base64 keys may too, padded with "="
    return mixed and ("/" not in body or token.endswith("="))


def _redact_text(text: str, known: Iterable[str]) -> str:
    for secret in known:
        if secret and len(secret) >= 8 and secret in text:
            text = text.replace(secret, MASK)
    for shape in _SHAPES:
        text = shape.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return _TOKEN.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), text)


def redact(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of `value` (dicts, lists, scalars) with every secret replaced by MASK; `known` are
    texts this client has seen as secrets."""
    known = tuple(known)
    if isinstance(value, dict):
        return {k: (MASK if v not in (None, "", {}, []) and is_secret_key(k) else redact(v, known))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, known) for v in value]
    if isinstance(value, str):
        return _redact_text(value, known)
    return value
