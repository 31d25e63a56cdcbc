"""Record mode: the session's real traffic, sanitized, in the test-proxy format.

    recorder = Recorder("session.json")
    client = MLClient(..., transport=recorder.transport()); recorder.start()
    ...                      # every request MLClient makes is appended to session.json
    recorder.stop()

Two taps, like replay: MLClient's transport (service clients, endpoint invoke) and the
`requests` adapter hook for the blob storage clients that ignore `transport=`. Identity traffic
(login.microsoftonline.com, the managed-identity endpoint) and loopback traffic outside the
transport are not recorded. The file is rewritten atomically after every exchange, so it is
complete whenever the notebook stops; the response handed back to the SDK is rebuilt from the
recorded entry, exactly as replay will build it.

Polling stays small **(our rule)**: an exchange identical (once sanitized; request headers aside,
replay never reads them) to the previous one of the same request is not appended; that entry's
`"Count"` goes up instead, and replay answers that many requests with it (replay/matching.py).
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import requests
import requests.adapters

from .replay.matching import request_key
from .replay.recording import encode_body, write_recording
from .replay.transport import build_response, install_hook, is_loopback, original_send, remove_hook
from .sanitize import Sanitizer

__all__ = ["Recorder", "RecordingAdapter"]

_IDENTITY_HOSTS = ("login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "169.254.169.254",
                   "management.core.windows.net")


def _request_body(prepared):
    body = prepared.body
    if body is None:
        return None
    if not isinstance(body, (bytes, str)):
        return None  # a file-like stream (blob upload): its bytes are not kept
    raw = body.encode("utf-8") if isinstance(body, str) else body
    stored, _ = encode_body(raw, prepared.headers.get("Content-Type"))
    return stored


class Recorder:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._raw: list[dict] = []  # distinct exchanges, unsanitized
        self._counts: list[int] = []  # how many identical exchanges each one stands for
        self._last_for: dict = {}  # request key -> index of its latest exchange
        self._lock = threading.Lock()
        self._active = False
        write_recording(self.path, [])

    # -- the taps -----------------------------------------------------------------------------
    def transport(self):
        """A RequestsTransport that records everything it sends (loopback included)."""
        from azure.core.pipeline.transport import RequestsTransport

        session = requests.Session()
        adapter = RecordingAdapter(self)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return RequestsTransport(session=session, session_owner=False)

    def __call__(self, adapter, request, kwargs):
        """The `requests` hook: records traffic of the clients that bypass the transport."""
        if not self._active or isinstance(adapter, RecordingAdapter):
            return None
        host = (urlsplit(request.url).hostname or "").lower()
        if is_loopback(request.url) or host in _IDENTITY_HOSTS:
            return None
        return self.exchange(adapter, request, kwargs)

    def start(self) -> None:
        self._active = True
        install_hook(self)

    def stop(self) -> None:
        self._active = False
        remove_hook(self)

    # -- recording ----------------------------------------------------------------------------
    def exchange(self, adapter, request, kwargs):
        response = original_send(adapter, request, **kwargs)
        raw = response.content  # reads the whole body (decoded)
        stored, encoding = encode_body(raw, response.headers.get("Content-Type"))
        entry = {
            "RequestUri": request.url,
            "RequestMethod": request.method,
            "RequestHeaders": dict(request.headers),
            "RequestBody": _request_body(request),
            "StatusCode": response.status_code,
            "ResponseHeaders": {k: v for k, v in response.headers.items()},
            "ResponseBody": stored,
        }
        if encoding:
            entry["ResponseBodyEncoding"] = encoding
        self.add(entry)
        return build_response(request, entry)

    def add(self, entry: dict) -> None:
        with self._lock:
            # Sanitize the whole list each time: an id learned late is scrubbed from early entries.
            sanitizer = Sanitizer()
            for seen in (*self._raw, entry):
                sanitizer.learn(seen)
            key = request_key(entry["RequestMethod"], entry["RequestUri"])
            last = self._last_for.get(key)
            if last is not None and _same_exchange(sanitizer.entry(self._raw[last]), sanitizer.entry(entry)):
                self._counts[last] += 1
            else:
                self._last_for[key] = len(self._raw)
                self._raw.append(entry)
                self._counts.append(1)
            clean = [sanitizer.entry(e) for e in self._raw]
            for written, count in zip(clean, self._counts, strict=True):
                if count > 1:
                    written["Count"] = count
            write_recording(self.path, clean)

    @property
    def count(self) -> int:
        """Exchanges recorded, collapsed ones included."""
        return sum(self._counts)


_NOT_COMPARED = ("RequestUri", "RequestHeaders")


def _same_exchange(a: dict, b: dict) -> bool:
    """Equal for replay: the caller matched their request keys (volatile parameters aside), and
    replay never reads request headers (the SDK's final LRO GET and a get() differ only there)."""
    return ({k: v for k, v in a.items() if k not in _NOT_COMPARED} ==
            {k: v for k, v in b.items() if k not in _NOT_COMPARED})


class RecordingAdapter(requests.adapters.HTTPAdapter):
    """The adapter of the recording transport's session."""

    def __init__(self, recorder: Recorder):
        super().__init__()
        self.recorder = recorder

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        kwargs = dict(stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        return self.recorder.exchange(self, request, kwargs)
