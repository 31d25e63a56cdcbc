"""amlmagic.export.build: one YAML per entity, paths relative, local-only things made Azure's,
secret environment variables left out. Sweeps: the exported YAML loads back as the same sweep
(command, inputs, search space, limits, objective, policy), with the local input and code
beside it instead of `azureml:./data` and absolute paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_job

from amlmagic.export.build import build_yaml, dump_yaml
from amlmagic.export.files import Placer
from amlmagic.export.trail import TrailItem
from amlmagic.magics import run_aml
from amlmagic.session import current_session
from amlmagic.spec.jobs import job_to_spec

SWEEP_YML = """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
display_name: tune lr
experiment_name: tuning
compute: local
inputs:
  digits:
    type: uri_folder
    path: ./digits
  epochs: 3
trial:
  command: python train.py --data ${{inputs.digits}} --lr ${{search_space.lr}} --epochs ${{inputs.epochs}} --units ${{search_space.units}}
  code: ./src
  environment:
    image: python:3.11-slim
    conda_file: ./conda.yml
  environment_variables:
    HF_TOKEN: hf-secret-value
    LEVEL: info
search_space:
  lr:
    type: loguniform
    min_value: -6
    max_value: -1
  units:
    type: choice
    values: [16, 32, 64]
sampling_algorithm:
  type: random
  seed: 7
objective:
  primary_metric: accuracy
  goal: maximize
limits:
  max_total_trials: 12
  max_concurrent_trials: 3
  timeout: 3600
  trial_timeout: 600
early_termination:
  type: bandit
  slack_factor: 0.2
  evaluation_interval: 1
  delay_evaluation: 2
