"""The local online-endpoint server end to end: real server processes on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import binomial_bounds, wait_for

from amlmagic.errors import NotFoundError
from amlmagic.local.serving import (
    deployment_logs,
    endpoint_state,
    reload_endpoint,
    start_endpoint,
    stop_endpoint,
    write_config,
)

REPO = Path(__file__).resolve().parents[2]
KEYS = ["primary-key", "secondary-key"]

SCORE_PY = """\
import json, os, sys, time

def init():
    global factor
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "factor.txt")) as f:
        factor = float(f.read())
    print("init in", os.getpid(), "cwd", os.getcwd(), flush=True)

def run(raw_data):
    if raw_data == "crash":
        os._exit(3)
    if raw_data == "raise":
        raise ValueError("the input is not what run() expects")
    if raw_data == "text":
        return "plain text"
    if raw_data == "none":
        return None
    if raw_data == "not-json":
        return {1, 2}
    if raw_data == "whoami":
        return {"pid": os.getpid(), "python": sys.executable, "helper": __import__("helper").NAME,
                "deployment": os.environ.get("DEPLOYMENT_COLOR")}
    data = json.loads(raw_data)["data"]
    return {"result": [x * factor for x in data]}
"""


def make_code(root: Path, score: str = SCORE_PY, name: str = "code") -> Path:
    code = root / name
    code.mkdir(parents=True, exist_ok=True)
    (code / "score.py").write_text(score)
    (code / "helper.py").write_text("NAME = 'helper from the code folder'\n")
    return code


def make_model(root: Path, factor: float = 2.0) -> Path:
    model_dir = root / "azureml-models" / "doubler" / "1"
    (model_dir / "model").mkdir(parents=True)
    (model_dir / "model" / "factor.txt").write_text(str(factor))
    return model_dir


def deployment(code: Path, model_dir: Path, instances: int = 1, **extra) -> dict:
    return {"code_dir": str(code), "scoring_script": "score.py", "model_dir": str(model_dir),
            "model_type": "custom_model", "instance_count": instances, **extra}


def config(deployments: dict, traffic: dict, mirror: dict | None = None) -> dict:
    return {"endpoint": "ep", "keys": KEYS, "auth_mode": "key", "deployments": deployments,
            "traffic": traffic, "mirror_traffic": mirror or {}}


def call(port: int, body: bytes | str | None = b'{"data": [1, 2]}', key: str | None = KEYS[0],
         method: str = "POST", path: str = "/score", headers: dict | None = None, conn=None):
    """(status, parsed JSON or text, headers)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    hdrs = dict(headers or {})
    if key is not None:
        hdrs["Authorization"] = f"Bearer {key}"
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    raw = resp.read()
    if own:
        conn.close()
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = raw.decode()
    return resp.status, payload, resp.headers


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)






def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def pid_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def workdir(tmp_path):
    started = []
    yield tmp_path, started
    for state_dir in started:
        stop_endpoint(state_dir)


