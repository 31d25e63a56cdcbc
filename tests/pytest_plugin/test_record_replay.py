"""The same user test recorded against the fake Azure ML server (`--aml-record`), then replayed
with the server gone: the recording is sanitized and its polling collapsed, and the replay needs
no network, no sleeping, and not the azure-ai-ml version it was recorded with. Then what a replay
that goes wrong tells the user."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from conftest import REPO
from fake_azureml import FakeAzureML
from make_recordings import FAKE_CONNECTION_CONFTEST, fake_connection_env

from amlmagic.backends.replay.matching import request_key
from amlmagic.backends.replay.recording import load_recording

pytest_plugins = ["pytester"]

OWN_RECORDINGS = REPO / "tests" / "backends" / "recordings"
MARKER = '@pytest.mark.aml_recording("recordings/user.json")'
SLEEP_LOG_CONFTEST = """
import json, time
import pytest

@pytest.fixture(autouse=True)
def log_sleeps(monkeypatch, request):
    slept, real_sleep = [], time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), real_sleep(s))[1])
    yield
    (request.path.parent / "slept.json").write_text(json.dumps(slept))
"""


@pytest.fixture
def recorded(run_user_tests, user_project, pytester, monkeypatch):
    """The user's project with recordings/user.json recorded against the fake; (folder, fake, run)."""
    folder = user_project(MARKER)
    pytester.makeconftest(FAKE_CONNECTION_CONFTEST)
    with FakeAzureML() as fake:
        fake.scorer = lambda body: {"reply": "hello " + body["name"]}  # as src/score.py answers
        fake.run_status["hello-1"] = ["Running", "Running", "Running", "Completed"]
        for name, value in fake_connection_env(fake, "AmlMagicPluginTest").items():
            monkeypatch.setenv(name, value)
        result = run_user_tests("-q", "--aml-record")
    for name in fake_connection_env(fake, "AmlMagicPluginTest"):
        monkeypatch.delenv(name)
    return folder, fake, result


def test_recording_is_sanitized_and_collapsed_then_replays_offline(recorded, run_user_tests):
    folder, fake, result = recorded
    result.assert_outcomes(passed=1)
    path = folder / "recordings" / "user.json"
    entries = load_recording(path)["Entries"]
    assert f"recorded {len(fake.requests)} requests as {len(entries)} entries" in result.stdout.str()

    # sanitized: no subscription, user, token or endpoint key of the live session is left
    text = path.read_text()
    assert fake.subscription not in text and "ada@example.com" not in text
    assert "replay-token" not in text and "Authorization" not in text
    keys = [e for e in entries if e["RequestUri"].endswith("/listKeys") or "listkeys" in e["RequestUri"].lower()]
    assert keys and {keys[0]["ResponseBody"]["primaryKey"], keys[0]["ResponseBody"]["secondaryKey"]} == {"Sanitized"}

    # collapsed: every request is in the file, the three identical "Running" polls as one entry
    assert sum(e.get("Count", 1) for e in entries) == len(fake.requests)
    run_polls = [e for e in entries if "/history/" in e["RequestUri"] and "/runs/hello-1/details" in e["RequestUri"]]
    # (how many of the run's three "Running" answers go to run-details polls, rather than to a job
    # GET that reads the run's status, is the client's business: at least two, collapsed into one)
    assert [e["ResponseBody"]["status"] for e in run_polls] == ["Running", "Completed"]
    assert run_polls[0].get("Count", 1) >= 2 and run_polls[1].get("Count", 1) == 1
    for first, second in itertools.pairwise(entries):
        assert not (request_key(first["RequestMethod"], first["RequestUri"]) ==
                    request_key(second["RequestMethod"], second["RequestUri"]) and
                    first["ResponseBody"] == second["ResponseBody"] and first["StatusCode"] == second["StatusCode"]), \
            f"identical consecutive entries left: {first['RequestUri']}"

    # the same test replays with the fake gone (a request reaching it would fail), without sleeping
    (folder / "conftest.py").write_text(SLEEP_LOG_CONFTEST)
    run_user_tests("-q").assert_outcomes(passed=1)
    slept = json.loads((folder / "slept.json").read_text())
    assert [s for s in slept if s > 0] == [], "the replay slept (LRO or job-stream polling)"
    assert (folder / "scoring_uri.txt").read_text() == fake.url + "/score"  # the recorded endpoint's

    # a newer azure-ai-ml asks with other api-versions and another User-Agent: still matched
    text = path.read_text()
    assert "api-version=" in text and "azure-ai-ml/" in text
    text = re.sub(r"api-version=[0-9a-z.-]+", "api-version=2019-01-01-preview", text)
    path.write_text(re.sub(r"azure-ai-ml/[0-9.]+", "azure-ai-ml/1.0.0", text))
    run_user_tests("-q").assert_outcomes(passed=1)


