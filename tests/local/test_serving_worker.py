"""The scoring worker process and its frame protocol, driven over a real socketpair."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from amlmagic.local.serving import worker as wire
from amlmagic.local.serving.pool import WORKER_SCRIPT


def read_frame(sock: socket.socket) -> tuple[bytes, bytes]:
    reader = sock.makefile("rb")
    size = wire.HEADER.unpack(reader.read(4))[0]
    frame = reader.read(size)
    return frame[:1], frame[1:]


@pytest.fixture
def start_worker(tmp_path):
    procs = []

    def start(score: str):
        (tmp_path / "score.py").write_text(score)
        parent, child = socket.socketpair()
        spec = {"model_type": "custom_model", "code_dir": str(tmp_path), "scoring_script": "score.py"}
        proc = subprocess.Popen([sys.executable, WORKER_SCRIPT, str(child.fileno()), json.dumps(spec)],
                                pass_fds=[child.fileno()], cwd=tmp_path, stderr=subprocess.PIPE)
        child.close()
        procs.append((proc, parent))
        return proc, parent

    yield start
    for proc, parent in procs:
        parent.close()
        proc.wait(10)
        proc.stderr.close()


def test_ready_then_one_answer_per_request(start_worker):
    proc, sock = start_worker("def init():\n    pass\n\ndef run(raw):\n    return raw.upper()\n")
    assert read_frame(sock) == (wire.READY, b"")
    for text in ("abc", "é"):
        sock.sendall(wire.encode_request(b"req-1", text.encode()))
        assert read_frame(sock) == (wire.RESULT_OK, json.dumps(text.upper()).encode())
    sock.sendall(wire.encode_request(b"", b"\xff\xfe"))
    kind, message = read_frame(sock)
    assert kind == wire.RESULT_BAD_INPUT and b"UTF-8" in message
    sock.close()  # EOF: the worker exits on its own
    assert proc.wait(10) == 0


def test_init_failure_sends_the_traceback_and_exits(start_worker):
    proc, sock = start_worker("import missing_module_xyz\n")
    kind, text = read_frame(sock)
    assert kind == wire.INIT_FAILED and b"ModuleNotFoundError" in text and b"Traceback" in text
    assert proc.wait(10) == 1
    assert b"missing_module_xyz" in proc.stderr.read()


def test_a_script_without_run_is_an_init_failure(start_worker):
    _, sock = start_worker("def init():\n    pass\n")
    kind, text = read_frame(sock)
    assert kind == wire.INIT_FAILED and b"does not define run()" in text


def test_find_mlflow_model_looks_under_the_model_dir(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    assert wire.find_mlflow_model(str(tmp_path)) == str(tmp_path / "model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No MLmodel"):
        wire.find_mlflow_model(str(tmp_path / "empty"))