@pytest.fixture
def endpoint(workdir):
    """A running endpoint: blue (2 workers, factor 2) 100%, green (factor 3) 0%."""
    root, started = workdir
    code = make_code(root)
    state_dir = root / "ep"
    write_config(state_dir, config(
        {"blue": deployment(code, make_model(root / "blue", 2.0), 2, environment_variables={"DEPLOYMENT_COLOR": "blue"}),
         "green": deployment(code, make_model(root / "green", 3.0), environment_variables={"DEPLOYMENT_COLOR": "green"})},
        {"blue": 100, "green": 0}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    return state_dir, state


def test_scores_with_the_model_under_azureml_model_dir(endpoint):
    state_dir, state = endpoint
    assert state.alive and state.scoring_uri == f"http://127.0.0.1:{state.port}/score"
    assert {d: s.state for d, s in state.deployments.items()} == {"blue": "Succeeded", "green": "Succeeded"}
    assert len(state.deployments["blue"].worker_pids) == 2
    status, body, headers = call(state.port)
    assert (status, body, headers["azureml-model-deployment"]) == (200, {"result": [2.0, 4.0]}, "blue")
    status, body, _ = call(state.port, "whoami")
    assert body["helper"] == "helper from the code folder" and body["deployment"] == "blue"
    assert body["pid"] in state.deployments["blue"].worker_pids
    log = deployment_logs(state_dir, "blue")
    for pid in state.deployments["blue"].worker_pids:  # init() ran once in each worker, in the code folder
        assert log.count(f"init in {pid} cwd {state_dir.parent / 'code'}") == 1


def test_key_auth(endpoint):
    _, state = endpoint
    assert call(state.port, key=None)[0] == 401
    status, body, _ = call(state.port, key="wrong")
    assert status == 401 and "primary or secondary key" in body["message"]
    assert call(state.port, key=KEYS[1])[0] == 200
    assert call(state.port, headers={"Authorization": KEYS[0]}, key=None)[0] == 401  # no Bearer scheme


def test_result_encoding_and_run_errors(endpoint):
    _, state = endpoint
    assert call(state.port, "text")[1:2] == ("plain text",)  # a str is JSON-encoded, like azmlinfsrv
    assert call(state.port, "none")[:2] == (200, {})
    status, body, _ = call(state.port, "raise")
    assert status == 500 and "the input is not what run() expects" in body["message"]
    status, body, _ = call(state.port, "not-json")
    assert status == 500 and "not JSON serializable" in body["message"]
    assert call(state.port)[0] == 200  # the worker is still fine


def test_malformed_requests_get_clear_4xx(endpoint):
    _, state = endpoint
    port = state.port
    assert call(port, None, method="GET", path="/")[:2] == (200, "Healthy")
    status, body, headers = call(port, None, method="GET")
    assert status == 405 and headers["Allow"] == "POST"
    assert call(port, path="/predict")[0] == 404
    status, body, _ = call(port, b"")
    assert status == 400 and "no body" in body["message"]
    answer = raw_exchange(port, b"POST /score HTTP/1.1\r\nContent-Length: abc\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"Content-Length" in answer
    assert raw_exchange(port, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")
    chunked = (b"POST /score HTTP/1.1\r\nAuthorization: Bearer primary-key\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n7\r\n{\"data\"\r\n7\r\n: [5]}\n\r\n0\r\n\r\n")
    answer = raw_exchange(port, chunked)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"result": [10.0]}')


def test_deployment_header_targets_one_deployment(endpoint):
    _, state = endpoint
    status, body, headers = call(state.port, headers={"azureml-model-deployment": "green"})
    assert (status, body, headers["azureml-model-deployment"]) == (200, {"result": [3.0, 6.0]}, "green")
    status, body, _ = call(state.port, headers={"azureml-model-deployment": "purple"})
    assert status == 404 and "purple" in body["message"]


def test_traffic_split_and_reload_keep_the_port(endpoint):
    state_dir, state = endpoint
    cfg = json.loads((state_dir / "config.json").read_text())
    cfg["traffic"] = {"blue": 90, "green": 10}
    write_config(state_dir, cfg)
    reloaded = reload_endpoint(state_dir)
    assert reloaded.port == state.port and reloaded.pid == state.pid
    assert reloaded.deployments["blue"].worker_pids == state.deployments["blue"].worker_pids  # not restarted
    conn = http.client.HTTPConnection("127.0.0.1", state.port, timeout=30)
    answered = [call(state.port, conn=conn)[2]["azureml-model-deployment"] for _ in range(1000)]
    conn.close()
    lo, hi = binomial_bounds(1000, 0.10)
    assert lo <= answered.count("green") <= hi and answered.count("blue") + answered.count("green") == 1000

    cfg["traffic"] = {"blue": 0, "green": 0}
    write_config(state_dir, cfg)
    reload_endpoint(state_dir)
    status, body, _ = call(state.port)
    assert status == 404 and "set traffic" in body["message"]


def test_reload_adds_and_removes_deployments(endpoint):
    state_dir, state = endpoint
    cfg = json.loads((state_dir / "config.json").read_text())
    blue_pids = state.deployments["blue"].worker_pids
    red = dict(cfg["deployments"]["green"], environment_variables={"DEPLOYMENT_COLOR": "red"})
    cfg["deployments"] = {"green": cfg["deployments"]["green"], "red": red}
    cfg["traffic"] = {"red": 100}
    write_config(state_dir, cfg)
    reloaded = reload_endpoint(state_dir)
    assert sorted(reloaded.deployments) == ["green", "red"] and reloaded.deployments["red"].state == "Succeeded"
    assert call(state.port, "whoami")[1]["deployment"] == "red"
    assert all(wait_for(lambda p=p: pid_gone(p), what=f"blue worker {p} to exit") for p in blue_pids)
    assert "removed from the endpoint" in deployment_logs(state_dir, "blue")


def test_mirror_traffic_copies_without_delaying_answers(workdir):
    root, started = workdir
    code = make_code(root)
    release = root / "release"
    # green holds every mirrored request until `release` exists: blue's answers cannot wait on it.
    make_code(root, textwrap.dedent(f"""\
        import os, time
        def init():
            pass
        def run(raw_data):
            deadline = time.time() + 60
            while not os.path.exists({str(release)!r}) and time.time() < deadline:
                time.sleep(0.005)
            print("mirrored:", raw_data, flush=True)
            return "green"
        """), "slow")
    model_dir = make_model(root)
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(code, model_dir),
                                    "green": deployment(root / "slow", model_dir)},
                                   {"blue": 100, "green": 0}, {"green": 50}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    conn = http.client.HTTPConnection("127.0.0.1", state.port, timeout=30)
    for i in range(100):
        status, body, headers = call(state.port, json.dumps({"data": [i]}), conn=conn)
        assert (status, headers["azureml-model-deployment"], body) == (200, "blue", {"result": [2.0 * i]})
    assert "mirrored:" not in deployment_logs(state_dir, "green")  # all answered while green was held
    release.touch()
    # green answers in order: once this targeted request is answered, every mirrored copy ran.
    assert call(state.port, "barrier", headers={"azureml-model-deployment": "green"}, conn=conn)[1] == "green"
    conn.close()
    mirrored = deployment_logs(state_dir, "green").count('mirrored: {"data"')
    lo, hi = binomial_bounds(100, 0.5)
    assert lo <= mirrored <= hi


def test_init_failure_leaves_the_deployment_failed_with_traceback(workdir):
    root, started = workdir
    good = make_code(root)
    make_code(root, "def init():\n    raise RuntimeError('model file missing')\n\ndef run(raw):\n    return 1\n", "bad")
    state_dir = root / "ep"
    model_dir = make_model(root)
    write_config(state_dir, config({"ok": deployment(good, model_dir), "bad": deployment(root / "bad", model_dir)},
                                   {"ok": 100, "bad": 0}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    assert state.deployments["ok"].state == "Succeeded"
    assert state.deployments["bad"].state == "Failed"
    assert "RuntimeError: model file missing" in state.deployments["bad"].error
    log = deployment_logs(state_dir, "bad")
    assert "Traceback (most recent call last)" in log and "RuntimeError: model file missing" in log
    status, body, _ = call(state.port, headers={"azureml-model-deployment": "bad"})
    assert status == 503 and "Failed" in body["message"]
    assert call(state.port)[0] == 200  # the other deployment serves
    assert deployment_logs(state_dir, "bad", lines=1).count("\n") == 1
    with pytest.raises(NotFoundError):
        deployment_logs(state_dir, "nope")


def test_a_crashed_worker_is_restarted(workdir):
    root, started = workdir
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(make_code(root), make_model(root))}, {"blue": 100}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    old_pid = state.deployments["blue"].worker_pids[0]
    status, body, _ = call(state.port, "crash")
    assert status == 502 and "died while scoring" in body["message"]
    assert call(state.port)[:2] == (200, {"result": [2.0, 4.0]})  # waits for the new worker's init()
    after = endpoint_state(state_dir)
    assert after.deployments["blue"].restarts == 1 and old_pid not in after.deployments["blue"].worker_pids
    log = deployment_logs(state_dir, "blue")
    assert f"worker pid {old_pid} died; restarting it" in log
    wait_for(lambda: f"worker pid {old_pid} exited with code 3" in deployment_logs(state_dir, "blue"),
             what="the exit code in the log")


def test_server_outlives_its_starter_and_stop_frees_the_port(workdir):
    root, started = workdir
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(make_code(root), make_model(root))}, {"blue": 100}))
    started.append(state_dir)
    starter = subprocess.run(
        [sys.executable, "-c", "import sys; from amlmagic.local.serving import start_endpoint; "
                               "print(start_endpoint(sys.argv[1]).port)", str(state_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert starter.returncode == 0, starter.stderr
    port = int(starter.stdout.strip())
    state = endpoint_state(state_dir)
    assert state.alive and state.port == port
    assert call(port)[0] == 200
    assert start_endpoint(state_dir).pid == state.pid  # already running: not started twice
    workers = state.deployments["blue"].worker_pids
    stop_endpoint(state_dir)
    assert not endpoint_state(state_dir).alive
    assert pid_gone(state.pid) and all(pid_gone(p) for p in workers)
    assert port_is_free(port)


def test_a_deployment_runs_with_its_own_interpreter(workdir):
    root, started = workdir
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(make_code(root), make_model(root), python=python)},
                                   {"blue": 100}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    assert call(state.port, "whoami")[1]["python"] == python


def test_a_killed_server_is_reported_dead_and_started_again(workdir):
    root, started = workdir
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(make_code(root), make_model(root))}, {"blue": 100}))
    started.append(state_dir)
    first = start_endpoint(state_dir)
    os.kill(first.pid, 9)
    wait_for(lambda: not endpoint_state(state_dir).alive, what="the killed server to be reported dead")
    # its worker reads EOF on its socket and exits rather than outliving the server
    assert wait_for(lambda: pid_gone(first.deployments["blue"].worker_pids[0]), what="the orphaned worker to exit")
    second = start_endpoint(state_dir)
    assert second.alive and second.pid != first.pid
    assert call(second.port)[0] == 200


