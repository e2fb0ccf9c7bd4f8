"""HTTP for probes: one shared ``aiohttp.ClientSession``, every failure turned into one clear line.

aiohttp rather than httpx: its C HTTP parser and per-origin connection pool cost a fraction of
httpx's pure-Python stack per request (benches/monitor_bench.py), and a fleet poll makes
thousands of them. Connections are kept alive across polls (the poller polls continuously), one
pool slot per origin: no scan over idle connections. Bodies arrive undecoded and are decoded
here, bounded (``_read_capped``).

A ``Session`` belongs to one target for one poll. Once a base URL fails at the transport level
(refused, timed out, truncated), the session stops asking it, so a dead endpoint costs one
timeout, not one per request.
"""

from __future__ import annotations

import codecs
import errno
import json
import resource
import socket
import ssl
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import certifi
from pydantic import BaseModel, ValidationError

from l2kit.errors import ProbeError, TargetUnreachable

M = TypeVar("M", bound=BaseModel)

JSON_TYPES = ("application/json", "text/json")

# Bounds on what one answer may cost, whatever a target sends. The largest real answers are
# Babylon list pages and Go /metrics pages (a few hundred KiB); memory per in-flight request
# stays below MAX_BODY + one decompressed chunk.
MAX_BODY = 8 * 1024 * 1024
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}

# Idle connections live longer than the exporter's poll interval (15 s by default), so steady
# polls reuse them; a server that closed one meanwhile costs aiohttp one retry (GET).
KEEPALIVE = 60.0
# File descriptors left for everything but the idle pool (RPC clients, logs, the exporter).
FD_RESERVE = 256


def keepalive_fits(origins: int, concurrency: int) -> bool:
    """Whether an idle connection per origin fits under the soft ``ulimit -n``: aiohttp's limit
    counts busy connections only, so a fleet of thousands would otherwise run out of file
    descriptors (and report healthy targets as unreachable)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft == resource.RLIM_INFINITY or origins + concurrency + FD_RESERVE <= soft


def new_client(
    concurrency: int, request_timeout: float, *, keep_alive: bool = True, tls: bool = True
) -> aiohttp.ClientSession:
    """One client per poller, kept across its polls; at most ``concurrency`` requests at once.
    ``keep_alive``: connections stay open between polls (see ``keepalive_fits``). ``tls``: some
    target is https; its certificates are verified against certifi's store, the one httpx used
    (and the RPC client still uses). Loading it costs ~50 ms of CPU, so a fleet without https
    keeps aiohttp's default context (which verifies too, against the system's store)."""
    connector = aiohttp.TCPConnector(
        limit=concurrency,
        force_close=not keep_alive,
        keepalive_timeout=KEEPALIVE if keep_alive else None,
        ssl=ssl.create_default_context(cafile=certifi.where()) if tls else True,
    )
    timeout = aiohttp.ClientTimeout(
        total=None,
        connect=request_timeout,
        sock_connect=request_timeout,
        sock_read=request_timeout,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        # identity: a compressed body is still accepted, but decoded by _read_capped (bounded)
        headers={"User-Agent": "l2kit-monitor", "Accept-Encoding": "identity"},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),  # no state carried from one target to another
        trust_env=False,
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole, decoded answer; ``headers`` look up case-insensitively."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8; bad bytes replaced."""
        return self.content.decode(_charset(self.headers.get("content-type", "")), "replace")


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                break
    return "utf-8"


def _where(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or "/"


def _one_line(exc: object) -> str:
    """An exception's message as one bounded line (it may quote what a target sent)."""
    return " ".join(str(exc).split())[:200]


def transport_reason(exc: BaseException, timeout: float | None = None) -> str:
    """Short human reason for a transport failure."""
    if isinstance(exc, TimeoutError):  # aiohttp's connect/read timeouts are TimeoutErrors
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _connect_reason(exc)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return f"truncated or malformed HTTP response ({_one_line(exc) or 'disconnected'})"
    if isinstance(exc, aiohttp.ClientResponseError):  # the parser refused the status/headers
        return f"truncated or malformed HTTP response ({_one_line(exc.message)})"
    if isinstance(exc, aiohttp.ClientOSError):
        return f"connection dropped ({_one_line(exc) or 'read error'})"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _connect_reason(exc: BaseException) -> str:
    """The errno behind a failed connect, found in the cause chain (aiohttp wraps it)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "host name not found"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(seen, OSError) and seen.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "host unreachable"
        inner = getattr(seen, "os_error", None)
        seen = inner if isinstance(inner, BaseException) else seen.__cause__ or seen.__context__
    return f"cannot connect ({_one_line(exc)})"


def _error_detail(response: Reply) -> str:
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

    def __init__(self, client: aiohttp.ClientSession, request_timeout: float) -> None:
        self.client = client
        self.timeout = request_timeout
        self._dead: dict[str, str] = {}

    def _base(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    async def get(
        self, url: str, params: dict[str, str] | None = None, *, accept: str | None = None
    ) -> Reply:
        return await self._send("GET", url, params=params, accept=accept)

    async def post_json(self, url: str, payload: object) -> Reply:
        return await self._send("POST", url, payload=payload)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        payload: object = None,
        accept: str | None = None,
    ) -> Reply:
        base = self._base(url)
        if base in self._dead:
            raise TargetUnreachable(url, self._dead[base])
        headers = {"Accept": accept} if accept else None
        data = None if method == "GET" else json.dumps(payload).encode()
        if data is not None:
            headers = {"Content-Type": "application/json"}
        try:
            async with self.client.request(
                method, url, params=params, data=data, headers=headers, allow_redirects=False
            ) as raw:
                try:
                    body = await _read_capped(raw, method, url)
                except ProbeError:
                    raw.close()  # never hand a half-read connection back to the pool
                    raise
                return Reply(raw.status, _plain_headers(raw), body, str(raw.url))
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"{method} {_where(url)}: {transport_reason(exc, self.timeout)}"
            if isinstance(exc, aiohttp.ClientConnectorError | TimeoutError):
                self._dead[base] = reason  # no point asking this host again in this poll
                raise TargetUnreachable(url, reason) from exc
            raise ProbeError(url, reason) from exc  # it answered, but brokenly (truncated, reset)

    async def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """GET, insist on HTTP 200 and a JSON body; any deviation is a ``ProbeError``."""
        response = await self.get(url, params, accept="application/json")
        return decode_json(response)

    async def get_model(self, model: type[M], url: str, params: dict[str, str] | None = None) -> M:
        return parse_model(model, await self.get_json(url, params), url)


def _plain_headers(raw: aiohttp.ClientResponse) -> Mapping[str, str]:
    """The headers, without Content-Encoding once the body is decoded."""
    if "content-encoding" not in raw.headers:
        return raw.headers
    headers = raw.headers.copy()
    del headers["content-encoding"]
    return headers


async def _read_capped(response: aiohttp.ClientResponse, method: str, url: str) -> bytes:
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
    stream = response.content
    while chunk := await stream.readany():
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


def check_status(response: Reply) -> None:
    if response.status_code != 200:
        where = _where(response.url)
        detail = _error_detail(response)
        raise ProbeError(
            response.url,
            f"GET {where}: HTTP {response.status_code}" + (f": {detail}" if detail else ""),
        )


def decode_json(response: Reply) -> Any:
    check_status(response)
    url = response.url
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
