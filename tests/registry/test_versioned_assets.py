"""Data, environment and model versions in the local registry."""

import subprocess
import sys
import textwrap

import pytest

from amlmagic.errors import AlreadyExistsError, NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient


@pytest.fixture
def client(tmp_path):
    return LocalMLClient(tmp_path / "ws")


@pytest.fixture
def folder(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.csv").write_text("x,y\n1,2\n")
    return source


def _data(**kw):
    from azure.ai.ml.entities import Data

    return Data(**kw)


def test_versions_auto_increment_and_latest(client, folder):
    first = client.data.create_or_update(_data(name="d", path=str(folder), type="uri_folder"))
    second = client.data.create_or_update(_data(name="d", path=str(folder), type="uri_folder"))
    assert (first.version, second.version) == ("1", "2")
    assert client.data.get("d").version == "2"
    assert client.data.get("d", version="1").version == "1"
    assert [d.version for d in client.data.list(name="d")] == ["2", "1"]


def test_content_is_copied_so_later_edits_do_not_change_a_version(client, folder):
    client.data.create_or_update(_data(name="d", path=str(folder), type="uri_folder"))
    (folder / "a.csv").write_text("changed\n")
    assert (client.data.local_path("d", "1") / "a.csv").read_text() == "x,y\n1,2\n"


def test_an_existing_version_cannot_be_overwritten_and_nothing_changes(client, folder):
    client.data.create_or_update(_data(name="d", path=str(folder), type="uri_folder", version="7"))
    before = sorted(p.name for p in (client.root / "datastores" / "workspaceblobstore" / "LocalUpload").iterdir())
    (folder / "b.csv").write_text("new content\n")
    with pytest.raises(AlreadyExistsError, match="already exists"):
        client.data.create_or_update(_data(name="d", path=str(folder), type="uri_folder", version="7"))
    after = sorted(p.name for p in (client.root / "datastores" / "workspaceblobstore" / "LocalUpload").iterdir())
    assert before == after


@pytest.mark.parametrize("kind,path_name,message", [
    ("uri_file", "src", "needs a file"),
    ("uri_folder", "src/a.csv", "needs a folder"),
    ("mltable", "src", "no MLTable file"),
    ("bogus", "src", "is not one of"),
    ("uri_folder", "missing", "does not exist"),
])
def test_type_and_path_checks(client, folder, kind, path_name, message):
    with pytest.raises((ValidationError, NotFoundError), match=message):
        client.data.create_or_update(_data(name="d", path=str(folder.parent / path_name), type=kind))
    assert client.data.list() == []


@pytest.mark.parametrize("name", ["-bad", "bad name", "x" * 256, "a/b"])
def test_invalid_names_are_refused(client, folder, name):
    with pytest.raises(ValidationError, match="invalid data name"):
        client.data.create_or_update(_data(name=name, path=str(folder), type="uri_folder"))


def test_datastore_uris_resolve_into_registered_folders(client, tmp_path, folder):
    from amlmagic.local.operations.datastores import local_datastore

    client.datastores.create_or_update(local_datastore("lake", tmp_path))
    data = client.data.create_or_update(
        _data(name="viastore", path="azureml://datastores/lake/paths/src/a.csv", type="uri_file"))
    assert data.path == "azureml://datastores/lake/paths/src/a.csv"
    assert client.data.local_path("viastore").read_text() == "x,y\n1,2\n"
    assert {d.name for d in client.datastores.list()} >= {"workspaceblobstore", "lake"}


def test_unknown_asset_says_how_to_list(client):
    with pytest.raises(NotFoundError, match="%aml data list"):
        client.data.get("nope")


def test_environment_from_conda_dict_and_image(client):
    from azure.ai.ml.entities import Environment

    env = client.environments.create_or_update(
        Environment(name="e", image="python:3.11-slim", conda_file={"dependencies": ["python=3.11"]}))
    again = client.environments.get("e", version=env.version)
    assert (again.image, again.conda_file) == ("python:3.11-slim", {"dependencies": ["python=3.11"]})


def test_models_from_local_paths(client, folder):
    from azure.ai.ml.entities import Model

    model = client.models.create_or_update(Model(name="m", path=str(folder)))
    assert model.type == "custom_model" and model.version == "1"
    assert (client.models.local_path("m") / "a.csv").exists()


_WRITER = textwrap.dedent("""
    import sys
    from azure.ai.ml.entities import Data
    from amlmagic.local.client import LocalMLClient
    client = LocalMLClient(sys.argv[1])
    for _ in range(int(sys.argv[3])):
        client.data.create_or_update(Data(name="shared", path=sys.argv[2], type="uri_folder"))
""")


def test_concurrent_processes_get_unique_gap_free_versions(client, folder):
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(client.root), str(folder), "4"]) for _ in range(4)]
    assert [w.wait(timeout=240) for w in writers] == [0, 0, 0, 0]
    versions = sorted(int(d.version) for d in client.data.list(name="shared"))
    assert versions == list(range(1, 17))


def test_a_model_from_a_datastore_path_keeps_that_path_as_azure_does(client):
    from azure.ai.ml.entities import Model

    folder = client.root / "datastores" / "workspaceblobstore" / "models" / "m1"
    folder.mkdir(parents=True)
    (folder / "model.pkl").write_bytes(b"weights")
    uri = "azureml://datastores/workspaceblobstore/paths/models/m1/"
    model = client.models.create_or_update(Model(name="m", path=uri))
    assert client.models.get("m", "1").path == model.path == uri
    assert (client.models.local_path("m", "1") / "model.pkl").read_bytes() == b"weights"
    assert client.models.lineage("m", "1") == {} and client.models.registered_source("m", "1") is None
