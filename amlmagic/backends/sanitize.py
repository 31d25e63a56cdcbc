"""Scrub secrets and identities out of recorded traffic before it is written.

What goes: bearer tokens and JWTs, keys and passwords in JSON bodies, SAS signatures and their
signed ids, subscription / tenant / object ids, storage account names, e-mail addresses, the
user names in systemData, the random name of a code-hash lookup. Replacements follow the Azure SDK's sanitizers, so that replay's
matching treats them as "any value": all-zero GUIDs, zeroed signatures, "Sanitized".

An identifier found in one place (say the subscription in a URI) is replaced everywhere it
appears in the recording, bodies and headers included.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Sanitizer", "ZERO_GUID", "SANITIZED"]

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
SANITIZED = "Sanitized"
ZERO_SIG = "0" * 36

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic|sharedkey)\s+[A-Za-z0-9._~+/=:-]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SAS_SIG = re.compile(r"(?i)([?&](?:amp;)?sig=)[^&\s\"']+")
_SAS_OTHER = re.compile(r"(?i)([?&](?:amp;)?(?:sv|se|st|skoid|sktid|skt|ske|sks|skv|sip)=)[^&\s\"']+")
_SUBSCRIPTION = re.compile(rf"(?i)(/subscriptions/)({_GUID})")
_STORAGE_HOST = re.compile(r"(?i)\b([a-z0-9]{3,24})\.(blob|dfs|file|queue|table)\.core\.windows\.net")
_ACCOUNT_KEY = re.compile(r"(?i)(AccountKey=)[^;\"'\s]+")
_BASE64_KEY = re.compile(r"\b[A-Za-z0-9+/]{86}==")
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
# Our rule: azure-ai-ml looks an uploaded folder up by content hash under a fresh random name
# (uuid4) each run; the name identifies nothing, so it is zeroed and replay matches any name there.
_CODE_HASH_LOOKUP = re.compile(rf"(?i)(/codes/)({_GUID})(/versions\?[^\s\"']*?\bhash=)")

# JSON fields whose value is a secret (lowercased names).
_SECRET_FIELDS = {
    "primarykey", "secondarykey", "key1", "key2", "accountkey", "password", "secret",
    "clientsecret", "accesstoken", "token", "refreshtoken", "connectionstring", "sastoken_value",
    "primaryconnectionstring", "secondaryconnectionstring", "apikey", "api_key", "authorization",
}
# JSON fields whose value is an identity to replace everywhere.
_ID_FIELDS = {"subscriptionid", "tenantid", "objectid", "principalid", "clientid", "oid", "tid", "applicationid"}
_PERSON_FIELDS = {"createdby", "lastmodifiedby", "username", "upn", "useremail", "owner"}
_ACCOUNT_FIELDS = {"accountname", "storageaccountname"}

_DROP_REQUEST_HEADERS = {
    "authorization", "cookie", "x-ms-authorization-auxiliary", "ocp-apim-subscription-key",
    "x-ms-copy-source-authorization", "content-length", "connection", "accept-encoding",
    "x-ms-client-request-id", "x-ms-date", "traceparent", "proxy-authorization",
}
_DROP_RESPONSE_HEADERS = {
    "set-cookie", "date", "x-ms-request-id", "x-ms-correlation-request-id", "x-ms-routing-request-id",
    "request-context", "strict-transport-security", "x-content-type-options", "x-cache", "x-msedge-ref",
    "x-request-time", "x-aml-cluster", "azureml-served-by-cluster", "content-encoding", "transfer-encoding",
    "connection", "vary", "server", "x-ms-client-request-id", "x-ms-ratelimit-remaining-subscription-reads",
    "x-ms-ratelimit-remaining-subscription-writes", "x-ms-response-type", "x-ms-operation-identifier",
}
# Diagnostics that change on every answer (rate-limit counters): dropped, so that identical polls
# are identical once sanitized and the recorder can collapse them.
_DROP_RESPONSE_PREFIXES = ("x-ms-ratelimit-",)


class Sanitizer:
    """Collects identities while walking the entries, then replaces them everywhere."""

    def __init__(self):
        self.replacements: dict[str, str] = {}

    # -- collecting -------------------------------------------------------------------------
    def _learn(self, value: str, replacement: str) -> None:
        if value and value not in (ZERO_GUID, SANITIZED) and len(value) >= 3:
            self.replacements.setdefault(value, replacement)

    def learn_from_text(self, text: str) -> None:
        for match in _SUBSCRIPTION.finditer(text):
            self._learn(match.group(2), ZERO_GUID)
        for match in _STORAGE_HOST.finditer(text):
            self._learn(match.group(1), SANITIZED.lower())

    def learn_from_json(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                lowered = key.lower()
                if isinstance(item, str):
                    if lowered in _ID_FIELDS and re.fullmatch(_GUID, item):
                        self._learn(item, ZERO_GUID)
                    elif lowered in _ACCOUNT_FIELDS:
                        self._learn(item, SANITIZED.lower())
                    else:
                        self.learn_from_text(item)
                else:
                    self.learn_from_json(item)
        elif isinstance(value, list):
            for item in value:
                self.learn_from_json(item)
        elif isinstance(value, str):
            self.learn_from_text(value)

    def learn(self, entry: dict) -> None:
        self.learn_from_text(entry.get("RequestUri", ""))
        for part in ("RequestHeaders", "ResponseHeaders"):
            for item in (entry.get(part) or {}).values():
                self.learn_from_text(str(item))
        self.learn_from_json(entry.get("RequestBody"))
        self.learn_from_json(entry.get("ResponseBody"))

    # -- replacing --------------------------------------------------------------------------
    def text(self, text: str) -> str:
        text = _JWT.sub(SANITIZED, text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {SANITIZED}", text)
        text = _SAS_SIG.sub(lambda m: m.group(1) + ZERO_SIG, text)
        text = _SAS_OTHER.sub(lambda m: m.group(1) + SANITIZED, text)
        text = _ACCOUNT_KEY.sub(lambda m: m.group(1) + SANITIZED, text)
        text = _BASE64_KEY.sub(SANITIZED, text)
        text = _EMAIL.sub(SANITIZED, text)
        for value, replacement in sorted(self.replacements.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"(?i)(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", replacement, text)
        return text

    def json(self, value: Any, field: str = "") -> Any:
        if isinstance(value, dict):
            return {key: self.json(item, key.lower()) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item, field) for item in value]
        if isinstance(value, str):
            if field in _SECRET_FIELDS and value:
                return SANITIZED
            # "key" is also a plain name (MLflow metric keys): scrub it only when it looks secret.
            if field == "key" and _SECRET_LOOKING.fullmatch(value):
                return SANITIZED
            if field in _PERSON_FIELDS and value:
                return SANITIZED
            return self.text(value)
        return value

    def headers(self, headers: dict, dropped: set[str], dropped_prefixes: tuple[str, ...] = ()) -> dict:
        return {k: self.text(str(v)) for k, v in (headers or {}).items()
                if k.lower() not in dropped and not k.lower().startswith(dropped_prefixes)}

    def entry(self, entry: dict) -> dict:
        clean = dict(entry)
        clean["RequestUri"] = _CODE_HASH_LOOKUP.sub(lambda m: m.group(1) + ZERO_GUID + m.group(3),
                                                    self.text(entry["RequestUri"]))
        clean["RequestHeaders"] = self.headers(entry.get("RequestHeaders"), _DROP_REQUEST_HEADERS)
        clean["ResponseHeaders"] = self.headers(entry.get("ResponseHeaders"), _DROP_RESPONSE_HEADERS,
                                               _DROP_RESPONSE_PREFIXES)
        for part in ("RequestBody", "ResponseBody"):
            if entry.get("ResponseBodyEncoding") == "base64" and part == "ResponseBody":
                continue
            clean[part] = self.json(entry.get(part))
        return clean

    def entries(self, entries: list[dict]) -> list[dict]:
        for entry in entries:
            self.learn(entry)
        return [self.entry(e) for e in entries]
