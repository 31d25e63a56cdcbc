"""The contract suite's backends: every test runs once on the local backend (a workspace in a temp
folder, real job processes) and once on the replay backend (the scenario's recording, offline)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RECORDINGS = HERE.parent / "backends" / "recordings"
__all__ = ["LocalWorld", "ReplayWorld", "RECORDINGS"]


class LocalWorld:
    def __init__(self, client):
        self.client = client

    def datastore_file(self, path: str, text: str) -> None:
        from amlmagic.local.uris import resolve_uri

        target = resolve_uri(self.client.workspace.store, f"azureml://datastores/workspaceblobstore/paths/{path}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def job_runs(self, name, log, metrics) -> None:
        pass  # the job's own command writes the log and logs the metrics

    def batch_job_runs(self, name, progress) -> None:
        pass  # the local batch engine scores the files and writes the overview


class ReplayWorld:
    def datastore_file(self, path, text) -> None:
        pass  # the recording holds Azure's answers

    def job_runs(self, name, log, metrics) -> None:
        pass

    def batch_job_runs(self, name, progress) -> None:
        pass


def pytest_configure(config):
    config.addinivalue_line("markers", "recording(name): the contract recording a test replays (default: its own)")


@pytest.fixture(params=["local", "replay"])
def backend(request, tmp_path, monkeypatch):
    """(client, world) of the test's scenario on one backend; the scenario is the test's name
    without its `test_` prefix."""
    from amlmagic.backends import connect_replay, stop_replay
    from amlmagic.local.client import LocalMLClient

    scenario = request.node.originalname.removeprefix("test_")
    monkeypatch.chdir(tmp_path)
    if request.param == "local":
        client = LocalMLClient(tmp_path / ".amlmagic")
        yield client, LocalWorld(client)
        return
    marker = request.node.get_closest_marker("recording")
    client = connect_replay([RECORDINGS / f"contract_{marker.args[0] if marker else scenario}.json"])
    try:
        yield client, ReplayWorld()
        if marker is None:  # the scenario made every call its recording holds
            assert client.ml_client._amlmagic_player.unused() == [], "the scenario left recorded calls unmade"
    finally:
        stop_replay()
