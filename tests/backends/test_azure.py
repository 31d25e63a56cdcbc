"""connect_azure / connect_replay: arguments, config files, credentials, backend name; and
explain_azure_error on errors that do not come from a recording."""

import json

import pytest
from conftest import OWN_RECORDINGS
from fake_azureml import cloud_kwargs

from amlmagic.backends import StaticTokenCredential, backend_name, connect_azure, connect_replay, explain_azure_error
from amlmagic.backends.azure import _device_code_prompt
from amlmagic.errors import BackendError, UsageError


def test_partial_workspace_ids_are_a_usage_error():
    with pytest.raises(UsageError, match="--config PATH"):
        connect_azure(subscription_id="s", credential=StaticTokenCredential())


def test_config_file_builds_the_client(tmp_path, fake_azure):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"subscription_id": fake_azure.subscription, "resource_group": fake_azure.resource_group,
                                  "workspace_name": fake_azure.workspace}))
    client = connect_azure(config_path=config, credential=StaticTokenCredential(),
                           **cloud_kwargs(fake_azure.url, "AmlMagicConfigTest"))
    assert (client.subscription_id, client.resource_group_name, client.workspace_name) == (
        fake_azure.subscription, fake_azure.resource_group, fake_azure.workspace)
    assert backend_name(client) == "azure"
    assert client.datastores.get_default().name == "workspaceblobstore"


def test_missing_config_file_is_one_line(tmp_path):
    with pytest.raises(UsageError, match="config.json") as info:
        connect_azure(config_path=tmp_path / "nope.json", credential=StaticTokenCredential())
    assert "\n" not in str(info.value)


def test_device_code_prompt_shows_code_and_url():
    shown = []
    _device_code_prompt(shown.append)("https://microsoft.com/devicelogin", "ABCD-1234", "2026-01-05 10:15")
    assert shown == ["To sign in to Azure, open https://microsoft.com/devicelogin and enter the code ABCD-1234 "
                     "(it expires at 2026-01-05 10:15)."]


def test_replay_takes_the_workspace_from_the_recording():
    client = connect_replay([OWN_RECORDINGS / "compute_list_show.json"])
    assert (client.resource_group_name, client.workspace_name) == ("rg-demo", "ws-demo")
    assert backend_name(client) == "replay"


def test_replay_of_a_bad_file_is_a_backend_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"entries": []}')
    with pytest.raises(BackendError, match="no 'Entries' list"):
        connect_replay([bad])
    with pytest.raises(BackendError, match="does not exist"):
        connect_replay([tmp_path / "missing.json"])


def test_explain_errors_without_http_response():
    from azure.core.exceptions import ClientAuthenticationError

    assert explain_azure_error(ClientAuthenticationError("No credential\nmore text")) == (
        "ClientAuthenticationError: No credential")
    assert explain_azure_error(ValueError("plain")) == "plain"
