"""Microsoft's `cli/endpoints/batch/deploy-models/mnist-classifier` torch deployment, run in place on
the local backend as a user would from a notebook: the example archived unchanged into a temp
folder, only its environment's pins changed to installable versions, deploy-and-run.sh's `az ml`
lines as `%aml` lines, MNIST-like PNG files made locally (synthetic_digits.py) in place of the
public sample URI, and predictions.csv read as the example's notebook reads it.

Needs the azureml-examples mirror, and the network when `pytorch-lightning` (unpinned in the
example's conda file) is not installed: the job's environment is then built with it."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
from pathlib import Path

import pytest

EXAMPLES = Path("/work/.mirror/Azure+azureml-examples/repo")
EXAMPLE = "cli/endpoints/batch/deploy-models/mnist-classifier"


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not EXAMPLES.is_dir(), reason="needs the azureml-examples mirror"),
    pytest.mark.skipif(importlib.util.find_spec("pytorch_lightning") is None and not _pypi_reachable(),
                       reason="the example's environment needs pytorch-lightning: not installed, PyPI unreachable"),
]


@pytest.mark.timeout(900)
def test_the_torch_deployment_scores_pngs_and_predictions_read_as_the_example_reads_them(ip, workspace):
    import pandas as pd
    from PIL import Image
    from synthetic_digits import make_synthetic_digits

    archive = subprocess.run(["git", "-C", str(EXAMPLES), "archive", "HEAD", EXAMPLE], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(workspace)], input=archive.stdout, check=True)
    folder = workspace / EXAMPLE
    conda = folder / "deployment-torch" / "environment" / "conda.yaml"
    conda.write_text(conda.read_text().replace("torch==1.13.0", "torch==2.14.1")
                     .replace("torchvision==0.14.0", "torchvision==0.29.1"))
    images, labels = make_synthetic_digits(30, seed=5)
    (folder / "mnist-sample").mkdir()
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(image).save(folder / "mnist-sample" / f"{i:03d}_{label}.png")
    ip.run(f"%cd {folder}")

    ip.run("%aml model create --name mnist-classifier-torch --type custom_model --path deployment-torch/model")
    ip.run("%aml compute create -n batch-cluster --type amlcompute --min-instances 0 --max-instances 5")
    ip.run("%aml batch-endpoint create --file endpoint.yml --name mnist-batch-local")
    ip.run("%aml batch-deployment create --file deployment-torch/deployment.yml --endpoint-name mnist-batch-local "
           "--set-default")
    job = ip.run("%aml batch-endpoint invoke --name mnist-batch-local --input mnist-sample --input-type uri_folder "
                 "--stream")
    assert job.status == "Completed"
    ip.run(f"%aml job download --name {job.name} --output-name score --download-path ./")
    score = pd.read_csv(folder / "named-outputs" / "score" / "predictions.csv",
                        names=["file", "class", "probabilities"], sep=" ")
    assert sorted(score["file"]) == sorted(p.name for p in (folder / "mnist-sample").iterdir())
    assert score["class"].between(0, 9).all() and score["probabilities"].between(0, 1).all()
    listed = ip.run("%aml batch-deployment list-jobs --name mnist-torch-dpl --endpoint-name mnist-batch-local")
    assert [j.name for j in listed] == [job.name]
