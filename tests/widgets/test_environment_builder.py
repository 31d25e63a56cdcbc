import yaml
from azure.ai.ml import load_environment

from amlmagic.widgets import EnvironmentBuilder


def test_live_yaml_preview_and_create(client, recorded, tmp_path):
    builder = EnvironmentBuilder(client, folder=tmp_path / "envs")
    builder.name = "train-env"
    builder.pip_packages = "numpy\npyyaml>=6"
    spec = yaml.safe_load(builder.yaml_preview)
    assert spec["name"] == "train-env"
    assert spec["conda_file"]["dependencies"][-1] == {"pip": ["numpy", "pyyaml>=6"]}
    builder.act("create")
    assert builder.error == ""
    path = tmp_path / "envs" / "train-env.yml"
    assert recorded == [f"%aml environment create --file {path}"]
    # The file the recorded line points at loads as a CLI v2 environment.
    assert load_environment(path).name == "train-env"
    env = client.environments.get("train-env", "1")
    assert env.image == builder.image
    assert builder.wait_built(120)
    # numpy and pyyaml are already importable here: the current interpreter is reused.
    assert builder.build_status.startswith("built: "), builder.build_status
