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

Per-call cost: the sync client talks plain ``http://`` through one keep-alive
``http.client`` connection (``rpc_http.py``; httpx for https or an injected transport), makes
the first attempt without tenacity (which takes over, with the same schedule and budget, only
after a ``Retryable`` failure), and builds the per-call debug line only when debug is on.
"""

from __future__ import annotations

import copy
import functools
import itertools
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, TypedDict, TypeVar, Unpack

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from l2kit import log
from l2kit.btc.rpc_http import KeepAlive, Lost, NotSent
from l2kit.btc.rpc_models import BlockchainInfo, MempoolInfo, NetworkInfo
from l2kit.btc.rpc_wire import (
    Call,
    HttpReply,
    as_amount,
    as_int,
    as_str,
    as_strs,
    batch_envelopes,
    batch_reply,
    connection_error,
    encode,
    envelope,
    make_auth,
    raise_first,
    single_reply,
    split_url,
    transport_error,
)
from l2kit.errors import InputError, Retryable, RpcError

__all__ = [
    "AsyncRpcClient",
    "BlockchainInfo",
    "MempoolInfo",
    "NetworkInfo",
    "RpcClient",
    "RpcSettings",
]

_log = log.get(__name__)
_T = TypeVar("_T")

# --- shared settings ---------------------------------------------------------------------------


class RpcSettings(TypedDict, total=False):
    """The keyword arguments both clients take besides ``url`` and ``transport``."""

    user: str | None
    password: str | None
    cookie_file: str | Path | None
    wallet: str | None
    timeout: float
    retry_for: float


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
        self.url, url_user, url_password = split_url(url, wallet)
        if user is None and password is None and cookie_file is None:
            user, password = url_user, url_password
        self._auth, self._auth_kind = make_auth(self.url, user, password, cookie_file)
        self.wallet_name = wallet
        self.timeout, self.retry_for = timeout, retry_for
        self._ids = itertools.count(1)
        # Connecting fails fast so that retries, not one hung connect, use up the budget.
        self._timeouts = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        # Plain http never uses TLS (redirects are not followed): skip loading the CA bundle,
        # which is ~18 ms of CPU per client. https keeps full verification.
        self._tls = self.url.startswith("https://")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, auth={self._auth_kind!r})"

    __str__ = __repr__

    def wallet(self, name: str) -> Self:
        """A client for ``/wallet/<name>`` sharing this one's connection pool and credentials."""
        sibling = copy.copy(self)
        sibling.url, _, _ = split_url(self.url, name)
        sibling.wallet_name = name
        return sibling

    def _batch_ids(self, size: int) -> int:
        """Reserve ``size`` consecutive request ids; the first of them."""
        first = next(self._ids)
        self._ids = itertools.count(first + size)
        return first

    def _retry_args(self, spent: float = 0.0) -> dict[str, Any]:
        """tenacity's settings; ``spent``: seconds of the budget already used."""
        stop = (
            stop_before_delay(self.retry_for - spent)
            if self.retry_for > 0
            else stop_after_attempt(1)
        )
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

    def _with_retries(self, fn: Callable[..., _T], *args: object) -> _T:
        """``fn(*args)``, retried on ``Retryable`` errors as ``_retry_args`` says.

        The first attempt runs bare (tenacity costs more than a local RPC call); after a
        ``Retryable`` failure tenacity takes over, replaying that failure as its attempt 1, so
        the waits, attempt numbers and the budget (less the time already spent) are the same
        as if it had run from the start."""
        started = time.monotonic()
        try:
            return fn(*args)
        except Retryable as exc:
            if self.retry_for <= 0:
                raise
            first: list[Retryable] = [exc]

        def attempt(*a: object) -> _T:
            if first:
                raise first.pop()
            return fn(*a)

        spent = time.monotonic() - started
        retried: _T = Retrying(**self._retry_args(spent))(attempt, *args)
        return retried


@functools.lru_cache(maxsize=64)
def _path_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path or "/"


# --- sync --------------------------------------------------------------------------------------


