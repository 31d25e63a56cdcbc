"""Secrets are masked by their field's name, by their shape inside any text, and by value once
known; content hashes, names and resource ids stay readable."""

from __future__ import annotations

import base64
import secrets

from amlmagic.audit import MASK, redact


def test_fields_named_as_secrets_are_masked_at_any_depth():
    data = {"credentials": {"account_key": "abc"}, "primary_key": "k1", "secondaryKey": "k2",
            "environment_variables": {"API_TOKEN": "t", "DB_PASSWORD": "p", "MODE": "fast"},
            "connection_string": "x", "sas_token": "?sv=1", "client_secret": "s", "name": "ep"}
    out = redact(data)
    assert out["credentials"] == MASK and out["primary_key"] == MASK and out["secondaryKey"] == MASK
    assert out["environment_variables"] == {"API_TOKEN": MASK, "DB_PASSWORD": MASK, "MODE": "fast"}
    assert out["connection_string"] == MASK and out["sas_token"] == MASK and out["client_secret"] == MASK
    assert out["name"] == "ep"


def test_secret_shapes_inside_text_are_masked():
    account_key = base64.b64encode(secrets.token_bytes(64)).decode()
    endpoint_key = secrets.token_urlsafe(24)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEiLCJleHAiOjF9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = (f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={account_key};EndpointSuffix=core "
            f"url https://acct.blob.core.windows.net/c/f.csv?sv=2022-11-02&sp=r&sig=AbC%2Bdef%3D "
            f"header Authorization: Bearer {jwt} key {endpoint_key} jwt {jwt}")
    out = redact({"note": text})["note"]
    for secret in (account_key, endpoint_key, jwt, "AbC%2Bdef%3D"):
        assert secret not in out
    assert "AccountName=acct" in out and "sv=2022-11-02&sp=r&sig=***" in out


def test_known_values_are_masked_whatever_their_shape():
    assert redact(["call with pk-0123456789abcdef"], known=["pk-0123456789abcdef"]) == ["call with ***"]


def test_hashes_names_and_resource_ids_stay():
    kept = ["a" * 64, "3f" * 32, "calm_rabbit_t8k2lq9x4f", "sweep-trial-000123-model",
            "/subscriptions/0000/resourceGroups/Rg1/providers/Microsoft.MachineLearningServices/workspaces/Ws1/models/M/versions/3",
            "azureml://datastores/workspaceblobstore/paths/LocalUpload/AbC123dEf456GhI789jKl/model.pkl"]
    assert redact(kept) == kept
