"""HTTP for probes: one shared ``httpx.AsyncClient``, every failure turned into one clear line.

A ``Session`` belongs to one target for one poll. Once a base URL fails at the transport level
(refused, timed out, truncated), the session stops asking it, so a dead endpoint costs one
timeout, not one per request.
"""

from __future__ import annotations

import errno
import json
import socket
import zlib
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from l2kit.btc.rpc import raw_chunks
from l2kit.errors import ProbeError, TargetUnreachable

M = TypeVar("M", bound=BaseModel)

JSON_TYPES = ("application/json", "text/json")

# Bounds on what one answer may cost, whatever a target sends. The largest real answers are
# Babylon list pages and Go /metrics pages (a few hundred KiB); memory per in-flight request
# stays below MAX_BODY + one decompressed chunk.
MAX_BODY = 8 * 1024 * 1024
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}


def new_client(concurrency: int, request_timeout: float) -> httpx.AsyncClient:
    """One client per poll loop; its pool is as wide as the concurrency bound.

    No keep-alive: targets are mostly distinct hosts polled every few seconds, and httpcore
    scans every idle connection on every request (measured: 4x the CPU per target at 1,000
    targets with 64 idle connections, see benches/monitor_bench.py).
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(request_timeout),
        limits=limits,
        follow_redirects=False,
        # identity: a compressed body is still accepted, but decoded by _read_capped (bounded)
        headers={"User-Agent": "l2kit-monitor", "Accept-Encoding": "identity"},
        trust_env=False,
    )


def _where(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or "/"


def transport_reason(exc: httpx.TransportError, timeout: float | None = None) -> str:
    """Short human reason for a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, httpx.ConnectError):
        return _connect_reason(exc)
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"truncated or malformed HTTP response ({exc})"
    if isinstance(exc, httpx.ReadError):
        return f"connection dropped ({exc or 'read error'})"
    return f"{type(exc).__name__}: {exc}"


def _connect_reason(exc: BaseException) -> str:
    """httpx hides the errno ("All connection attempts failed"): find it in the cause chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "host name not found"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "host unreachable"
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect ({exc})"


def _error_detail(response: httpx.Response) -> str:
    """The message of a Cosmos/gRPC-gateway error body, or the start of a plain-text one."""
    text = response.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:120]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:200]
    return text[:120]


class Session:
    """HTTP calls of one target in one poll."""

    def __init__(self, client: httpx.AsyncClient, request_timeout: float) -> None:
        self.client = client
        self.timeout = request_timeout
        self._dead: dict[str, str] = {}

    def _base(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    async def get(
        self, url: str, params: dict[str, str] | None = None, *, accept: str | None = None
    ) -> httpx.Response:
        return await self._send("GET", url, params=params, accept=accept)

    async def post_json(self, url: str, payload: object) -> httpx.Response:
        return await self._send("POST", url, payload=payload)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        payload: object = None,
        accept: str | None = None,
    ) -> httpx.Response:
        base = self._base(url)
        if base in self._dead:
            raise TargetUnreachable(url, self._dead[base])
        headers = {"Accept": accept} if accept else {}
        if method == "GET":
            request = self.client.build_request("GET", url, params=params, headers=headers)
        else:
            request = self.client.build_request("POST", url, json=payload, headers=headers)
        try:
            raw = await self.client.send(request, stream=True)
            try:
                body = await _read_capped(raw, method, url)
            finally:
                await raw.aclose()
        except httpx.TransportError as exc:
            reason = f"{method} {_where(url)}: {transport_reason(exc, self.timeout)}"
            if isinstance(exc, httpx.ConnectError | httpx.TimeoutException):
                self._dead[base] = reason  # no point asking this host again in this poll
                raise TargetUnreachable(url, reason) from exc
            raise ProbeError(url, reason) from exc  # it answered, but brokenly (truncated, reset)
        plain = [(k, v) for k, v in raw.headers.multi_items() if k.lower() != "content-encoding"]
        return httpx.Response(raw.status_code, headers=plain, content=body, request=request)

    async def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """GET, insist on HTTP 200 and a JSON body; any deviation is a ``ProbeError``."""
        response = await self.get(url, params, accept="application/json")
        return decode_json(response)

    async def get_model(self, model: type[M], url: str, params: dict[str, str] | None = None) -> M:
        return parse_model(model, await self.get_json(url, params), url)


async def _read_capped(response: httpx.Response, method: str, url: str) -> bytes:
    """The body, decoded, refusing more than ``MAX_BODY`` bytes before or after decompression."""
    where = f"{method} {_where(url)}"
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", *_DECODERS):
        raise ProbeError(url, f"{where}: unsupported content-encoding {encoding[:40]!r}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ProbeError(url, f"{where}: response larger than {MAX_BODY} bytes")
    inflate = zlib.decompressobj(_DECODERS[encoding]) if encoding in _DECODERS else None
    body = bytearray()
    async for chunk in raw_chunks(response):
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, MAX_BODY + 1 - len(body))
            except zlib.error as exc:
                raise ProbeError(url, f"{where}: corrupt {encoding} body") from exc
        body += chunk
        if len(body) > MAX_BODY or (inflate is not None and inflate.unconsumed_tail):
            raise ProbeError(url, f"{where}: response larger than {MAX_BODY} bytes")
    return bytes(body)


def loads_json(data: bytes | str, url: str) -> Any:
    """``json.loads`` that refuses NaN/Infinity and nesting too deep to parse (a RecursionError
    would otherwise escape as a crash with a traceback on every poll)."""
    where = _where(url)
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise ProbeError(url, f"GET {where}: JSON nested too deeply") from None
    except ValueError as exc:
        raise ProbeError(url, f"GET {where}: malformed JSON ({exc}; {len(data)} bytes)") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_status(response: httpx.Response) -> None:
    if response.status_code != 200:
        where = _where(str(response.request.url))
        detail = _error_detail(response)
        raise ProbeError(
            str(response.request.url),
            f"GET {where}: HTTP {response.status_code}" + (f": {detail}" if detail else ""),
        )


def decode_json(response: httpx.Response) -> Any:
    check_status(response)
    url = str(response.request.url)
    where = _where(url)
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype not in JSON_TYPES and not ctype.endswith("+json"):
        raise ProbeError(url, f"GET {where}: expected JSON, got content-type {ctype!r}")
    return loads_json(response.content, url)


def parse_model(model: type[M], data: object, url: str) -> M:
    """Validate a decoded body against the response model; name the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(body)"
        raise ProbeError(
            url, f"GET {_where(url)}: unexpected response shape: {loc}: {err['msg']}"
        ) from exc
