"""The exporter under load (#12): hundreds of concurrent scrapes while a thousand idle and
half-open connections are held, loopback only, bounded in count and time. Every scrape is
answered in full; idle connections are dropped after the header deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor import httpserve
from l2kit.monitor.exporter import Exporter

HELD = 1000  # idle + half-open connections
SCRAPERS = 300  # concurrent scrapes


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    fleet = fleet_mod.parse({"targets": []})
    with Exporter(fleet, interval=0.2, listen="127.0.0.1:0") as exp:
        assert exp.wait_cycles(1)
        yield exp


def _scrape(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_scrapes_are_answered_while_connections_are_held(exporter: Exporter) -> None:
    held = []
    try:
        for i in range(HELD):
            sock = socket.create_connection(("127.0.0.1", exporter.port), timeout=30)
            if i % 2:  # half-open: a request line and no end of headers
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        results: list[bytes | BaseException] = []
        lock = threading.Lock()

        def scrape() -> None:
            try:
                body = _scrape(exporter.port)
            except OSError as exc:
                body = exc  # type: ignore[assignment]
            with lock:
                results.append(body)

        threads = [threading.Thread(target=scrape) for _ in range(SCRAPERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == SCRAPERS
        failures = [r for r in results if not isinstance(r, bytes)]
        assert not failures, failures[:3]
        for body in results:
            assert isinstance(body, bytes)
            assert body.startswith(b"HTTP/1.1 200 OK")
            assert b"l2kit_poll_cycles_total" in body
    finally:
        for sock in held:
            sock.close()


def test_idle_and_half_open_connections_are_dropped(
    exporter: Exporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = socket.create_connection(("127.0.0.1", exporter.port), timeout=30)
    partial = socket.create_connection(("127.0.0.1", exporter.port), timeout=30)
    partial.sendall(b"GET /metrics HTTP/1.1\r\n")
    deadline = time.monotonic() + httpserve.HEADER_TIMEOUT + 30
    for sock in (idle, partial):
        sock.settimeout(max(1.0, deadline - time.monotonic()))
        assert sock.recv(1) == b""  # the server closed it (recv would time out otherwise)
        sock.close()


def test_bad_requests_get_one_answer(exporter: Exporter) -> None:
    for request, status in [
        (b"POST /metrics HTTP/1.1\r\n\r\n", b"405"),
        (b"GET /nope HTTP/1.1\r\n\r\n", b"404"),
        (b"garbage\r\n\r\n", b"400"),
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", b""),  # over the request cap: closed
    ]:
        with socket.create_connection(("127.0.0.1", exporter.port), timeout=30) as sock:
            try:
                sock.sendall(request)
                reply = sock.recv(200)
            except ConnectionResetError:  # closed with our bytes unread: a reset, no answer
                reply = b""
        assert reply.startswith(b"HTTP/1.1 " + status) if status else reply == b"", reply
