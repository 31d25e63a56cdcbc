"""The audit trail on the azure backend (the real azure-ai-ml MLClient against the fake Azure ML
REST server on 127.0.0.1): the log is the workspace's file under AMLMAGIC_HOME, who is the
signed-in principal from the token's claims, an update carries before/after (against what the
client last read or wrote: no request is added to Azure's traffic), and neither a
datastore's account key nor an endpoint's fetched keys appear in it."""

from __future__ import annotations

import base64
import json
import time

from fake_azureml import cloud_kwargs

from amlmagic.audit import azure_log_path
from amlmagic.backends import connect_azure

ACCOUNT_KEY = base64.b64encode(bytes(range(64))).decode()  # the shape of a storage account key (88 chars)


class SignedInCredential:
    """A credential whose token names a user, as Entra ID's do (unsigned: the fake does not check)."""

    def _token(self) -> str:
        def part(value: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        claims = {"aud": "https://management.azure.com", "name": "Ada Lovelace", "upn": "ada@contoso.com",
                  "oid": "1f2e3d4c-0000-4000-8000-000000000001", "exp": int(time.time()) + 3600}
        return f"{part({'alg': 'none'})}.{part(claims)}."

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken(self._token(), int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token(), int(time.time()) + 3600)


def test_azure_changes_are_logged_per_workspace_with_the_principal_and_no_secret(fake_azure, tmp_path, monkeypatch):
    from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore, ManagedOnlineEndpoint

    monkeypatch.setenv("AMLMAGIC_HOME", str(tmp_path / "home"))
    client = connect_azure(subscription_id=fake_azure.subscription, resource_group=fake_azure.resource_group,
                           workspace=fake_azure.workspace, credential=SignedInCredential(),
                           **cloud_kwargs(fake_azure.url, "AmlMagicAuditTest"))
    store = AzureBlobDatastore(name="keyed", account_name="acct0001", container_name="data",
                               credentials=AccountKeyConfiguration(account_key=ACCOUNT_KEY))
    client.datastores.create_or_update(store)
    store.description = "now with a description"
    client.datastores.create_or_update(store)
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="audit-ep", auth_mode="key")).result()
    keys = client.online_endpoints.get_keys("audit-ep")
    endpoint = client.online_endpoints.get("audit-ep")
    endpoint.description = f"call it with {keys.primary_key}"  # a careless caller
    client.online_endpoints.begin_create_or_update(endpoint).result()
    client.datastores.delete("keyed")

    path = azure_log_path(fake_azure.subscription, fake_azure.resource_group, fake_azure.workspace)
    assert client.activity.path == path and path.is_relative_to(tmp_path / "home")
    entries = list(reversed(client.activity.list()))
    assert [(e["verb"], e["kind"], e["name"]) for e in entries] == [
        # never read before: no request is added to find out (our rule), so the verb says both
        ("create_or_update", "datastore", "keyed"), ("update", "datastore", "keyed"),
        ("create_or_update", "online-endpoint", "audit-ep"),
        ("update", "online-endpoint", "audit-ep"), ("delete", "datastore", "keyed")]
    assert {e["who"] for e in entries} == {"Ada Lovelace <ada@contoso.com> (oid 1f2e3d4c-0000-4000-8000-000000000001)"}
    assert {e["backend"] for e in entries} == {"azure"}
    assert entries[1]["after"]["description"] == "now with a description" and entries[1]["before"]["description"] is None
    assert entries[3]["after"]["description"] == "call it with ***"
    keyed = [method for method, url in fake_azure.requests if "/datastores/keyed" in url.split("?")[0]]
    assert keyed[:2] == ["PUT", "PUT"]  # the audit trail read nothing of its own before the changes
    text = path.read_text()
    for secret in (ACCOUNT_KEY, keys.primary_key, keys.secondary_key):
        assert secret not in text


def test_the_principal_falls_back_to_the_system_data_the_service_returned(fake_azure, tmp_path, monkeypatch):
    from azure.ai.ml.entities import Model

    from amlmagic.backends import StaticTokenCredential  # names nobody, as replay's

    monkeypatch.setenv("AMLMAGIC_HOME", str(tmp_path / "home"))
    client = connect_azure(subscription_id=fake_azure.subscription, resource_group=fake_azure.resource_group,
                           workspace=fake_azure.workspace, credential=StaticTokenCredential(),
                           **cloud_kwargs(fake_azure.url, "AmlMagicAuditTest2"))
    client.models.create_or_update(Model(name="sys-model", version="1",
                                         path="azureml://datastores/workspaceblobstore/paths/m.txt"))
    assert [(e["verb"], e["name"], e["version"], e["who"]) for e in client.activity.list()] == [
        ("create", "sys-model", "1", "ada@example.com")]
