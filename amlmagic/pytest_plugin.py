"""pytest plugin: test code that uses azure-ai-ml's MLClient without a workspace.

    def test_train(aml_client):                         # a fresh local workspace in tmp_path:
        ...                                             # jobs really run, endpoints really serve

    @pytest.mark.aml_recording("recordings/train.json")  # relative to the test file
    def test_train_replayed(aml_client):                # answered from the recording, offline
        ...

    pytest --aml-record     # records the marked tests against Azure instead (sanitized, collapsed)

Within a test that uses `aml_client`, code that builds its own client gets the fixture's:
`MLClient(...)` and `MLClient.from_config(...)` return it. Patched for the test's duration:
`azure.ai.ml.MLClient`, and the `MLClient` global of every loaded module outside `azure.*` and
`amlmagic.*` that holds azure-ai-ml's class (`from azure.ai.ml import MLClient` at module top).

Loaded through the `pytest11` entry point "amlmagic.pytest_plugin" (`-p no:amlmagic.pytest_plugin`
turns it off). Top-level imports are pytest and the standard library only: amlmagic's backends and
azure-ai-ml load when a test asks for `aml_client`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

__all__ = ["aml_client", "aml_connection", "make_client"]

MARKER = "aml_recording"
_STATE = pytest.StashKey[dict]()
_PASSED = pytest.StashKey[bool]()
_RECORDED = pytest.StashKey[list]()
# Where --aml-record finds the workspace (before config.json) unless aml_connection is overridden.
_WORKSPACE_ENV = {"subscription_id": "AZURE_SUBSCRIPTION_ID", "resource_group": "AZURE_RESOURCE_GROUP",
                  "workspace": "AZUREML_WORKSPACE_NAME"}


def pytest_addoption(parser) -> None:
    group = parser.getgroup("amlmagic", "Azure ML (amlmagic)")
    group.addoption("--aml-record", action="store_true", default=False,
                    help="record the Azure ML traffic of tests marked aml_recording against a real workspace "
                         "(needs an Azure login), instead of replaying it")


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(path): the aml_client fixture answers from this recording (relative to the test "
                   "file); pytest --aml-record records it")
    config.stash[_RECORDED] = []


def make_client(mode: str, *, workspace: Path | None = None, recording: Path | None = None,
                connection: dict | None = None, show: Callable[[str], Any] = print) -> Any:
    """The client `aml_client` hands out, built by amlmagic's own constructors only:
    "local" (a workspace folder), "replay" (a recording) or "record" (Azure, recorded)."""
    if mode == "local":
        from .local.client import LocalMLClient

        return LocalMLClient(workspace)
    from .backends import connect_azure, connect_replay

    if mode == "replay":
        return connect_replay([recording])
    if mode == "record":
        return connect_azure(**{"show": show, **(connection or {})}, record_path=recording)
    from .errors import UsageError

    raise UsageError(f"unknown aml_client mode {mode!r}: give local, replay or record")


@pytest.fixture
def aml_connection() -> dict:
    """`connect_azure` keyword arguments for --aml-record; override it in conftest.py to choose the
    workspace or credential. Default: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and
    AZUREML_WORKSPACE_NAME when all are set, else config.json found as MLClient.from_config finds it."""
    ids = {arg: os.environ.get(var) for arg, var in _WORKSPACE_ENV.items()}
    return ids if all(ids.values()) else {}


@pytest.fixture
def aml_client(request, tmp_path, monkeypatch):
    """An MLClient-compatible client: local in tmp_path, or the test's aml_recording replayed/recorded."""
    recording = _recording_of(request.node)
    if recording is None:
        mode = "local"
    elif request.config.getoption("aml_record"):
        mode = "record"
    else:
        mode = "replay"
        if not recording.is_file():
            pytest.fail(f"aml_recording {recording} does not exist: record it with "
                        f"`pytest --aml-record {request.node.nodeid}` (needs an Azure login and workspace)",
                        pytrace=False)
    # Only a recording test asks for the workspace: an aml_connection override may need Azure settings.
    connection = request.getfixturevalue("aml_connection") if mode == "record" else None
    saved_cloud = os.environ.get("AZUREML_CURRENT_CLOUD")  # MLClient(cloud=...) sets it for the process
    # A recording is written beside the old one and replaces it only when the test passes.
    target = recording.with_name(f"{recording.stem}.recording{recording.suffix}") if mode == "record" else recording
    try:
        client = make_client(mode, workspace=tmp_path / ".amlmagic", recording=target,
                             connection=connection, show=_terminal_printer(request.config))
    except Exception as exc:
        from .errors import AmlMagicError

        if not isinstance(exc, AmlMagicError):
            raise
        where = " (set AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZUREML_WORKSPACE_NAME, or override the " \
                "aml_connection fixture)" if mode == "record" else ""
        pytest.fail(f"aml_client ({mode}): {exc}{where}", pytrace=False)
    state = {"mode": mode, "client": client, "recording": recording, "target": target, "player": None,
             "guard": None}
    request.node.stash[_STATE] = state
    if mode == "replay":
        from .backends.replay.offline import OfflineGuard

        state["player"] = _player_of(client)
        if state["player"] is not None:
            state["player"].rerecord_hint = (
                f"Re-record it with `pytest --aml-record {request.node.nodeid}` (needs an Azure login), "
                "or make the call match the recording.")
        state["guard"] = OfflineGuard(f"the test replays {recording.name}").__enter__()
    _patch_mlclient(monkeypatch, client)
    try:
        yield client
    finally:
        _close(state, request.config, passed=request.node.stash.get(_PASSED, False))
        if saved_cloud is None:
            os.environ.pop("AZUREML_CURRENT_CLOUD", None)
        else:
            os.environ["AZUREML_CURRENT_CLOUD"] = saved_cloud


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A replay that missed a request or tried the network fails the test, even when the code
    under test caught the error."""
    try:
        result = yield
    except BaseException:
        problems = _replay_problems(item)
        if problems:
            item.add_report_section("call", "aml replay", problems)
        raise
    problems = _replay_problems(item)
    if problems:
        pytest.fail(problems, pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


def pytest_terminal_summary(terminalreporter, config) -> None:
    for line in config.stash.get(_RECORDED, []):
        terminalreporter.write_line(line)


# -- helpers ------------------------------------------------------------------------------------
def _recording_of(node) -> Path | None:
    marker = node.get_closest_marker(MARKER)
    if marker is None:
        return None
    if len(marker.args) != 1:
        raise pytest.UsageError(f"{node.nodeid}: give one path: @pytest.mark.{MARKER}('recordings/name.json')")
    return (Path(node.path).parent / marker.args[0]).resolve()


def _player_of(client) -> Any:
    player = getattr(client, "_amlmagic_player", None)
    if player is None:  # a wrapping client: the player of the replay connect_replay started
        from .backends import azure

        player = getattr(getattr(azure, "_active_replay_hook", None), "player", None)
    return player


def _replay_problems(item) -> str:
    state = item.stash.get(_STATE, None)
    if not state or state["mode"] != "replay":
        return ""
    lines = list(dict.fromkeys(state["player"].mismatches)) if state["player"] is not None else []
    if state["guard"] is not None and state["guard"].attempts:
        lines.append(f"The test tried to reach the network during replay: {'; '.join(state['guard'].attempts)}.")
    return "\n".join(lines)


def _patch_mlclient(monkeypatch, client) -> None:
    import azure.ai.ml

    original = azure.ai.ml.MLClient

    class FixtureMLClient(original):  # a subclass: `issubclass`, type hints and docs still work
        """azure-ai-ml's MLClient as seen by code under test: every construction is the fixture's client."""

        def __new__(cls, *args, **kwargs):
            return client

        @classmethod
        def from_config(cls, *args, **kwargs):
            return client

    monkeypatch.setattr(azure.ai.ml, "MLClient", FixtureMLClient)
    for name, module in list(sys.modules.items()):
        if name.startswith(("azure.", "amlmagic.")):
            continue  # the SDK and our backends keep the real class
        if getattr(module, "__dict__", {}).get("MLClient") is original:
            monkeypatch.setattr(module, "MLClient", FixtureMLClient)


def _close(state: dict, config, passed: bool) -> None:
    if state["guard"] is not None:
        state["guard"].__exit__(None, None, None)
    if state["mode"] == "local":
        _stop_local(state["client"])
        return
    from .backends import stop_replay

    stop_replay()
    if state["mode"] == "record":
        from .backends.replay.recording import load_recording

        entries = load_recording(state["target"])["Entries"]
        requests = sum(int(e.get("Count") or 1) for e in entries)
        if passed:
            os.replace(state["target"], state["recording"])
            config.stash[_RECORDED].append(
                f"aml: recorded {requests} requests as {len(entries)} entries in {state['recording']}")
        else:
            config.stash[_RECORDED].append(
                f"aml: the test failed: {state['recording']} is unchanged; what was recorded is in {state['target']}")


def _stop_local(client) -> None:
    """Jobs and endpoint servers are detached processes: stop what the test left running."""
    from .local.serving import stop_endpoint
    from .rules import is_terminal

    for job in client.jobs.list():
        if not is_terminal(job):
            client.jobs.begin_cancel(job.name)
    for folder in sorted((Path(client.root) / "endpoints").glob("*")):
        stop_endpoint(folder)


def _terminal_printer(config) -> Callable[[str], None]:
    """Messages for the user during the run (device-code login), past pytest's output capture."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def show(message: str) -> None:
        with capture.global_and_fixture_disabled() if capture else nullcontext():
            print(f"\n[aml] {message}", flush=True)

    return show
