"""Keep a replay offline: while the guard is on, a socket may connect (or send) only to the
loopback, and only loopback names resolve. Everything else raises `NetworkBlockedError` and is
noted in `attempts`, so a test can fail even when the code under test swallowed the error.

    with OfflineGuard() as guard:
        ...                     # replayed code; 127.0.0.1 servers still work
    assert not guard.attempts

The replay transport already answers every request azure-ai-ml makes; the guard catches what
goes around it (another HTTP library, a raw socket, a DNS lookup). It patches the `socket` module
process-wide, so it is for tests, not for a notebook.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

__all__ = ["NetworkBlockedError", "OfflineGuard"]

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlockedError(OSError):
    """A connection to a non-loopback address during replay."""


def _address(host) -> str:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return str(host).strip("[]").split("%", 1)[0].lower()


def _is_loopback_host(host) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard
    host = _address(host)
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _needs_dns(host) -> bool:
    """Resolving an address literal or a local name asks no DNS server; any other name does."""
    if _is_loopback_host(host):
        return False
    try:
        ipaddress.ip_address(_address(host))
        return False
    except ValueError:
        return True


class OfflineGuard:
    def __init__(self, reason: str = "replay is offline"):
        self.reason = reason
        self.attempts: list[str] = []
        self._lock = threading.Lock()
        self._saved: list[tuple[object, str, object]] = []

    def _block(self, what: str):
        with self._lock:
            self.attempts.append(what)
        return NetworkBlockedError(f"{what} blocked: {self.reason} (only 127.0.0.1 and localhost are reachable)")

    def _patch(self, owner, name: str, replacement) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def __enter__(self) -> OfflineGuard:
        guard = self
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_sendto, real_getaddrinfo = socket.socket.sendto, socket.getaddrinfo

        def allowed(sock, address) -> bool:
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return True  # unix sockets and the like stay on the machine
            return _is_loopback_host(address[0] if isinstance(address, tuple) else address)

        def connect(sock, address):
            if not allowed(sock, address):
                raise guard._block(f"connect to {address!r}")
            return real_connect(sock, address)

        def connect_ex(sock, address):
            if not allowed(sock, address):
                raise guard._block(f"connect to {address!r}")
            return real_connect_ex(sock, address)

        def sendto(sock, data, *rest):
            address = rest[-1] if rest else None
            if address is not None and not allowed(sock, address):
                raise guard._block(f"send to {address!r}")
            return real_sendto(sock, data, *rest)

        def getaddrinfo(host, *args, **kwargs):
            if _needs_dns(host):
                raise guard._block(f"name lookup of {host!r}")
            return real_getaddrinfo(host, *args, **kwargs)

        self._patch(socket.socket, "connect", connect)
        self._patch(socket.socket, "connect_ex", connect_ex)
        self._patch(socket.socket, "sendto", sendto)
        self._patch(socket, "getaddrinfo", getaddrinfo)
        return self

    def __exit__(self, *exc) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            setattr(owner, name, original)
