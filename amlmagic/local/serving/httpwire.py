"""Just enough HTTP/1.1 for a scoring endpoint: parse requests out of a connection's buffer
(Content-Length or chunked bodies, keep-alive, Expect: 100-continue) and build responses."""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["HttpError", "Request", "parse_request", "response_bytes", "error_response", "CONTINUE"]

MAX_HEAD = 64 * 1024
MAX_BODY = 100 * 1024 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large",
           431: "Request Header Fields Too Large",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class HttpError(Exception):
    """A request we answer with `status` and then close the connection (its framing is unknown)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Request:
    method: bytes
    path: bytes
    headers: dict  # lower-case bytes name -> bytes value
    body: bytes
    keep_alive: bool


def _chunked_body(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at `start`; None until all of it has arrived."""
    parts = []
    pos = start
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        except ValueError:
            raise HttpError(400, "Malformed chunked body: a chunk size is not hexadecimal.") from None
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)  # skip trailers
            if end < 0:
                return None
            return b"".join(parts), end + 4
        if eol + 2 + size + 2 > len(buf):
            return None
        parts.append(bytes(buf[eol + 2:eol + 2 + size]))
        pos = eol + 2 + size + 2
        if pos - start > MAX_BODY:
            raise HttpError(413, f"The request body is larger than {MAX_BODY} bytes.")


def parse_request(buf: bytearray) -> tuple[Request, int] | tuple[dict, int] | None:
    """The first complete request in `buf` and its length in bytes; None if incomplete.

    Returns (headers, -1) when the head is complete but the body is not and the client asked
    for `Expect: 100-continue`. Raises HttpError for requests that cannot be framed.
    """
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise HttpError(431, f"The request head is larger than {MAX_HEAD} bytes.")
        return None
    lines = bytes(buf[:end]).split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise HttpError(400, "Malformed request line: expected 'METHOD /path HTTP/1.1'.")
    method, target, version = parts
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise HttpError(400, "Malformed header line: expected 'Name: value'.")
        headers[name.strip().lower()] = value.strip()
    connection = headers.get(b"connection", b"").lower()
    keep_alive = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"
    body_start = end + 4
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        decoded = _chunked_body(buf, body_start)
        if decoded is None:
            return (headers, -1) if headers.get(b"expect", b"").lower() == b"100-continue" else None
        body, consumed = decoded
    else:
        length = headers.get(b"content-length", b"0")
        if not length.isdigit():
            raise HttpError(400, f"Invalid Content-Length {length.decode('latin-1')!r}: send the body's size in bytes.")
        size = int(length)
        if size > MAX_BODY:
            raise HttpError(413, f"The request body is larger than {MAX_BODY} bytes.")
        consumed = body_start + size
        if len(buf) < consumed:
            return (headers, -1) if headers.get(b"expect", b"").lower() == b"100-continue" else None
        body = bytes(buf[body_start:consumed])
    return Request(method, target.split(b"?", 1)[0], headers, body, keep_alive), consumed


def response_bytes(status: int, body: bytes, extra: bytes = b"", keep_alive: bool = True,
                   content_type: bytes = b"application/json") -> bytes:
    """`extra` is preformatted header lines, each ending in CRLF."""
    return b"".join((
        b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
        % (status, REASONS.get(status, "Unknown").encode(), content_type, len(body)),
        extra,
        b"" if keep_alive else b"Connection: close\r\n",
        b"\r\n",
        body,
    ))


def error_response(status: int, message: str, extra: bytes = b"", keep_alive: bool = True) -> bytes:
    """Errors answer `{"message": ...}` like azmlinfsrv."""
    return response_bytes(status, json.dumps({"message": message}).encode(), extra, keep_alive)
