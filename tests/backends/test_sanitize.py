"""The recorder's sanitizer on real-looking secrets: tokens, SAS URLs, keys, GUIDs, e-mails."""

import json

from amlmagic.backends.replay.matching import Player
from amlmagic.backends.sanitize import ZERO_GUID, Sanitizer

SUB = "6c1d3a0e-8b9f-4d5e-a7c2-3f4b5e6d7a8b"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OID = "d4b1c2a3-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1HTHFqOThWTkxvWGFGZnBKQ0JwZ0I0SmFLcyJ9."
       "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyIsInRpZCI6IjcyZjk4OGJmIn0.c2lnbmF0dXJlLXBhcnQ")
SAS = "?sv=2021-08-06&st=2026-01-05T10%3A00%3A00Z&se=2026-01-05T11%3A00%3A00Z&sr=c&sp=rcwl&skoid=" + OID + \
      "&sktid=" + TENANT + "&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg%3D%3D"
ACCOUNT_KEY = "k" * 40 + "Q" * 46 + "=="


def entry():
    scope = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
    return {
        "RequestUri": f"https://management.azure.com{scope}/datastores/workspaceblobstore/listSecrets?api-version=1",
        "RequestMethod": "POST",
        "RequestHeaders": {"Authorization": f"Bearer {JWT}", "User-Agent": "azure-ai-ml/1.35.2"},
        "RequestBody": {"expirableSecret": True},
        "StatusCode": 200,
        "ResponseHeaders": {"Content-Type": "application/json", "x-ms-request-id": "abc",
                            "Location": f"https://mystorageacct01.blob.core.windows.net/c/x{SAS}"},
        "ResponseBody": {
            "secretsType": "Sas", "sasToken": SAS, "key": ACCOUNT_KEY, "accountName": "mystorageacct01",
            "identity": {"tenantId": TENANT, "principalId": OID},
            "systemData": {"createdBy": "ada.lovelace@contoso.com", "createdByType": "User"},
            "description": f"owned by ada.lovelace@contoso.com in tenant {TENANT}, token {JWT}",
            "connection": f"DefaultEndpointsProtocol=https;AccountName=mystorageacct01;AccountKey={ACCOUNT_KEY};",
            "metric": {"key": "loss", "value": 0.5},
        },
    }


def test_secrets_and_identities_are_gone():
    clean = Sanitizer().entries([entry()])[0]
    text = json.dumps(clean)
    for secret in (JWT, "Zm9vYmFy", ACCOUNT_KEY, SUB, TENANT, OID, "ada.lovelace@contoso.com", "mystorageacct01"):
        assert secret not in text, secret
    assert "Authorization" not in clean["RequestHeaders"] and "x-ms-request-id" not in clean["ResponseHeaders"]
    assert clean["RequestUri"].startswith(f"https://management.azure.com/subscriptions/{ZERO_GUID}/resourceGroups/rg/")
    assert "sig=000000000000000000000000000000000000" in clean["ResponseBody"]["sasToken"]
    assert clean["ResponseBody"]["systemData"]["createdBy"] == "Sanitized"
    assert clean["ResponseHeaders"]["Location"].startswith("https://sanitized.blob.core.windows.net/c/x?")


def test_plain_values_survive():
    clean = Sanitizer().entries([entry()])[0]
    assert clean["ResponseBody"]["metric"] == {"key": "loss", "value": 0.5}
    assert clean["ResponseBody"]["secretsType"] == "Sas" and clean["RequestBody"] == {"expirableSecret": True}
    assert clean["RequestHeaders"]["User-Agent"] == "azure-ai-ml/1.35.2"


def test_an_id_learned_later_is_scrubbed_from_earlier_entries():
    first = {"RequestUri": "https://x/jobs/a", "RequestMethod": "GET", "StatusCode": 200,
             "ResponseBody": {"note": f"subscription {SUB}"}}
    later = {"RequestUri": f"https://x/subscriptions/{SUB}/jobs", "RequestMethod": "GET", "StatusCode": 200}
    clean = Sanitizer().entries([first, later])
    assert SUB not in json.dumps(clean)


def test_sanitized_entries_still_match_the_real_requests():
    clean = Sanitizer().entries([entry()])
    player = Player(clean)
    real = entry()
    assert player.answer("POST", real["RequestUri"].replace("api-version=1", "api-version=2"))["StatusCode"] == 200
