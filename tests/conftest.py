"""Fixtures every test folder can use: a workspace in a temp folder and a test shell that
re-raises errors instead of printing them (as jupysql's does)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _restore_environment():
    """Libraries change os.environ behind a test's back (MLClient(cloud=...) sets
    AZUREML_CURRENT_CLOUD): put it back so later tests and their subprocesses see a clean one."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A fresh notebook folder (the cwd) with the default local session connected."""
    from amlmagic.session import reset_session

    monkeypatch.chdir(tmp_path)
    session = reset_session()
    session.connect_local(tmp_path / ".amlmagic")
    yield tmp_path
    reset_session()


@pytest.fixture
def ip(workspace):
    """An IPython shell with amlmagic loaded whose cells raise instead of showing tracebacks."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "amlmagic")
    from amlmagic.warm_up import wait_for_warm_up

    wait_for_warm_up()  # test code imports azure-ai-ml outside cells, where nothing waits for it
    errors: list[BaseException] = []

    def reraise(*args, **kwargs):
        import sys

        errors.append(sys.exc_info()[1])

    original = shell.showtraceback
    shell.showtraceback = reraise
    shell.showsyntaxerror = reraise

    def run(cell: str):
        errors.clear()
        result = shell.run_cell(cell)
        if errors:
            raise errors[0]
        return result.result

    shell.run = run
    yield shell
    shell.showtraceback = original


def pytest_configure(config):
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("AZUREML_LOG_LEVEL", "ERROR")
    Path(config.rootpath, "tests", "artifacts").mkdir(exist_ok=True)
