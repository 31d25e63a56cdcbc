"""amlmagic.mlops.folder: what --dir finds in a repository: CLI v2 YAML, scripts running az ml,
GitHub and Azure Pipelines workflows that run az ml (directly or through such a script), and an
approval gate; bad input in one line."""

from __future__ import annotations

import pytest

from amlmagic.errors import UsageError
from amlmagic.mlops.folder import scan_folder


def _write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_repository_with_yaml_scripts_and_workflows(tmp_path):
    _write(tmp_path, "ml/train.yml", "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\ncommand: x\n")
    _write(tmp_path, "ml/other.yml", "name: not azure ml\n")
    _write(tmp_path, "scripts/train.sh", "#!/bin/sh\naz ml job create -f ml/train.yml\n")
    _write(tmp_path, "scripts/lint.sh", "ruff check .\n")
    _write(tmp_path, ".git/hooks/x.sh", "az ml job create -f y\n")  # git's own folder is not looked at
    _write(tmp_path, ".github/workflows/direct.yml",
           "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: az ml model list\n")
    _write(tmp_path, ".github/workflows/script.yaml",
           "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    environment: prod\n"
           "    steps:\n      - run: bash scripts/train.sh\n")
    _write(tmp_path, ".github/workflows/lint.yml",
           "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: azure/login@v2\n"
           "        with:\n          environment: AzureCloud\n      - run: bash scripts/lint.sh\n")
    _write(tmp_path, "azure-pipelines.yml",
           "stages:\n- stage: d\n  jobs:\n  - deployment: d\n    environment: prod\n    strategy:\n"
           "      runOnce:\n        deploy:\n          steps:\n          - script: ./scripts/train.sh\n")
    facts = scan_folder(tmp_path)
    assert facts.yaml_files == ["ml/train.yml"]
    assert facts.scripts == ["scripts/train.sh"]
    flows = {w.path: (w.system, w.runs_az_ml, w.gated) for w in facts.workflows}
    assert flows == {
        ".github/workflows/direct.yml": ("GitHub Actions", "az ml", False),
        ".github/workflows/lint.yml": ("GitHub Actions", None, False),  # a login input named environment is no gate
        ".github/workflows/script.yaml": ("GitHub Actions", "scripts/train.sh", True),
        "azure-pipelines.yml": ("Azure Pipelines", "scripts/train.sh", True),
    }


def test_a_script_named_from_a_working_directory_is_found(tmp_path):
    _write(tmp_path, "aml-export/deploy.sh", "az ml job create -f j.yml\n")
    _write(tmp_path, ".github/workflows/w.yml",
           "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    defaults:\n      run:\n"
           "        working-directory: aml-export\n    steps:\n      - run: bash deploy.sh train\n")
    assert scan_folder(tmp_path).workflows[0].runs_az_ml == "aml-export/deploy.sh"


def test_an_empty_folder_finds_nothing_and_a_missing_one_is_refused(tmp_path):
    facts = scan_folder(tmp_path)
    assert (facts.yaml_files, facts.scripts, facts.workflows) == ([], [], [])
    with pytest.raises(UsageError, match=r"--dir .*nowhere is not a folder: give an exported folder"):
        scan_folder(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(UsageError, match="is not a folder"):
        scan_folder(tmp_path / "file.txt")
