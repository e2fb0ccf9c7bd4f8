"""bitcoind JSON-RPC on the wire, pure parts: auth, URLs, envelopes, reply and error mapping.

Used by ``l2kit.btc.rpc`` (the clients); nothing here does I/O except reading the cookie.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Generator, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx

from l2kit.errors import (
    InputError,
    L2kitError,
    NodeUnreachable,
    RpcAuthError,
    RpcBusy,
    RpcError,
    RpcOutcomeUnknown,
    RpcWarmup,
)
from l2kit.redact import read_secret_file, register_basic

_BY_CODE: dict[int, type[RpcError]] = {-28: RpcWarmup}

# Calls that change nothing (or are idempotent) may be repeated after a lost response.
_SAFE_PREFIXES = ("get", "list", "estimate", "decode", "validate", "derive", "scan")
_SAFE_METHODS = frozenset(
    {"testmempoolaccept", "uptime", "help", "echo", "ping", "sendrawtransaction", "loadwallet"}
)

Call = tuple[str, Sequence[object]]


def _is_safe(method: str) -> bool:
    return method.startswith(_SAFE_PREFIXES) or method in _SAFE_METHODS


# --- auth ------------------------------------------------------------------------------------


def _basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class _BasicAuth(httpx.Auth):
    """Basic auth with the header built once (httpx's ``BasicAuth`` rebuilds it per request)."""

    def __init__(self, user: str, password: str) -> None:
        self._header = _basic_header(user, password)

    def header(self) -> str:
        return self._header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header()
        yield request

    def __repr__(self) -> str:
        return "basic"


class _CookieAuth(httpx.Auth):
    """Basic auth from bitcoind's ``.cookie`` file, re-read per request (it changes on restart)."""

    def __init__(self, path: Path, url: str) -> None:
        self._path, self._url = path, url

    def header(self) -> str:
        if not self._path.exists():
            # bitcoind deletes the cookie on shutdown and writes it on start: wait for it.
            raise NodeUnreachable(self._url, f"no cookie file at {self._path}")
        cookie = read_secret_file(self._path, "cookie")
        user, sep, password = cookie.partition(":")
        if not sep:
            raise InputError(f"{self._path} is not a 'user:password' cookie", field="cookie")
        register_basic(user, password)
        return _basic_header(user, password)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header()
        yield request

    def __repr__(self) -> str:
        return f"cookie({self._path})"


Auth = _BasicAuth | _CookieAuth


def make_auth(
    url: str, user: str | None, password: str | None, cookie_file: str | Path | None
) -> tuple[Auth | None, str]:
    """The auth (an httpx ``Auth`` whose ``header()`` also serves the plain transport) and a
    secret-free description of it."""
    if user is not None or password is not None:
        if user is None or password is None:
            raise InputError("give both user and password, or neither", field="rpc auth")
        register_basic(user, password)
        return _BasicAuth(user, password), "basic"
    if cookie_file is not None:
        path = Path(cookie_file)
        return _CookieAuth(path, url), f"cookie({path})"
    return None, "none"


def split_url(url: str, wallet: str | None) -> tuple[str, str | None, str | None]:
    """(safe base URL without credentials, user from URL, password from URL)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a valid URL: {exc}", field="rpc url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("must look like http://host:port", field="rpc url")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/")
    if wallet is not None:
        path = "/wallet/" + urllib.parse.quote(wallet, safe="")
    safe = urllib.parse.urlunsplit((parts.scheme, netloc, path or "/", "", ""))
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return safe, user, password


# --- pure request/response shaping ----------------------------------------------------------


def _jsonable(value: object) -> object:
    # bitcoind reads amounts from numbers or strings: a Decimal goes as an exact string.
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot send {type(value).__name__} over JSON-RPC")


def encode(payload: object) -> bytes:
    return json.dumps(payload, default=_jsonable).encode()


def envelope(
    request_id: int, method: str, params: Sequence[object] | Mapping[str, object]
) -> dict[str, object]:
    """One JSON-RPC 1.0 request: positional params as a list, named ones as an object."""
    args = dict(params) if isinstance(params, Mapping) else list(params)
    return {"jsonrpc": "1.0", "id": request_id, "method": method, "params": args}


def batch_envelopes(first_id: int, calls: Sequence[Call]) -> list[dict[str, object]]:
    """The requests of a batch, ids ``first_id``, ``first_id + 1``, … in call order."""
    return [envelope(first_id + i, method, params) for i, (method, params) in enumerate(calls)]


def _error_from(method: str, error: object) -> RpcError:
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        code = code if isinstance(code, int) else -1
        text = str(message) if message is not None else "unknown error"
    else:
        code, text = -1, str(error)
    return _BY_CODE.get(code, RpcError)(method, code, text)


class HttpReply(Protocol):
    """What the mapping reads of a reply: ``httpx.Response`` or ``rpc_http.Reply``."""

    @property
    def status_code(self) -> int: ...
    @property
    def reason_phrase(self) -> str: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...


def decode_body(response: HttpReply, url: str, method: str) -> object:
    """The JSON body of a bitcoind reply; HTTP-level failures mapped to errors."""
    if response.status_code in (401, 403):
        raise RpcAuthError(url, response.status_code)
    try:
        # Floats as Decimal: amounts must stay exact.
        return json.loads(response.content, parse_float=Decimal)
    except RecursionError:  # a hostile reply: deep nesting must not escape as a crash
        raise RpcError(method, response.status_code, "reply nested too deeply") from None
    except ValueError as exc:
        status = response.status_code
        snippet = response.text[:200].strip() or response.reason_phrase
        if status == 503:
            raise RpcBusy(method, status, f"HTTP 503: {snippet}") from exc
        raise RpcError(method, status, f"HTTP {status}: not JSON: {snippet}") from exc


def result_of(body: object, method: str, status: int) -> object:
    if not isinstance(body, dict):
        raise RpcError(method, status, "reply is not a JSON-RPC object")
    if body.get("error") is not None:
        raise _error_from(method, body["error"])
    if "result" not in body:
        raise RpcError(method, status, "reply has neither result nor error")
    return body["result"]


def batch_results(
    body: object, calls: Sequence[Call], first_id: int, status: int
) -> list[object | RpcError]:
    """Results in call order; each failed item becomes its mapped ``RpcError``."""
    if isinstance(body, dict) and body.get("error") is not None:
        raise _error_from("batch", body["error"])
    if not isinstance(body, list) or len(body) != len(calls):
        raise RpcError("batch", status, "batch reply does not match the request")
    by_id: dict[object, dict[str, Any]] = {
        item.get("id"): item for item in body if isinstance(item, dict)
    }
    out: list[object | RpcError] = []
    for offset, (method, _params) in enumerate(calls):
        item = by_id.get(first_id + offset)
        if item is None:
            raise RpcError("batch", status, f"batch reply lacks the answer to {method}")
        if item.get("error") is not None:
            out.append(_error_from(method, item["error"]))
        else:
            out.append(item.get("result"))
    return out


def transport_error(exc: httpx.TransportError, url: str, methods: Iterable[str]) -> L2kitError:
    """httpx's transport errors: connect/pool failures happened before the request left."""
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return connection_error(type(exc).__name__, url, methods, sent=sent)


def connection_error(reason: str, url: str, methods: Iterable[str], *, sent: bool) -> L2kitError:
    """Before the request left → retryable; after → only safe calls are (the node may have
    acted on a state-changing one: its outcome is unknown)."""
    unsafe = [m for m in methods if not _is_safe(m)] if sent else []
    if unsafe:
        return RpcOutcomeUnknown(url, ",".join(unsafe), reason)
    return NodeUnreachable(url, reason)


def single_reply(response: HttpReply, url: str, method: str) -> object:
    """The result of one call, or its mapped error."""
    return result_of(decode_body(response, url, method), method, response.status_code)


def batch_reply(
    response: HttpReply, url: str, calls: Sequence[Call], first_id: int
) -> list[object | RpcError]:
    """The results of a batch in call order (failed items as errors).

    A warm-up error in any item is raised, so that the whole batch is retried.
    """
    body = decode_body(response, url, "batch")
    results = batch_results(body, calls, first_id, response.status_code)
    for item in results:
        if isinstance(item, RpcWarmup):
            raise item
    return results


def raise_first(results: list[object | RpcError]) -> list[object]:
    for item in results:
        if isinstance(item, RpcError):
            raise item
    return list(results)


# --- result checks -----------------------------------------------------------------------------


def as_int(value: object, method: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RpcError(method, -1, f"expected an integer result, got {type(value).__name__}")


def as_str(value: object, method: str) -> str:
    if isinstance(value, str):
        return value
    raise RpcError(method, -1, f"expected a string result, got {type(value).__name__}")


def as_strs(value: object, method: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise RpcError(method, -1, "expected a list of strings")


def as_amount(value: object, method: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise RpcError(method, -1, f"expected an amount, got {type(value).__name__}")
