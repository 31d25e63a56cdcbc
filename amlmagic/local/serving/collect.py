"""Production data collection in the endpoint server: what a deployment collects, and the one
writer thread that appends it, as JSON lines in Azure's layout, off the request path.

The event loop only samples and queues a tuple per collected item; the writer thread builds the
lines (Azure's CloudEvents shape, see docs/mlops.md) and appends them, one write per file, every
FLUSH_SECONDS and once more when the server stops, so a clean stop loses nothing.

Layout: `<collection root>/<yyyy>/<MM>/<dd>/<HH>/<instance>.jsonl`; the collection root is
`modelDataCollector/<endpoint>/<deployment>/<collection>` in the default datastore unless the
collection's `data.path` says otherwise (resolved by the caller into `roots`).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import uuid
import zlib
from pathlib import Path

from amlmagic.rules.data_collection import PAYLOAD_COLLECTIONS, rolled_folder

__all__ = ["DeploymentCollection", "CollectionWriter", "is_sampled", "FLUSH_SECONDS"]

FLUSH_SECONDS = 0.2
_STOP = (None, None)
_CRC_RANGE = 1 << 32


def is_sampled(correlation_id: str, rate: float) -> bool:
    """Our rule: one decision per request, from its correlation id (crc32 below rate x 2^32), so
    every collection of a sampled request is kept together (its request, response, model_inputs
    and model_outputs), and the same id always decides the same way."""
    return rate >= 1.0 or zlib.crc32(correlation_id.encode()) < rate * _CRC_RANGE


_dumps = json.JSONEncoder(separators=(",", ":")).encode


_last_iso = [-1, b""]


def _iso(t: float) -> bytes:
    """Azure's `time`, to the second (one strftime per second: lines come many a second)."""
    second = int(t)
    if second != _last_iso[0]:
        _last_iso[:] = second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)).encode()
    return _last_iso[1]


def _payload_data(body: bytes) -> tuple[bytes, bytes]:
    """(datacontenttype, data as JSON) of an HTTP payload: JSON as it came (its line breaks, only
    whitespace in valid JSON, made spaces), anything else as a string."""
    try:
        json.loads(body)
    except ValueError:
        return b"text/plain", _dumps(body.decode("utf-8", "replace")).encode()
    return b"application/json", body.replace(b"\r", b" ").replace(b"\n", b" ")


