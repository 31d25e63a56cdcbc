"""The notebook's training job (mnist/train-job.yml, train.py unchanged) run distributed, as its
`--set distribution...` line says: 2 processes on the local engine, on synthetic digits."""

import os
import subprocess
import sys

import pytest
from conftest import MNIST_DIR

pytest.importorskip("torch", reason="torch is not installed (pip install amlmagic[mnist])")
pytest.importorskip("torchvision", reason="torchvision is not installed (pip install amlmagic[mnist])")


def test_train_job_with_two_processes(tmp_path, monkeypatch):
    from azure.ai.ml import load_job

    from amlmagic.local.client import LocalMLClient
    from amlmagic.local.tracking import read_params
    from amlmagic.magics.yaml_input import parse_overrides

    data = tmp_path / "data"
    prepared = subprocess.run(
        [sys.executable, os.path.join(MNIST_DIR, "prepare_data.py"), "--out", str(data), "--synthetic", "1000",
         "--synthetic-test", "200"], capture_output=True, text=True, timeout=120)
    assert prepared.returncode == 0, prepared.stderr
    monkeypatch.chdir(tmp_path)
    client = LocalMLClient(tmp_path / ".amlmagic")
    # the notebook's line, with the data, size and environment of a quick test
    overrides = parse_overrides([
        "inputs.epochs=2", "distribution.type=pytorch", "distribution.process_count_per_instance=2",
        f"inputs.mnist.path={data}", "inputs.batch_size=32", "inputs.width=8", "inputs.lr=0.01",
        "environment=azureml:AzureML-sklearn-1.5@latest"])
    job = client.jobs.create_or_update(load_job(os.path.join(MNIST_DIR, "train-job.yml"), params_override=overrides))
    done = client.jobs.wait(job.name, timeout=600)
    assert done.status == "Completed", done.error
    assert client.jobs.log_names(job.name) == ["std_log_process_00.txt", "std_log_process_01.txt"]
    log = client.jobs.read_log(job.name)[0]
    assert "saved the model" in log
    params = read_params(client.root, job.name)
    assert params["processes"] == "2" and params["threads"] == str(max(1, (os.cpu_count() or 1) // 2))
    metrics = client.jobs.metrics_reader(job.name).read_new()
    assert [step for step, _, _ in metrics["epoch_seconds"]] == [1, 2]  # rank 0 alone logs
    assert metrics["test_accuracy"][-1][2] > 0.9  # the drawn digits are learnable in seconds
    model_dir = client.jobs.local_dir(job.name) / "outputs" / "model"
    assert sorted(os.listdir(model_dir)) == ["config.json", "model.pt"]
