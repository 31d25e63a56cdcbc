"""One scoring worker process: runs `init()` once, then `run(raw_data)` per request.

Started by the endpoint server with the deployment's own interpreter as
`python worker.py <fd> <spec json>`, so this file imports nothing but the standard library (and
mlflow for mlflow_model deployments). It talks to the server over an inherited unix socket with
length-prefixed frames: 4 bytes big-endian length, then a kind byte, then the payload.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import threading
import time
import traceback

__all__ = [
    "COLLECT",
    "HEADER",
    "INIT_FAILED",
    "READY",
    "REQUEST",
    "RESULT_BAD_INPUT",
    "RESULT_ERROR",
    "RESULT_OK",
    "encode_frame",
    "encode_request",
]

HEADER = struct.Struct(">I")
# server -> worker
REQUEST = b"R"  # payload: one byte n, n bytes of the request's correlation id, then the body
# worker -> server
READY = b"I"
INIT_FAILED = b"F"
RESULT_OK = b"O"  # payload: the JSON body to answer with 200
RESULT_ERROR = b"E"  # payload: message for a 500 (run() raised, or its result is not JSON)
RESULT_BAD_INPUT = b"B"  # payload: message for a 400
COLLECT = b"C"  # payload: a JSON head (collection, correlationid, time, ...), a newline, the JSON data


def encode_frame(kind: bytes, payload: bytes) -> bytes:
    return HEADER.pack(len(payload) + 1) + kind + payload


def encode_request(correlation_id: bytes, body: bytes) -> bytes:
    return b"".join((HEADER.pack(len(correlation_id) + len(body) + 2), REQUEST, bytes((len(correlation_id),)),
                     correlation_id, body))


class _Link:
    """The worker's end of the socket: whole frames, from the main thread and any thread of the
    scoring script alike; and the correlation id of the request being scored. Collected items
    wait for the next frame out (the request's answer), so they cost no send of their own and
    the server reads them in the same wake-up as the answer."""

    def __init__(self, sock: socket.socket):
        self._send = sock.sendall
        self._lock = threading.Lock()
        self._collected: list[bytes] = []
        self.correlation_id = ""

    def send(self, frame: bytes) -> None:
        with self._lock:
            if self._collected:
                self._collected.append(frame)
                frame = b"".join(self._collected)
                self._collected.clear()
            self._send(frame)

    def collect(self, collection: str, data: str, collect_type: str, agent: str,
                correlation_id: str | None = None, when: float | None = None) -> None:
        """One collected item; `data` is JSON text (the server writes it into the line as is)."""
        head = {"collection": collection, "correlationid": correlation_id or self.correlation_id,
                "time": when or time.time(), "collectdatatype": collect_type, "agent": agent}
        frame = encode_frame(COLLECT, json.dumps(head).encode() + b"\n" + data.encode())
        with self._lock:
            self._collected.append(frame)


def frame_records(frame) -> str:
    """A DataFrame as the Collector logs it (records, as `to_json(orient="records")` writes them),
    read column by column: many times faster than to_json on the small frames scoring sees.
    Only plain columns (bool, numbers, objects such as str); anything else, NaN, values JSON
    cannot hold or repeated column names raise TypeError/ValueError/AttributeError, and the
    caller uses to_json."""
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError("repeated column names")
    arrays = [frame._get_column_array(i) for i in range(len(names))]
    if any(a.dtype.kind not in "biufO" for a in arrays):
        raise TypeError("a column JSON does not hold as it is (dates, durations, complex numbers)")
    # zip() without strict=: this file runs on the deployment's Python, which may predate 3.10
    rows = zip(*(a.tolist() for a in arrays))  # noqa: B905
    return json.dumps([dict(zip(names, row)) for row in rows], allow_nan=False,  # noqa: B905
                      separators=(",", ":"))


def _install_collector(link: _Link) -> None:
    """Route azureml-ai-monitoring's Collector to the endpoint server, which plays Azure's data
    collector sidecar: each payload the SDK would queue for its sender thread goes straight over
    this worker's socket as one frame (a few microseconds; the server writes it to disk on its
    own thread, and a handoff to the SDK's thread per payload costs more than the send). Our
    rule: a collect() without a context gets the request's correlation id (its x-request-id),
    not a fresh one, so custom collections join the request's other collections. Without the
    package, nothing to route (the scoring script's import fails as it would on Azure)."""
    try:
        import azureml.ai.monitoring.collector_json as collector_json
        from azureml.ai.monitoring.context import BasicCorrelationContext
    except ImportError:
        return

    class _ServerQueue:
        def enqueue(self, payload):
            try:  # the SDK's JSON payload holds its DataFrame as `_data`
                content = frame_records(payload._data._data)
            except (AttributeError, TypeError, ValueError):
                content = payload.content()
                if isinstance(content, bytes):  # the compact format: text, as JSON
                    content = json.dumps(content.decode("utf-8", "replace"))
            link.collect(payload.designation(), content, payload.type(), payload.agent(),
                         payload.correlation_id(), payload.time())
            return True, "accepted"

    queue = _ServerQueue()
    collector_json.get_queue = lambda: queue
    collector_json.get_context = lambda: BasicCorrelationContext(id=link.correlation_id)


class _BadInput(Exception):
    pass


class _NotJson(Exception):
    pass


def _encode_result(result) -> bytes:
    # azmlinfsrv JSON-encodes whatever run() returns (a str too, so "x" answers "\"x\""),
    # and answers {} for None.
    if result is None:
        return b"{}"
    return json.dumps(result).encode()


class CustomScorer:
    """A scoring script with init() and run(raw_data), imported from the code folder."""

    def __init__(self, spec: dict):
        import importlib.util

        code_dir = spec.get("code_dir") or os.getcwd()
        script = os.path.join(code_dir, spec["scoring_script"])
        for folder in (os.path.dirname(os.path.abspath(script)), code_dir):
            if folder not in sys.path:
                sys.path.insert(0, folder)
        name = os.path.splitext(os.path.basename(script))[0]
        module_spec = importlib.util.spec_from_file_location(name, script)
        if module_spec is None:
            raise FileNotFoundError(f"Scoring script {script} is not a Python file.")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        for fn in ("init", "run"):
            if not callable(getattr(module, fn, None)):
                raise AttributeError(f"Scoring script {script} does not define {fn}(): define init() and run(raw_data).")
        module.init()
        self._run = module.run

    def score(self, body: bytes) -> bytes:
        try:
            raw = body.decode("utf-8")
        except UnicodeDecodeError as ex:
            raise _BadInput(f"The request body is not UTF-8 text: {ex}") from None
        result = self._run(raw)
        try:
            return _encode_result(result)
        except (TypeError, ValueError) as ex:
            raise _NotJson(f"run() returned a value that is not JSON serializable: {ex}") from None


def find_mlflow_model(model_dir: str) -> str:
    """The folder holding MLmodel: the model dir itself or a folder under it (a model registered
    from a folder sits under AZUREML_MODEL_DIR by the folder's name)."""
    if os.path.isfile(os.path.join(model_dir, "MLmodel")):
        return model_dir
    for root, dirs, files in os.walk(model_dir):
        dirs.sort()
        if "MLmodel" in files:
            return root
    raise FileNotFoundError(f"No MLmodel file under {model_dir}: an mlflow_model deployment needs an MLflow model folder.")


class MlflowScorer:
    """Azure's no-code MLflow scoring: pyfunc predict on `{"input_data": ...}` (a split-oriented
    frame `{"columns", "index", "data"}` or a tensor / dict of tensors) or MLflow's own keys
    (`dataframe_split`, `dataframe_records`, `instances`, `inputs`), optional `params`; the
    answer is the predictions as JSON (records for a frame), without MLflow's `predictions` wrapper."""

    def __init__(self, spec: dict, link: _Link | None = None):
        import mlflow.pyfunc

        self._model = mlflow.pyfunc.load_model(find_mlflow_model(spec["model_dir"]))
        self._schema = self._model.metadata.get_input_schema()
        # Azure auto-instruments a no-code MLflow deployment: model_inputs and model_outputs are
        # collected without a scoring script when its data_collector enables them.
        enabled = ((spec.get("collection") or {}).get("roots") or {}) if link else {}
        self._collect_inputs = link.collect if "model_inputs" in enabled else None
        self._collect_outputs = link.collect if "model_outputs" in enabled else None

    def _parse(self, body: bytes):
        from mlflow.pyfunc.scoring_server import infer_and_parse_data

        try:
            data = json.loads(body)
        except ValueError as ex:
            raise _BadInput(f"The request body is not JSON: {ex}") from None
        if not isinstance(data, dict):
            raise _BadInput('Send a JSON object such as {"input_data": {"columns": [...], "data": [[...]]}}.')
        params = data.pop("params", None)
        if "input_data" in data:
            value = data.pop("input_data")
            if isinstance(value, dict) and "data" in value and set(value) <= {"columns", "index", "data"}:
                data["dataframe_split"] = value
            else:
                data["inputs"] = value
        try:
            return infer_and_parse_data(data, self._schema), params
        except Exception as ex:  # MlflowException for a wrong shape, pandas errors for bad frames
            raise _BadInput(f"Could not read the input: {ex}") from None

    def score(self, body: bytes) -> bytes:
        from mlflow.utils.proto_json_utils import NumpyEncoder, _get_jsonable_obj

        model_input, params = self._parse(body)
        if self._collect_inputs:
            self._collect_inputs("model_inputs", _records(model_input, NumpyEncoder), _type_name(model_input),
                                 "amlmagic-mlflow")
        predictions = self._model.predict(model_input, params=params) if params else self._model.predict(model_input)
        out = json.dumps(_get_jsonable_obj(predictions, pandas_orient="records"), cls=NumpyEncoder)
        if self._collect_outputs:
            self._collect_outputs("model_outputs", out, _type_name(predictions), "amlmagic-mlflow")
        return out.encode()


def _type_name(value) -> str:
    cls = type(value)
    return f"python.{cls.__qualname__}" if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _records(value, encoder) -> str:
    """A model input as the Collector logs a DataFrame: records; tensors as JSON."""
    to_json = getattr(value, "to_json", None)
    if to_json is not None:
        try:
            return frame_records(value)
        except (AttributeError, TypeError, ValueError):
            return to_json(orient="records")
    return json.dumps(value, cls=encoder)


def serve(sock: socket.socket, scorer, link: _Link) -> None:
    """Answer request frames one at a time until the server closes the socket."""
    reader = sock.makefile("rb")
    send = link.send
    unpack = HEADER.unpack
    score = scorer.score
    while True:
        head = reader.read(4)
        if len(head) < 4:
            return
        frame = reader.read(unpack(head)[0])
        id_end = 2 + frame[1]
        link.correlation_id = frame[2:id_end].decode("latin-1")
        try:
            out = encode_frame(RESULT_OK, score(frame[id_end:]))
        except _BadInput as ex:
            out = encode_frame(RESULT_BAD_INPUT, str(ex).encode())
        except _NotJson as ex:
            print(ex, file=sys.stderr)
            out = encode_frame(RESULT_ERROR, str(ex).encode())
        except Exception as ex:
            traceback.print_exc()
            message = (f"An unexpected error occurred in scoring script: {type(ex).__name__}: {ex}. "
                       "Check the deployment logs for more info.")
            out = encode_frame(RESULT_ERROR, message.encode())
        send(out)


def main(argv: list[str]) -> int:
    # Whole lines, as they happen: workers share one append-only log, and unbuffered output
    # would interleave the pieces of one print() with another worker's.
    # (PYTHONUNBUFFERED or -u in the caller's environment would make every piece its own write.)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    sock = socket.socket(fileno=int(argv[1]))
    spec = json.loads(argv[2])
    link = _Link(sock)
    try:
        if spec["model_type"] == "mlflow_model":
            scorer = MlflowScorer(spec, link if spec.get("collection") else None)
        else:
            if spec.get("collection"):
                _install_collector(link)
            scorer = CustomScorer(spec)
    except BaseException:
        text = traceback.format_exc()
        sys.stderr.write(f"init() failed in worker {os.getpid()}:\n{text}")
        sys.stderr.flush()
        sock.sendall(encode_frame(INIT_FAILED, text.encode()))
        return 1
    link.send(encode_frame(READY, b""))
    try:
        serve(sock, scorer, link)
        link.send(b"")  # what was collected after the last answer (a scoring script's own thread)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
