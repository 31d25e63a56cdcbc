"""The server's end of a worker's socket (`WorkerLink`) and one request in flight (`Call`):
frames in, callbacks out. `pool.py` decides which worker gets which request."""

from __future__ import annotations

import asyncio
import subprocess
from collections import deque

from amlmagic.local.serving import worker as wire

__all__ = ["Call", "WorkerLink"]

_HEAD = wire.HEADER.size


class Call:
    """One request, queued or sent to a worker. `callback` becomes None once the request is
    answered by a timeout, so the worker's late answer goes nowhere."""

    __slots__ = ("body", "callback", "deadline", "correlation_id")

    def __init__(self, body: bytes, callback, deadline: float, correlation_id: bytes = b""):
        self.body = body
        self.callback = callback
        self.deadline = deadline
        self.correlation_id = correlation_id


class WorkerLink(asyncio.Protocol):
    """The server's end of one worker's socket: frames in, callbacks out."""

    def __init__(self, pool, proc: subprocess.Popen):
        self.pool = pool
        self.proc = proc
        self.ready = False
        self.retired = False  # killed for a timeout: nothing it sends counts any more
        self.started = 0.0  # loop time the first pending request began running
        self.pending: deque = deque()  # Calls sent, in order; the first one is running
        self.transport = None
        self._buf = bytearray()

    def connection_made(self, transport):
        self.transport = transport

    def send(self, call: Call, now: float) -> None:
        if not self.pending:
            self.started = now
        self.pending.append(call)
        self.transport.write(wire.encode_request(call.correlation_id, call.body))

    def data_received(self, data: bytes) -> None:
        if self.retired:
            return
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
