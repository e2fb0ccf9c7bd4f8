"""A hostile HTTP server on 127.0.0.1 for hardening tests: every answer a broken or malicious
target could give. Bounded: each mode ends by itself (sizes and delays are parameters).

    with HostileServer() as srv:
        srv.url("huge")         # 200 with an endless stream, no Content-Length
        srv.url("bomb")         # 200, Content-Encoding: gzip, inflates to 256 MiB
        srv.url("deep")         # 200 JSON nested 100,000 levels
        srv.url("nan")          # Prometheus text with NaN / negative ages
        srv.url("reflect")      # echoes every request header into the body (JSON and text)
        srv.url("redirect")     # 302 to another host
        srv.url("slow")         # one byte every 0.2 s
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.http import send

BOMB_SIZE = 256 << 20  # 32x the body cap; ~250 KiB on the wire


def _gzip_bomb() -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        chunk = b"\0" * (1 << 20)
        for _ in range(BOMB_SIZE // len(chunk)):
            gz.write(chunk)
    return buf.getvalue()


NAN_METRICS = (
    "# TYPE fp_seconds_since_last_vote gauge\n"
    'fp_seconds_since_last_vote{fp_btc_pk_hex="aa"} NaN\n'
    'fp_seconds_since_last_vote{fp_btc_pk_hex="bb"} -5\n'
    "# TYPE fp_seconds_since_last_randomness gauge\n"
    'fp_seconds_since_last_randomness{fp_btc_pk_hex="aa"} +Inf\n'
)


class HostileServer:
    def __init__(self, stream_limit: int = 64 << 20) -> None:
        self.stream_limit = stream_limit  # the endless stream stops here, whatever happens
        self._bomb: bytes | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.answer(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(min(length, 1 << 20))
                server.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, mode: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{mode}{path}"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def bomb(self) -> bytes:
        if self._bomb is None:
            self._bomb = _gzip_bomb()
        return self._bomb

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        mode = h.path.lstrip("/").split("/")[0].split("?")[0]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # we cut it short
            getattr(self, "_" + mode.replace("-", "_"))(h)

    def _huge(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"[" * 65536
        sent = 0
        while sent < self.stream_limit:
            h.wfile.write(chunk)
            sent += len(chunk)

    def _huge_declared(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(1 << 40))
        h.end_headers()
        h.wfile.write(b"x" * 1024)

    def _bomb(self, h: BaseHTTPRequestHandler) -> None:
        ctype = "text/plain; version=0.0.4" if "metrics" in h.path else "application/json"
        send(h, 200, self.bomb(), ctype, Content_Encoding="gzip")

    def _deep(self, h: BaseHTTPRequestHandler) -> None:
        body = b"[" * 100_000 + b"]" * 100_000
        send(h, 200, body, "application/json")

    def _nan(self, h: BaseHTTPRequestHandler) -> None:
        if "metrics" in h.path:
            send(h, 200, NAN_METRICS.encode(), "text/plain; version=0.0.4")
        else:
            send(h, 200, b'{"result": NaN, "error": null, "id": 1}', "application/json")

    def _reflect(self, h: BaseHTTPRequestHandler) -> None:
        echoed = {k: v for k, v in h.headers.items()}
        body = json.dumps(
            {"result": None, "error": {"code": -1, "message": repr(echoed)}, "id": 1}
        ).encode()
        send(h, 500, body, "application/json")

    def _redirect(self, h: BaseHTTPRequestHandler) -> None:
        send(h, 302, b"", "text/plain", Location="http://192.0.2.1/")

    def _slow(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100")
        h.end_headers()
        for _ in range(100):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.2)
