"""The replay transport: azure-core's RequestsTransport over a `requests` adapter that answers
from recordings, plus a process-wide hook for the clients that ignore `transport=`.

azure-ai-ml passes `transport=` to its generated service clients and to the pipeline of endpoint
invoke, but builds the blob storage clients (uploads of code, data, models; job logs) without it.
Those use azure-core's default RequestsTransport, which ends in `requests.adapters.HTTPAdapter.send`,
so that is where the hook sits: while a replay is active every request to a host other than the
loopback is answered from the recordings (or fails with ReplayMismatchError), and nothing reaches
the network. Requests to 127.0.0.1 pass (the local backend's own servers).
"""

from __future__ import annotations

import io
import threading
from typing import Callable
from urllib.parse import urlsplit

import requests
import requests.adapters

from .matching import Player
from .recording import response_bytes

__all__ = [
    "ReplayAdapter",
    "ReplayTransport",
    "build_response",
    "original_send",
    "install_hook",
    "remove_hook",
    "is_loopback",
    "no_sleep_active",
]

_DROPPED_RESPONSE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

_hook_lock = threading.Lock()
_handlers: list[Callable] = []  # newest last; each returns a Response or None
_original_send = None


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK or host.startswith("127.")


def build_response(prepared, entry: dict):
    """A `requests.Response` carrying a recorded answer, as HTTPAdapter would build it."""
    from urllib3 import HTTPResponse

    method = (prepared.method or "GET").upper()
    recorded = {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in (entry.get("ResponseHeaders") or {}).items()}
    headers = {k: v for k, v in recorded.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS}
    body = b"" if method == "HEAD" else response_bytes(entry)
    if method == "HEAD":
        # A HEAD answer's Content-Length is blob metadata (its size), not a body length.
        length = {k.lower(): v for k, v in recorded.items()}.get("content-length")
        if length is not None:
            headers["Content-Length"] = length
    else:
        headers["Content-Length"] = str(len(body))
        if body and not any(k.lower() == "content-type" for k in headers) and not isinstance(entry.get("ResponseBody"), str):
            headers["Content-Type"] = "application/json; charset=utf-8"
    status = int(entry["StatusCode"])
    raw = HTTPResponse(
        body=io.BytesIO(body),
        headers=headers,
        status=status,
        reason=_REASONS.get(status, ""),
        preload_content=False,
        decode_content=False,
        request_method=method,
        enforce_content_length=False,
    )
    return _builder().build_response(prepared, raw)


_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error"}
_builder_instance = None


def _builder():
    global _builder_instance
    if _builder_instance is None:
        _builder_instance = requests.adapters.HTTPAdapter()
    return _builder_instance


class ReplayAdapter(requests.adapters.BaseAdapter):
    """A requests adapter that answers every request from a Player."""

    def __init__(self, player: Player):
        super().__init__()
        self.player = player

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        return build_response(request, self.player.answer(request.method, request.url))

    def close(self):
        pass


def ReplayTransport(player: Player):
    """A RequestsTransport whose session answers from `player`. It owns no network session and
    never sleeps (retries and long-running-operation polls go straight on)."""
    from azure.core.pipeline.transport import RequestsTransport

    class _ReplayTransport(RequestsTransport):
        def sleep(self, duration):  # LRO polls and retries: no waiting in replay
            return None

    session = requests.Session()
    session.trust_env = False
    adapter = ReplayAdapter(player)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # session_owner=False: MLClient shares this transport between clients; one closing must not
    # close the session under the others.
    transport = _ReplayTransport(session=session, session_owner=False)
    transport.player = player
    return transport


def original_send(adapter, request, **kwargs):
    """HTTPAdapter.send as it was before the hook (for the recorder's own adapter)."""
    send = _original_send or requests.adapters.HTTPAdapter.send
    return send(adapter, request, **kwargs)


def _hooked_send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
    kwargs = dict(stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
    for handler in reversed(list(_handlers)):
        response = handler(self, request, kwargs)
        if response is not None:
            return response
    return _original_send(self, request, **kwargs)


def install_hook(handler: Callable) -> None:
    """Route `requests` traffic through handler(adapter, prepared, kwargs) -> Response | None."""
    global _original_send

    with _hook_lock:
        if _original_send is None:
            _original_send = requests.adapters.HTTPAdapter.send
            requests.adapters.HTTPAdapter.send = _hooked_send
        if handler not in _handlers:
            _handlers.append(handler)
        _install_stream_no_sleep()


def remove_hook(handler: Callable) -> None:
    with _hook_lock:
        if handler in _handlers:
            _handlers.remove(handler)


def no_sleep_active() -> bool:
    return any(getattr(h, "no_sleep", False) for h in _handlers)


class _TimeWithoutSleepInReplay:
    """Stands in for the `time` module inside azure-ai-ml's job log streaming, whose poll loop
    calls time.sleep directly (up to minutes): during replay the polls go straight on."""

    def __init__(self, real_time):
        self._real = real_time

    def sleep(self, seconds):
        if no_sleep_active():
            return None
        return self._real.sleep(seconds)

    def __getattr__(self, name):
        return getattr(self._real, name)


def _install_stream_no_sleep() -> None:
    import time

    from azure.ai.ml.operations import _job_ops_helper

    if not isinstance(getattr(_job_ops_helper, "time", None), _TimeWithoutSleepInReplay):
        _job_ops_helper.time = _TimeWithoutSleepInReplay(time)


class ReplayHook:
    """The hook handler of one active replay: answers every non-loopback request."""

    no_sleep = True

    def __init__(self, player: Player):
        self.player = player

    def __call__(self, adapter, request, kwargs):
        if is_loopback(request.url):
            return None
        return build_response(request, self.player.answer(request.method, request.url))


__all__.append("ReplayHook")
