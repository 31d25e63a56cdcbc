"""amlmagic.export.ci and deploy.sh's two parts: `%aml export --ci github|azure-pipelines` writes a
workflow that validates against the published schema (check-jsonschema's vendored copies, no
network), logs in with OIDC and holds no secret; `deploy.sh train` then `deploy.sh deploy`
issue exactly the calls `deploy.sh` issues (a fake `az` on PATH logs them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from amlmagic.errors import UsageError
from amlmagic.magics import run_aml
from amlmagic.session import reset_session

from .conftest import stop_endpoints

TRAIN_PY = """\
import os
os.makedirs("outputs/model", exist_ok=True)
with open("outputs/model/factor.txt", "w") as f:
    f.write("3")
"""

SCORE_PY = """\
import json, os
def init():
    pass
def run(raw_data):
    return {"result": json.loads(raw_data)["data"]}
"""

JOB_YML = """\
command: python train.py ${{inputs.rows}}
code: ./src
inputs:
  rows:
    type: uri_folder
    path: azureml:rows:1
environment: azureml:ci-env:1
environment_variables:
  API_TOKEN: tok-77aa55cc33ee
compute: local
"""

DEPLOYMENT = """\
name: blue
endpoint_name: ci-ep
model: azureml:ci-model:1
code_configuration:
  code: ./score
  scoring_script: score.py
environment_variables:
  SECRET_KEY: sk-0f1e2d3c4b5a
