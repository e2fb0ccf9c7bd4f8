"""Bitcoin Core JSON-RPC client over httpx: ``RpcClient`` (sync) and ``AsyncRpcClient``.

    client = RpcClient("http://127.0.0.1:18443", user="u", password="p")   # or cookie_file=
    client.getblockchaininfo().blocks            # parsed, frozen model
    client.call("getblockhash", 0)               # any method, JSON result (floats as Decimal)
    client.batch([("getblockcount", []), ("getbestblockhash", [])])
    client.wallet("l2kit").call("getbalance")    # same connection pool, path /wallet/l2kit

Errors are mapped at this boundary (``raise … from exc``): an error object → ``RpcError``
(code -28 → ``RpcWarmup``), HTTP 401/403 → ``RpcAuthError`` (never retried), HTTP 503 →
``RpcBusy``, no connection → ``NodeUnreachable``. Only ``Retryable`` errors are retried, for
at most ``retry_for`` seconds (0 disables). A connection lost *after* a state-changing call
was sent raises ``RpcOutcomeUnknown`` instead, since repeating e.g. ``sendtoaddress`` could
pay twice.

Credentials never appear in ``repr``, ``str``, logs or error messages; only method names
are logged, never params (they may hold keys).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import urllib.parse
from collections.abc import Generator, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from l2kit import log
from l2kit.btc.rpc_models import BlockchainInfo, MempoolInfo, NetworkInfo
from l2kit.errors import (
    InputError,
    L2kitError,
    NodeUnreachable,
    Retryable,
    RpcAuthError,
    RpcBusy,
    RpcError,
    RpcOutcomeUnknown,
    RpcWarmup,
)

__all__ = [
    "AsyncRpcClient",
    "BlockchainInfo",
    "MempoolInfo",
    "NetworkInfo",
    "RpcClient",
]

_log = log.get(__name__)

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


class _CookieAuth(httpx.Auth):
    """Basic auth from bitcoind's ``.cookie`` file, re-read per request (it changes on restart)."""

    def __init__(self, path: Path, url: str) -> None:
        self._path, self._url = path, url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            cookie = self._path.read_text().strip()
        except FileNotFoundError as exc:
            # bitcoind deletes the cookie on shutdown and writes it on start: wait for it.
            raise NodeUnreachable(self._url, f"no cookie file at {self._path}") from exc
        except OSError as exc:
            raise InputError(f"cannot read {self._path}: {exc.strerror}", field="cookie") from exc
        user, sep, password = cookie.partition(":")
        if not sep:
            raise InputError(f"{self._path} is not a 'user:password' cookie", field="cookie")
        request.headers["Authorization"] = _basic_header(user, password)
        yield request

    def __repr__(self) -> str:
        return f"cookie({self._path})"


def _make_auth(
    url: str, user: str | None, password: str | None, cookie_file: str | Path | None
) -> tuple[httpx.Auth | None, str]:
    """The httpx auth and a secret-free description of it."""
    if user is not None or password is not None:
        if user is None or password is None:
            raise InputError("give both user and password, or neither", field="rpc auth")
        return httpx.BasicAuth(user, password), "basic"
    if cookie_file is not None:
        path = Path(cookie_file)
        return _CookieAuth(path, url), f"cookie({path})"
    return None, "none"


def _split_url(url: str, wallet: str | None) -> tuple[str, str | None, str | None]:
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


def _encode(payload: object) -> bytes:
    return json.dumps(payload, default=_jsonable).encode()


def _envelope(request_id: int, method: str, params: Sequence[object]) -> dict[str, object]:
    return {"jsonrpc": "1.0", "id": request_id, "method": method, "params": list(params)}


def _error_from(method: str, error: object) -> RpcError:
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        code = code if isinstance(code, int) else -1
        text = str(message) if message is not None else "unknown error"
    else:
        code, text = -1, str(error)
    return _BY_CODE.get(code, RpcError)(method, code, text)


