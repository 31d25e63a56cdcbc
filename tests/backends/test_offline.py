"""The offline guard of replays under pytest: only the loopback is reachable while it is on."""

import socket
import urllib.request

import pytest

from amlmagic.backends.replay.offline import NetworkBlockedError, OfflineGuard


def test_non_loopback_connects_and_lookups_fail_and_are_noted():
    with OfflineGuard("the test replays x.json") as guard:
        with pytest.raises(NetworkBlockedError, match=r"connect to \('203\.0\.113\.7', 443\) blocked: the test replays x\.json"):
            socket.create_connection(("203.0.113.7", 443), timeout=5)
        with pytest.raises(NetworkBlockedError, match="name lookup of 'example.com'"):
            socket.getaddrinfo("example.com", 443)
        with pytest.raises(OSError):  # urllib wraps it in URLError, an OSError
            urllib.request.urlopen("http://example.org", timeout=5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(NetworkBlockedError):
            udp.sendto(b"x", ("8.8.8.8", 53))
    assert guard.attempts[:2] == ["connect to ('203.0.113.7', 443)", "name lookup of 'example.com'"]
    assert "name lookup of 'example.org'" in guard.attempts and "send to ('8.8.8.8', 53)" in guard.attempts


def test_loopback_stays_reachable_and_the_guard_comes_off():
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
    with OfflineGuard() as guard, socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        socket.create_connection(("localhost", port), timeout=5).close()
        assert socket.getaddrinfo("localhost", port)
    assert guard.attempts == []
    assert (socket.socket.connect, socket.getaddrinfo) == (real_connect, real_getaddrinfo)