def test_a_failed_recording_leaves_the_last_good_one(run_user_tests, pytester, monkeypatch):
    (pytester.path / "recordings").mkdir()
    good = pytester.path / "recordings" / "user.json"
    good.write_text('{"Entries": [], "Variables": {}}')
    pytester.makeconftest(FAKE_CONNECTION_CONFTEST)
    pytester.makepyfile(test_user=f"""
import pytest

{MARKER}
def test_x(aml_client):
    aml_client.compute.get("no-such-cluster")
""")
    with FakeAzureML() as fake:
        for name, value in fake_connection_env(fake, "AmlMagicPluginTest2").items():
            monkeypatch.setenv(name, value)
        result = run_user_tests("-q", "--aml-record")
    result.assert_outcomes(failed=1)
    assert good.read_text() == '{"Entries": [], "Variables": {}}'
    partial = load_recording(pytester.path / "recordings" / "user.recording.json")["Entries"]
    assert [(e["RequestMethod"], e["StatusCode"]) for e in partial] == [("GET", 404)]
    assert "user.json is unchanged; what was recorded is in" in result.stdout.str()


FAILING_TESTS = """
import socket
import urllib.request

import pytest


@pytest.mark.aml_recording("compute.json")
def test_unrecorded_call(aml_client):
    aml_client.compute.get("gpu-cluster")


@pytest.mark.aml_recording("compute.json")
def test_swallowed_unrecorded_call(aml_client):
    try:
        aml_client.compute.get("gpu-cluster")
    except Exception:  # code under test that hides errors does not hide a replay miss
        pass


@pytest.mark.aml_recording("compute.json")
def test_network_is_blocked(aml_client):
    for reach in (lambda: socket.create_connection(("203.0.113.7", 443), timeout=5),
                  lambda: urllib.request.urlopen("http://example.com", timeout=5)):  # not through requests
        try:
            reach()
        except OSError:  # urllib's URLError is one
            pass


@pytest.mark.aml_recording("compute.json")
def test_loopback_stays_reachable(aml_client):
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname(), timeout=5).close()
    assert [c.name for c in aml_client.compute.list()] == ["cpu-cluster"]


@pytest.mark.aml_recording("recordings/never-made.json")
def test_missing_recording(aml_client):
    pass
"""


def test_what_a_failing_replay_tells_the_user(run_user_tests, pytester):
    (pytester.path / "compute.json").write_text((OWN_RECORDINGS / "compute_list_show.json").read_text())
    pytester.makepyfile(test_user=FAILING_TESTS)
    result = run_user_tests("-q", "-rA")
    result.assert_outcomes(passed=1, failed=3, errors=1)
    out = result.stdout.str()
    miss = "Replay has no recorded answer for GET …/workspaces/ws-demo/computes/gpu-cluster in compute.json"
    closest = "closest recorded: GET …/workspaces/ws-demo/computes/cpu-cluster"
    for test in ("test_unrecorded_call", "test_swallowed_unrecorded_call"):
        section = _failure_of(out, test)
        assert miss in section and closest in section, section
        assert f"pytest --aml-record test_user.py::{test}" in section
    network = _failure_of(out, "test_network_is_blocked")
    assert "The test tried to reach the network during replay" in network
    assert "connect to ('203.0.113.7', 443)" in network and "name lookup of 'example.com'" in network
    missing = _failure_of(out, "test_missing_recording")
    assert ("never-made.json does not exist: record it with "
            "`pytest --aml-record test_user.py::test_missing_recording`") in missing


def _failure_of(out: str, test: str) -> str:
    """The report section of one failed or erroring test."""
    match = re.search(rf"_+ (?:ERROR at setup of )?{test} _+\n(.*?)(?=\n_{{5,}} |\n=+ )", out, re.DOTALL)
    assert match, f"no failure section for {test} in:\n{out}"
    return match.group(1)
