"""Writing a whole HTTP answer from a ``BaseHTTPRequestHandler`` (the local test servers)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, **hdr: str) -> None:
    """``status`` with ``body`` (its Content-Length) and extra headers (``Retry_After=...``)."""
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for key, value in hdr.items():
        h.send_header(key.replace("_", "-"), value)
    h.end_headers()
    h.wfile.write(body)


def send_json(h: BaseHTTPRequestHandler, status: int, doc: object) -> None:
    send(h, status, json.dumps(doc).encode(), "application/json")
