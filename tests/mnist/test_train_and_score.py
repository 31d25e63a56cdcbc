"""train.py as a job would run it (subprocess, MLflow env vars), then score.py as Azure calls it."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import MNIST_DIR, SRC_DIR

torch = pytest.importorskip("torch", reason="torch is not installed (pip install amlmagic[mnist])")
pytest.importorskip("torchvision", reason="torchvision is not installed (pip install amlmagic[mnist])")

from idx_files import read_mnist_raw  # noqa: E402

EPOCHS, EVALS_PER_EPOCH = 3, 2


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Synthetic data, a run created the way the job engine does, train.py in a subprocess."""
    import mlflow

    base = tmp_path_factory.mktemp("mnist")
    data = base / "data"
    prepared = subprocess.run(
        [sys.executable, os.path.join(MNIST_DIR, "prepare_data.py"), "--out", str(data), "--synthetic", "1000",
         "--synthetic-test", "200"], capture_output=True, text=True, timeout=120,
    )
    assert prepared.returncode == 0, prepared.stderr
    tracking_uri = (base / "mlruns").as_uri()
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # mlflow 3 refuses file stores without it
    client = mlflow.tracking.MlflowClient(tracking_uri)
    experiment_id = client.create_experiment("mnist-test")
    run = client.create_run(experiment_id, run_name="train-job")
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri, MLFLOW_ALLOW_FILE_STORE="true",
               MLFLOW_RUN_ID=run.info.run_id, MLFLOW_EXPERIMENT_ID=experiment_id, OMP_NUM_THREADS="1")
    model_dir = base / "outputs" / "model"  # a folder registered as a model keeps its name
    result = subprocess.run(
        [sys.executable, os.path.join(SRC_DIR, "train.py"), "--data", str(data), "--epochs", str(EPOCHS),
         "--lr", "0.01", "--batch-size", "32", "--width", "8", "--val-count", "100",
         "--evals-per-epoch", str(EVALS_PER_EPOCH), "--model-dir", str(model_dir)],
        capture_output=True, text=True, timeout=240, env=env, cwd=str(base),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"base": base, "data": data, "model_dir": model_dir, "client": client, "run_id": run.info.run_id,
            "stdout": result.stdout}


def test_training_writes_a_model_folder(trained):
    assert sorted(os.listdir(trained["model_dir"])) == ["config.json", "model.pt"]
    config = json.loads((trained["model_dir"] / "config.json").read_text())
    assert config["width"] == 8 and config["hyperparameters"]["threads"] == 1
    assert config["test_accuracy"] > 0.9  # the drawn digits are learnable in seconds


def test_training_logs_into_the_jobs_run(trained):
    client, run_id = trained["client"], trained["run_id"]
    run = client.get_run(run_id)
    assert run.data.params["lr"] == "0.01" and run.data.params["width"] == "8"
    assert run.data.params["batch_size"] == "32"
    val = client.get_metric_history(run_id, "val_accuracy")
    assert len(val) == EPOCHS * EVALS_PER_EPOCH  # intervals for early termination
    assert [m.step for m in val] == sorted(m.step for m in val)
    assert len(client.get_metric_history(run_id, "train_loss")) == len(val)
    assert len(client.get_metric_history(run_id, "epoch_seconds")) == EPOCHS
    config = json.loads((trained["model_dir"] / "config.json").read_text())
    assert run.data.metrics["test_accuracy"] == pytest.approx(config["test_accuracy"])
    assert val[-1].value > val[0].value or val[0].value == 1.0


def test_missing_data_folder_says_what_to_do(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(SRC_DIR, "train.py"), "--data", str(tmp_path), "--model-dir", str(tmp_path / "m")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "prepare_data.py" in result.stderr


SCORE_AS_AZURE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import score
score.init()
for line in sys.stdin:
    try:
        print(json.dumps({"ok": score.run(line)}), flush=True)
    except Exception as error:
        print(json.dumps({"error": type(error).__name__ + ": " + str(error)}), flush=True)
"""


def score_requests(model_base, bodies):
    """Load score.py in a fresh process with AZUREML_MODEL_DIR, call run() once per body."""
    env = dict(os.environ, AZUREML_MODEL_DIR=str(model_base))
    result = subprocess.run(
        [sys.executable, "-c", SCORE_AS_AZURE, SRC_DIR], input="".join(b + "\n" for b in bodies),
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_score_answers_batches_in_every_accepted_shape(trained):
    images, labels = read_mnist_raw(trained["data"])["test"]
    images, labels = images[:40], labels[:40]
    bodies = [
        json.dumps({"data": (images / 255.0).reshape(40, 784).tolist()}),  # 784 floats in 0..1
        json.dumps({"data": images.tolist()}),  # 28x28 in 0..255
        json.dumps({"data": images[0].tolist()}),  # one image without a batch
    ]
    # AZUREML_MODEL_DIR is the model's version folder; the registered folder sits below it.
    flat, shaped, single = score_requests(trained["model_dir"].parent, bodies)
    for answer in (flat, shaped):
        predictions = answer["ok"]["predictions"]
        assert len(predictions) == 40
        assert np.mean(np.array(predictions) == labels) > 0.85
        assert all(abs(sum(row) - 1.0) < 1e-4 and len(row) == 10 for row in answer["ok"]["probabilities"])
    assert flat["ok"]["predictions"] == shaped["ok"]["predictions"]
    assert single["ok"]["predictions"] == shaped["ok"]["predictions"][:1]


def test_score_rejects_bad_requests_with_a_reason(trained):
    answers = score_requests(trained["model_dir"], [
        json.dumps({"data": [[0.5] * 100]}),
        json.dumps({"data": [[300.0] * 784]}),
        json.dumps({"images": [[0.0] * 784]}),
    ])
    assert "784 or 28x28" in answers[0]["error"]
    assert "0..255" in answers[1]["error"]
    assert '{"data"' in answers[2]["error"]


def test_score_init_fails_clearly_without_a_model(tmp_path):
    env = dict(os.environ, AZUREML_MODEL_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", SCORE_AS_AZURE, SRC_DIR], input="", capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode != 0 and "register the folder train.py wrote" in result.stderr


BATCH_SCORE_AS_AZURE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import batch_score
batch_score.init()
for line in sys.stdin:
    print(json.dumps(batch_score.run(json.loads(line))), flush=True)
"""


def test_batch_score_answers_a_line_per_png_file(trained, tmp_path):
    """batch_score.py as a batch deployment's worker calls it: init() once, run(file paths)."""
    from torchvision.io import write_png

    images, labels = read_mnist_raw(trained["data"])["test"]
    paths = []
    for index in range(30):
        path = tmp_path / f"{index:05d}.png"
        write_png(torch.from_numpy(images[index].copy()).unsqueeze(0), str(path))  # 1x28x28 uint8
        paths.append(str(path))
    env = dict(os.environ, AZUREML_MODEL_DIR=str(trained["model_dir"].parent))
    result = subprocess.run([sys.executable, "-c", BATCH_SCORE_AS_AZURE, SRC_DIR],
                            input=json.dumps(paths[:10]) + "\n" + json.dumps(paths[10:]) + "\n",
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    rows = [row.split(" ") for row in first + second]
    assert [row[0] for row in rows] == [os.path.basename(p) for p in paths]
    predicted = np.array([int(row[1]) for row in rows])
    assert np.mean(predicted == labels[:30]) > 0.85
    assert all(0.0 < float(row[2]) <= 1.0 for row in rows)
