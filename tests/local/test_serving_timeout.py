"""request_settings.request_timeout_ms in the endpoint server: real server and worker processes on
127.0.0.1. Timing bounds are generous (a loaded 2-core machine); what must hold exactly is who
gets which answer."""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest
from support import wait_for
from test_serving import call, config, deployment, make_code, make_model, pid_gone, workdir  # noqa: F401

from amlmagic.errors import ValidationError
from amlmagic.local.serving import deployment_logs, endpoint_state, start_endpoint, write_config
from amlmagic.local.serving.config import DEFAULT_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS, normalize_config

# run() sleeps when the body asks (unless IGNORE_SLEEP=1), else answers for its own id.
SLEEPY_PY = """\
import json, os, time

def init():
    pass

def run(raw_data):
    data = json.loads(raw_data)
    if "sleep" in data and os.environ.get("IGNORE_SLEEP") != "1":
        time.sleep(data["sleep"])
    return {"id": data["id"], "double": data["x"] * 2, "pid": os.getpid()}
"""


def body(i, x: int = 1, sleep: float | None = None) -> str:
    return json.dumps({"id": i, "x": x, **({"sleep": sleep} if sleep is not None else {})})


def timed_call(port: int, payload: str, out: dict, headers: dict | None = None) -> threading.Thread:
    """Send `payload` on a thread; `out` gets (status, body, headers) and the elapsed seconds."""
    def send():
        start = time.monotonic()
        out["answer"] = call(port, payload, headers=headers)
        out["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def timeout_lines(state_dir, name: str) -> list[str]:
    return [line for line in deployment_logs(state_dir, name).splitlines() if "timed out" in line]


def assert_timeout_answer(answer, deployment_name: str, timeout_ms: int) -> None:
    status, payload, headers = answer
    assert status == 408 and headers["azureml-model-deployment"] == deployment_name
    message = payload["message"]
    assert "\n" not in message and f"'{deployment_name}'" in message and f"{timeout_ms} ms" in message
    assert "raise request_settings.request_timeout_ms or make run() faster" in message


def test_request_timeout_is_read_validated_and_defaults_to_azures(tmp_path):
    cfg = config({"blue": deployment(tmp_path, tmp_path), "green": deployment(tmp_path, tmp_path,
                                                                             request_timeout_ms=300)}, {"blue": 100})
    deployments = normalize_config(cfg)["deployments"]
    assert deployments["blue"]["request_timeout_ms"] == DEFAULT_REQUEST_TIMEOUT_MS == 5000
    assert deployments["green"]["request_timeout_ms"] == 300
    longest = dict(cfg, traffic={}, deployments={"g": deployment(tmp_path, tmp_path, request_timeout_ms=180_000)})
    assert normalize_config(longest)["deployments"]["g"]["request_timeout_ms"] == MAX_REQUEST_TIMEOUT_MS
    for bad in (0, -5, 180_001, 2.5, "300", True):
        cfg["deployments"]["green"]["request_timeout_ms"] = bad
        with pytest.raises(ValidationError, match=r"deployments\.green\.request_timeout_ms .*180000"):
            normalize_config(cfg)


def serve_sleepy(work, instances: int, request_timeout_ms: int):
    """An endpoint with one deployment, blue, of the sleepy score.py: (state folder, state)."""
    root, started = work
    state_dir = root / "ep"
    write_config(state_dir, config({"blue": deployment(make_code(root, SLEEPY_PY), make_model(root), instances,
                                                       request_timeout_ms=request_timeout_ms)}, {"blue": 100}))
    started.append(state_dir)
    return state_dir, start_endpoint(state_dir)


def test_a_slow_run_answers_408_and_its_worker_is_replaced_while_others_serve(workdir):  # noqa: F811
    state_dir, state = serve_sleepy(workdir, instances=2, request_timeout_ms=300)
    before = state.deployments["blue"].worker_pids
    slow: dict = {}
    thread = timed_call(state.port, body("slow", sleep=4), slow)
    # One request after another on a second connection while the slow one runs, when it times
    # out, and until well after its run() would have answered: each gets its own answer.
    answers = []
    conn = http.client.HTTPConnection("127.0.0.1", state.port, timeout=30)
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < 5.5:
        status, payload, _ = call(state.port, body(i, x=i), conn=conn)
        answers.append((i, status, payload))
        i += 1
        time.sleep(0.01)
    conn.close()
    thread.join(30)
    assert_timeout_answer(slow["answer"], "blue", 300)
    assert 0.29 <= slow["elapsed"] < 2.0  # the sleep is 4 s: answered at the timeout, not after run()
    assert len(answers) > 10
    assert [(status, payload["id"], payload["double"]) for i, status, payload in answers] == \
        [(200, i, 2 * i) for i, _, _ in answers]
    # the slow worker was killed and replaced; the other one was never touched
    gone = wait_for(lambda: [p for p in before if pid_gone(p)], what="the stuck worker to be killed")
    assert len(gone) == 1
    after = wait_for(lambda: (s := endpoint_state(state_dir).deployments["blue"]) and len(s.worker_pids) == 2 and s,
                     what="the replacement worker")
    assert after.restarts == 1 and gone[0] not in after.worker_pids and set(before) - set(gone) < set(after.worker_pids)
    lines = timeout_lines(state_dir, "blue")
    assert len(lines) == 1 and "request_timeout_ms=300 ms" in lines[0] and f"pid {gone[0]}" in lines[0]
    assert "answered 408" in lines[0] and "restarting" in lines[0]
    assert "exited with code" not in deployment_logs(state_dir, "blue")  # the kill is logged once, above


def test_waiting_counts_and_a_late_answer_is_dropped_not_delivered(workdir):  # noqa: F811
    """As on Azure the timeout covers queueing: of two 1 s requests on one worker with a 1.5 s
    timeout, the second times out while it runs. Its worker is not killed (it has not run the
    whole timeout); its answer, arriving later, must not reach the request queued behind it."""
    state_dir, state = serve_sleepy(workdir, instances=1, request_timeout_ms=1500)
    first, second = {}, {}
    threads = [timed_call(state.port, body("a", sleep=1.0), first),
               timed_call(state.port, body("b", sleep=1.0), second)]
    # the request that came second gets 408 at 1.5 s; send the next one then, while its run() still goes on
    late = wait_for(lambda: next((d for d in (first, second) if d.get("answer") and d["answer"][0] == 408), None),
                    what="the 408 of the request that waited")
    after_408 = call(state.port, body("c", x=21))
    for thread in threads:
        thread.join(30)
    served = first if late is second else second
    assert served["answer"][0] == 200 and served["answer"][1]["id"] in ("a", "b")
    assert_timeout_answer(late["answer"], "blue", 1500)
    # answered once its deadline passed, counted from arrival: the 408 itself shows the wait
    # counted (timed from the start of run(), it would have had until 2.5 s and answered 200)
    assert late["elapsed"] >= 1.49
    assert after_408[:2] == (200, {"id": "c", "double": 42, "pid": state.deployments["blue"].worker_pids[0]})
    assert endpoint_state(state_dir).deployments["blue"].restarts == 0
    assert len(timeout_lines(state_dir, "blue")) == 1


def test_targeted_and_mirrored_requests_follow_the_timeout(workdir):  # noqa: F811
    root, started = workdir
    code, model_dir = make_code(root, SLEEPY_PY), make_model(root)
    state_dir = root / "ep"
    # blue (live) ignores "sleep"; green (mirrored 50%) honours it with a 300 ms timeout
    write_config(state_dir, config(
        {"blue": deployment(code, model_dir, environment_variables={"IGNORE_SLEEP": "1"}, request_timeout_ms=300),
         "green": deployment(code, model_dir, request_timeout_ms=300)},
        {"blue": 100, "green": 0}, {"green": 50}))
    started.append(state_dir)
    state = start_endpoint(state_dir)
    conn = http.client.HTTPConnection("127.0.0.1", state.port, timeout=30)
    for i in range(20):  # mirrored copies that time out never slow down or change live answers
        status, payload, headers = call(state.port, body(i, x=i, sleep=2), conn=conn)
        assert (status, headers["azureml-model-deployment"]) == (200, "blue")
        assert (payload["id"], payload["double"]) == (i, 2 * i)
    conn.close()
    wait_for(lambda: any("mirrored request dropped" in line for line in timeout_lines(state_dir, "green")),
             what="a mirrored copy to time out")
    wait_for(lambda: endpoint_state(state_dir).deployments["green"].restarts >= 1, what="green's stuck worker replaced")
    assert not timeout_lines(state_dir, "blue")
    # a request naming green by header: the same rule, answered 408 naming green
    targeted: dict = {}
    timed_call(state.port, body("t", sleep=4), targeted, headers={"azureml-model-deployment": "green"}).join(30)
    assert_timeout_answer(targeted["answer"], "green", 300)
    assert targeted["elapsed"] < 2.0
    # and green serves its own answers again once its workers are replaced
    fast = wait_for(lambda: (a := call(state.port, body("f", x=5), headers={"azureml-model-deployment": "green"}))
                    and a[0] == 200 and a, what="green to answer 200")
    assert (fast[1]["id"], fast[1]["double"], fast[2]["azureml-model-deployment"]) == ("f", 10, "green")