"""


@pytest.fixture
def sweep_folder(workspace):
    (workspace / "digits").mkdir()
    (workspace / "digits" / "0.csv").write_text("label\n0\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text("print('train')\n")
    (workspace / "src" / ".env").write_text("HF_TOKEN=hf-secret-value\n")  # never copied
    (workspace / "conda.yml").write_text("dependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - mlflow\n")
    (workspace / "sweep.yml").write_text(SWEEP_YML)
    return workspace


def export_one(entity, folder: Path, kind: str = "job", base: Path | None = None):
    item = TrailItem(kind, (kind, entity.name), entity, str(base) if base else None, "%aml job create -f sweep.yml")
    placer = Placer(folder, copy=True)
    out = build_yaml(item, placer, current_session().client)
    path = folder / f"{kind}.yml"
    path.write_text(dump_yaml(out.spec))
    return path, out


def test_a_sweep_round_trips_with_its_search_space_limits_and_policy(sweep_folder, tmp_path_factory):
    sweep = load_job(str(sweep_folder / "sweep.yml"))
    folder = tmp_path_factory.mktemp("export")
    path, out = export_one(sweep, folder)
    exported = yaml.safe_load(path.read_text())
    assert exported["inputs"]["digits"]["path"] == "./inputs/digits/digits"  # not azureml:./data
    assert exported["trial"]["code"] == "./src" and (folder / "src/train.py").is_file()
    assert not (folder / "src/.env").exists()
    assert (folder / exported["trial"]["environment"]["conda_file"]).read_text().count("mlflow") == 1
    assert exported["compute"] == "azureml:cpu-cluster" and ("compute", "azureml:$COMPUTE") in out.sets
    assert "hf-secret-value" not in path.read_text()
    assert ("trial.environment_variables.HF_TOKEN", "$HF_TOKEN") in out.sets and out.secrets == ["HF_TOKEN"]

    again = load_job(str(path), params_override=[{"compute": "local"}])
    before, after = job_to_spec(sweep), job_to_spec(again)
    for field in ("search_space", "sampling_algorithm", "objective", "limits", "early_termination",
                  "display_name", "experiment_name", "type"):
        assert after[field] == before[field], field
    assert after["early_termination"]["slack_factor"] == 0.2 and "slack_amount" not in after["early_termination"]
    assert after["trial"]["command"] == before["trial"]["command"]
    assert after["inputs"]["epochs"] == 3
    assert after["trial"]["environment_variables"] == {"LEVEL": "info"}
    assert after["compute"] == "local"


def test_a_command_job_built_in_python_loads_back_as_a_job(sweep_folder, tmp_path_factory):
    from azure.ai.ml import Input, command

    job = command(command="python train.py ${{inputs.d}}", code=str(sweep_folder / "src"),
                  inputs={"d": Input(type="uri_folder", path=str(sweep_folder / "digits"))},
                  environment="azureml:train-env:1", compute="pool", display_name="py job")
    folder = tmp_path_factory.mktemp("export")
    path, _out = export_one(job, folder)
    exported = yaml.safe_load(path.read_text())
    assert "component" not in exported and exported["type"] == "command"
    assert exported["code"] == "./src" and exported["compute"] == "azureml:pool"
    again = load_job(str(path))
    assert type(again).__name__ in ("Command", "CommandJob") and again.command == job.command
    assert str(sweep_folder) not in path.read_text()


def test_deployment_with_inline_model_and_environment_gets_its_files_beside(workspace, tmp_path_factory):
    from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, Model

    (workspace / "model").mkdir()
    (workspace / "model" / "w.txt").write_text("1")
    (workspace / "score").mkdir()
    (workspace / "score" / "score.py").write_text("def init(): pass\ndef run(x): return x\n")
    deployment = ManagedOnlineDeployment(
        name="blue", endpoint_name="ep", model=Model(path="./model"), base_path=str(workspace),
        code_configuration=CodeConfiguration(code="./score", scoring_script="score.py"),
        environment=Environment(image="python:3.11-slim", conda_file={"dependencies": ["python=3.11"]}),
        environment_variables={"DB_PASSWORD": "pw-12345", "COLOR": "blue"}, instance_count=2,
    )
    folder = tmp_path_factory.mktemp("export")
    path, out = export_one(deployment, folder, kind="online-deployment", base=workspace)
    spec = yaml.safe_load(path.read_text())
    assert spec["model"] == {"path": "./model", "type": "custom_model"} and (folder / "model/w.txt").read_text() == "1"
    assert spec["code_configuration"] == {"code": "./score", "scoring_script": "score.py"}
    assert yaml.safe_load((folder / "conda.yml").read_text()) == {"dependencies": ["python=3.11"]}
    assert spec["environment_variables"] == {"COLOR": "blue"} and out.secrets == ["DB_PASSWORD"]
    assert spec["instance_count"] == 2
    from azure.ai.ml import load_online_deployment

    loaded = load_online_deployment(str(path))
    assert loaded.code_configuration.scoring_script == "score.py"


def test_code_folder_that_holds_the_export_is_not_copied_into_itself(workspace):
    (workspace / "train.py").write_text("print(1)\n")
    (workspace / "job.yml").write_text("command: python train.py\ncode: .\nenvironment:\n  image: python:3.11-slim\n"
                                       "compute: local\n")
    run_aml("job create -f job.yml")
    run_aml("export")
    copied = next((workspace / "aml-export" / "jobs").glob("*/code"))
    assert (copied / "train.py").is_file()
    assert not any(p.name in ("aml-export", ".amlmagic") for p in copied.rglob("*"))


def test_export_flag_on_a_job_cell_writes_a_yaml_that_submits_again(workspace):
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text("print('hi')\n")
    (workspace / "notes.txt").write_text("n")
    cell = ("command: python train.py ${{inputs.n}}\ncode: ./src\ninputs:\n  n:\n    type: uri_file\n"
            "    path: ./notes.txt\nenvironment:\n  image: python:3.11-slim\ncompute: local\n")
    first = run_aml("job create --export resolved/job.yml", cell)
    spec = yaml.safe_load((workspace / "resolved" / "job.yml").read_text())
    assert "name" not in spec and spec["compute"] == "local"  # as resolved: runs here again
    assert spec["inputs"]["n"]["path"] == "../notes.txt"  # relative to the file, nothing copied
    assert not (workspace / "resolved" / "notes.txt").exists()
    assert spec["code"] == "../src"  # the folder the cell named, not the snapshot
    second = run_aml("job create -f resolved/job.yml")
    client = current_session().client
    assert client.jobs.wait(second.name).status == "Completed"
    assert job_to_spec(second)["command"] == job_to_spec(first)["command"]
    assert client.jobs.wait(first.name).status == "Completed"


def test_a_distributed_job_exports_its_distribution_and_resources_unchanged(workspace, tmp_path_factory):
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text("import os\nprint(os.environ['RANK'])\n")
    cell = ("command: python train.py\ncode: ./src\nenvironment:\n  image: python:3.11-slim\ncompute: local\n"
            "distribution:\n  type: pytorch\n  process_count_per_instance: 2\n"
            "resources:\n  instance_count: 1\n  shm_size: 2g\n")
    job = run_aml("job create", cell)
    client = current_session().client
    assert client.jobs.wait(job.name).status == "Completed"
    folder = tmp_path_factory.mktemp("export")
    path, _out = export_one(client.jobs.get(job.name), folder)
    exported = yaml.safe_load(path.read_text())
    assert exported["distribution"] == {"type": "pytorch", "process_count_per_instance": 2}
    assert exported["resources"] == {"instance_count": 1, "shm_size": "2g"}
    again = load_job(str(path))
    assert job_to_spec(again)["distribution"] == exported["distribution"]
    assert job_to_spec(again)["resources"] == exported["resources"]
