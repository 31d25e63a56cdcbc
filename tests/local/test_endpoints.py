"""`client.online_endpoints` / `client.online_deployments` of the local backend end to end: real
endpoint servers on 127.0.0.1, deployments loaded from YAML with `load_online_deployment`, a
model registered with `client.models` from a local folder."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import binomial_bounds, wait_for

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.operations.online_endpoints import EndpointInvokeError
from amlmagic.local.serving import stop_endpoint

REPO = Path(__file__).resolve().parents[2]

SCORE_PY = """\
import json, os

def init():
    global factor
    # registered from the folder "model": it sits under AZUREML_MODEL_DIR by that name
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "factor.txt")) as f:
        factor = float(f.read())
    print("init in", os.getpid(), flush=True)

def run(raw_data):
    if raw_data == "crash":
        os._exit(3)
    if raw_data == "raise":
        raise ValueError("run() cannot read this")
    if os.environ.get("SEEN_LOG"):
        with open(os.environ["SEEN_LOG"], "a") as f:
            f.write(raw_data + "\\n")
    data = json.loads(raw_data)["data"]
    return {"result": [x * factor for x in data], "deployment": os.environ["COLOR"], "pid": os.getpid()}
"""


def deployment_yaml(folder: Path, name: str, endpoint: str, color: str, model: str = "azureml:doubler:1",
                    instances: int = 1, extra_env: dict | None = None) -> Path:
    env = {"COLOR": color, **(extra_env or {})}
    env_lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in env.items())
    path = folder / f"{name}.yml"
    model_field = f"model:\n  path: {model}\n" if model.startswith("./") else f"model: {model}\n"
    path.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        f"name: {name}\nendpoint_name: {endpoint}\n{model_field}"
        "code_configuration:\n  code: ./src\n  scoring_script: score.py\n"
        f"environment_variables:\n{env_lines}"
        f"instance_type: Standard_DS3_v2\ninstance_count: {instances}\n")
    return path


def make_project(root: Path, factor: float = 2.0) -> Path:
    """A notebook folder: src/score.py and a model folder."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "score.py").write_text(SCORE_PY)
    (root / "model").mkdir(exist_ok=True)
    (root / "model" / "factor.txt").write_text(str(factor))
    return root


def load(path: Path):
    from azure.ai.ml import load_online_deployment

    return load_online_deployment(str(path))


def new_endpoint(client, name: str, **fields):
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    return client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=name, **fields)).result()


def set_traffic(client, name: str, traffic: dict, mirror: dict | None = None):
    endpoint = client.online_endpoints.get(name)
    endpoint.traffic = traffic
    if mirror is not None:
        endpoint.mirror_traffic = mirror
    return client.online_endpoints.begin_create_or_update(endpoint).result()


def request_file(folder: Path, body: str, name: str = "request.json") -> str:
    path = folder / name
    path.write_text(body)
    return str(path)


def post(scoring_uri: str, body: bytes, headers: dict) -> tuple[int, str]:
    url = urlparse(scoring_uri)
    conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=30)
    conn.request("POST", url.path, body=body, headers=headers)
    response = conn.getresponse()
    answer = response.status, response.read().decode()
    conn.close()
    return answer






