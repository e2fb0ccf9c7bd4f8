"""The probes' HTTP client (``l2kit/monitor/http.py``) against real servers on 127.0.0.1:
connections kept alive across polls, a server that drops an idle one, charsets."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict
from support.paths import DATA

from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.http import Reply
from l2kit.monitor.poll import Poller
from l2kit.monitor.results import CycleReport, Status

PAGE = (DATA / "monitor" / "metrics" / "fpd.prom").read_bytes()


class _Fpd:
    """An fpd /metrics endpoint that counts the TCP connections it accepts; ``drop``: close
    every connection after its reply without saying so (as servers with a short idle timeout
    do), so the client's next request meets a connection the server already closed."""

    def __init__(self, drop: bool, tls: ssl.SSLContext | None = None) -> None:
        self.drop, self.connections = drop, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)
                self.close_connection = drop

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                server.connections += 1
                super().process_request(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/metrics"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(params=[False, True], ids=["keep-alive", "drops-idle"])
def fpd(request: pytest.FixtureRequest) -> Iterator[_Fpd]:
    server = _Fpd(drop=request.param)
    yield server
    server.close()


def _cycles(url: str, n: int) -> list[CycleReport]:
    fleet = fleet_mod.parse({"targets": [{"name": "fpd", "kind": "metrics", "url": url}]})

    async def run() -> list[CycleReport]:
        poller = Poller(fleet)
        try:
            return [await poller.cycle() for _ in range(n)]
        finally:
            await poller.aclose()

    return asyncio.run(run())


def test_polls_reuse_the_connection_and_survive_a_dropped_one(fpd: _Fpd) -> None:
    reports = _cycles(fpd.url, 3)
    for report in reports:
        assert report.targets[0].up, report.targets[0].error
        assert {c.status for c in report.checks} == {Status.OK}
    # one connection for three polls when kept alive; a new one per poll when the server drops it
    assert fpd.connections == (3 if fpd.drop else 1)


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/plain; charset=iso-8859-1", "caf\u00e9".encode("latin-1"), "caf\u00e9"),
        ('text/plain; charset="UTF-8"', "caf\u00e9".encode(), "caf\u00e9"),
        ("text/plain", "caf\u00e9".encode(), "caf\u00e9"),
        ("text/plain; charset=no-such-codec", b"caf\xe9", "caf\ufffd"),
        ("application/json", b"\xff{}", "\ufffd{}"),
    ],
)
def test_reply_text_follows_the_declared_charset(content_type: str, body: bytes, text: str) -> None:
    reply = Reply(200, CIMultiDict({"Content-Type": content_type}), body, "http://h/x")
    assert reply.text == text


@pytest.fixture(scope="module")
def hostile() -> Iterator[Any]:
    from support.hostile_server import HostileServer

    with HostileServer() as server:
        yield server


@pytest.mark.parametrize("mode", ["huge", "huge-declared", "bomb", "deep", "nan", "redirect"])
def test_a_kept_connection_never_carries_a_hostile_reply_into_the_next_poll(
    hostile: Any, mode: str
) -> None:
    """A reply cut short (too big, a bomb) must not leave its connection in the pool: the next
    poll of the same poller gets the same verdicts, not the rest of the last body."""
    first, second = _cycles(hostile.url(mode, "/metrics"), 2)
    assert [(c.check, c.status, c.reason) for c in second.checks] == [
        (c.check, c.status, c.reason) for c in first.checks
    ]
    assert first.targets[0].up is (mode == "nan")  # only the NaN page is a page (judged CRIT)


POLL_TWICE = """
import asyncio, resource, sys
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[2]), hard))
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.poll import Poller

async def main():
    target = {"name": "f", "kind": "metrics", "url": sys.argv[1]}
    poller = Poller(fleet_mod.parse({"targets": [target]}))
    try:
        for _ in range(2):
            assert (await poller.cycle()).targets[0].up
    finally:
        await poller.aclose()

asyncio.run(main())
"""


@pytest.mark.parametrize(("nofile", "connections"), [(300, 2), (4096, 1)])
def test_connections_are_kept_only_while_the_fd_limit_allows(nofile: int, connections: int) -> None:
    """Idle connections hold a file descriptor each: under a low ``ulimit -n`` every poll
    opens (and closes) its own, as a fleet of thousands would otherwise run out of them."""
    import os
    import resource
    import subprocess
    import sys

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < nofile:
        pytest.fail(f"hard ulimit -n {hard} < {nofile}: cannot run this case here")
    server = _Fpd(drop=False)
    try:
        subprocess.run(
            [sys.executable, "-c", POLL_TWICE, server.url, str(nofile)],
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            timeout=60,
        )
    finally:
        server.close()
    assert server.connections == connections


def test_tls_is_verified(tmp_path: Path) -> None:
    """An https target whose certificate no trusted CA signed is not polled as healthy: the
    client verifies certificates (certifi's store, as httpx did)."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is needed to make the test's self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _Fpd(drop=False, tls=context)
    try:
        (report,) = _cycles(server.url, 1)
    finally:
        server.close()
    target = report.targets[0]
    assert not target.up and target.error is not None and "certificate" in target.error, target


@pytest.mark.parametrize(
    "reply",
    [
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        b"",
    ],
    ids=["bad-status-line", "huge-header", "short-body", "nothing"],
)
def test_broken_http_is_one_bounded_line(reply: bytes) -> None:
    """Whatever bytes come back, the reason is one line of bounded length and the target is
    not up (aiohttp's parser errors quote what the server sent). A GET whose connection drops
    is retried once on a new one (aiohttp): the server answers every connection alike."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                conn.recv(65536)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        (report,) = _cycles(f"http://127.0.0.1:{listener.getsockname()[1]}/metrics", 1)
    finally:
        stop.set()
        thread.join(10)
        listener.close()
    target = report.targets[0]
    assert not target.up and target.error is not None
    assert "malformed" in target.error and "\n" not in target.error
    assert len(target.error) < 300, target.error
