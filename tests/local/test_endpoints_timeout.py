"""request_settings of online deployments through the local client and the `%aml` magics: read
from YAML, validated, shown back as given, and enforced by the real endpoint server on
127.0.0.1 (a 408 on invoke is a one-line error, like any error status)."""

from __future__ import annotations

import json
import time

import pytest
from IPython.core.error import UsageError as IPythonUsageError
from test_serving_timeout import SLEEPY_PY

from amlmagic.local.serving import stop_endpoint
from amlmagic.spec.assets import asset_to_spec


def deployment_yaml(folder, name: str, settings: str = "") -> str:
    (folder / f"{name}.yml").write_text(
        f"name: {name}\nendpoint_name: ep-slow\n"
        "code_configuration:\n  code: ./src\n  scoring_script: score.py\n"
        f"instance_type: Standard_DS3_v2\ninstance_count: 1\n{settings}")
    return f"{name}.yml"


@pytest.fixture
def project(ip, workspace):
    (workspace / "src").mkdir()
    (workspace / "src" / "score.py").write_text(SLEEPY_PY)
    try:
        ip.run("%aml online-endpoint create -n ep-slow")
        yield ip, workspace
    finally:
        for folder in (workspace / ".amlmagic" / "endpoints").glob("*"):
            stop_endpoint(folder)


def invoke(ip, workspace, payload: dict, deployment: str | None = None):
    (workspace / "request.json").write_text(json.dumps(payload))
    target = f" -d {deployment}" if deployment else ""
    return ip.run(f"%aml online-endpoint invoke -n ep-slow -r request.json{target}")


def test_request_timeout_from_yaml_is_shown_as_given_and_a_slow_invoke_is_a_one_line_408(project):
    ip, workspace = project
    settings = "request_settings:\n  request_timeout_ms: 300\n  max_concurrent_requests_per_instance: 1\n"
    created = ip.run(f"%aml online-deployment create -f {deployment_yaml(workspace, 'slow', settings)} --all-traffic")
    shown = ip.run("%aml online-deployment show -n slow -e ep-slow")
    for entity in (created, shown):
        assert entity.provisioning_state == "Succeeded"
        given = entity.request_settings
        assert (given.request_timeout_ms, given.max_concurrent_requests_per_instance, given.max_queue_wait_ms) == \
            (300, 1, None)
    assert asset_to_spec(shown)[1]["request_settings"] == {"request_timeout_ms": 300,
                                                           "max_concurrent_requests_per_instance": 1}
    config = json.loads((workspace / ".amlmagic" / "endpoints" / "ep-slow" / "config.json").read_text())
    assert config["deployments"]["slow"]["request_timeout_ms"] == 300

    for deployment in (None, "slow"):  # routed by traffic, and named with --deployment-name
        start = time.monotonic()
        with pytest.raises(IPythonUsageError) as info:
            invoke(ip, workspace, {"id": 1, "x": 2, "sleep": 4}, deployment)
        assert time.monotonic() - start < 3.0  # answered at the timeout, not when run() returns
        message = str(info.value)
        assert "\n" not in message and message.startswith("endpoint ep-slow answered 408: ")
        assert "'slow'" in message and "request_settings.request_timeout_ms (300 ms)" in message
        assert "make run() faster" in message
    # the next request gets its own answer from the replaced worker
    assert {k: v for k, v in invoke(ip, workspace, {"id": 7, "x": 4}).items() if k != "pid"} == {"id": 7, "double": 8}
    logs = str(ip.run("%aml online-deployment get-logs -n slow -e ep-slow"))
    timed_out = [line for line in logs.splitlines() if "request timed out" in line]
    assert len(timed_out) == 2 and all("request_timeout_ms=300 ms" in line and "answered 408" in line
                                       for line in timed_out)


def test_without_request_settings_the_timeout_is_azures_default(project):
    ip, workspace = project
    created = ip.run(f"%aml online-deployment create -f {deployment_yaml(workspace, 'plain')}")
    assert created.request_settings is None  # as given; the server applies the default
    assert ip.run("%aml online-deployment show -n plain -e ep-slow").request_settings is None
    assert "request_settings" not in asset_to_spec(created)[1]
    config = json.loads((workspace / ".amlmagic" / "endpoints" / "ep-slow" / "config.json").read_text())
    assert config["deployments"]["plain"]["request_timeout_ms"] == 5000
    assert invoke(ip, workspace, {"id": 1, "x": 1, "sleep": 0.2}, "plain")["double"] == 2


@pytest.mark.parametrize("value", [0, -1, 180001])
def test_an_invalid_request_timeout_fails_before_anything_runs(project, value):
    ip, workspace = project
    path = deployment_yaml(workspace, "bad", f"request_settings:\n  request_timeout_ms: {value}\n")
    with pytest.raises(IPythonUsageError) as info:
        ip.run(f"%aml online-deployment create -f {path}")
    message = str(info.value)
    assert "\n" not in message and "request_settings.request_timeout_ms" in message and "180000" in message
    with pytest.raises(IPythonUsageError, match="not found"):
        ip.run("%aml online-deployment show -n bad -e ep-slow")