class RpcClient(_Base):
    """Synchronous client. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        **settings: Unpack[RpcSettings],
    ) -> None:
        super().__init__(url, **settings)
        self._http: httpx.Client | None = None
        self._plain: KeepAlive | None = None
        if transport is None and not self._tls:
            self._plain = KeepAlive(self.url, self.timeout, min(self.timeout, 5.0))
        else:
            self._http = httpx.Client(
                transport=transport, timeout=self._timeouts, auth=self._auth, verify=self._tls
            )

    def close(self) -> None:
        if self._plain is not None:
            self._plain.close()
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, payload: object, methods: Sequence[str]) -> HttpReply:
        started = time.monotonic()
        body = encode(payload)
        response: HttpReply
        if self._plain is not None:
            headers = {"Content-Type": "application/json"}
            if self._auth is not None:
                headers["Authorization"] = self._auth.header()
            try:
                response = self._plain.post(self._path, body, headers)
            except NotSent as exc:
                raise connection_error(exc.args[0], self.url, methods, sent=False) from exc
            except Lost as exc:
                raise connection_error(exc.args[0], self.url, methods, sent=True) from exc
        else:
            assert self._http is not None
            try:
                response = self._http.post(
                    self.url,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=self._timeouts,
                )
            except httpx.TransportError as exc:
                raise transport_error(exc, self.url, methods) from exc
        if log.debug_enabled():
            _log.debug(
                "rpc",
                url=self.url,
                method=",".join(methods)[:80],
                status=response.status_code,
                ms=round((time.monotonic() - started) * 1000),
            )
        return response

    @property
    def _path(self) -> str:
        return _path_of(self.url)

    def _once(self, method: str, params: Sequence[object] | Mapping[str, object]) -> object:
        response = self._post(envelope(next(self._ids), method, params), [method])
        return single_reply(response, self.url, method)

    def _batch_once(self, calls: Sequence[Call]) -> list[object | RpcError]:
        first = self._batch_ids(len(calls))
        response = self._post(batch_envelopes(first, calls), [m for m, _ in calls])
        return batch_reply(response, self.url, calls, first)

    def call(self, method: str, *params: object) -> Any:
        """Call ``method`` with positional ``params``; the JSON result (floats as Decimal)."""
        return self._with_retries(self._once, method, params)

    def call_named(self, method: str, **params: object) -> Any:
        """Call ``method`` with named params (JSON-RPC by-name)."""
        return self._with_retries(self._once, method, params)

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Run ``[(method, params), …]`` in one request; results in order.

        The first failed item raises its mapped ``RpcError``; see ``batch_results`` to get
        the errors in place instead.
        """
        return raise_first(self.batch_results(calls))

    def batch_results(self, calls: Sequence[Call]) -> list[Any]:
        """Like ``batch`` but each failed item is its ``RpcError`` in the list."""
        if not calls:
            return []
        return self._with_retries(self._batch_once, calls)

    # typed helpers for common calls
    def getblockchaininfo(self) -> BlockchainInfo:
        return BlockchainInfo.model_validate(self.call("getblockchaininfo"))

    def getnetworkinfo(self) -> NetworkInfo:
        return NetworkInfo.model_validate(self.call("getnetworkinfo"))

    def getmempoolinfo(self) -> MempoolInfo:
        return MempoolInfo.model_validate(self.call("getmempoolinfo"))

    def getblockcount(self) -> int:
        return as_int(self.call("getblockcount"), "getblockcount")

    def getbestblockhash(self) -> str:
        return as_str(self.call("getbestblockhash"), "getbestblockhash")

    def getnewaddress(self, label: str = "", address_type: str = "bech32m") -> str:
        return as_str(self.call("getnewaddress", label, address_type), "getnewaddress")

    def getbalance(self) -> Decimal:
        return as_amount(self.call("getbalance"), "getbalance")

    def generatetoaddress(self, n: int, address: str) -> list[str]:
        return as_strs(self.call("generatetoaddress", n, address), "generatetoaddress")

    def sendtoaddress(self, address: str, amount: Decimal) -> str:
        return as_str(self.call("sendtoaddress", address, amount), "sendtoaddress")


# --- async -------------------------------------------------------------------------------------


async def raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The undecoded body; a response already in memory (an injected transport's) as is."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.StreamConsumed:
        yield response.content


# The async client serves the monitor: small calls (chain/network/mempool info), any target.
ASYNC_MAX_REPLY = 8 * 1024 * 1024


class AsyncRpcClient(_Base):
    """Asynchronous client. Use as an async context manager or ``await aclose()``."""

    def __init__(
        self,
        url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **settings: Unpack[RpcSettings],
    ) -> None:
        super().__init__(url, **settings)
        self._http = httpx.AsyncClient(
            transport=transport, timeout=self._timeouts, auth=self._auth, verify=self._tls
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _post(self, payload: object, methods: Sequence[str]) -> httpx.Response:
        request = self._http.build_request(
            "POST",
            self.url,
            content=encode(payload),
            headers={"Content-Type": "application/json", "Accept-Encoding": "identity"},
            timeout=self._timeouts,
        )
        try:
            response = await self._http.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in raw_chunks(response):
                    body += chunk
                    if len(body) > ASYNC_MAX_REPLY:  # a hostile or broken target: stop reading
                        raise RpcError(
                            methods[0],
                            response.status_code,
                            f"reply larger than {ASYNC_MAX_REPLY} bytes",
                        )
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise transport_error(exc, self.url, methods) from exc
        headers = [(k, v) for k, v in response.headers.multi_items() if k != "content-encoding"]
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request
        )

    async def _once(self, method: str, params: Sequence[object] | Mapping[str, object]) -> object:
        response = await self._post(envelope(next(self._ids), method, params), [method])
        return single_reply(response, self.url, method)

    async def _batch_once(self, calls: Sequence[Call]) -> list[object | RpcError]:
        first = self._batch_ids(len(calls))
        response = await self._post(batch_envelopes(first, calls), [m for m, _ in calls])
        return batch_reply(response, self.url, calls, first)

    async def call(self, method: str, *params: object) -> Any:
        """Call ``method`` with positional ``params``; the JSON result (floats as Decimal)."""
        return await AsyncRetrying(**self._retry_args())(self._once, method, params)

    async def call_named(self, method: str, **params: object) -> Any:
        """Call ``method`` with named params (JSON-RPC by-name)."""
        return await AsyncRetrying(**self._retry_args())(self._once, method, params)

    async def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Run ``[(method, params), …]`` in one request; results in order (first error raised)."""
        return raise_first(await self.batch_results(calls))

    async def batch_results(self, calls: Sequence[Call]) -> list[Any]:
        """Like ``batch`` but each failed item is its ``RpcError`` in the list."""
        if not calls:
            return []
        return await AsyncRetrying(**self._retry_args())(self._batch_once, calls)

    async def getblockchaininfo(self) -> BlockchainInfo:
        return BlockchainInfo.model_validate(await self.call("getblockchaininfo"))

    async def getnetworkinfo(self) -> NetworkInfo:
        return NetworkInfo.model_validate(await self.call("getnetworkinfo"))

    async def getmempoolinfo(self) -> MempoolInfo:
        return MempoolInfo.model_validate(await self.call("getmempoolinfo"))

    async def getblockcount(self) -> int:
        return as_int(await self.call("getblockcount"), "getblockcount")

    async def getbestblockhash(self) -> str:
        return as_str(await self.call("getbestblockhash"), "getbestblockhash")
