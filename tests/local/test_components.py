"""client.components on the local backend: versions, validation, code snapshots, archive/restore."""

import textwrap

import pytest
from azure.ai.ml import Input, Output, command, load_component

from amlmagic.client import AmlClient
from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient

COMPONENT = textwrap.dedent("""
    $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
    type: command
    name: train_model
    display_name: Train
    inputs:
      data: {type: uri_folder}
      lr: {type: number, default: 0.01, min: 0.0, max: 1.0}
      epochs: {type: integer, default: 3}
      shuffle: {type: boolean, default: true}
      optimizer: {type: string, enum: [adam, sgd], optional: true}
      base: {type: mlflow_model, optional: true}
      extra: {type: custom_model, optional: true}
      notes: {type: uri_file, optional: true}
    outputs:
      model: {type: uri_folder}
    code: ./src
    environment: azureml:AzureML-sklearn-1.5@latest
    command: >-
      python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --epochs ${{inputs.epochs}}
      --shuffle ${{inputs.shuffle}} $[[--optimizer ${{inputs.optimizer}}]] $[[--base ${{inputs.base}}]]
      $[[--extra ${{inputs.extra}}]] $[[--notes ${{inputs.notes}}]] --out ${{outputs.model}}
""")


@pytest.fixture
def client(tmp_path):
    return LocalMLClient(tmp_path / ".amlmagic")


@pytest.fixture
def component_file(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('training')\n")
    (tmp_path / "src" / ".amlignore").write_text("*.log\n")
    (tmp_path / "src" / "big.log").write_text("not uploaded\n")
    path = tmp_path / "train.yml"
    path.write_text(COMPONENT)
    return path


def test_the_local_client_has_the_components_group_of_the_interface(client):
    assert isinstance(client, AmlClient)


def test_versions_auto_increment_and_latest_is_the_newest(client, component_file):
    first = client.components.create_or_update(load_component(component_file))
    second = client.components.create_or_update(load_component(component_file))
    assert (first.version, second.version) == ("1", "2")
    assert type(first).__name__ == "CommandComponent"
    assert client.components.get("train_model").version == "2"
    assert client.components.get("train_model", version="1").display_name == "Train"
    assert [c.version for c in client.components.list(name="train_model")] == ["2", "1"]
    assert [c.name for c in client.components.list()] == ["train_model"]
    assert first.id.endswith("/components/train_model/versions/1")


def test_inputs_keep_their_types_defaults_and_bounds(client, component_file):
    got = client.components.get(client.components.create_or_update(load_component(component_file)).name)
    assert {k: v.type for k, v in got.inputs.items()} == {
        "data": "uri_folder", "lr": "number", "epochs": "integer", "shuffle": "boolean", "optimizer": "string",
        "base": "mlflow_model", "extra": "custom_model", "notes": "uri_file"}
    assert (got.inputs["lr"].default, got.inputs["lr"].min, got.inputs["lr"].max) == (0.01, 0.0, 1.0)
    assert got.inputs["optimizer"].enum == ["adam", "sgd"] and got.inputs["optimizer"].optional


def test_code_is_a_snapshot_without_ignored_files_that_outlives_its_source(client, component_file, tmp_path):
    created = client.components.create_or_update(load_component(component_file))
    (tmp_path / "src" / "train.py").write_text("print('changed later')\n")
    code = client.components.get("train_model", version=created.version).code
    from pathlib import Path

    files = sorted(p.name for p in Path(code).iterdir())
    assert files == [".amlignore", "train.py"]
    assert (Path(code) / "train.py").read_text() == "print('training')\n"


def test_an_explicit_version_is_immutable(client, component_file):
    client.components.create_or_update(load_component(component_file, params_override=[{"version": "7"}]))
    with pytest.raises(Exception) as err:
        client.components.create_or_update(load_component(component_file, params_override=[{"version": "7"}]))
    assert "already exists" in str(err.value)
    assert [c.version for c in client.components.list(name="train_model")] == ["7"]


@pytest.mark.parametrize("change, message", [
    ({"display_name": "renamed below"}, "Component name should only contain lower letter"),
    ({"inputs.path": {"type": "string"}}, "'path' is a reserved name"),
    ({"command": "python train.py $[[--data ${{inputs.data}}]]"}, "sits in $[[...]] but is not optional"),
    ({"command": "python train.py --data ${{inputs.data}} --opt ${{inputs.optimizer}}"}, "must sit in $[[...]]"),
    ({"command": "python train.py --oops ${{inputs.nothing}}"}, "Invalid data binding expression"),
])
def test_invalid_components_are_refused_with_the_field_and_nothing_is_written(client, component_file, change, message):
    component = load_component(component_file, params_override=[change])
    if "display_name" in change:  # azure-ai-ml's loader refuses a bad name itself: set it after
        component.name = "Train-Model"
    with pytest.raises(ValidationError) as err:
        client.components.create_or_update(component)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert not (client.root / "registry" / "components").exists()


def test_a_component_made_in_python_registers(client, tmp_path):
    step = command(name="greet", command="echo ${{inputs.who}} > ${{outputs.out}}/hello.txt",
                   inputs={"who": Input(type="string", default="world")}, outputs={"out": Output(type="uri_folder")},
                   environment="azureml:AzureML-sklearn-1.5@latest")
    created = client.components.create_or_update(step.component)
    assert (created.name, created.version, created.inputs["who"].default) == ("greet", "1", "world")


def test_archive_hides_versions_and_restore_brings_them_back(client, component_file):
    for _ in range(3):
        client.components.create_or_update(load_component(component_file))
    client.components.archive("train_model", version="3")
    assert [c.version for c in client.components.list(name="train_model")] == ["2", "1"]
    assert client.components.get("train_model").version == "2"  # our rule: @latest skips archived
    assert client.components.get("train_model", version="3").version == "3"  # still usable by version
    assert [c.version for c in client.components.list(name="train_model", list_view_type="ArchivedOnly")] == ["3"]
    assert [c.version for c in client.components.list(name="train_model", list_view_type="All")] == ["3", "2", "1"]

    client.components.archive("train_model")  # the container: every version hidden
    assert client.components.list() == [] and client.components.list(name="train_model") == []
    with pytest.raises(ValidationError, match="restore it first"):
        client.components.restore("train_model", version="3")
    with pytest.raises(NotFoundError, match="archived"):
        client.components.get("train_model")
    client.components.restore("train_model")
    client.components.restore("train_model", version="3")
    assert client.components.get("train_model").version == "3"


def test_unknown_components_are_not_found(client):
    with pytest.raises(NotFoundError, match="%aml component list"):
        client.components.get("nothing")
    with pytest.raises(NotFoundError):
        client.components.archive("nothing")
