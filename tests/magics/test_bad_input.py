"""Bad input through a real IPython shell: one-line errors that say what to do, nothing written;
`--set` applied to entities created from flags as with `-f`; readable schema errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from IPython.core.error import UsageError as IPythonUsageError


def tree(folder):
    """Every path under the notebook folder (lock files come and go with reads)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if "locks" not in p.parts)


def refused(ip, line: str, cell: str | None = None) -> str:
    with pytest.raises(IPythonUsageError) as info:
        ip.run(line if cell is None else f"%%{line[1:]}\n{cell}")
    message = str(info.value)
    assert message and "\n" not in message, message
    return message


@pytest.fixture
def digits(workspace):
    folder = workspace / "digits"
    folder.mkdir()
    (folder / "train.csv").write_text("label,pixel\n1,0\n")
    (workspace / "conda.yml").write_text("name: c\ndependencies:\n  - pip\n")
    return folder


# -- --set -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, noun", [
    ("%aml data create -n d -p digits -t uri_folder", "data"),
    ("%aml model create -n m -p digits", "model"),
    ("%aml environment create -n e --image python:3.11", "env"),
    ("%aml environment create -n e --image python:3.11 -c conda.yml", "env"),
])
def test_set_applies_to_entities_created_from_flags_as_with_a_file(ip, digits, line, noun):
    created = ip.run(f"{line} --set description='from set' --set tags.stage=dev")
    assert (created.description, created.tags) == ("from set", {"stage": "dev"})
    shown = ip.run(f"%aml {noun} show -n {created.name} -v {created.version}")  # as stored
    assert (shown.description, shown.tags) == ("from set", {"stage": "dev"})


def test_set_applies_to_a_requirements_cell_and_a_compute_from_flags(ip):
    env = ip.run("%%aml environment create -n reqs --set description=pinned\nnumpy==1.26.4\n")
    assert env.description == "pinned" and env.conda_file["dependencies"][-1] == {"pip": ["numpy==1.26.4"]}
    pool = ip.run("%aml compute create -n pool --max-instances 2 --set description=shared")
    assert (pool.description, pool.max_instances) == ("shared", 2)
    assert ip.run("%aml compute show -n pool").description == "shared"


@pytest.mark.parametrize("pair", ["garbage", "=x", " =x", "description"])
@pytest.mark.parametrize("line", [
    "%aml data create -n d -p digits -t uri_folder",
    "%aml model create -n m -p digits",
    "%aml environment create -n e --image python:3.11",
    "%aml compute create -n pool --max-instances 1",
    "%aml datastore create -n store -p digits",
    "%aml job create -f job.yml",
    "%aml online-endpoint update -n ep --traffic blue=100",
])
def test_set_without_key_value_is_always_refused(ip, digits, workspace, line, pair):
    before = tree(workspace)
    assert "--set takes key=value" in refused(ip, f"{line} --set '{pair}'")
    assert tree(workspace) == before


@pytest.mark.parametrize("line", ["%aml datastore create -n store -p digits --set description=x",
                                  "%aml online-endpoint update -n ep --traffic blue=100 --set description=x"])
def test_set_where_no_yaml_takes_it_is_refused_clearly(ip, digits, workspace, line):
    before = tree(workspace)
    assert refused(ip, line).startswith("--set overrides fields of a YAML: ")
    assert tree(workspace) == before


# -- schema errors -----------------------------------------------------------------------------------
JOB = "command: python train.py\nenvironment: azureml:AzureML-sklearn-1.5@latest\ncompute: local\n"


@pytest.mark.parametrize("noun, body, expected", [
    ("job", JOB + "frobnicate: 1\n", "job.yml: frobnicate: unknown field"),
    ("job", JOB + "code: ./src\n", "job.yml: code: ./src does not exist"),
    ("job", JOB + "code: ./src\nfrobnicate: 1\n", "job.yml: code: ./src does not exist; frobnicate: unknown field"),
    ("job", JOB + "inputs:\n  x:\n    type: uri_folder\n    path: ./digits\n    bogus: 1\n",
     "job.yml: inputs.x.bogus: unknown field"),
    ("data", "name: d\npath: ./digits\nfrobnicate: 1\n", "data.yml: frobnicate: unknown field"),
    ("model", "name: m\npath: ./digits\nfrobnicate: 1\n", "model.yml: frobnicate: unknown field"),
    ("online-endpoint", "name: ep\nauth_mode: wrong\n",
     "online-endpoint.yml: auth_mode: 'wrong' is not one of aml_token, key, aad_token"),
])
def test_schema_errors_are_one_readable_line_naming_each_field(ip, digits, workspace, noun, body, expected):
    (workspace / f"{noun}.yml").write_text(body)
    before = tree(workspace)
    assert refused(ip, f"%aml {noun} create -f {noun}.yml") == expected
    assert tree(workspace) == before


