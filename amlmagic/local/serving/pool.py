"""A deployment's worker processes, driven from the server's event loop.

Each worker is a `worker.py` process (the deployment's interpreter) joined to the server by a
unix socketpair. Requests go to the worker with the fewest in flight; a worker holds at most
PIPELINE_DEPTH requests so it never waits on the server for its next one. A worker that dies
answers the request it was running with 502 and is replaced; the requests queued behind it
go to other workers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import threading
import time
from collections import deque
from pathlib import Path

from amlmagic.local.serving import worker as wire

__all__ = ["DeploymentPool", "WorkerLink", "CREATING", "SUCCEEDED", "FAILED"]

CREATING, SUCCEEDED, FAILED = "Creating", "Succeeded", "Failed"
PIPELINE_DEPTH = 2
MAX_QUEUE = 10_000
MAX_MIRROR_QUEUE = 100  # mirrored copies are dropped rather than queued without bound
WORKER_SCRIPT = str(Path(wire.__file__).resolve())
_HEAD = wire.HEADER.size


def _error_body(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


class WorkerLink(asyncio.Protocol):
    """The server's end of one worker's socket: frames in, callbacks out."""

    def __init__(self, pool: "DeploymentPool", proc: subprocess.Popen):
        self.pool = pool
        self.proc = proc
        self.ready = False
        self.pending: deque = deque()  # callbacks of requests sent, in order
        self.transport = None
        self._buf = bytearray()

    def connection_made(self, transport):
        self.transport = transport

    def send(self, body: bytes, callback) -> None:
        self.pending.append(callback)
        self.transport.write(wire.encode_frame(wire.REQUEST, body))

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        end = len(buf)
        while end - pos >= _HEAD:
            size = int.from_bytes(buf[pos:pos + _HEAD], "big")
            if end - pos - _HEAD < size:
                break
            kind = buf[pos + _HEAD:pos + _HEAD + 1]
            payload = bytes(buf[pos + _HEAD + 1:pos + _HEAD + size])
            pos += _HEAD + size
            self.pool.on_frame(self, bytes(kind), payload)
        if pos:
            del buf[:pos]

    def connection_lost(self, exc) -> None:
        self.pool.on_lost(self)


class DeploymentPool:
    """The workers of one deployment, its state and its request queue."""

    def __init__(self, name: str, spec: dict, log_path: Path, on_change):
        self.name = name
        self.spec = spec
        self.state = CREATING
        self.error: str | None = None
        self.workers: list[WorkerLink] = []
        self.queue: deque = deque()
        self.header = b"azureml-model-deployment: %s\r\n" % name.encode()
        self.stopping = False
        self.restarts = 0
        self._on_change = on_change
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    # --- logging and state -------------------------------------------------------------------
    def log(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        os.write(self._log_fd, f"{stamp} [server] {message}\n".encode())

    def snapshot(self) -> dict:
        return {"state": self.state, "error": self.error, "restarts": self.restarts,
                "worker_pids": [w.proc.pid for w in self.workers]}

    # --- processes ---------------------------------------------------------------------------
    def _worker_env(self) -> dict:
        env = dict(os.environ)
        caller_path = env.pop("AMLMAGIC_CALLER_PYTHONPATH", None)
        env.pop("PYTHONPATH", None)
        if caller_path:
            env["PYTHONPATH"] = caller_path
        spec = self.spec
        env.update(spec["environment_variables"])
        if spec["model_dir"]:
            env["AZUREML_MODEL_DIR"] = spec["model_dir"]
        if spec["code_dir"]:
            env["AML_APP_ROOT"] = spec["code_dir"]
        if spec["scoring_script"]:
            env["AZUREML_ENTRY_SCRIPT"] = spec["scoring_script"]
        return env

    async def spawn_worker(self) -> None:
        if self.stopping:  # a restart scheduled just before the deployment was stopped
            return
        loop = asyncio.get_running_loop()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        spec = self.spec
        try:
            proc = subprocess.Popen(
                [spec["python"], WORKER_SCRIPT, str(child.fileno()), json.dumps(spec)],
                pass_fds=[child.fileno()], cwd=spec["code_dir"] or spec["model_dir"] or None,
                env=self._worker_env(), stdin=subprocess.DEVNULL, stdout=self._log_fd, stderr=self._log_fd)
        except OSError as ex:
            parent.close()
            self.fail(f"Could not start a worker with {spec['python']}: {ex}")
            return
        finally:
            child.close()
        _, link = await loop.create_unix_connection(lambda: WorkerLink(self, proc), sock=parent)
        self.workers.append(link)
        self.log(f"started worker pid {proc.pid}")
        threading.Thread(target=self._reap, args=(loop, link), daemon=True).start()
        self._on_change()

    def _reap(self, loop, link: WorkerLink) -> None:
        code = link.proc.wait()
        try:
            loop.call_soon_threadsafe(self._on_exit, link, code)
        except RuntimeError:  # loop closed: the server is exiting
            pass

    def _on_exit(self, link: WorkerLink, code: int) -> None:
        if not self.stopping:
            self.log(f"worker pid {link.proc.pid} exited with code {code}")

    async def start(self) -> None:
        self.log(f"starting {self.spec['instance_count']} worker(s) with {self.spec['python']}")
        for _ in range(self.spec["instance_count"]):
            await self.spawn_worker()

    async def stop(self, timeout: float = 5.0) -> None:
        self.stopping = True
        self._flush(503, f"Deployment '{self.name}' was stopped.")
        procs = [w.proc for w in self.workers]
        for w in self.workers:
            w.transport.close()  # the worker reads EOF and exits
        deadline = time.monotonic() + timeout
        for proc in procs:
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            while proc.poll() is None and time.monotonic() < deadline + 1:
                await asyncio.sleep(0.01)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.workers.clear()
        self.log("stopped")
        os.close(self._log_fd)

    def fail(self, error: str) -> None:
        self.state = FAILED
        self.error = error
        self.log(f"deployment Failed: {error}")
        self._flush(503, f"Deployment '{self.name}' failed: {error.strip().splitlines()[-1]} "
                         "Check the deployment logs, fix it and update the deployment.")
        for w in self.workers:
            w.transport.close()
        self._on_change()

    # --- requests ----------------------------------------------------------------------------
    def submit(self, body: bytes, callback) -> None:
        """Score `body`; `callback(status, json_bytes)` gets the answer (None: discard it)."""
        if self.state == FAILED:
            if callback:
                callback(503, _error_body(f"Deployment '{self.name}' is Failed: check its logs and update it."))
            return
        best = None
        for w in self.workers:
            if w.ready:
                n = len(w.pending)
                if n == 0:
                    w.send(body, callback)
                    return
                if n < PIPELINE_DEPTH and (best is None or n < len(best.pending)):
                    best = w
        if best is not None:
            best.send(body, callback)
        elif callback is None:
            if len(self.queue) < MAX_MIRROR_QUEUE:
                self.queue.append((body, callback))
        elif len(self.queue) >= MAX_QUEUE:
            callback(503, _error_body(f"Deployment '{self.name}' has {MAX_QUEUE} requests waiting: retry later."))
        else:
            self.queue.append((body, callback))

    def _flush(self, status: int, message: str) -> None:
        body = _error_body(message)
        while self.queue:
            _, callback = self.queue.popleft()
            if callback:
                callback(status, body)

    def _feed(self, link: WorkerLink) -> None:
        queue = self.queue
        while queue and len(link.pending) < PIPELINE_DEPTH:
            body, callback = queue.popleft()
            link.send(body, callback)

    def on_frame(self, link: WorkerLink, kind: bytes, payload: bytes) -> None:
        if kind == wire.RESULT_OK:
            callback = link.pending.popleft()
            if callback:
                callback(200, payload)
            if self.queue:
                self._feed(link)
        elif kind == wire.RESULT_ERROR or kind == wire.RESULT_BAD_INPUT:
            callback = link.pending.popleft()
            if callback:
                callback(500 if kind == wire.RESULT_ERROR else 400, _error_body(payload.decode("utf-8", "replace")))
            if self.queue:
                self._feed(link)
        elif kind == wire.READY:
            link.ready = True
            if self.state == CREATING and all(w.ready for w in self.workers) \
                    and len(self.workers) == self.spec["instance_count"]:
                self.state = SUCCEEDED
                self.log("init() finished in every worker: deployment Succeeded")
                self._on_change()
            self._feed(link)
        elif kind == wire.INIT_FAILED:
            self.fail(f"init() raised in worker pid {link.proc.pid}:\n{payload.decode('utf-8', 'replace')}")

    def on_lost(self, link: WorkerLink) -> None:
        if link in self.workers:
            self.workers.remove(link)
        if self.stopping or self.state == FAILED:
            return
        if not link.ready:
            self.fail(f"worker pid {link.proc.pid} exited during init() without an answer.")
            return
        pid = link.proc.pid
        pending = link.pending
        if pending:
            callback = pending.popleft()
            if callback:
                callback(502, _error_body(
                    f"The worker process (pid {pid}) of deployment '{self.name}' died while scoring this "
                    "request; it is being restarted. Check the deployment logs."))
            self.queue.extendleft(reversed(pending))  # not started yet: give them to other workers
        self.log(f"worker pid {pid} died; restarting it")
        self.restarts += 1
        asyncio.get_running_loop().create_task(self.spawn_worker())
        for w in self.workers:
            if w.ready:
                self._feed(w)