CHATTY_INIT = """\
import os, pathlib, time
def init():
    # a barrier: every worker prints at the same time
    here = pathlib.Path(os.environ["BARRIER"])
    (here / str(os.getpid())).touch()
    deadline = time.time() + 20
    while len(list(here.iterdir())) < 3 and time.time() < deadline:
        time.sleep(0.005)
    for i in range(2000):
        print("line", os.getpid(), i, "end")
def run(raw_data):
    return raw_data
"""


def test_workers_sharing_a_log_write_whole_lines(workdir):
    root, started = workdir
    state_dir = root / "chatty"
    (root / "barrier").mkdir()
    write_config(state_dir, config({"blue": deployment(make_code(root, CHATTY_INIT, "chatty"), make_model(root / "m"), 3,
                                                       environment_variables={"BARRIER": str(root / "barrier")})},
                                   {"blue": 100}))
    started.append(state_dir)
    start_endpoint(state_dir)
    lines = [line for line in deployment_logs(state_dir, "blue").splitlines() if "line" in line or "end" in line]
    assert len(lines) == 6000
    assert all(line.startswith("line ") and line.endswith(" end") and len(line.split()) == 4 for line in lines)


def test_requests_running_when_the_deployment_fails_are_answered(workdir):
    """A worker crashes and its replacement's init() raises: the deployment turns Failed, and a
    request another worker is still running gets a 503 then instead of never being answered."""
    root, started = workdir
    fail_flag = root / "fail-init"
    score = SCORE_PY.replace('    print("init in"', f"""    if os.path.exists({str(fail_flag)!r}):
        time.sleep(0.5)
        raise RuntimeError("the model store went away")
    print("init in\"""").replace('    if raw_data == "crash":', """    if raw_data == "slow":
        time.sleep(8)
        return "slow done"
    if raw_data == "crash":""")
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(make_code(root, score), make_model(root), instances=2,
                                                       request_timeout_ms=60_000)}, {"blue": 100}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    fail_flag.touch()
    slow = http.client.HTTPConnection("127.0.0.1", state.port, timeout=30)
    slow.request("POST", "/score", body="slow", headers={"Authorization": f"Bearer {KEYS[0]}"})
    assert call(state.port, "crash")[0] == 502  # the idle worker dies; its replacement fails init()
    response = slow.getresponse()
    body = json.loads(response.read())
    slow.close()
    assert response.status == 503 and "failed" in body["message"], body
    wait_for(lambda: endpoint_state(state_dir).deployments["blue"].state == "Failed", 10, "the state file to say Failed")