def stop_all(client) -> None:
    """Stop every endpoint server of the workspace, even when records are gone."""
    for folder in (client.root / "endpoints").glob("*"):
        stop_endpoint(folder)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Endpoint `ep-main` with blue (2 workers, factor 2) and green (factor 3) from YAML files."""
    from azure.ai.ml.entities import Model

    root = make_project(tmp_path_factory.mktemp("project"))
    client = LocalMLClient(root / ".amlmagic")
    try:
        client.models.create_or_update(Model(name="doubler", path=str(root / "model")))
        (root / "model3").mkdir()
        (root / "model3" / "factor.txt").write_text("3")
        # the same folder name "model" under another asset, so AZUREML_MODEL_DIR/model/ holds it
        (root / "m3" / "model").mkdir(parents=True)
        (root / "m3" / "model" / "factor.txt").write_text("3")
        client.models.create_or_update(Model(name="tripler", path=str(root / "m3" / "model")))
        new_endpoint(client, "ep-main")
        seen = root / "green-seen.log"
        blue = client.online_deployments.begin_create_or_update(
            load(deployment_yaml(root, "blue", "ep-main", "blue", instances=2))).result()
        green = client.online_deployments.begin_create_or_update(
            load(deployment_yaml(root, "green", "ep-main", "green", model="azureml:tripler@latest",
                                 extra_env={"SEEN_LOG": str(seen)}))).result()
        assert (blue.provisioning_state, green.provisioning_state) == ("Succeeded", "Succeeded")
        yield client, root
    finally:
        stop_all(client)


def test_create_returns_the_endpoint_with_its_scoring_uri(served):
    client, _ = served
    endpoint = client.online_endpoints.get("ep-main")
    assert endpoint.provisioning_state == "Succeeded" and endpoint.auth_mode == "key"
    url = urlparse(endpoint.scoring_uri)
    assert (url.scheme, url.hostname, url.path) == ("http", "127.0.0.1", "/score")
    assert [e.name for e in client.online_endpoints.list()] == ["ep-main"]
    assert [d.name for d in client.online_deployments.list("ep-main")] == ["blue", "green"]
    blue = client.online_deployments.get("blue", "ep-main")
    assert (blue.instance_count, blue.instance_type, blue.model) == (2, "Standard_DS3_v2", "azureml:doubler:1")
    assert client.online_deployments.get("green", "ep-main").model == "azureml:tripler:1"
    assert endpoint.creation_context.created_at <= blue.creation_context.created_at
    assert blue.creation_context.created_by == endpoint.creation_context.created_by


def test_invoke_by_file_and_by_deployment_name(served):
    client, root = served
    set_traffic(client, "ep-main", {"blue": 100})
    req = request_file(root, '{"data": [1, 2]}')
    answer = json.loads(client.online_endpoints.invoke("ep-main", request_file=req))
    assert (answer["result"], answer["deployment"]) == ([2.0, 4.0], "blue")
    answer = json.loads(client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="green"))
    assert (answer["result"], answer["deployment"]) == ([3.0, 6.0], "green")
    with pytest.raises(NotFoundError, match="purple"):
        client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="purple")


def test_instance_count_is_worker_processes_each_running_init_once(served):
    client, root = served
    req = request_file(root, '{"data": [1]}')
    pids = {json.loads(client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="blue"))["pid"]
            for _ in range(40)}
    log = client.online_deployments.get_logs("blue", "ep-main", lines=200)
    started = {int(line.split()[2]) for line in log.splitlines() if line.startswith("init in ")}
    assert pids <= started and len(started) == 2
    assert client.online_deployments.get_logs("blue", "ep-main", lines=1).count("\n") == 1


def test_traffic_split_90_10_by_weight(served):
    client, root = served
    endpoint = set_traffic(client, "ep-main", {"blue": 90, "green": 10})
    assert endpoint.traffic == {"blue": 90, "green": 10}
    req = request_file(root, '{"data": [1]}')
    n = 300
    green = sum(json.loads(client.online_endpoints.invoke("ep-main", request_file=req))["deployment"] == "green"
                for _ in range(n))
    lo, hi = binomial_bounds(n, 0.10)
    assert lo <= green <= hi, (green, lo, hi)


def test_mirror_traffic_copies_requests_without_answering(served):
    client, root = served
    seen = root / "green-seen.log"
    seen.unlink(missing_ok=True)
    endpoint = set_traffic(client, "ep-main", {"blue": 100, "green": 0}, mirror={"green": 20})
    assert endpoint.mirror_traffic == {"green": 20} and endpoint.traffic == {"blue": 100}
    n = 200
    answers = []
    for i in range(n):
        req = request_file(root, json.dumps({"data": [1], "i": i}))
        answers.append(json.loads(client.online_endpoints.invoke("ep-main", request_file=req))["deployment"])
    assert set(answers) == {"blue"}  # the mirror's answers are dropped
    lo, hi = binomial_bounds(n, 0.20)
    count = lambda: len(seen.read_text().splitlines()) if seen.exists() else 0  # noqa: E731
    wait_for(lambda: count() >= lo, what=f"{lo} mirrored requests")
    assert count() <= hi
    set_traffic(client, "ep-main", {"blue": 100}, mirror={"green": 0})
    assert client.online_endpoints.get("ep-main").mirror_traffic == {}


def test_traffic_must_name_deployments_and_sum_to_100(served):
    client, _ = served
    with pytest.raises(ValidationError, match="sum to 100"):
        set_traffic(client, "ep-main", {"blue": 80, "green": 10})
    with pytest.raises(ValidationError, match="purple"):
        set_traffic(client, "ep-main", {"blue": 90, "purple": 10})
    with pytest.raises(ValidationError, match="at most 50"):
        set_traffic(client, "ep-main", {"blue": 100}, mirror={"green": 60})
    with pytest.raises(ValidationError, match="takes 100%"):
        client.online_deployments.begin_delete("blue", "ep-main")


def test_key_auth_get_keys_and_regenerate(served):
    client, root = served
    set_traffic(client, "ep-main", {"blue": 100})
    uri = client.online_endpoints.get("ep-main").scoring_uri
    keys = client.online_endpoints.get_keys("ep-main")
    assert keys.primary_key != keys.secondary_key and len(keys.primary_key) >= 32
    body = b'{"data": [1]}'
    assert post(uri, body, {})[0] == 401
    assert post(uri, body, {"Authorization": "Bearer wrong"})[0] == 401
    assert post(uri, body, {"Authorization": f"Bearer {keys.secondary_key}"})[0] == 200
    client.online_endpoints.begin_regenerate_keys("ep-main", key_type="primary").result()
    new = client.online_endpoints.get_keys("ep-main")
    assert new.primary_key != keys.primary_key and new.secondary_key == keys.secondary_key
    assert post(uri, body, {"Authorization": f"Bearer {keys.primary_key}"})[0] == 401
    assert post(uri, body, {"Authorization": f"Bearer {new.primary_key}"})[0] == 200
    assert client.online_endpoints.get("ep-main").scoring_uri == uri  # same server, same port


def test_run_errors_and_malformed_requests_are_answered(served):
    client, root = served
    with pytest.raises(EndpointInvokeError, match="run\\(\\) cannot read this") as error:
        bad = request_file(root, "raise", "raise.txt")
        client.online_endpoints.invoke("ep-main", request_file=bad, deployment_name="blue")
    assert error.value.status == 500
    with pytest.raises(EndpointInvokeError) as error:
        bad = request_file(root, "", "empty.txt")
        client.online_endpoints.invoke("ep-main", request_file=bad, deployment_name="blue")
    assert error.value.status == 400 and "no body" in str(error.value)


def test_code_is_snapshotted_at_create(served):
    client, root = served
    (root / "src" / "score.py").write_text("def init():\n    raise RuntimeError('edited')\n")
    try:
        req = request_file(root, '{"data": [5]}')
        answer = json.loads(client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="blue"))
        assert answer["result"] == [10.0]
        code = Path(client.online_deployments.get("blue", "ep-main").code_configuration.code)
        assert "edited" not in (code / "score.py").read_text()
    finally:
        (root / "src" / "score.py").write_text(SCORE_PY)


def test_update_restarts_the_deployment_and_drops_the_old_snapshot(served):
    client, root = served
    before = client.online_deployments.get("green", "ep-main")
    old_code = Path(before.code_configuration.code)
    before.instance_count = 2
    after = client.online_deployments.begin_create_or_update(before).result()  # a get() entity deploys again
    assert after.instance_count == 2 and after.provisioning_state == "Succeeded"
    assert not old_code.exists() and Path(after.code_configuration.code).is_dir()
    req = request_file(root, '{"data": [1]}')
    answer = json.loads(client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="green"))
    assert answer["result"] == [3.0]


def test_a_crashed_worker_is_restarted(served):
    client, root = served
    req = request_file(root, '{"data": [1]}')
    first = json.loads(client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="blue"))["pid"]
    with pytest.raises(EndpointInvokeError) as error:
        bad = request_file(root, "crash", "crash.txt")
        client.online_endpoints.invoke("ep-main", request_file=bad, deployment_name="blue")
    assert error.value.status == 502

    def two_workers_again():
        pids = {json.loads(client.online_endpoints.invoke("ep-main", request_file=req, deployment_name="blue"))["pid"]
                for _ in range(20)}
        log = client.online_deployments.get_logs("blue", "ep-main")
        return "died; restarting" in log and log.count("init in ") >= 3 and pids

    pids = wait_for(two_workers_again, what="the crashed worker's replacement")
    assert pids and client.online_deployments.get("blue", "ep-main").provisioning_state == "Succeeded"
    assert first  # the pid that answered before the crash may or may not have been the one that died


def test_endpoint_outlives_the_process_that_created_it_and_delete_frees_the_port(tmp_path):
    root = make_project(tmp_path)
    deployment_yaml(root, "blue", "ep-detached", "blue", model="./model")
    script = textwrap.dedent("""\
        import sys
        from azure.ai.ml import load_online_deployment
        from azure.ai.ml.entities import ManagedOnlineEndpoint
        from amlmagic.local.client import LocalMLClient

        client = LocalMLClient(sys.argv[1])
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="ep-detached")).result()
        client.online_deployments.begin_create_or_update(load_online_deployment(sys.argv[2])).result()
        endpoint = client.online_endpoints.get("ep-detached")
        endpoint.traffic = {"blue": 100}
        print(client.online_endpoints.begin_create_or_update(endpoint).result().scoring_uri)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script, str(root / ".amlmagic"), str(root / "blue.yml")],
                          env=env, capture_output=True, text=True, timeout=120)
    client = LocalMLClient(root / ".amlmagic")
    try:
        assert done.returncode == 0, done.stderr
        uri = done.stdout.strip().splitlines()[-1]
        assert client.online_endpoints.get("ep-detached").scoring_uri == uri
        req = request_file(root, '{"data": [4]}')
        answer = json.loads(client.online_endpoints.invoke("ep-detached", request_file=req))
        assert answer["result"] == [8.0]  # an inline model path: laid out under its own hash name
        model = client.online_deployments.get("blue", "ep-detached").model
        assert Path(model.path).name == "model" and Path(model.path).parent.name == "1"
        port = urlparse(uri).port
        client.online_endpoints.begin_delete("ep-detached").result()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
        with pytest.raises(NotFoundError):
            client.online_endpoints.get("ep-detached")
        assert not (client.root / "endpoints" / "ep-detached").exists()
        assert client.online_endpoints.list() == []
    finally:
        stop_all(client)
