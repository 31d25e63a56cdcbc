"""Recordings in the Azure SDK test-proxy JSON format, read and written.

    {"Entries": [{"RequestUri", "RequestMethod", "RequestHeaders", "RequestBody",
                  "StatusCode", "ResponseHeaders", "ResponseBody"}], "Variables": {}}

Bodies are stored decoded: a JSON body as the JSON value, a text body as a string, no body as
null. A binary body (rare: a downloaded blob) is stored as base64 text with the extra key
`ResponseBodyEncoding: "base64"`, which readers of the plain format simply ignore.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from ...errors import BackendError
from ...files import write_text_atomic

__all__ = [
    "load_recording",
    "write_recording",
    "encode_body",
    "decode_body",
    "response_bytes",
]

_ENTRY_KEYS = ("RequestUri", "RequestMethod", "StatusCode")


def load_recording(path: str | Path) -> dict[str, Any]:
    """Read one recording file and check it has the test-proxy shape."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackendError(f"Recording {path} does not exist: give the path of a recorded .json file.") from None
    except (OSError, ValueError) as exc:
        raise BackendError(f"Recording {path} is not readable JSON ({exc}): record it again with --record.") from None
    entries = data.get("Entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BackendError(f"Recording {path} has no 'Entries' list: it is not a test-proxy recording.")
    for index, entry in enumerate(entries):
        missing = [key for key in _ENTRY_KEYS if key not in entry]
        if missing:
            raise BackendError(f"Recording {path} entry {index} lacks {', '.join(missing)}: fix or re-record it.")
    data.setdefault("Variables", {})
    return data


def write_recording(path: str | Path, entries: list[dict], variables: dict | None = None) -> None:
    """Write a recording atomically: readers see the old file or the whole new one."""
    text = json.dumps({"Entries": entries, "Variables": variables or {}}, indent=2, ensure_ascii=False)
    write_text_atomic(path, text + "\n")


def encode_body(raw: bytes | None, content_type: str | None) -> tuple[Any, str | None]:
    """bytes on the wire -> (stored body, encoding marker or None)."""
    if not raw:
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"
    if "json" in (content_type or "").lower() or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text), None
        except ValueError:
            pass
    return text, None


def decode_body(body: Any, encoding: str | None = None) -> bytes:
    """Stored body -> bytes to put on the wire."""
    if body is None:
        return b""
    if encoding == "base64":
        return base64.b64decode(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def response_bytes(entry: dict) -> bytes:
    return decode_body(entry.get("ResponseBody"), entry.get("ResponseBodyEncoding"))
