"""The endpoint server process: `python -m amlmagic.local.serving.server <state dir>`.

An asyncio HTTP front on 127.0.0.1 (a free port) that checks the key, picks a deployment by
header or traffic weights, copies mirrored traffic, and hands the body to that deployment's
worker processes (see pool.py; it also answers 408 past the deployment's request_timeout_ms).
SIGHUP re-reads config.json; SIGTERM stops everything. What it serves is reported in
state.json, with the digest of the config it applied.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import random
import re
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

from amlmagic.local.osutil import write_bytes_atomic
from amlmagic.local.serving.collect import CollectionWriter
from amlmagic.local.serving.config import EndpointPaths, read_config
from amlmagic.local.serving.httpwire import CONTINUE, HttpError, error_response, parse_request, response_bytes
from amlmagic.local.serving.pool import DeploymentPool

__all__ = ["Endpoint", "HttpConnection", "main"]

HEALTHY = response_bytes(200, b"Healthy", content_type=b"text/plain")
_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")  # visible ASCII: echoed in a header, one byte of length


def request_id(headers: dict) -> bytes:
    """The request's correlation id, answered as `x-request-id` and written with what it
    collects: the client's x-request-id when it sends a usable one (as Azure keeps it), else a
    new UUID."""
    given = headers.get(b"x-request-id")
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return str(uuid.uuid4()).encode()


class HttpConnection(asyncio.Protocol):
    """One client connection; requests on it are answered one at a time, in order."""

    def __init__(self, endpoint: "Endpoint"):
        self.endpoint = endpoint
        self.transport = None
        self.buf = bytearray()
        self.busy = False
        self.processing = False
        self.keep_alive = True
        self.sent_continue = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy and not self.processing:
            self.process()

    def process(self) -> None:
        self.processing = True
        try:
            while self.buf and not self.busy:
                try:
                    parsed = parse_request(self.buf)
                except HttpError as ex:
                    self.buf.clear()
                    self.transport.write(error_response(ex.status, ex.message, keep_alive=False))
                    self.transport.close()
                    return
                if parsed is None:
                    return
                request, consumed = parsed
                if consumed < 0:
                    if not self.sent_continue:
                        self.sent_continue = True
                        self.transport.write(CONTINUE)
                    return
                del self.buf[:consumed]
                self.sent_continue = False
                self.keep_alive = request.keep_alive
                self.busy = True
                try:
                    self.endpoint.handle(request, self.respond)
                except Exception as ex:  # a bug here must not leave the client hanging
                    print(f"error handling {request.method!r} {request.path!r}: {ex!r}", file=sys.stderr, flush=True)
                    if self.busy:
                        self.respond(error_response(500, f"The endpoint server failed: {ex}", keep_alive=False))
        finally:
            self.processing = False

    def respond(self, data: bytes) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(data)
        self.busy = False
        if not self.keep_alive:
            transport.close()
        elif self.buf and not self.processing:
            self.process()


class Endpoint:
    """Routing, auth and the deployments of one endpoint, rebuilt from config on reload."""

    def __init__(self, state_dir: Path):
        self.paths = EndpointPaths(state_dir)
        self.pools: dict[str, DeploymentPool] = {}
        self.port = 0
        self.digest = ""
        self.name = ""
        self.keys: list[bytes] = []
        self.routes: list[tuple[float, DeploymentPool]] = []
        self.mirrors: list[tuple[float, DeploymentPool]] = []
        self._reload_again = False
        self._reloading = False
        self._state_dirty = False
        self.collection_writer = CollectionWriter()

    # --- requests ----------------------------------------------------------------------------
    def _authorized(self, request) -> bytes | None:
        """None if the key is right, else the 401 response."""
        auth = request.headers.get(b"authorization")
        if not auth:
            message = (f"Missing key: send 'Authorization: Bearer <key>' with the primary or secondary key "
                       f"of endpoint '{self.name}'.")
        else:
            scheme, _, token = auth.partition(b" ")
            token = token.strip()
            if scheme.lower() == b"bearer" and any(hmac.compare_digest(token, k) for k in self.keys):
                return None
            message = f"Invalid key: use the primary or secondary key of endpoint '{self.name}' (get-credentials)."
        return error_response(401, message, keep_alive=request.keep_alive)

    def handle(self, request, respond) -> None:
        keep_alive = request.keep_alive
        if request.path == b"/score":
            if request.method != b"POST":
                respond(error_response(405, "Use POST /score to score (GET / is the liveness probe).",
                                       b"Allow: POST\r\n", keep_alive))
                return
            denied = self._authorized(request)
            if denied:
                respond(denied)
                return
            if not request.body:
                respond(error_response(400, "The request has no body: send the scoring input (usually JSON) "
                                            "as the POST body.", keep_alive=keep_alive))
                return
            rid = request_id(request.headers)
            target = request.headers.get(b"azureml-model-deployment")
            if target:
                pool = self.pools.get(target.decode("latin-1"))
                if pool is None:
                    respond(error_response(404, f"Deployment '{target.decode('latin-1')}' not found in endpoint "
                                                f"'{self.name}': use one of {sorted(self.pools)}.",
                                           keep_alive=keep_alive))
                    return
            else:
                pool = self._pick()
                if pool is None:
                    respond(error_response(404, f"No deployment has traffic on endpoint '{self.name}': set "
                                                "traffic (e.g. blue=100) or name one with the "
                                                "azureml-model-deployment header.", keep_alive=keep_alive))
                    return
                # Our rule: only weight-routed requests are mirrored; a request naming its
                # deployment by header is a test of that deployment alone.
                for pct, mirror in self.mirrors:
                    if random.random() * 100 < pct:
                        mirror.submit(request.body, None, rid, request.headers)
            header = b"%sx-request-id: %s\r\n" % (pool.header, rid)
            pool.submit(request.body, lambda status, body: respond(response_bytes(status, body, header, keep_alive)),
                        rid, request.headers)
        elif request.path == b"/":
            if request.method == b"GET":
                respond(HEALTHY if keep_alive else response_bytes(200, b"Healthy", b"", False, b"text/plain"))
            else:
                respond(error_response(405, "GET / is the liveness probe; POST /score scores.",
                                       b"Allow: GET\r\n", keep_alive))
        else:
            respond(error_response(404, f"No route {request.path.decode('latin-1')!r}: POST /score scores, "
                                        "GET / is the liveness probe.", keep_alive=keep_alive))

    def _pick(self) -> DeploymentPool | None:
        routes = self.routes
        if not routes:
            return None
        r = random.random() * 100
        for upper, pool in routes:
            if r < upper:
                return pool
        return routes[-1][1]

    # --- config and state --------------------------------------------------------------------
    def mark_changed(self) -> None:
        """Coalesce state writes: many worker events in one loop turn give one write."""
        if not self._state_dirty:
            self._state_dirty = True
            asyncio.get_running_loop().call_soon(self.write_state)

    def write_state(self) -> None:
        self._state_dirty = False
        state = {"pid": os.getpid(), "port": self.port, "endpoint": self.name,
                 "scoring_uri": f"http://127.0.0.1:{self.port}/score", "config_digest": self.digest,
                 "reloading": self._reloading,
                 "deployments": {name: pool.snapshot() for name, pool in self.pools.items()}}
        write_bytes_atomic(self.paths.state, json.dumps(state, indent=2).encode())

    async def apply_config(self) -> None:
        """Make the running server match config.json; deployments whose spec changed restart."""
        if self._reloading:
            self._reload_again = True
            return
        self._reloading = True
        try:
            while True:
                self._reload_again = False
                try:
                    config, digest = read_config(self.paths)
                except Exception as ex:  # keep serving the last good config
                    print(f"config not applied: {ex}", file=sys.stderr, flush=True)
                    break
                await self._apply(config)
                self.digest = digest
                if not self._reload_again:
                    break
        finally:
            self._reloading = False
            self.mark_changed()

    async def _apply(self, config: dict) -> None:
        self.name = config["endpoint"]
        self.keys = [k.encode() for k in config["keys"]]
        wanted = config["deployments"]
        for name in [n for n, p in self.pools.items() if wanted.get(n) != p.spec]:
            pool = self.pools.pop(name)
            pool.log("removed from the endpoint" if name not in wanted else "updated: restarting workers")
            await pool.stop()
        started = []
        for name, spec in wanted.items():
            if name not in self.pools:
                if spec.get("collection"):
                    self.collection_writer.start()
                pool = DeploymentPool(name, spec, self.paths.deployment_log(name), self.mark_changed,
                                      self.collection_writer)
                self.pools[name] = pool
                started.append(pool.start())
        self._set_routes(config)
        await asyncio.gather(*started)
        self.mark_changed()

    def _set_routes(self, config: dict) -> None:
        routes, total = [], 0
        for name, pct in sorted(config["traffic"].items()):
            if pct > 0:
                total += pct
                routes.append((total, self.pools[name]))
        self.routes = routes
        self.mirrors = [(pct, self.pools[name]) for name, pct in sorted(config["mirror_traffic"].items()) if pct]

    async def stop(self) -> None:
        await asyncio.gather(*(pool.stop() for pool in self.pools.values()))
        self.collection_writer.stop()  # after the workers: what they still sent is written too


async def serve(state_dir: Path) -> None:
    loop = asyncio.get_running_loop()
    endpoint = Endpoint(state_dir)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    endpoint.port = sock.getsockname()[1]
    server = await loop.create_server(lambda: HttpConnection(endpoint), sock=sock, backlog=1024)
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_signal_handler(signal.SIGINT, done.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(endpoint.apply_config()))
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} listening on 127.0.0.1:{endpoint.port}", flush=True)
    await endpoint.apply_config()
    await done.wait()
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} stopping", flush=True)
    server.close()
    await endpoint.stop()
    state = json.loads(endpoint.paths.state.read_text())
    state["stopped"] = True
    write_bytes_atomic(endpoint.paths.state, json.dumps(state, indent=2).encode())


def main(argv: list[str]) -> int:
    asyncio.run(serve(Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
