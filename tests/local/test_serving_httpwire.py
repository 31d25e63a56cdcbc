"""The endpoint server's HTTP/1.1 request parser and response builder."""

from __future__ import annotations

import json

import pytest

from amlmagic.local.serving.httpwire import HttpError, error_response, parse_request, response_bytes


def test_parses_a_request_and_leaves_the_next_in_the_buffer():
    first = b"POST /score?x=1 HTTP/1.1\r\nAuthorization: Bearer k\r\nContent-Length: 4\r\n\r\nbody"
    buf = bytearray(first + b"GET / HTTP/1.1\r\n\r\n")
    request, consumed = parse_request(buf)
    assert (request.method, request.path, request.body, request.keep_alive) == (b"POST", b"/score", b"body", True)
    assert request.headers[b"authorization"] == b"Bearer k" and consumed == len(first)
    del buf[:consumed]
    request, _ = parse_request(buf)
    assert (request.method, request.path, request.body) == (b"GET", b"/", b"")


def test_incomplete_requests_wait_for_more_bytes():
    assert parse_request(bytearray(b"POST /score HTTP/1.1\r\nContent-")) is None
    assert parse_request(bytearray(b"POST /score HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")) is None
    headers, marker = parse_request(bytearray(b"POST /score HTTP/1.1\r\nContent-Length: 10\r\n"
                                              b"Expect: 100-continue\r\n\r\n"))
    assert marker == -1 and headers[b"expect"] == b"100-continue"


def test_chunked_bodies_are_decoded():
    buf = bytearray(b"POST /score HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    request, consumed = parse_request(buf)
    assert request.body == b"abcde" and consumed == len(buf)
    assert parse_request(bytearray(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab")) is None


def test_connection_semantics():
    assert not parse_request(bytearray(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"))[0].keep_alive
    assert not parse_request(bytearray(b"GET / HTTP/1.0\r\n\r\n"))[0].keep_alive
    assert parse_request(bytearray(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))[0].keep_alive


@pytest.mark.parametrize("raw, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"POST /score HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /score HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 413),
    (b"POST /score HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    (b"POST /score HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"GET / HTTP/1.1\r\nX: " + b"a" * 70000, 431),
])
def test_unframeable_requests_raise_with_a_status(raw, status):
    with pytest.raises(HttpError) as info:
        parse_request(bytearray(raw))
    assert info.value.status == status and info.value.message


def test_responses():
    data = response_bytes(200, b'{"a": 1}', b"azureml-model-deployment: blue\r\n")
    head, body = data.split(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 200 OK" and b"Content-Length: 8" in head
    assert b"azureml-model-deployment: blue" in head and body == b'{"a": 1}' and b"Connection" not in head
    closing = error_response(401, "Invalid key", keep_alive=False)
    head, body = closing.split(b"\r\n\r\n")
    assert b"HTTP/1.1 401 Unauthorized" in head and b"Connection: close" in head
    assert json.loads(body) == {"message": "Invalid key"}