class DeploymentCollection:
    """What one deployment collects (from its serving config's `collection`)."""

    def __init__(self, spec: dict, writer: "CollectionWriter"):
        self.writer = writer
        self.rate = float(spec.get("sampling_rate", 1.0))
        self.rolling_rate = spec.get("rolling_rate") or "hour"
        self.roots = {name: Path(root) for name, root in spec["roots"].items()}
        self.capture = [h.lower().encode() for h in spec.get("capture_headers") or []]
        self.request = "request" in self.roots
        self.response = "response" in self.roots
        self.custom = sorted(set(self.roots) - set(PAYLOAD_COLLECTIONS))
        # The fixed parts of every line, JSON-encoded once.
        self._source = _dumps(spec["source"]).encode()
        # Our rule: Azure's SDK writes modelversion "default"; locally the deployed model's
        # version and name, so a collected line traces to its model (and the model to its job).
        self._model = b'"modelversion":%s,"modelname":%s' % (
            _dumps(spec.get("model_version") or "default").encode(), _dumps(spec.get("model_name")).encode())

    def sampled(self, correlation_id: str) -> bool:
        return is_sampled(correlation_id, self.rate)

    # --- on the event loop: a tuple queued, nothing else ------------------------------------
    def log_request(self, correlation_id: str, when: float, body: bytes, headers: dict) -> None:
        captured = {h.decode("latin-1"): headers[h].decode("latin-1") for h in self.capture if h in headers}
        self.writer.put((self._request_line, (correlation_id, when, body, captured)))

    def log_response(self, correlation_id: str, when: float, body: bytes) -> None:
        self.writer.put((self._response_line, (correlation_id, when, body)))

    def log_custom(self, frame: bytes) -> None:
        """A COLLECT frame from a worker: the scoring script's Collector (or the MLflow
        auto-instrumentation) logged one item."""
        self.writer.put((self._custom_line, (frame,)))

    # --- on the writer thread: the lines (Azure's shape, see docs/mlops.md) --------------------
    def _line(self, collection: str, correlation_id: str, when: float, content_type: bytes, data: bytes,
              size: int, extra: bytes = b"") -> bytes:
        cid = _dumps(correlation_id).encode()
        return b"".join((
            b'{"specversion":"1.0","id":"', str(uuid.uuid4()).encode(), b'","source":', self._source,
            b',"type":"azureml.inference.', collection.encode(), b'","datacontenttype":"', content_type,
            b'","time":"', _iso(when), b'","data":', data, extra,
            b',"contentrange":"bytes 0-%d/%d","correlationid":%s,"xrequestid":%s,' % (max(size - 1, 0), size, cid, cid),
            self._model, b"}\n"))

    def _request_line(self, correlation_id, when, body, captured):
        content_type, data = _payload_data(body)
        extra = b',"path":"/score","method":"POST"'
        if captured:
            extra += b',"headers":' + _dumps(captured).encode()
        return "request", when, self._line("request", correlation_id, when, content_type, data, len(body), extra)

    def _response_line(self, correlation_id, when, body):
        content_type, data = _payload_data(body)
        return "response", when, self._line("response", correlation_id, when, content_type, data, len(body))

    def _custom_line(self, frame):
        head, _, data = frame.partition(b"\n")
        item = json.loads(head)
        name, correlation_id = item["collection"], item.get("correlationid") or ""
        if name not in self.roots or not self.sampled(correlation_id):
            return None
        when = float(item.get("time") or time.time())
        extra = b',"collectdatatype":%s,"agent":%s' % (_dumps(item.get("collectdatatype")).encode(),
                                                       _dumps(item.get("agent")).encode())
        return name, when, self._line(name, correlation_id, when, b"application/json", data, len(data), extra)


class CollectionWriter:
    """One thread per endpoint server appending every deployment's collected lines."""

    def __init__(self):
        # Azure names each file by the instance that wrote it: one per server process here.
        self.instance = str(uuid.uuid4())
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.put = self._queue.put
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="data-collection", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write everything queued, then end the thread (the server is stopping)."""
        if self._thread is not None:
            self._stop.set()
            self.put(_STOP)
            self._thread.join()
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while True:
            first = self._queue.get()  # idle: blocked here, no periodic wake-ups
            if first is _STOP:
                return
            stopping = self._stop.wait(FLUSH_SECONDS)  # what comes meanwhile joins the batch
            self.flush(first)
            if stopping:
                return

    def flush(self, first: tuple | None = None) -> None:
        # Grouped by deployment, collection and minute (no rolled folder is finer), so the path
        # of a file is worked out once per group and each file gets one write.
        groups: dict[tuple, list[bytes]] = {}
        get = self._queue.get_nowait
        item = first
        while True:
            if item is None:
                try:
                    item = get()
                except queue.Empty:
                    break
            (build, args), item = item, None
            if build is None:  # _STOP
                continue
            try:
                built = build(*args)
                if built is not None:
                    collection, when, line = built
                    groups.setdefault((build.__self__, collection, int(when) // 60), []).append(line)
            except Exception as ex:  # one bad item must not stop the collection of the others
                self.errors += 1
                print(f"data collection: an item was not written: {ex!r}", flush=True)
        files: dict[Path, list[bytes]] = {}
        for (owner, collection, minute), lines in groups.items():
            folder = rolled_folder(owner.rolling_rate, time.gmtime(minute * 60))
            files.setdefault(owner.roots[collection] / folder / f"{self.instance}.jsonl", []).extend(lines)
        for path, lines in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            data = memoryview(b"".join(lines))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)
