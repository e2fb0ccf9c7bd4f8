"""The exporter's HTTP endpoint: one asyncio loop in its own thread, serving pre-rendered bytes.

Why not a thread per connection (prometheus_client's ``start_http_server``): its listen backlog
is 5 and an idle or half-open connection holds a thread forever, so a few hundred concurrent
scrapes time out and a few thousand held connections starve it. Here a connection is a
coroutine: thousands cost little, each has a deadline to send its request (``HEADER_TIMEOUT``)
and to stay idle between keep-alive requests (``IDLE_TIMEOUT``), requests are size-capped,
connections beyond ``MAX_CONNECTIONS`` are closed at once, and a scrape only writes bytes the
poller rendered when its cycle completed — it never waits on a target.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

HEADER_TIMEOUT = 5.0
IDLE_TIMEOUT = 30.0
MAX_REQUEST_BYTES = 8192
MAX_CONNECTIONS = 2048
MAX_REQUESTS_PER_CONNECTION = 1000
BACKLOG = 1024
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

_INDEX = b"<html><body><a href='/metrics'>/metrics</a> (l2kit monitor)</body></html>\n"


class MetricsServer:
    """Serves ``body()`` at ``/metrics``. ``start()`` binds (port 0 picks a free one)."""

    def __init__(self, host: str, port: int, body: Callable[[], bytes]) -> None:
        self.host, self.port = host, port
        self._body = body
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.open_connections = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="l2kit-http", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # bind errors reach start() through _error
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=BACKLOG, limit=MAX_REQUEST_BYTES
        )
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        async with server:
            await self._stopped.wait()
            server.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_connections += 1
        try:
            if self.open_connections > MAX_CONNECTIONS:
                return
            for served in range(MAX_REQUESTS_PER_CONNECTION):
                wait = HEADER_TIMEOUT if served == 0 else IDLE_TIMEOUT
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait)
                except (
                    TimeoutError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    ConnectionError,
                ):
                    return
                keep = await self._answer(head, writer)
                if not keep:
                    return
        finally:
            self.open_connections -= 1
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            await self._send(writer, 400, b"text/plain", b"bad request\n", keep=False)
            return False
        method, target, version = parts
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(b":") for x in lines[1:])
        }
        conn = headers.get(b"connection", b"").lower()
        keep = conn != b"close" if version == b"HTTP/1.1" else conn == b"keep-alive"
        if method not in (b"GET", b"HEAD"):
            await self._send(writer, 405, b"text/plain", b"method not allowed\n", keep=keep)
            return keep
        path = target.split(b"?")[0]
        if path == b"/metrics":
            status, ctype, body = 200, CONTENT_TYPE, self._body()
        elif path == b"/":
            status, ctype, body = 200, b"text/html", _INDEX
        else:
            status, ctype, body = 404, b"text/plain", b"not found\n"
        await self._send(writer, status, ctype, body, keep=keep, head_only=method == b"HEAD")
        return keep

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter,
        status: int,
        ctype: bytes,
        body: bytes,
        *,
        keep: bool,
        head_only: bool = False,
    ) -> None:
        reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}
        head = (
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n"
            % (
                status,
                reason[status],
                ctype,
                len(body),
                b"keep-alive" if keep else b"close",
            )
            + b"\r\n"
        )
        writer.write(head if head_only else head + body)
        try:
            await asyncio.wait_for(writer.drain(), HEADER_TIMEOUT)  # a reader that never reads
        except (TimeoutError, ConnectionError):
            writer.transport.abort()
