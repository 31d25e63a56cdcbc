"""`client.batch_endpoints.invoke` on the local backend, end to end: real driver and worker
processes score a folder (nested), a file, a data asset and a datastore path; predictions.csv in
Azure's append_row format; AZUREML_MODEL_DIR as on Azure; the job, its batchscoring step, its
logs and progress overview; summary_only; the output location rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_helpers import deploy, invoke, make_project, predictions, progress

from amlmagic.errors import NotFoundError, UnsupportedError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.rules.batch import PROGRESS_LOG


def workers(client, step: str) -> int:
    """How many worker processes were started: each has its own log (the scoring may end before
    a slow one finished init(): the others took every mini-batch)."""
    logs = [n for n in client.jobs.log_names(step) if n.startswith("logs/user/stdout/")]
    started = [n for n in logs if (client.jobs.local_dir(step) / "user_logs" / n).is_file()]
    assert "init " in "".join(client.jobs.read_log(step, log=n)[0] for n in started)
    return len(started)


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path)
    return LocalMLClient(tmp_path / ".amlmagic")


def test_a_folder_is_scored_in_mini_batches_by_concurrent_workers(client, tmp_path):
    (tmp_path / "data" / "nested").mkdir()
    (tmp_path / "data" / "nested" / "g999.txt").write_text("1000")
    (tmp_path / "data" / ".hidden").write_text("x")
    deploy(client, tmp_path)
    started = invoke(client, "data")
    assert type(started).__name__ == "BatchJob"
    job = client.jobs.wait(started.name, timeout=120)
    assert (job.type, job.status) == ("pipeline", "Completed"), job.properties.get("error")
    rows = [line.split(" ") for line in predictions(client, job.name)]
    # space-separated, no header, no index: one line per item returned, each file once
    assert sorted(r[0] for r in rows) == sorted([f"f{i:03d}.txt" for i in range(25)] + ["g999.txt"])
    assert {r[0]: int(r[1]) for r in rows}["g999.txt"] == 3000  # the model's factor, found by glob
    assert sorted(int(r[2]) for r in rows).count(10) == 20  # 26 files: mini-batches of 10, 10, 6
    steps = client.jobs.list(parent_job_name=job.name)
    assert [(s.display_name, s.status) for s in steps] == [("batchscoring", "Completed")]
    assert "batchscoring" in job.jobs
    done = progress(client, job.name)
    assert (done.mini_batches_total, done.mini_batches_done, done.items_scored, done.items_failed) == (3, 3, 26, 0)
    assert PROGRESS_LOG in client.jobs.log_names(job.name)
    assert "26 files in 3 mini-batches of 10" in client.jobs.read_log(job.name)[0]
    assert workers(client, steps[0].name) == 2  # max_concurrency_per_instance: 2
    client.jobs.download(job.name, download_path=tmp_path / "dl", output_name="score")
    assert len((tmp_path / "dl" / "named-outputs" / "score" / "predictions.csv").read_text().splitlines()) == 26
    assert [j.name for j in client.batch_endpoints.list_jobs("ep-batch")] == [job.name]
    assert [j.name for j in client.batch_deployments.list_jobs("ep-batch", name="dpl")] == [job.name]


def test_inputs_a_file_a_data_asset_and_a_datastore_path_with_overrides(client, tmp_path):
    from azure.ai.ml import Input, Output
    from azure.ai.ml.entities import Data

    deploy(client, tmp_path)
    client.data.create_or_update(Data(name="numbers", path=str(tmp_path / "data"), type="uri_folder"))
    by_asset = invoke(client, "azureml:numbers@latest", params_override=[
        {"mini_batch_size": 5}, {"compute.instance_count": 2}, {"output_file_name": "by_asset.csv"}])
    one_file = client.batch_endpoints.invoke("ep-batch", input=Input(type="uri_file", path="data/f007.txt"),
                                             job_name="one_file_job")
    store_dir = tmp_path / ".amlmagic" / "datastores" / "workspaceblobstore" / "incoming"
    store_dir.mkdir(parents=True)
    (store_dir / "a.txt").write_text("5")
    by_uri = invoke(client, "azureml://datastores/workspaceblobstore/paths/incoming/",
                    outputs={"score": Output(type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/out/")})
    for name in (by_asset.name, one_file.name, by_uri.name):
        assert client.jobs.wait(name, timeout=120).status == "Completed", client.jobs.get(name).properties.get("error")
    rows = predictions(client, by_asset.name, "by_asset.csv")
    assert len(rows) == 25 and {r.split(" ")[2] for r in rows} == {"5"}
    assert workers(client, client.jobs.list(parent_job_name=by_asset.name)[0].name) == 4  # 2 instances x 2
    assert predictions(client, "one_file_job") == [predictions(client, "one_file_job")[0]]
    assert predictions(client, "one_file_job")[0].startswith("f007.txt 21 1 ")
    assert (tmp_path / ".amlmagic" / "datastores" / "workspaceblobstore" / "out" / "predictions.csv").read_text() \
        .startswith("a.txt 15 1 ")


def test_an_existing_output_file_fails_the_job_and_keeps_the_file(client, tmp_path):
    from azure.ai.ml import Output

    deploy(client, tmp_path)
    out = {"score": Output(type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/fixed/")}
    first = invoke(client, "data", outputs=out)
    assert client.jobs.wait(first.name, timeout=120).status == "Completed"
    second = invoke(client, "data", outputs=out)
    failed = client.jobs.wait(second.name, timeout=120)
    assert failed.status == "Failed"
    assert "predictions.csv already exists at azureml://datastores/workspaceblobstore/paths/fixed/" in \
        failed.properties["error"]
    assert len(predictions(client, first.name)) == 25


def test_summary_only_merges_nothing_and_the_script_writes_its_own_outputs(client, tmp_path):
    deploy(client, tmp_path, mode="summary", settings="  output_action: summary_only\n")
    job = client.jobs.wait(invoke(client, "data").name, timeout=120)
    assert job.status == "Completed"
    assert predictions(client, job.name) == []
    plan = json.loads((client.jobs.local_dir(job.name) / "plan.json").read_text())
    written = list(Path(plan["outputs"]["score"]["folder"]).glob("*.out"))
    assert sorted(int(p.read_text()) for p in written) == [5, 10, 10]  # one file per mini-batch
    assert progress(client, job.name).items_scored == 25


def test_bad_invocations_fail_before_any_job(client, tmp_path):
    from azure.ai.ml import Input

    deploy(client, tmp_path, default=False)
    with pytest.raises(ValidationError, match="has no default deployment"):
        invoke(client, "data")
    with pytest.raises(NotFoundError, match="input .*missing does not exist"):
        invoke(client, "missing", deployment_name="dpl")
    with pytest.raises(NotFoundError, match="data asset not found"):
        invoke(client, "azureml:nothing@latest", deployment_name="dpl")
    with pytest.raises(UnsupportedError, match="no web URLs"):
        invoke(client, "https://example.com/data", deployment_name="dpl")
    with pytest.raises(ValidationError, match="is a folder but --input-type is uri_file"):
        client.batch_endpoints.invoke("ep-batch", deployment_name="dpl", input=Input(type="uri_file", path="data"))
    with pytest.raises(ValidationError, match="mini_batch_size"):
        invoke(client, "data", deployment_name="dpl", params_override=[{"mini_batch_size": 0}])
    with pytest.raises(NotFoundError, match="batch endpoint 'nope' not found"):
        invoke(client, "data", endpoint="nope")
    assert not (tmp_path / ".amlmagic" / "jobs").exists() or not any(
        p for p in (tmp_path / ".amlmagic" / "jobs").iterdir() if not p.name.startswith("."))
