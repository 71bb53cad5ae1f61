"""The `no_network` fixture: any attempt to open a network connection fails the test.

Patched for the duration of the test: socket.socket.connect / connect_ex / sendto, socket.getaddrinfo,
socket.gethostbyname(_ex), socket.create_connection. Each raises OSError at the call (so the code under
test sees a refused connection, as on an offline machine) and the attempt is recorded; the test then
fails at teardown even if the code swallowed the error. `socketpair()` (what multiprocessing pipes use)
needs no connect and keeps working; spawned child processes are not covered — run parsers in-process
(workers=0) in tests that must prove them offline.

Use: `pytestmark = pytest.mark.usefixtures("no_network")`, or import the fixture into conftest.py:
`from tests.network_guard import no_network  # noqa: F401`.
"""

from __future__ import annotations

import socket
import traceback
from collections.abc import Iterator
from typing import Any

import pytest


class NetworkAccessError(OSError):
    """Raised where a test tried to use the network."""


class _Recorder:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def blocked(self, what: str, target: Any) -> NetworkAccessError:
        stack = "".join(traceback.format_stack(limit=8)[:-2])
        self.attempts.append(f"{what}({target!r})\n{stack}")
        return NetworkAccessError(f"network access blocked in tests: {what}({target!r})")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Recorder]:
    rec = _Recorder()

    def connect(self: socket.socket, address: Any) -> None:
        raise rec.blocked("socket.connect", address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        raise rec.blocked("socket.connect_ex", address)

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:
        raise rec.blocked("socket.sendto", args[-1] if args else None)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        raise rec.blocked("socket.getaddrinfo", (host, port))

    def gethostbyname(host: Any, *args: Any) -> Any:
        raise rec.blocked("socket.gethostbyname", host)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        raise rec.blocked("socket.create_connection", address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
    monkeypatch.setattr(socket, "gethostbyname_ex", gethostbyname)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield rec
    if rec.attempts:
        pytest.fail("the code under test tried to use the network:\n" + "\n".join(rec.attempts), pytrace=False)
