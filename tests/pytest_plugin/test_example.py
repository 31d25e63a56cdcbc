"""examples/pytest-plugin's own tests: its train-and-deploy script locally and replayed from the
recording make_recordings.py made against the fake Azure ML server."""

from __future__ import annotations

import pytest
from conftest import REPO
from make_recordings import EXAMPLE, run_pytest


@pytest.mark.slow
def test_example_passes_locally_and_replayed(tmp_path):
    run = run_pytest(["-v", f"--basetemp={tmp_path / 'run'}", str(EXAMPLE / "tests")], REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_trains_and_serves_locally PASSED" in run.stdout
    assert "test_trains_and_serves_replayed PASSED" in run.stdout