def test_a_sweep_with_several_bad_fields_names_each_and_why(ip):
    sweep = textwrap.dedent("""\
        type: sweep
        trial:
          command: python train.py
          environment: azureml:AzureML-sklearn-1.5@latest
        sampling_algorithm: nope
        search_space:
          lr:
            type: uniform
            min_value: 0.1
        objective:
          goal: up
          primary_metric: accuracy
        limits:
          max_total_trials: 2
        """)
    message = refused(ip, "%aml job create", sweep)
    assert message == ("the cell: sampling_algorithm: 'nope' is not one of bayesian, grid, random; "
                       "search_space.lr.max_value: required, but missing; objective.goal: 'up' is not one of "
                       "minimize, maximize")
    assert "\\" not in message


def test_flags_with_an_unknown_set_field_name_it(ip, digits):
    assert refused(ip, "%aml data create -n d -p digits --set frobnicate=1") == "the flags: frobnicate: unknown field"


def test_azure_ai_ml_experimental_notices_are_not_shown(tmp_path):
    # A fresh process: azure-ai-ml shows each notice once per process.
    (tmp_path / "job.yml").write_text(JOB + "frobnicate: 1\n")
    code = textwrap.dedent("""
        from amlmagic.errors import ValidationError
        from amlmagic.magics import run_aml
        try:
            run_aml("job create -f job.yml")
        except ValidationError as exc:
            print("refused:", exc)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert done.stdout.strip() == "refused: job.yml: frobnicate: unknown field"
    assert "experimental" not in done.stderr + done.stdout


# -- files and folders -------------------------------------------------------------------------------
def test_download_into_a_file_is_refused(ip, digits, workspace):
    ip.run("%aml data create -n d -p digits")
    ip.run("%aml model create -n m -p digits")
    (workspace / "afile").write_text("mine")
    before = tree(workspace)
    for line in ("%aml data download -n d -p afile", "%aml model download -n m -p afile/sub",
                 "%aml data download -n d --download-path afile"):
        assert "is a file, not a folder" in refused(ip, line)
    assert tree(workspace) == before and (workspace / "afile").read_text() == "mine"


def test_connect_local_on_a_file_is_refused(ip, workspace):
    (workspace / "afile").write_text("mine")
    before = tree(workspace)
    assert "is a file, not a workspace folder" in refused(ip, "%aml connect --local afile")
    assert tree(workspace) == before


def test_export_into_a_folder_that_cannot_be_created_is_one_line(ip, digits, workspace):
    ip.run("%aml data create -n d -p digits")
    (workspace / "afile").write_text("mine")
    before = tree(workspace)
    assert "is a file, not a folder" in refused(ip, "%aml export --dir afile/out")
    assert refused(ip, "%aml export --dir /proc/aml-export").startswith("could not write into /proc/aml-export")
    assert tree(workspace) == before


@pytest.mark.parametrize("path", ["/proc/self", "/proc/cpuinfo", "/dev/null", "pipe", "with-pipe"])
def test_data_from_special_files_is_refused_and_leaves_no_upload(ip, workspace, path):
    os.mkfifo(workspace / "pipe")
    (workspace / "with-pipe").mkdir()
    (workspace / "with-pipe" / "data.csv").write_text("a\n")
    os.mkfifo(workspace / "with-pipe" / "feed")  # reading it would block forever
    before = tree(workspace)
    message = refused(ip, f"%aml data create -n special -p {path}")
    assert "system filesystem" in message or "not a regular file" in message
    assert tree(workspace) == before  # no LocalUpload/<hash>/ folder, no registry entry


def test_metrics_of_no_such_job_is_not_found(ip):
    assert refused(ip, "%aml job metrics -n nosuch").startswith("job 'nosuch' not found")


@pytest.mark.parametrize("line", ["%aml data list -r -1", "%aml job list --max-results -3",
                                  "%aml compute create -n pool --max-instances -1"])
def test_negative_counts_are_usage_errors(ip, digits, line):
    assert "takes a whole number >= 0" in refused(ip, line)
