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
    errors: dict[str, str] = field(default_factory=dict)


def _client(target: BitcoindTarget, timeout: float) -> AsyncRpcClient:
    auth = target.auth
    if auth is not None and auth.cookie_file is not None:
        return AsyncRpcClient(
            target.url, cookie_file=auth.cookie_file, timeout=timeout, retry_for=0
        )
    user, password = auth.resolve() if auth is not None else (None, None)
    return AsyncRpcClient(target.url, user=user, password=password, timeout=timeout, retry_for=0)


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


async def probe(target: BitcoindTarget, timeout: float) -> BitcoindSample:
    try:
        client = _client(target, timeout)
    except L2kitError as exc:  # unreadable credentials: we cannot ask
        raise TargetUnreachable(target.name, str(exc)) from exc
    async with client:
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
    return sample
