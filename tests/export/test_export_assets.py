"""`%aml export` of assets and computes, driven through the real magics on the local backend:
every file loads with azure-ai-ml's loaders, content sits beside the YAML, and each YAML loaded
back into a fresh local workspace registers the same thing."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

import pytest
import yaml

from amlmagic.errors import UsageError
from amlmagic.magics import run_aml
from amlmagic.session import current_session, reset_session

from .conftest import exported_yamls, load_exported


def same_tree(a: Path, b: Path) -> bool:
    if a.is_file() or b.is_file():
        return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    if any(not same_tree(a / f, b / f) for f in cmp.common_files + cmp.common_dirs):
        return False
    return True


@pytest.fixture
def project(workspace):
    (workspace / "digits").mkdir()
    (workspace / "digits" / "train.csv").write_text("label,pixel\n1,0\n")
    (workspace / "digits" / "sub").mkdir()
    (workspace / "digits" / "sub" / "more.csv").write_text("label,pixel\n2,5\n")
    (workspace / "model").mkdir()
    (workspace / "model" / "weights.txt").write_text("0.5")
    (workspace / "docker").mkdir()
    (workspace / "docker" / "Dockerfile").write_text("FROM python:3.11-slim\n")
    (workspace / "env.yml").write_text("name: e\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - pyyaml\n")
    return workspace


def create_assets() -> None:
    run_aml("data create -n digits -p digits -t uri_folder -d 'handwritten digits'")
    run_aml("data create -n one-file -p digits/train.csv -t uri_file")
    run_aml("environment create -n reqs", "pyyaml\nrequests\n")
    run_aml("environment create -n conda-env -i python:3.11-slim -c env.yml")
    run_aml("environment create -n built -b docker")
    run_aml("model create -n weights -p model")
    run_aml("compute create -n pool --max-instances 3 --min-instances 1")


def test_every_file_loads_and_content_sits_beside_it(project):
    create_assets()
    result = run_aml("export")
    folder = project / "aml-export"
    assert result.folder == folder
    yamls = exported_yamls(folder)
    assert {p.stem for p in yamls} == {"data", "environment", "model", "compute"}
    assert len(yamls) == 7
    for path in yamls:
        text = path.read_text()
        assert text.startswith("$schema: https://azuremlschemas.azureedge.net/latest/")
        load_exported(path)  # raises on any field azure-ai-ml rejects
        assert str(project) not in text  # relative paths only, no absolute local paths
    digits = yaml.safe_load((folder / "data/digits-1/data.yml").read_text())
    assert digits["path"] == "./digits" and digits["description"] == "handwritten digits"
    assert same_tree(folder / "data/digits-1/digits", project / "digits")
    assert (folder / "data/one-file-1/train.csv").read_bytes() == (project / "digits/train.csv").read_bytes()
    assert same_tree(folder / "models/weights-1/model", project / "model")
    reqs = yaml.safe_load((folder / "environments/reqs-1/environment.yml").read_text())
    assert reqs["conda_file"] == "./conda.yml"
    conda = yaml.safe_load((folder / "environments/reqs-1/conda.yml").read_text())
    assert conda["dependencies"][-1] == {"pip": ["pyyaml", "requests"]}
    built = yaml.safe_load((folder / "environments/built-1/environment.yml").read_text())
    assert (folder / "environments/built-1" / built["build"]["path"] / "Dockerfile").is_file()


def test_order_of_deploy_sh_and_bash_syntax(project):
    run_aml("model create -n weights -p model")  # created first, deployed after data
    create_assets()
    run_aml("export")
    script = (project / "aml-export" / "deploy.sh").read_text()
    subprocess.run(["bash", "-n", str(project / "aml-export" / "deploy.sh")], check=True)
    assert "set -euo pipefail" in script
    creates = [line.split()[2] for line in script.splitlines() if line.startswith("az ml ")]
    assert creates == ["compute", "environment", "environment", "environment", "data", "data", "model", "model"]
    assert all('"${WS[@]}"' in line for line in script.splitlines() if line.startswith("az ml "))


def test_round_trip_into_a_fresh_workspace(project, tmp_path_factory):
    create_assets()
    session = current_session()
    originals = {kind: {e.name: e for e in getattr(session.client, group).list()}
                 for kind, group in (("data", "data"), ("environment", "environments"), ("model", "models"))}
    pool = session.client.compute.get("pool")
    run_aml("export")
    folder = project / "aml-export"

    fresh = tmp_path_factory.mktemp("fresh")
    session = reset_session()
    client = session.connect_local(fresh / ".amlmagic")
    for path in exported_yamls(folder):
        run_aml(f"{path.stem} create -f {path}")
    for name, original in originals["data"].items():
        again = client.data.get(name, version="1")
        assert (again.type, again.description) == (original.type, original.description)
        assert same_tree(client.data.local_path(name, "1"), session_path(project, original.path))
    for name, original in originals["environment"].items():
        again = client.environments.get(name, version="1")
        assert (again.image, again.conda_file) == (original.image, original.conda_file)
        if original.build is not None:
            assert same_tree(fresh_path(fresh, again.build.path), session_path(project, original.build.path))
    for name, original in originals["model"].items():
        assert same_tree(client.models.local_path(name, "1"), session_path(project, original.path))
    again = client.compute.get("pool")
    assert (again.size, again.min_instances, again.max_instances) == (pool.size, 1, 3)


def session_path(project: Path, uri: str) -> Path:
    return project / ".amlmagic/datastores/workspaceblobstore" / uri.split("/paths/", 1)[1].rstrip("/")


def fresh_path(fresh: Path, uri: str) -> Path:
    return fresh / ".amlmagic/datastores/workspaceblobstore" / uri.split("/paths/", 1)[1].rstrip("/")


def test_content_comes_from_the_workspace_when_the_source_is_gone(project):
    run_aml("data create -n digits -p digits")
    (project / "digits" / "train.csv").unlink()
    run_aml("export")
    assert (project / "aml-export/data/digits-1/digits/train.csv").read_text() == "label,pixel\n1,0\n"


def test_deleted_and_repeated_things_export_their_final_state(project):
    run_aml("compute create -n pool --max-instances 2")
    run_aml("compute create -n gone --max-instances 2")
    run_aml("compute create -n pool --max-instances 4")  # changed: exported once, as it ends
    run_aml("compute delete -n gone")
    run_aml("datastore create -n store -p digits")
    run_aml("datastore delete -n store")
    run_aml("export")
    folder = project / "aml-export"
    assert [p.relative_to(folder).as_posix() for p in exported_yamls(folder)] == ["computes/pool/compute.yml"]
    assert yaml.safe_load((folder / "computes/pool/compute.yml").read_text())["max_instances"] == 4


def test_a_local_datastore_becomes_a_blob_datastore_without_credentials(project):
    run_aml("datastore create -n store -p digits")
    run_aml("export")
    folder = project / "aml-export"
    spec = yaml.safe_load((folder / "datastores/store/datastore.yml").read_text())
    assert spec["type"] == "azure_blob" and "credentials" not in spec
    assert load_exported(folder / "datastores/store/datastore.yml").name == "store"
    assert '--set "account_name=${STORAGE_ACCOUNT}"' in (folder / "deploy.sh").read_text()


def test_export_replaces_an_earlier_export_but_no_other_folder(project):
    run_aml("compute create -n pool")
    run_aml("export")
    (project / "aml-export" / "stale.txt").write_text("old")
    run_aml("export")
    assert not (project / "aml-export" / "stale.txt").exists()
    (project / "notes").mkdir()
    (project / "notes" / "mine.txt").write_text("keep")
    with pytest.raises(UsageError, match="not an earlier export"):
        run_aml("export --dir notes")
    assert (project / "notes" / "mine.txt").read_text() == "keep"


def test_empty_session_says_the_trail_is_per_kernel(workspace):
    with pytest.raises(UsageError, match="new kernel starts with an empty trail"):
        run_aml("export")


def test_readme_says_a_new_kernel_has_an_empty_trail(project):
    run_aml("compute create -n pool")
    run_aml("export --dir out")
    readme = (project / "out" / "README.md").read_text()
    assert "new kernel starts with an empty trail" in readme
    assert "%aml compute create -f computes/pool/compute.yml" in readme


def test_last_writes_only_the_most_recent_create(project):
    create_assets()
    run_aml("compute show -n pool")  # not a create
    run_aml("export --last --dir last")
    assert sorted(p.name for p in (project / "last").iterdir()) == ["compute.yml"]
    run_aml("environment create -n reqs2", "pyyaml\n")
    run_aml("export --last --dir last")
    assert load_exported(project / "last" / "environment.yml").name == "reqs2"
    assert (project / "last" / "conda.yml").is_file()


def test_export_flag_writes_the_resolved_yaml_beside_the_notebook(project):
    run_aml("data create -n digits -p digits --export digits.yml")
    spec = yaml.safe_load((project / "digits.yml").read_text())
    assert spec["path"] == "./digits" and spec["version"] == "1"  # the original folder, relative
    run_aml("environment create -n reqs --export out/reqs.yml", "pyyaml\n")
    env = load_exported_as(project / "out" / "reqs.yml", "environment")
    assert env.conda_file["dependencies"][-1] == {"pip": ["pyyaml"]}
    reset_session().connect_local(project / ".other")
    again = run_aml("data create -f digits.yml --set version=7")
    assert again.version == "7" and (project / ".other").is_dir()


def load_exported_as(path: Path, kind: str):
    import azure.ai.ml as aml

    from .conftest import LOADERS

    return getattr(aml, LOADERS[kind])(str(path))
