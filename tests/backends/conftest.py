"""Fixtures of the backend tests: a guard that fails the test on any socket to a host other
than 127.0.0.1, and a clean replay/record state after each test."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
REPO = HERE.parents[1]
SHARED_RECORDINGS = REPO.parent / "shared" / "recordings"
OWN_RECORDINGS = HERE / "recordings"
# Tests of the real service's recordings: skipped, saying why, where ../shared is not beside the checkout.
NEEDS_SHARED = pytest.mark.skipif(
    not SHARED_RECORDINGS.is_dir(), reason=f"shared recordings not found at {SHARED_RECORDINGS} (../shared is absent)")

_LOCAL = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve or connect to a non-loopback address fails the test."""
    attempts: list[str] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        if str(host) not in _LOCAL:
            attempts.append(f"resolve {host}")
            raise OSError(f"network use during a test: resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and str(host) not in _LOCAL:
            attempts.append(f"connect {address}")
            raise OSError(f"network use during a test: connect {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield attempts
    assert not attempts, f"requests left the machine: {attempts}"


@pytest.fixture(autouse=True)
def _clean_backend_state():
    yield
    from amlmagic.backends import stop_replay

    stop_replay()


@pytest.fixture
def fake_azure(monkeypatch):
    """The fake Azure ML REST server on 127.0.0.1 (https), trusted by requests."""
    from fake_azureml import FakeAzureML

    with FakeAzureML() as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.cert_path))
        yield fake
