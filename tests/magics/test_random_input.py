"""Property: whatever `%aml` line or `%%aml ... create` YAML body a user types, through a real
IPython shell that re-raises, it either works or is one readable `UsageError` line (IPython's,
from an amlmagic error: no traceback), and a command that fails writes nothing under the notebook
folder (the workspace is inside it)."""

from __future__ import annotations

import os
import shlex

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError as IPythonUsageError

from amlmagic.magics.grammar import NOUNS

# Every noun and verb, except connecting elsewhere (Azure sign-in, another workspace): fixed
# connect lines that must fail stand for it.
COMMANDS = sorted({f"{noun} {verb}".strip() for noun, verbs in NOUNS.items() if noun != "connect" for verb in verbs}
                  | {"data", "workspace", "compute", "connect --local afile", "connect --local afile/sub",
                     "connect --replay nope.json"})
# Flag words and values, bad ones first among them. No "." as a path: registering the notebook
# folder would copy the workspace into itself.
WORDS = ["-n", "x", "digits", "'bad name'", "-v", "1", "-1", "0", "-p", "afile", "afile/sub", "/proc/self", "pipe",
         "nope", "-t", "uri_file", "uri_folder", "mltable", "custom_model", "--set", "a=1", "garbage", "=x",
         "description=hi", "tags.k=v", "-f", "nope.yml", "bad.yml", "data.yml", "-r", "-e", "--traffic", "blue=100",
         "--dir", "out", "--download-path", "--max-instances", "--image", "python:3.11", "--bogus", "'", "-d",
         "--label", "latest", "--all", "-y", "--no-wait", "--parent-job-name", "--request-file", "-c", "conda.yml"]

FIELDS = ["name", "version", "type", "path", "description", "tags", "frobnicate", "code", "image", "conda_file",
          "auth_mode", "max_instances", "min_instances", "endpoint_name", "instance_count", "trial", "inputs",
          "sampling_algorithm", "$schema", "local_path"]
VALUES = st.one_of(
    st.sampled_from(["x", "digits", "./digits", "./src", "afile", "/proc/self", "pipe", "uri_folder", "uri_file",
                     "bad name", "1", "", "key", "azureml:nope:1", "python:3.11", "random"]),
    st.integers(min_value=-3, max_value=3), st.none(), st.booleans(),
    st.lists(st.sampled_from(["x", "1"]), max_size=2),
    st.dictionaries(st.sampled_from(["type", "path", "value", "bogus"]), st.sampled_from(["x", "uri_folder", "1"]),
                    max_size=2),
)
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5).map(lambda d: yaml.safe_dump(d)),
    st.text(alphabet="ab:- \n[]{}'\"#x1", max_size=40),  # mostly not YAML, or not a mapping
)
CREATE_NOUNS = ["data", "model", "environment", "compute", "datastore", "job", "online-endpoint", "online-deployment"]
CREATE_FLAGS = ["", "-n x", "-n digits", "--set a=1", "--set garbage", "-v 1", "-t uri_file", "-f nope.yml"]


def snapshot(folder) -> dict:
    """Each path under the folder, with size and modification time for files (lock files come and
    go with reads)."""
    found = {}
    for path in folder.rglob("*"):
        if "locks" in path.parts:
            continue
        info = path.lstat()
        found[str(path.relative_to(folder))] = None if path.is_dir() else (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture
def notebook(ip, workspace):
    (workspace / "afile").write_text("a file, not a folder\n")
    (workspace / "digits").mkdir()
    (workspace / "digits" / "train.csv").write_text("label,pixel\n1,0\n")
    (workspace / "bad.yml").write_text("name: x\ntype: [unclosed\n")
    (workspace / "data.yml").write_text("name: from-file\ntype: uri_folder\npath: ./digits\nfrobnicate: 1\n")
    (workspace / "conda.yml").write_text("name: c\ndependencies:\n  - pip\n")
    os.mkfifo(workspace / "pipe")
    ip.run("%aml data create -n x -p digits")  # something for show, list, download to find
    try:
        yield ip, workspace
    finally:
        from amlmagic.local.serving import stop_endpoint

        for folder in (workspace / ".amlmagic" / "endpoints").glob("*"):
            stop_endpoint(folder)


def run_checked(ip, folder, cell: str) -> None:
    before = snapshot(folder)
    try:
        ip.run(cell)
    except IPythonUsageError as exc:
        message = str(exc)
        assert message and "\n" not in message, (cell, message)
        # readable: no escaped JSON from azure-ai-ml's schema errors, no wall of text
        assert "\\" not in message and len(message) < 500, (cell, message)
        assert snapshot(folder) == before, (cell, message)
    # Anything else (a traceback) fails the test as it is.


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), words=st.lists(st.sampled_from(WORDS), max_size=6))
def test_random_lines_work_or_are_one_line_usage_errors_that_write_nothing(notebook, command, words):
    ip, folder = notebook
    run_checked(ip, folder, f"%aml {command} {' '.join(words)}".rstrip())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noun=st.sampled_from(CREATE_NOUNS), flags=st.sampled_from(CREATE_FLAGS), body=BODIES)
def test_random_yaml_cells_work_or_are_one_line_usage_errors_that_write_nothing(notebook, noun, flags, body):
    ip, folder = notebook
    line = f"%%aml {noun} create {flags}".rstrip()
    shlex.split(line)  # the line itself is well formed: the body is what varies
    run_checked(ip, folder, f"{line}\n{body}")
