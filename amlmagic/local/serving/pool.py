"""A deployment's worker processes, driven from the server's event loop.

Each worker is a `worker.py` process (the deployment's interpreter) joined to the server by a
unix socketpair. Requests go to the worker with the fewest in flight; a worker holds at most
PIPELINE_DEPTH requests so it never waits on the server for its next one. A worker that dies
answers the request it was running with 502 and is replaced; the requests queued behind it
go to other workers.

Each request must be answered within its deployment's request_timeout_ms, counted from its
arrival (as on Azure, where the timeout covers queueing too): past it, the request is answered
408 and any later answer to it is dropped. A worker still in run() request_timeout_ms after the
request started is killed and replaced, as a crashed one is, so a stuck run() cannot hold the
requests behind it. One timer per deployment does this, re-armed for the next deadline only
when it fires, so fast requests cost no timer of their own.
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
from math import inf
from pathlib import Path

from amlmagic.local.osutil import write_bytes_atomic
from amlmagic.local.serving import worker as wire
from amlmagic.local.serving.collect import DeploymentCollection
from amlmagic.local.serving.link import Call, WorkerLink

__all__ = ["DeploymentPool", "CREATING", "SUCCEEDED", "FAILED"]

CREATING, SUCCEEDED, FAILED = "Creating", "Succeeded", "Failed"
PIPELINE_DEPTH = 2
MAX_QUEUE = 10_000
MAX_MIRROR_QUEUE = 100  # mirrored copies are dropped rather than queued without bound
WORKER_SCRIPT = str(Path(wire.__file__).resolve())
# loop.call_at may run a timer a hair before its time: deadlines this close count as reached.
_SLACK = 0.001


def _error_body(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


def _mirrored(status: int, body: bytes) -> None:
    """The callback of a mirrored copy: its answer goes nowhere."""


class DeploymentPool:
    """The workers of one deployment, its state and its request queue."""

    def __init__(self, name: str, spec: dict, log_path: Path, on_change, writer=None):
        self.name = name
        self.spec = spec
        self.state = CREATING
        self.error: str | None = None
        self.workers: list[WorkerLink] = []
        self.queue: deque = deque()
        self.header = b"azureml-model-deployment: %s\r\n" % name.encode()
        self.stopping = False
        self.restarts = 0
        self.timeout_ms = spec["request_timeout_ms"]
        self.timeout = self.timeout_ms / 1000
        self._timeout_body = _error_body(
            f"Deployment '{name}' did not answer within request_settings.request_timeout_ms ({self.timeout_ms} ms): "
            "raise request_settings.request_timeout_ms or make run() faster.")
        self._loop = asyncio.get_running_loop()
        self._time = self._loop.time
        self._timer = None
        self._on_change = on_change
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.collection = DeploymentCollection(spec["collection"], writer) if spec.get("collection") else None
        self._mdc_config = self._write_mdc_config(log_path.parent.parent / "mdc" / f"{name}.json")

    def _write_mdc_config(self, path: Path) -> Path | None:
        """The file azureml-ai-monitoring reads (AZUREML_MDC_CONFIG_PATH, as Azure's sidecar
        setup mounts it): the custom collections enabled. Sampling is the server's (one
        decision per request, collect.is_sampled), so the SDK keeps 100%."""
        custom = self.collection.custom if self.collection else []
        if not custom:
            return None
        config = {"collections": {c: {"enabled": True, "sampleRatePercentage": 100} for c in custom}}
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, json.dumps(config).encode())
        return path

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
        if self._mdc_config:
            env["AZUREML_MDC_CONFIG_PATH"] = str(self._mdc_config)
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
        if not self.stopping and not link.retired:  # a retired worker's kill is logged already
            self.log(f"worker pid {link.proc.pid} exited with code {code}")

    async def start(self) -> None:
        self.log(f"starting {self.spec['instance_count']} worker(s) with {self.spec['python']}")
        for _ in range(self.spec["instance_count"]):
            await self.spawn_worker()

    async def stop(self, timeout: float = 5.0) -> None:
        self.stopping = True
        if self._timer is not None:
            self._timer.cancel()
        self._flush(503, f"Deployment '{self.name}' was stopped.")
        procs = [w.proc for w in self.workers]
        for w in self.workers:
            # The worker reads EOF and exits; its end stays readable until then, so what its data
            # collector still holds arrives.
            if w.transport.can_write_eof():
                w.transport.write_eof()
            else:
                w.transport.close()
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
    def submit(self, body: bytes, callback, correlation_id: bytes = b"", headers: dict | None = None) -> None:
        """Score `body`; `callback(status, json_bytes)` gets the answer (None: discard it)."""
        if self.state == FAILED:
            if callback:
                callback(503, _error_body(f"Deployment '{self.name}' is Failed: check its logs and update it."))
            return
        mirrored = callback is None
        callback = callback or _mirrored
        collection = self.collection
        if collection is not None and (collection.request or collection.response):
            callback = self._collected(collection, correlation_id.decode("latin-1"), body, headers or {}, callback)
        now = self._time()
        call = Call(body, callback, now + self.timeout, correlation_id)
        if self._timer is None:
            self._timer = self._loop.call_at(call.deadline, self._expire)
        best = None
        for w in self.workers:
            if w.ready:
                n = len(w.pending)
                if n == 0:
                    w.send(call, now)
                    return
                if n < PIPELINE_DEPTH and (best is None or n < len(best.pending)):
                    best = w
        if best is not None:
            best.send(call, now)
        elif mirrored:
            if len(self.queue) < MAX_MIRROR_QUEUE:
                self.queue.append(call)
        elif len(self.queue) >= MAX_QUEUE:
            callback(503, _error_body(f"Deployment '{self.name}' has {MAX_QUEUE} requests waiting: retry later."))
        else:
            self.queue.append(call)

    @staticmethod
    def _collected(collection: DeploymentCollection, correlation_id: str, body: bytes, headers: dict, callback):
        """Payload logging: the request now, its answer when it comes (200s only: what the
        model answered), if the request is sampled; the callback otherwise unchanged."""
        if not collection.sampled(correlation_id):
            return callback
        if collection.request:
            collection.log_request(correlation_id, time.time(), body, headers)
        if not collection.response:
            return callback

        def answered(status: int, out: bytes) -> None:
            if status == 200:
                collection.log_response(correlation_id, time.time(), out)
            callback(status, out)
        return answered

    def _flush(self, status: int, message: str) -> None:
        """Answer every request not answered yet, queued or sent to a worker (the deployment is
        stopping or failed: a worker's late answer must go nowhere, and none may wait forever)."""
        body = _error_body(message)
        calls = [*self.queue, *(call for w in self.workers for call in w.pending)]
        self.queue.clear()
        for w in self.workers:
            w.pending.clear()
        for call in calls:
            callback, call.callback = call.callback, None
            if callback:
                callback(status, body)

    def _feed(self, link: WorkerLink) -> None:
        queue = self.queue
        now = self._time()
        while queue and len(link.pending) < PIPELINE_DEPTH:
            link.send(queue.popleft(), now)

    def _done(self, link: WorkerLink):
        """The callback of the request `link` just answered; the next one starts running."""
        pending = link.pending
        callback = pending.popleft().callback
        if pending:
            link.started = self._time()
        return callback

    def on_frame(self, link: WorkerLink, kind: bytes, payload: bytes) -> None:
        if kind == wire.RESULT_OK:
            callback = self._done(link)
            if callback:
                callback(200, payload)
            if self.queue:
                self._feed(link)
        elif kind == wire.RESULT_ERROR or kind == wire.RESULT_BAD_INPUT:
            callback = self._done(link)
            if callback:
                callback(500 if kind == wire.RESULT_ERROR else 400, _error_body(payload.decode("utf-8", "replace")))
            if self.queue:
                self._feed(link)
        elif kind == wire.COLLECT:
            if self.collection is not None:
                self.collection.log_custom(payload)
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
        if link.retired:  # killed for a timeout: already replaced
            return
        if link in self.workers:
            self.workers.remove(link)
        if self.stopping or self.state == FAILED:
            return
        if not link.ready:
            self.fail(f"worker pid {link.proc.pid} exited during init() without an answer.")
            return
        pid = link.proc.pid
        callback = link.pending.popleft().callback if link.pending else None
        self.log(f"worker pid {pid} died; restarting it")
        self._replace(link)
        if callback:
            callback(502, _error_body(
                f"The worker process (pid {pid}) of deployment '{self.name}' died while scoring this "
                "request; it is being restarted. Check the deployment logs."))

    def _replace(self, link: WorkerLink) -> None:
        """Start a worker in place of `link` (already out of `workers`, its running request
        answered); the requests sent to it but not started go to the other workers."""
        waiting = [call for call in link.pending if call.callback is not None]  # timed out: not worth running
        link.pending.clear()
        self.queue.extendleft(reversed(waiting))
        self.restarts += 1
        self._loop.create_task(self.spawn_worker())
        for w in self.workers:
            if w.ready:
                self._feed(w)
        self._on_change()

    # --- request_timeout_ms ------------------------------------------------------------------
    def _expire(self) -> None:
        """Answer 408 to every request past its deadline, replace every worker stuck in run()
        past the timeout, and re-arm for the next deadline."""
        self._timer = None
        if self.stopping:
            return
        soon = self._time() + _SLACK
        next_at = inf
        expired: list[tuple] = []  # (callback, where, then), answered at the end

        def take(call: Call, where: str, then: str = "") -> None:
            expired.append((call.callback, where, then))
            call.callback = None  # from now on the worker's answer to it goes nowhere

        queue = self.queue
        while queue and queue[0].deadline <= soon:  # oldest first: requeued ones go in front
            take(queue.popleft(), "waiting for a free worker")
        if queue:
            next_at = queue[0].deadline
        for link in list(self.workers):
            pending = link.pending
            if not pending:
                continue
            head = pending[0]
            pid = link.proc.pid
            stuck = link.started + self.timeout <= soon
            for call in pending:
                if call.callback is None or (call is head and stuck):
                    continue
                if call.deadline <= soon:
                    take(call, f"in run() in worker pid {pid}" if call is head else f"queued in worker pid {pid}")
                else:
                    next_at = min(next_at, call.deadline)
            if not stuck:
                next_at = min(next_at, link.started + self.timeout)
                continue
            if head.callback is not None:  # the usual case, one log line for both
                take(head, f"in run() in worker pid {pid}", "; restarting that worker")
            else:  # answered 408 while it waited; its run() then took the whole timeout too
                self.log(f"worker pid {pid} still in run() request_settings.request_timeout_ms={self.timeout_ms} "
                         "ms after the request started: restarting it")
            self._retire(link)
        if next_at < inf:
            self._timer = self._loop.call_at(next_at, self._expire)
        # Answer last: an answer can let its connection submit the next request, which must find
        # the pool consistent and the timer armed.
        for callback, where, then in expired:
            what = "mirrored request dropped" if callback is _mirrored else "answered 408"
            self.log(f"request timed out after request_settings.request_timeout_ms={self.timeout_ms} ms {where}: "
                     f"{what}{then}")
            callback(408, self._timeout_body)

    def _retire(self, link: WorkerLink) -> None:
        """Kill a worker stuck in run() and start another: its late answer must never reach a
        later request, and a run() that never returns must not hold the requests behind it."""
        link.retired = True
        self.workers.remove(link)
        link.pending.popleft()  # the stuck request, answered by the caller
        link.proc.kill()
        link.transport.abort()
        self._replace(link)
