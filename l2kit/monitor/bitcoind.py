"""bitcoind probe: one JSON-RPC batch (blockchain, network, mempool info) over ``AsyncRpcClient``.

No retries here: a monitor reports what it sees now, and the next poll is the retry.
The failure kinds stay distinct, because they mean different things to an operator:
wrong credentials (``RpcAuthError``) is not "down" (``NodeUnreachable``), and a node that is
still loading (``RpcWarmup``) is neither.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from l2kit.btc.rpc import AsyncRpcClient, BlockchainInfo, MempoolInfo, NetworkInfo
from l2kit.errors import (
    L2kitError,
    NodeUnreachable,
    ProbeError,
    RpcAuthError,
    RpcError,
    RpcWarmup,
    TargetUnreachable,
)
from l2kit.monitor.fleet import BitcoindTarget

CALLS: list[tuple[str, list[object]]] = [
    ("getblockchaininfo", []),
    ("getnetworkinfo", []),
    ("getmempoolinfo", []),
]


@dataclass
class BitcoindSample:
    latency: float
    chain: BlockchainInfo | None = None
    net: NetworkInfo | None = None
    mempool: MempoolInfo | None = None
    balances: dict[str, float] = field(default_factory=dict)  # wallet -> BTC (trusted + pending)
    errors: dict[str, str] = field(default_factory=dict)


class Clients:
    """One ``AsyncRpcClient`` per target, kept across polls.

    Building a client costs ~18 ms of CPU (httpx loads the TLS trust store), so a poller that
    runs every few seconds keeps them. Credentials are re-read on every poll; a changed password
    (rotation) gets a new client. Cookies are re-read per request by the client itself.
    """

    def __init__(self) -> None:
        self._by_target: dict[str, tuple[tuple[object, ...], AsyncRpcClient]] = {}
        self._retired: list[AsyncRpcClient] = []

    def get(self, target: BitcoindTarget, timeout: float) -> AsyncRpcClient:
        auth = target.auth
        cookie = auth.cookie_file if auth is not None else None
        user, password = (None, None) if auth is None or cookie else auth.resolve()
        key = (target.url, timeout, cookie, user, password)
        cached = self._by_target.get(target.name)
        if cached is not None and cached[0] == key:
            return cached[1]
        if cookie is not None:
            client = AsyncRpcClient(target.url, cookie_file=cookie, timeout=timeout, retry_for=0)
        else:
            client = AsyncRpcClient(
                target.url, user=user, password=password, timeout=timeout, retry_for=0
            )
        if cached is not None:
            self._retired.append(cached[1])
        self._by_target[target.name] = (key, client)
        return client

    async def aclose(self) -> None:
        for client in [*self._retired, *(c for _, c in self._by_target.values())]:
            await client.aclose()
        self._by_target.clear()
        self._retired.clear()


def describe(exc: L2kitError) -> tuple[str, str]:
    """(why, reason) for a failed call, without secrets."""
    if isinstance(exc, RpcAuthError):
        return "auth", f"authentication failed (HTTP {exc.status}): check the RPC credentials"
    if isinstance(exc, NodeUnreachable):
        reason = exc.reason
        if reason in ("ConnectError",):
            reason = "connection refused"
        elif "Timeout" in reason:
            reason = f"no answer ({reason})"
        return "unreachable", f"unreachable: {reason}"
    if isinstance(exc, RpcWarmup):
        return "warmup", f"warming up: {exc.rpc_message}"
    if isinstance(exc, RpcError):
        return "rpc", f"RPC error: {exc}"
    return "error", str(exc)


async def probe(target: BitcoindTarget, timeout: float, clients: Clients) -> BitcoindSample:
    try:
        client = clients.get(target, timeout)
    except L2kitError as exc:  # unreadable credentials: we cannot ask
        raise TargetUnreachable(target.name, str(exc)) from exc
    started = time.monotonic()
    try:
        results = await client.batch_results(CALLS)
    except L2kitError as exc:
        why, reason = describe(exc)
        if why == "unreachable":
            raise TargetUnreachable(target.name, reason) from exc
        raise ProbeError(target.name, reason) from exc  # it answered: auth, warmup, error
    sample = BitcoindSample(latency=time.monotonic() - started)
    for (method, _), result in zip(CALLS, results, strict=True):
        if isinstance(result, RpcError):
            sample.errors[method] = describe(result)[1]
            continue
        try:
            if method == "getblockchaininfo":
                sample.chain = BlockchainInfo.model_validate(result)
            elif method == "getnetworkinfo":
                sample.net = NetworkInfo.model_validate(result)
            else:
                sample.mempool = MempoolInfo.model_validate(result)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            sample.errors[method] = f"{method}: unexpected result: {loc}: {err['msg']}"
    for wallet in target.wallets:
        await _balance(client, wallet, sample)
    return sample


async def _balance(client: AsyncRpcClient, wallet: str, sample: BitcoindSample) -> None:
    """``getbalances`` of one wallet: ``mine.trusted + mine.untrusted_pending`` (BTC)."""
    try:
        result = await client.wallet(wallet).call("getbalances")
        mine = result["mine"]
        sample.balances[wallet] = float(mine["trusted"]) + float(mine["untrusted_pending"])
    except L2kitError as exc:
        sample.errors[f"wallet/{wallet}"] = describe(exc)[1]
    except (KeyError, TypeError, ValueError) as exc:
        sample.errors[f"wallet/{wallet}"] = f"getbalances: unexpected result ({exc!r})"