def _decode_body(response: httpx.Response, url: str, method: str) -> object:
    """The JSON body of a bitcoind reply; HTTP-level failures mapped to errors."""
    if response.status_code in (401, 403):
        raise RpcAuthError(url, response.status_code)
    try:
        # Floats as Decimal: amounts must stay exact.
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        status = response.status_code
        snippet = response.text[:200].strip() or response.reason_phrase
        if status == 503:
            raise RpcBusy(method, status, f"HTTP 503: {snippet}") from exc
        raise RpcError(method, status, f"HTTP {status}: not JSON: {snippet}") from exc


def _result_of(body: object, method: str, status: int) -> object:
    if not isinstance(body, dict):
        raise RpcError(method, status, "reply is not a JSON-RPC object")
    if body.get("error") is not None:
        raise _error_from(method, body["error"])
    if "result" not in body:
        raise RpcError(method, status, "reply has neither result nor error")
    return body["result"]


def _batch_results(
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


def _transport_error(exc: httpx.TransportError, url: str, methods: Iterable[str]) -> L2kitError:
    """Before the request left (connect/pool) → retryable; after → only safe calls are."""
    reason = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return NodeUnreachable(url, reason)
    unsafe = [m for m in methods if not _is_safe(m)]
    if unsafe:
        return RpcOutcomeUnknown(url, ",".join(unsafe), reason)
    return NodeUnreachable(url, reason)


def _raise_first(results: list[object | RpcError]) -> list[object]:
    for item in results:
        if isinstance(item, RpcError):
            raise item
    return list(results)


def _warming(results: list[object | RpcError]) -> bool:
    return any(isinstance(item, RpcWarmup) for item in results)


# --- shared settings ---------------------------------------------------------------------------


class _Base:
    """What both clients share: URL, auth, timeouts, retry policy, request ids."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        cookie_file: str | Path | None = None,
        wallet: str | None = None,
        timeout: float = 60.0,
        retry_for: float = 30.0,
    ) -> None:
        if retry_for < 0 or timeout <= 0:
            raise InputError("timeout must be > 0 and retry_for >= 0", field="rpc timeouts")
        self.url, url_user, url_password = _split_url(url, wallet)
        if user is None and password is None and cookie_file is None:
            user, password = url_user, url_password
        self._auth, self._auth_kind = _make_auth(self.url, user, password, cookie_file)
        self.wallet_name = wallet
        self.timeout, self.retry_for = timeout, retry_for
        self._ids = itertools.count(1)
        # Connecting fails fast so that retries, not one hung connect, use up the budget.
        self._timeouts = httpx.Timeout(timeout, connect=min(timeout, 5.0))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, auth={self._auth_kind!r})"

    __str__ = __repr__

    def _path(self) -> str:
        return urllib.parse.urlsplit(self.url).path or "/"

    def _retry_args(self) -> dict[str, Any]:
        stop = stop_after_delay(self.retry_for) if self.retry_for > 0 else stop_after_attempt(1)
        return {
            "retry": retry_if_exception_type(Retryable),
            "stop": stop,
            "wait": wait_exponential(multiplier=0.1, max=2.0),
            "reraise": True,
            "before_sleep": self._log_retry,
        }

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        _log.debug(
            "rpc retry", url=self.url, attempt=state.attempt_number, error=type(exc).__name__
        )


# --- sync --------------------------------------------------------------------------------------


class RpcClient(_Base):
    """Synchronous client. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        cookie_file: str | Path | None = None,
        wallet: str | None = None,
        timeout: float = 60.0,
        retry_for: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            user=user,
            password=password,
            cookie_file=cookie_file,
            wallet=wallet,
            timeout=timeout,
            retry_for=retry_for,
        )
        self._http = httpx.Client(transport=transport, timeout=self._timeouts, auth=self._auth)

    def wallet(self, name: str) -> RpcClient:
        """A client for ``/wallet/<name>`` sharing this one's connection pool and credentials."""
        sibling = RpcClient.__new__(RpcClient)
        sibling.__dict__.update(self.__dict__)
        sibling.url, _, _ = _split_url(self.url, name)
        sibling.wallet_name = name
        return sibling

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, payload: object, methods: Sequence[str]) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self._http.post(
                self.url,
                content=_encode(payload),
                headers={"Content-Type": "application/json"},
                timeout=self._timeouts,
            )
        except httpx.TransportError as exc:
            raise _transport_error(exc, self.url, methods) from exc
        _log.debug(
            "rpc",
            url=self.url,
            method=",".join(methods)[:80],
            status=response.status_code,
            ms=round((time.monotonic() - started) * 1000),
        )
        return response

    def _once(self, method: str, params: Sequence[object]) -> object:
        response = self._post(_envelope(next(self._ids), method, params), [method])
        body = _decode_body(response, self.url, method)
        return _result_of(body, method, response.status_code)

    def call(self, method: str, *params: object) -> Any:
        """Call ``method`` with positional ``params``; the JSON result (floats as Decimal)."""
        for attempt in Retrying(**self._retry_args()):
            with attempt:
                return self._once(method, params)
        raise AssertionError("unreachable")  # pragma: no cover

    def call_named(self, method: str, **params: object) -> Any:
        """Call ``method`` with named params (JSON-RPC by-name)."""
        for attempt in Retrying(**self._retry_args()):
            with attempt:
                response = self._post(
                    {"jsonrpc": "1.0", "id": next(self._ids), "method": method, "params": params},
                    [method],
                )
                body = _decode_body(response, self.url, method)
                return _result_of(body, method, response.status_code)
        raise AssertionError("unreachable")  # pragma: no cover

    def _batch_once(self, calls: Sequence[Call]) -> list[object | RpcError]:
        first = next(self._ids)
        self._ids = itertools.count(first + len(calls))
        payload = [_envelope(first + i, m, p) for i, (m, p) in enumerate(calls)]
        response = self._post(payload, [m for m, _ in calls])
        body = _decode_body(response, self.url, "batch")
        results = _batch_results(body, calls, first, response.status_code)
        if _warming(results):
            raise next(r for r in results if isinstance(r, RpcWarmup))
        return results

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Run ``[(method, params), …]`` in one request; results in order.

        The first failed item raises its mapped ``RpcError``; see ``batch_results`` to get
        the errors in place instead.
        """
        return _raise_first(self.batch_results(calls))

    def batch_results(self, calls: Sequence[Call]) -> list[Any]:
        """Like ``batch`` but each failed item is its ``RpcError`` in the list."""
        if not calls:
            return []
        for attempt in Retrying(**self._retry_args()):
            with attempt:
                return self._batch_once(calls)
        raise AssertionError("unreachable")  # pragma: no cover

    # typed helpers for common calls
    def getblockchaininfo(self) -> BlockchainInfo:
        return BlockchainInfo.model_validate(self.call("getblockchaininfo"))

    def getnetworkinfo(self) -> NetworkInfo:
        return NetworkInfo.model_validate(self.call("getnetworkinfo"))

    def getmempoolinfo(self) -> MempoolInfo:
        return MempoolInfo.model_validate(self.call("getmempoolinfo"))

    def getblockcount(self) -> int:
        return _int(self.call("getblockcount"), "getblockcount")

    def getbestblockhash(self) -> str:
        return _str(self.call("getbestblockhash"), "getbestblockhash")

    def getnewaddress(self, label: str = "", address_type: str = "bech32m") -> str:
        return _str(self.call("getnewaddress", label, address_type), "getnewaddress")

    def getbalance(self) -> Decimal:
        return _amount(self.call("getbalance"), "getbalance")

    def generatetoaddress(self, n: int, address: str) -> list[str]:
        return _strs(self.call("generatetoaddress", n, address), "generatetoaddress")

    def sendtoaddress(self, address: str, amount: Decimal) -> str:
        return _str(self.call("sendtoaddress", address, amount), "sendtoaddress")


# --- async -------------------------------------------------------------------------------------


class AsyncRpcClient(_Base):
    """Asynchronous client. Use as an async context manager or ``await aclose()``."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        cookie_file: str | Path | None = None,
        wallet: str | None = None,
        timeout: float = 60.0,
        retry_for: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            user=user,
            password=password,
            cookie_file=cookie_file,
            wallet=wallet,
            timeout=timeout,
            retry_for=retry_for,
        )
        self._http = httpx.AsyncClient(transport=transport, timeout=self._timeouts, auth=self._auth)

    def wallet(self, name: str) -> AsyncRpcClient:
        """A client for ``/wallet/<name>`` sharing this one's connection pool and credentials."""
        sibling = AsyncRpcClient.__new__(AsyncRpcClient)
        sibling.__dict__.update(self.__dict__)
        sibling.url, _, _ = _split_url(self.url, name)
        sibling.wallet_name = name
        return sibling

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _post(self, payload: object, methods: Sequence[str]) -> httpx.Response:
        try:
            return await self._http.post(
                self.url,
                content=_encode(payload),
                headers={"Content-Type": "application/json"},
                timeout=self._timeouts,
            )
        except httpx.TransportError as exc:
            raise _transport_error(exc, self.url, methods) from exc

    async def call(self, method: str, *params: object) -> Any:
        """Call ``method`` with positional ``params``; the JSON result (floats as Decimal)."""
        async for attempt in AsyncRetrying(**self._retry_args()):
            with attempt:
                response = await self._post(_envelope(next(self._ids), method, params), [method])
                body = _decode_body(response, self.url, method)
                return _result_of(body, method, response.status_code)
        raise AssertionError("unreachable")  # pragma: no cover

    async def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Run ``[(method, params), …]`` in one request; results in order (first error raised)."""
        return _raise_first(await self.batch_results(calls))

    async def batch_results(self, calls: Sequence[Call]) -> list[Any]:
        """Like ``batch`` but each failed item is its ``RpcError`` in the list."""
        if not calls:
            return []
        async for attempt in AsyncRetrying(**self._retry_args()):
            with attempt:
                first = next(self._ids)
                self._ids = itertools.count(first + len(calls))
                payload = [_envelope(first + i, m, p) for i, (m, p) in enumerate(calls)]
                response = await self._post(payload, [m for m, _ in calls])
                body = _decode_body(response, self.url, "batch")
                results = _batch_results(body, calls, first, response.status_code)
                if _warming(results):
                    raise next(r for r in results if isinstance(r, RpcWarmup))
                return results
        raise AssertionError("unreachable")  # pragma: no cover

    async def getblockchaininfo(self) -> BlockchainInfo:
        return BlockchainInfo.model_validate(await self.call("getblockchaininfo"))

    async def getnetworkinfo(self) -> NetworkInfo:
        return NetworkInfo.model_validate(await self.call("getnetworkinfo"))

    async def getmempoolinfo(self) -> MempoolInfo:
        return MempoolInfo.model_validate(await self.call("getmempoolinfo"))

    async def getblockcount(self) -> int:
        return _int(await self.call("getblockcount"), "getblockcount")

    async def getbestblockhash(self) -> str:
        return _str(await self.call("getbestblockhash"), "getbestblockhash")


# --- result checks -----------------------------------------------------------------------------


def _int(value: object, method: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RpcError(method, -1, f"expected an integer result, got {type(value).__name__}")


def _str(value: object, method: str) -> str:
    if isinstance(value, str):
        return value
    raise RpcError(method, -1, f"expected a string result, got {type(value).__name__}")


def _strs(value: object, method: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise RpcError(method, -1, "expected a list of strings")


def _amount(value: object, method: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise RpcError(method, -1, f"expected an amount, got {type(value).__name__}")
