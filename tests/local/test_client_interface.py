"""LocalMLClient is an AmlClient (amlmagic/client.py): every group and extra is there, and each
extra keeps its contract on a real workspace (real jobs in real subprocesses)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from amlmagic import client as interface
from amlmagic.errors import NotFoundError
from amlmagic.local.client import LocalMLClient

CURATED = "environment: azureml:AzureML-sklearn-1.5@latest\n"


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return LocalMLClient(tmp_path / ".amlmagic")


def submit(client, folder: Path, yaml_text: str, files: dict[str, str]):
    from azure.ai.ml import load_job

    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in {"job.yml": textwrap.dedent(yaml_text) + CURATED, **files}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(textwrap.dedent(text))
    return client.jobs.create_or_update(load_job(folder / "job.yml"))


def test_compute_get_default_follows_use(client):
    from azure.ai.ml.entities import AmlCompute

    assert client.compute.get_default() == "local"
    client.compute.begin_create_or_update(AmlCompute(name="pool", max_instances=2)).result()
    client.compute.use("pool")
    assert LocalMLClient(client.root).compute.get_default() == "pool"
    client.compute.begin_delete("pool").result()
    assert client.compute.get_default() == "local"


def test_job_extras_metrics_reader_code_source_wait_read_log(client, tmp_path):
    job = submit(client, tmp_path / "project", """\
        command: python train.py
        code: ./src
        """, {"src/train.py": """\
        import mlflow
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        print("trained")
        """})
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Completed", client.jobs.read_log(job.name)[0]
    text, offset = client.jobs.read_log(job.name)
    assert "trained" in text and client.jobs.read_log(job.name, offset) == ("", offset)

    reader = client.jobs.metrics_reader(job.name)
    assert isinstance(reader, interface.MetricsReader)
    points = reader.read_new()
    assert [(step, value) for step, _, value in points["loss"]] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]
    assert reader.read_new() == {}  # incremental: nothing new since the last read

    assert client.jobs.code_source(job.name) == (tmp_path / "project" / "src").resolve()
    assert job.code != str((tmp_path / "project" / "src").resolve())  # the entity names the snapshot
    import shutil

    shutil.rmtree(tmp_path / "project" / "src")
    assert client.jobs.code_source(job.name) is None  # gone: nothing local is known any more

    for extra in (client.jobs.metrics_reader, client.jobs.code_source, client.jobs.read_log):
        with pytest.raises(NotFoundError, match="not found"):
            extra("no-such-job")


def test_datastores_local_path_names_files_of_this_workspace_only(client, tmp_path):
    from amlmagic.local.operations.datastores import local_datastore

    lake = tmp_path / "lake"
    (lake / "raw").mkdir(parents=True)
    (lake / "raw" / "a.csv").write_text("x\n1\n")
    client.datastores.create_or_update(local_datastore("lake", lake))
    assert client.datastores.local_path("azureml://datastores/lake/paths/raw/a.csv") == lake / "raw" / "a.csv"
    assert client.datastores.local_path("azureml://datastores/lake/paths/raw/missing.csv") is None
    assert client.datastores.local_path("azureml://datastores/azure-only/paths/x.csv") is None
    assert client.datastores.local_path("azureml://jobs/azure-only-job/outputs/artifacts/paths/m") is None
    assert client.datastores.local_path("https://example.com/x.csv") is None


def test_registered_source_is_the_original_path_while_it_exists(client, tmp_path):
    from azure.ai.ml.entities import Data, Model

    source = tmp_path / "src"
    source.mkdir()
    (source / "a.csv").write_text("x\n")
    (tmp_path / "model.pkl").write_bytes(b"model")
    client.data.create_or_update(Data(name="d", path=str(source), type="uri_folder"))
    client.data.create_or_update(Data(name="d", path="azureml://datastores/workspaceblobstore/paths/"
                                      + client.data.get("d", "1").path.split("/paths/", 1)[1], type="uri_folder"))
    client.models.create_or_update(Model(name="m", path=str(tmp_path / "model.pkl")))
    assert client.data.registered_source("d", "1") == source
    assert client.data.registered_source("d", "2") is None  # registered from a datastore URI
    assert client.models.registered_source("m", "1") == tmp_path / "model.pkl"
    (tmp_path / "model.pkl").unlink()
    assert client.models.registered_source("m", "1") is None
    with pytest.raises(NotFoundError):
        client.data.registered_source("d", "9")


def test_environments_build_returns_the_python_that_runs_it(client, tmp_path):
    from azure.ai.ml.entities import Environment

    client.environments.create_or_update(Environment(name="img", image="python:3.11"))
    client.environments.create_or_update(Environment(
        name="conda", image="python:3.11",
        conda_file={"dependencies": ["python=3.11", {"pip": ["pyyaml"]}]}))
    lines: list[str] = []
    assert client.environments.build("img", "1", lines.append) == sys.executable
    assert any("ignores the Docker image python:3.11" in line for line in lines)
    lines.clear()
    assert client.environments.build("conda", "1", lines.append) == sys.executable  # pyyaml is here
    assert any("has every requirement" in line for line in lines)
    with pytest.raises(NotFoundError):
        client.environments.build("img", "2")


def test_get_and_list_return_fresh_entities_a_held_job_never_changes(client, tmp_path):
    job = submit(client, tmp_path / "fresh", """\
        command: python -c "import time; time.sleep(300)"
        tags: {team: a}
        """, {})
    held = client.jobs.get(job.name)
    held_status, held_props = held.status, dict(held.properties)
    listed = next(j for j in client.jobs.list() if j.name == job.name)
    assert listed is not held and client.jobs.get(job.name) is not held
    held.tags["team"] = "changed by the user"
    held.properties["mine"] = "x"

    client.jobs.begin_cancel(job.name).result(timeout=60)
    assert client.jobs.get(job.name).status == "Canceled"
    assert held.status == held_status and held_status != "Canceled"  # what the user holds stays
    assert {k: v for k, v in held.properties.items() if k != "mine"} == held_props
    assert "EndTimeUtc" not in held.properties and "EndTimeUtc" in client.jobs.get(job.name).properties
    again = client.jobs.get(job.name)
    assert again.tags == {"team": "a"} and "mine" not in again.properties  # the user's edits stay theirs
    assert listed.status != "Canceled"
