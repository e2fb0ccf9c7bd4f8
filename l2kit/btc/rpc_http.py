"""One keep-alive HTTP/1.1 connection to bitcoind for the sync ``RpcClient`` (``http.client``).

Why not httpx here: for one small JSON-RPC call httpx's request pipeline (URL and header
models, auth flow, httpcore + h11 state machines, two ``send`` calls per request) costs ~4x the
CPU of the whole call through ``http.client``, which is what python-bitcoinlib and
bitcoin-cli-like clients use. httpx stays for https, for an injected transport and for the
async client.

The guarantees the client needs are kept here:
- a failure before the request could leave (connect refused/timed out) is ``NotSent``; any
  failure after that is ``Lost`` (the node may have acted), so the caller can refuse to repeat
  a state-changing call;
- an idle connection the node has closed (``rpcservertimeout``) is noticed before reuse, as
  httpcore does, and replaced: a request is never written into a dead connection;
- the socket is ``TCP_NODELAY`` and headers + body go out in one ``sendall``.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import urllib.parse
from dataclasses import dataclass


class NotSent(Exception):
    """The request did not leave: connecting failed. ``args[0]``: the reason."""


class Lost(Exception):
    """The connection failed after the request may have been sent. ``args[0]``: the reason."""


@dataclass(frozen=True)
class Reply:
    """The parts of an HTTP reply ``rpc_wire`` reads (named as on ``httpx.Response``)."""

    status_code: int
    reason_phrase: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class KeepAlive:
    """POSTs to one ``http://host:port`` over a reused connection; thread-safe (one at a time).

    The request is written with one ``sendall`` (``http.client.HTTPConnection`` sends headers
    and body separately: two segments, each waking the node); the reply is read by the
    standard library's ``http.client.HTTPResponse`` (status, headers, length or chunks,
    keep-alive)."""

    def __init__(self, url: str, timeout: float, connect_timeout: float) -> None:
        parts = urllib.parse.urlsplit(url)
        self._host, self._port = parts.hostname or "", parts.port or 80
        host = self._host if ":" not in self._host else f"[{self._host}]"
        self._host_header = f"{host}:{self._port}"
        self._timeout, self._connect_timeout = timeout, connect_timeout
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _connection(self) -> socket.socket:
        if self._sock is not None and not _closed_by_peer(self._sock):
            return self._sock
        self._drop()
        try:
            sock = socket.create_connection((self._host, self._port), self._connect_timeout)
        except OSError as exc:  # refused, unreachable, connect timeout
            raise NotSent(_reason(exc)) from exc
        sock.settimeout(self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        return sock

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._host_header}",
            *(f"{k}: {v}" for k, v in headers.items()),
            f"Content-Length: {len(body)}",
            "",
            "",
        ]
        request = "\r\n".join(lines).encode("latin-1") + body
        with self._lock:
            sock = self._connection()
            try:
                sock.sendall(request)
                response = http.client.HTTPResponse(sock, method="POST")
                try:
                    response.begin()
                    content = response.read()
                finally:
                    response.close()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise Lost(_reason(exc)) from exc
            if response.will_close:
                self._drop()
            return Reply(response.status, response.reason, content)


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable has been closed (or spoken to) by the node:
    either way it cannot carry the next request."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _reason(exc: BaseException) -> str:
    """A secret-free reason: the exception type (``socket.timeout`` reads as TimeoutError)."""
    return type(exc).__name__