instance_type: Standard_DS3_v2
instance_count: 1
"""

SESSION_SECRETS = ["tok-77aa55cc33ee", "sk-0f1e2d3c4b5a"]

# A fake `az`: each call is one line of its arguments (separated by \x1f) in $AZ_LOG; a job
# create answers a name, as `--query name -o tsv` would.
FAKE_AZ = """#!/usr/bin/env bash
printf '%s\\x1f' "$@" >> "$AZ_LOG"
printf '\\n' >> "$AZ_LOG"
echo "job-on-azure-$(wc -l < "$AZ_LOG" | tr -d ' ')"
"""


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """One session (data, environment, a job with a secret, a model from its output, an endpoint
    with a deployment holding another secret, traffic), exported with each --ci kind."""
    root = tmp_path_factory.mktemp("session")
    here = os.getcwd()
    os.chdir(root)
    session = reset_session()
    session.connect_local(root / ".amlmagic")
    try:
        (root / "rows").mkdir()
        (root / "rows" / "a.csv").write_text("x\n1\n")
        (root / "src").mkdir()
        (root / "src" / "train.py").write_text(TRAIN_PY)
        (root / "score").mkdir()
        (root / "score" / "score.py").write_text(SCORE_PY)
        (root / "job.yml").write_text(JOB_YML)
        (root / "conda.yml").write_text("dependencies:\n  - python=3.11\n  - pip:\n    - pyyaml\n")
        run_aml("data create -n rows -p rows")
        run_aml("environment create -n ci-env -c conda.yml -i python:3.11-slim")
        job = session.client.jobs.wait(run_aml("job create -f job.yml").name)
        assert job.status == "Completed", session.client.jobs.read_log(job.name)[0]
        run_aml(f"model create -n ci-model -p azureml://jobs/{job.name}/outputs/artifacts/paths/outputs/model/")
        run_aml("online-endpoint create -n ci-ep")
        run_aml("online-deployment create --all-traffic", DEPLOYMENT)
        folders = {}
        for kind in ("github", "azure-pipelines"):
            result = run_aml(f"export --dir export-{kind} --ci {kind}")
            folders[kind] = result.folder
        run_aml("export --dir export-plain")
        folders["plain"] = root / "export-plain"
        yield folders
    finally:
        stop_endpoints(root / ".amlmagic")
        reset_session()
        os.chdir(here)


# The arguments check-jsonschema's own pre-commit hooks pass with each schema: Azure Pipelines'
# schema is written for the ECMAScript regex dialect without unicode mode, and its `${{ }}`
# template expressions are expanded by the transform its language server applies.
_HOOK_ARGS = {"vendor.github-workflows": [],
              "vendor.azure-pipelines": ["--data-transform", "azure-pipelines", "--regex-variant", "nonunicode"]}


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    return subprocess.run([exe, "--builtin-schema", schema, *_HOOK_ARGS[schema], str(path)],
                          capture_output=True, text=True, timeout=120)


def test_github_workflow_validates_against_the_published_schema(exports, tmp_path):
    workflow = exports["github"] / ".github/workflows/azureml-train-deploy.yml"
    done = _check_jsonschema("vendor.github-workflows", workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    # the validator does reject a broken workflow (a job without runs-on, a step that is a number)
    broken = yaml.safe_load(workflow.read_text())
    del broken["jobs"]["train"]["runs-on"]
    broken["jobs"]["deploy"]["steps"].append(5)
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken))
    assert _check_jsonschema("vendor.github-workflows", tmp_path / "broken.yml").returncode != 0


def test_github_workflow_logs_in_with_oidc_and_waits_for_approval_before_deploying(exports):
    text = (exports["github"] / ".github/workflows/azureml-train-deploy.yml").read_text()
    flow = yaml.safe_load(text)
    assert flow["permissions"]["id-token"] == "write"
    train, deploy = flow["jobs"]["train"], flow["jobs"]["deploy"]
    assert deploy["needs"] == "train" and deploy["environment"] == "production" and "environment" not in train
    for job, part in ((train, "train"), (deploy, "deploy")):
        runs = [s.get("run") for s in job["steps"]]
        login = next(s for s in job["steps"] if s.get("uses", "").startswith("azure/login@"))
        assert login["uses"] == "azure/login@v2"
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # no client secret, no creds
        assert all(re.fullmatch(r"\$\{\{ vars\.AZURE_[A-Z_]+ \}\}", v) for v in login["with"].values())
        install = runs.index("az extension add -n ml --upgrade --yes")
        assert runs.index(f"bash deploy.sh {part}") > install > job["steps"].index(login)
    # each part gets the secrets its part of deploy.sh reads, by name only
    assert train["steps"][-1]["env"] == {"API_TOKEN": "${{ secrets.API_TOKEN }}"}
    assert deploy["steps"][-1]["env"] == {"SECRET_KEY": "${{ secrets.SECRET_KEY }}"}
    assert flow["env"]["WORKSPACE"] == "${{ vars.AZURE_ML_WORKSPACE }}" and flow["env"]["COMPUTE"] == "${{ vars.COMPUTE }}"
    assert ".github/workflows/azureml-train-deploy.yml" in (exports["github"] / "README.md").read_text()


def test_azure_pipelines_validates_and_gates_the_deployment_on_an_environment(exports, tmp_path):
    path = exports["azure-pipelines"] / "azure-pipelines.yml"
    done = _check_jsonschema("vendor.azure-pipelines", path)
    assert done.returncode == 0, done.stdout + done.stderr
    pipeline = yaml.safe_load(path.read_text())
    train, deploy = pipeline["stages"]
    assert deploy["dependsOn"] == "train"
    job = deploy["jobs"][0]
    assert job["deployment"] == "deploy" and job["environment"] == "production"
    steps = {"train": train["jobs"][0]["steps"], "deploy": job["strategy"]["runOnce"]["deploy"]["steps"]}
    for part, part_steps in steps.items():
        task = next(s for s in part_steps if s.get("task") == "AzureCLI@2")
        assert task["inputs"]["azureSubscription"] == "${{ parameters.serviceConnection }}"
        assert task["inputs"]["inlineScript"].splitlines() == ["az extension add -n ml --upgrade --yes",
                                                               f"bash deploy.sh {part}"]
    assert next(s for s in steps["deploy"] if "task" in s)["env"] == {"SECRET_KEY": "$(SECRET_KEY)"}
    # the validator rejects a stage without jobs
    broken = yaml.safe_load(path.read_text())
    broken["stages"][0]["jobs"] = "nothing"
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken))
    assert _check_jsonschema("vendor.azure-pipelines", tmp_path / "broken.yml").returncode != 0


_SECRET_LIKE = [
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),  # a client/tenant id
    re.compile(r"(client-secret|clientSecret|password|creds|AccountKey=|SharedAccessSignature)", re.I),
    re.compile(r"\b[A-Za-z0-9+/]{40,}={0,2}"),  # a key or token
]


@pytest.mark.parametrize("kind", ["github", "azure-pipelines"])
def test_no_secret_like_value_in_the_ci_files(exports, kind):
    folder = exports[kind]
    files = [p for p in folder.rglob("*") if p.is_file()]
    for path in files:
        text = path.read_text(errors="replace")
        for secret in SESSION_SECRETS:
            assert secret not in text, f"{secret[:4]}... leaked into {path}"
    workflow = folder / {"github": ".github/workflows/azureml-train-deploy.yml", "azure-pipelines": "azure-pipelines.yml"}[kind]
    text = workflow.read_text()
    for pattern in _SECRET_LIKE:
        assert not pattern.search(text), f"{pattern.pattern} in {workflow}"


def _run(script: Path, log: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {"PATH": f"{log.parent / 'bin'}:/usr/bin:/bin", "AZ_LOG": str(log), **env}
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=full, timeout=60)


def _calls(log: Path) -> list[list[str]]:
    return [line.rstrip("\x1f").split("\x1f") for line in log.read_text().splitlines()] if log.exists() else []


def test_the_two_parts_of_deploy_sh_make_the_same_calls_as_the_whole(exports, tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "az").write_text(FAKE_AZ)
    (tmp_path / "bin" / "az").chmod(0o755)
    script = exports["plain"] / "deploy.sh"
    secrets = {"API_TOKEN": "t", "SECRET_KEY": "s"}
    whole = _run(script, tmp_path / "whole.log", **secrets)
    assert whole.returncode == 0, whole.stderr
    train = _run(script, tmp_path / "parts.log", "train", API_TOKEN="t")  # the training part needs only its secret
    assert train.returncode == 0, train.stderr
    train_calls = _calls(tmp_path / "parts.log")
    deploy = _run(script, tmp_path / "parts.log", "deploy", SECRET_KEY="s")
    assert deploy.returncode == 0, deploy.stderr
    parts = _calls(tmp_path / "parts.log")
    assert parts == _calls(tmp_path / "whole.log")
    order = [call[1:3] for call in parts]
    assert order == [["environment", "create"], ["data", "create"], ["job", "create"], ["job", "stream"],
                     ["model", "create"], ["online-endpoint", "create"], ["online-deployment", "create"],
                     ["online-endpoint", "update"]]
    assert len(train_calls) == 5  # up to the model registered from the job's output
    # the model points at the job deploy.sh submitted (the name the fake az answered)
    assert "path=azureml://jobs/job-on-azure-3/outputs/artifacts/paths/outputs/model/" in parts[4]


def test_a_part_checks_only_its_own_secrets_and_a_bad_part_is_refused(exports, tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "az").write_text(FAKE_AZ)
    (tmp_path / "bin" / "az").chmod(0o755)
    script = exports["plain"] / "deploy.sh"
    missing = _run(script, tmp_path / "a.log", "deploy", API_TOKEN="t")
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr and not _calls(tmp_path / "a.log")
    bad = _run(script, tmp_path / "b.log", "everything")
    assert bad.returncode == 2 and "usage: bash deploy.sh [train|deploy]" in bad.stderr


def test_ci_flag_errors(workspace):
    (workspace / "one.txt").write_text("1")
    run_aml("data create -n one -p one.txt -t uri_file")  # something to export
    with pytest.raises(UsageError, match="--ci 'gitlab' is not one of github, azure-pipelines"):
        run_aml("export --ci gitlab")
    with pytest.raises(UsageError, match="drop --last"):
        run_aml("export --last --ci github")
    assert not (workspace / "aml-export").exists()
