"""Failures of local online endpoints: init() that raises, wrong fields, a killed server,
deleting deployments, aml_token auth."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from test_endpoints import (
    deployment_yaml,
    load,
    make_project,
    new_endpoint,
    post,
    request_file,
    set_traffic,
    stop_all,
    wait_for,
)

from amlmagic.errors import BackendError, NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.serving import endpoint_state


@pytest.fixture
def project(tmp_path):
    """A project folder with a registered model and endpoint `ep-fail`; servers stopped after."""
    from azure.ai.ml.entities import Model

    root = make_project(tmp_path)
    client = LocalMLClient(root / ".amlmagic")
    try:
        client.models.create_or_update(Model(name="doubler", path=str(root / "model")))
        new_endpoint(client, "ep-fail")
        yield client, root
    finally:
        stop_all(client)


def test_init_that_raises_leaves_the_deployment_failed_with_the_traceback_in_its_logs(project):
    client, root = project
    (root / "bad").mkdir()
    (root / "bad" / "score.py").write_text(
        "def init():\n    raise RuntimeError('weights file is corrupt')\n\ndef run(raw_data):\n    return raw_data\n")
    path = deployment_yaml(root, "broken", "ep-fail", "red")
    path.write_text(path.read_text().replace("code: ./src", "code: ./bad"))
    poller = client.online_deployments.begin_create_or_update(load(path))
    assert poller.status() == "Failed"
    with pytest.raises(BackendError, match="weights file is corrupt") as error:
        poller.result()
    assert "get-logs -n broken -e ep-fail" in str(error.value)
    assert client.online_deployments.get("broken", "ep-fail").provisioning_state == "Failed"
    logs = client.online_deployments.get_logs("broken", "ep-fail", lines=100)
    assert "Traceback (most recent call last)" in logs and "RuntimeError: weights file is corrupt" in logs
    # a failed deployment answers 503 with a message pointing at its logs
    with pytest.raises(BackendError, match="503"):
        client.online_endpoints.invoke("ep-fail", request_file=request_file(root, "{}"), deployment_name="broken")
    # fixing the script and updating the deployment brings it back
    (root / "bad" / "score.py").write_text("def init():\n    pass\n\ndef run(raw_data):\n    return {'ok': raw_data}\n")
    fixed = client.online_deployments.begin_create_or_update(load(path)).result()
    assert fixed.provisioning_state == "Succeeded"
    answer = client.online_endpoints.invoke("ep-fail", request_file=request_file(root, "{}"), deployment_name="broken")
    assert json.loads(answer) == {"ok": "{}"}


def test_wrong_fields_fail_before_anything_runs(project):
    client, root = project
    path = deployment_yaml(root, "green", "ep-fail", "green")
    for old, new, error, match in [
        ("score.py", "missing.py", NotFoundError, "missing.py"),
        ("code: ./src", "code: ./nowhere", NotFoundError, "nowhere"),
        ("azureml:doubler:1", "azureml:doubler:7", NotFoundError, "doubler"),
        ("endpoint_name: ep-fail", "endpoint_name: ep-nope", NotFoundError, "ep-nope"),
        ("instance_count: 1", "instance_count: 0", ValidationError, "instance_count"),
        ("instance_type:", "environment: azureml:no-such-env:1\ninstance_type:", NotFoundError, "no-such-env"),
    ]:
        broken = root / "broken.yml"
        broken.write_text(path.read_text().replace(old, new))
        deployment = load(broken)
        with pytest.raises(error, match=match):
            client.online_deployments.begin_create_or_update(deployment)
    assert client.online_deployments.list("ep-fail") == []
    assert not (client.root / "endpoints" / "ep-fail" / "deployments" / "green").exists()
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    for bad in ("ab", "1-starts-with-digit", "ends-with-"):
        with pytest.raises(ValidationError, match="3 to 32"):
            client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=bad))
    with pytest.raises(NotFoundError, match="online-endpoint list"):
        client.online_endpoints.get("ep-nope")
    with pytest.raises(NotFoundError, match="online-deployment list"):
        client.online_deployments.get("green", "ep-fail")


def test_a_killed_server_is_restarted_by_invoke(project):
    client, root = project
    client.online_deployments.begin_create_or_update(load(deployment_yaml(root, "blue", "ep-fail", "blue"))).result()
    set_traffic(client, "ep-fail", {"blue": 100})
    state = endpoint_state(client.root / "endpoints" / "ep-fail")
    os.kill(state.pid, signal.SIGKILL)
    for pid in state.deployments["blue"].worker_pids:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: client.online_deployments.get("blue", "ep-fail").provisioning_state == "Stopped",
             what="the killed server to be reported")
    req = request_file(root, '{"data": [2]}')
    assert json.loads(client.online_endpoints.invoke("ep-fail", request_file=req))["result"] == [4.0]
    assert client.online_deployments.get("blue", "ep-fail").provisioning_state == "Succeeded"
    assert endpoint_state(client.root / "endpoints" / "ep-fail").pid != state.pid


def test_deleting_a_deployment_stops_it(project):
    client, root = project
    for color in ("blue", "green"):
        client.online_deployments.begin_create_or_update(load(deployment_yaml(root, color, "ep-fail", color))).result()
    set_traffic(client, "ep-fail", {"blue": 100}, mirror={"green": 10})
    green_pids = endpoint_state(client.root / "endpoints" / "ep-fail").deployments["green"].worker_pids
    client.online_deployments.begin_delete("green", "ep-fail").result()
    assert [d.name for d in client.online_deployments.list("ep-fail")] == ["blue"]
    assert client.online_endpoints.get("ep-fail").mirror_traffic == {}
    wait_for(lambda: all(not Path(f"/proc/{pid}").exists() or
                         Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
                         for pid in green_pids), what="green's workers to exit")
    assert not (client.root / "endpoints" / "ep-fail" / "deployments" / "green").exists()
    with pytest.raises(NotFoundError):
        client.online_endpoints.invoke("ep-fail", request_file=request_file(root, "{}"), deployment_name="green")
    with pytest.raises(NotFoundError):
        client.online_deployments.get_logs("green", "ep-fail", lines=10)


def test_aml_token_endpoint_takes_its_token(project):
    client, root = project
    endpoint = new_endpoint(client, "ep-token", auth_mode="aml_token")
    assert endpoint.auth_mode == "aml_token"
    token = client.online_endpoints.get_keys("ep-token")
    assert type(token).__name__ == "EndpointAuthToken" and token.access_token
    with pytest.raises(ValidationError, match="aml_token"):
        client.online_endpoints.begin_regenerate_keys("ep-token")
    client.online_deployments.begin_create_or_update(load(deployment_yaml(root, "blue", "ep-token", "blue"))).result()
    uri = set_traffic(client, "ep-token", {"blue": 100}).scoring_uri
    assert post(uri, b'{"data": [1]}', {"Authorization": f"Bearer {token.access_token}"})[0] == 200
    assert post(uri, b'{"data": [1]}', {"Authorization": "Bearer nope"})[0] == 401


def test_inline_environment_from_yaml_is_realized_and_shown(project):
    client, root = project
    (root / "env.yml").write_text("name: serve\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - pyyaml\n")
    path = deployment_yaml(root, "blue", "ep-fail", "blue")
    path.write_text(path.read_text().replace(
        "instance_type:", "environment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
                          "  conda_file: ./env.yml\ninstance_type:"))
    deployment = client.online_deployments.begin_create_or_update(load(path)).result()
    assert deployment.provisioning_state == "Succeeded"
    shown = client.online_deployments.get("blue", "ep-fail").environment
    assert shown.image.startswith("mcr.microsoft.com/") and shown.conda_file["dependencies"][2] == {"pip": ["pyyaml"]}
    setup = client.online_deployments.get_logs("blue", "ep-fail", None, container_type="storage-initializer")
    assert "environment: workers run" in setup and "AZUREML_MODEL_DIR=" in setup
