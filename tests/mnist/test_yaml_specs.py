"""The YAML the notebook submits: valid for azure-ai-ml's loaders, commands that train.py accepts."""

import os
import re
import shlex
import shutil

import pytest
import yaml
from conftest import MNIST_DIR, SRC_DIR

SPECS = {
    "data.yml": "load_data",
    "environment.yml": "load_environment",
    "train-job.yml": "load_job",
    "sweep-job.yml": "load_job",
    "model.yml": "load_model",
    "endpoint.yml": "load_online_endpoint",
    "deployment-blue.yml": "load_online_deployment",
    "deployment-green.yml": "load_online_deployment",
}


@pytest.fixture(scope="module")
def spec_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("specs") / "mnist"
    shutil.copytree(MNIST_DIR, folder, ignore=shutil.ignore_patterns("data", "__pycache__"))
    (folder / "data").mkdir()  # prepare_data.py's output, which data.yml points at
    return folder


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_loads_with_azure_ai_ml(spec_folder, name):
    import azure.ai.ml

    entity = getattr(azure.ai.ml, SPECS[name])(str(spec_folder / name))
    assert entity is not None


def substitute(command, values):
    return re.sub(r"\$\{\{(inputs|outputs|search_space)\.(\w+)\}\}", lambda m: str(values[m.group(2)]), command)


def train_args_of(command, values):
    words = shlex.split(substitute(command, values))
    assert words[:2] == ["python", "train.py"]
    return words[2:]


def parse_train_args(words):
    """train.py's own argparse (loaded under a unique name: no torch needed to parse)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mnist_train_script", os.path.join(SRC_DIR, "train.py"))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    return train.parse_args(words)


def test_training_job_command_matches_train_py():
    spec = yaml.safe_load(open(os.path.join(MNIST_DIR, "train-job.yml")))
    values = {**spec["inputs"], "mnist": "/data", "model": "/out"}
    args = parse_train_args(train_args_of(spec["command"], values))
    assert (args.epochs, args.lr, args.batch_size, args.width) == (3, 0.01, 128, 16)
    assert args.model_dir == "/out" and args.data == "/data"


def test_sweep_trial_command_matches_train_py_and_search_space():
    spec = yaml.safe_load(open(os.path.join(MNIST_DIR, "sweep-job.yml")))
    assert set(re.findall(r"search_space\.(\w+)", spec["trial"]["command"])) == set(spec["search_space"])
    values = {"mnist": "/data", "model": "/out", "epochs": spec["inputs"]["epochs"], "lr": 0.004,
              "batch_size": spec["search_space"]["batch_size"]["values"][0],
              "width": spec["search_space"]["width"]["values"][-1]}
    args = parse_train_args(train_args_of(spec["trial"]["command"], values))
    assert args.lr == 0.004 and args.width == values["width"] and args.batch_size == values["batch_size"]
    # the bandit needs several intervals per trial: train.py logs evals_per_epoch per epoch
    assert args.evals_per_epoch * args.epochs > spec["early_termination"]["delay_evaluation"]
    assert spec["objective"]["primary_metric"] == "val_accuracy"
