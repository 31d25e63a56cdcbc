"""The notebook's training pipeline (notebooks/mnist/training-pipeline.yml) on the local backend,
on drawn digits: prepare -> train -> evaluate complete, the report holds the test accuracy, and
an unchanged resubmission reuses every step."""

import json
import shutil

import pytest
from azure.ai.ml import load_environment, load_job
from conftest import MNIST_DIR

from amlmagic.local.client import LocalMLClient

pytestmark = pytest.mark.slow


def test_the_training_pipeline_runs_and_is_reused_whole(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(MNIST_DIR, folder, ignore=shutil.ignore_patterns("data", "__pycache__"))
    client = LocalMLClient(tmp_path / ".amlmagic")
    client.environments.create_or_update(load_environment(folder / "environment.yml"))
    overrides = [{"jobs.prepare.inputs.synthetic": 300}, {"inputs.epochs": 1}]
    names = []
    for _ in range(2):
        job = client.jobs.create_or_update(load_job(folder / "training-pipeline.yml", params_override=overrides))
        done = client.jobs.wait(job.name, timeout=600)
        assert done.status == "Completed", done.properties.get("error")
        names.append(job.name)
    first, second = ({s.display_name: s for s in client.jobs.list(parent_job_name=n)} for n in names)
    assert set(first) == {"prepare", "train", "evaluate"}
    prepared = first["prepare"]
    assert "prepare_data.py" in {p.name for p in (client.root / "jobs" / prepared.name / "code").iterdir()}
    assert not (client.root / "jobs" / prepared.name / "code" / "src").exists()  # .amlignore kept it out
    target = tmp_path / "download"
    client.jobs.download(first["evaluate"].name, download_path=target, output_name="report")
    report = json.loads((target / "named-outputs" / "report" / "report.json").read_text())
    assert report["test_images"] == 60 and 0.0 <= report["accuracy"] <= 1.0 and len(report["per_digit"]) >= 1
    assert all(s.properties.get("azureml.isreused") == "true" for s in second.values())
    assert second["evaluate"].properties["azureml.reusedrunid"] == first["evaluate"].name
