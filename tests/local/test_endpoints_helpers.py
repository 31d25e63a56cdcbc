"""The helpers under amlmagic/local/endpoints/: names and keys, the model layout and snapshots,
what a deployment's model field resolves to, and the traffic rule."""

from __future__ import annotations

import os

import pytest

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.endpoints.layout import layout_model, new_snapshot, prune_snapshots, snapshot_code
from amlmagic.local.endpoints.records import new_key, validate_endpoint_name
from amlmagic.local.endpoints.runtime import check_traffic
from amlmagic.local.endpoints.sources import resolve_code, resolve_model
from amlmagic.local.pollers import CompletedPoller


@pytest.mark.parametrize("name", ["abc", "my-endpoint-1", "A" + "b" * 31])
def test_valid_endpoint_names(name):
    assert validate_endpoint_name(name) == name


@pytest.mark.parametrize("name", ["ab", "a" * 33, "1abc", "abc-", "ab_c", "ab.c", "", None])
def test_invalid_endpoint_names(name):
    with pytest.raises(ValidationError):
        validate_endpoint_name(name, "deployment")


def test_keys_are_long_and_distinct():
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50 and all(len(k) == 32 for k in keys)


def test_poller_keeps_the_error_for_result():
    assert CompletedPoller(3).result() == 3 and CompletedPoller(3).status() == "Succeeded"
    failed = CompletedPoller(3, ValueError("init raised"))
    assert failed.done() and failed.status() == "Failed"
    with pytest.raises(ValueError, match="init raised"):
        failed.result()


def test_model_dir_is_laid_out_as_azure_mounts_it(tmp_path):
    (tmp_path / "src" / "model" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "model" / "sub" / "w.bin").write_bytes(b"weights")
    (tmp_path / "src" / "single.pkl").write_bytes(b"pickle")
    snap = tmp_path / "snap"
    folder_dir = layout_model(tmp_path / "src" / "model", snap, "net", "3", link=True)
    assert folder_dir == snap / "azureml-models" / "net" / "3"
    linked = folder_dir / "model" / "sub" / "w.bin"
    assert linked.read_bytes() == b"weights"
    assert os.stat(linked).st_ino == os.stat(tmp_path / "src" / "model" / "sub" / "w.bin").st_ino
    file_dir = layout_model(tmp_path / "src" / "single.pkl", snap, "pkl", "1")
    copied = file_dir / "single.pkl"
    assert copied.read_bytes() == b"pickle"
    assert os.stat(copied).st_ino != os.stat(tmp_path / "src" / "single.pkl").st_ino  # inline: a real copy


def test_code_snapshot_is_a_copy_and_old_snapshots_are_pruned(tmp_path):
    client = LocalMLClient(tmp_path / "ws")
    store = client.workspace.store
    code = tmp_path / "code"
    (code / "__pycache__").mkdir(parents=True)
    (code / "score.py").write_text("v1")
    (code / "__pycache__" / "score.pyc").write_bytes(b"x")
    first = new_snapshot(store, "ep", "blue")
    second = new_snapshot(store, "ep", "blue")
    assert first != second and sorted([first.name, second.name]) == [first.name, second.name]
    copy = snapshot_code(code, second)
    (code / "score.py").write_text("v2")
    assert (copy / "score.py").read_text() == "v1" and not (copy / "__pycache__").exists()
    prune_snapshots(store, "ep", "blue", second)
    assert not first.exists() and second.exists()
    prune_snapshots(store, "ep", "blue", None)
    assert not second.parent.exists()


def test_model_references_resolve_to_registered_versions(tmp_path):
    from azure.ai.ml.entities import Model

    client = LocalMLClient(tmp_path / "ws")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "f.txt").write_text("1")
    client.models.create_or_update(Model(name="net", path=str(tmp_path / "model")))
    for text in ("azureml:net:1", "net:1", "net@latest", "azureml:net@latest", "net"):
        source = resolve_model(client, text, tmp_path)
        assert (source.name, source.version, source.reference) == ("net", "1", "azureml:net:1")
        assert source.path.name == "model" and (source.path / "f.txt").is_file()
    assert resolve_model(client, Model(name="net", version="1"), tmp_path).reference == "azureml:net:1"
    inline = resolve_model(client, Model(path=str(tmp_path / "model")), tmp_path)
    assert inline.reference is None and inline.version == "1" and inline.path == (tmp_path / "model")
    assert resolve_model(client, None, tmp_path) is None
    with pytest.raises(NotFoundError, match="net"):
        resolve_model(client, "azureml:net:9", tmp_path)
    with pytest.raises(NotFoundError, match="registry"):
        resolve_model(client, "azureml://registries/azureml/models/net/versions/1", tmp_path)
    with pytest.raises(NotFoundError, match="does not exist"):
        resolve_model(client, Model(name="anon", path="./nowhere"), tmp_path)


def test_code_configuration_resolves_relative_to_the_yaml_folder(tmp_path):
    from azure.ai.ml.entities import CodeConfiguration

    client = LocalMLClient(tmp_path / "ws")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("")
    folder, script = resolve_code(client.workspace.store, CodeConfiguration(code="src", scoring_script="score.py"),
                                  tmp_path)
    assert (folder, script) == (tmp_path / "src", "score.py")
    assert resolve_code(client.workspace.store, None, tmp_path) == (None, None)
    with pytest.raises(ValidationError, match="registered code"):
        resolve_code(client.workspace.store, CodeConfiguration(code="azureml:code:1", scoring_script="s.py"), tmp_path)
    with pytest.raises(ValidationError, match="scoring_script"):
        resolve_code(client.workspace.store, {"code": "src"}, tmp_path)


def test_traffic_rule():
    deployments = {"blue": {}, "green": {}}
    assert check_traffic("ep", {"blue": 90, "green": 10}, deployments) == {"blue": 90, "green": 10}
    assert check_traffic("ep", {"blue": 0, "green": 0}, deployments) == {"blue": 0, "green": 0}
    for traffic, match in [({"blue": 90}, "sum to 100"), ({"red": 100}, "red"), ({"blue": 100.5}, "whole"),
                           ({"blue": True}, "whole"), ({"blue": 101, "green": -1}, "whole")]:
        with pytest.raises(ValidationError, match=match):
            check_traffic("ep", traffic, deployments)
