"""Talking to the node about a stake's transactions: where is it, verify, broadcast.

``broadcast`` never sends what bitcoind would not accept: ``testmempoolaccept`` first, then
``sendrawtransaction`` with bounded retries. It is idempotent by txid: a tx the node already
has (mempool or chain) is not sent again.

``crash_point(name)``: a test-only hook. With ``L2KIT_TEST_CRASH_AT=name`` in the environment
the process SIGKILLs itself there, so tests can prove that a restart loses nothing.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from l2kit import log
from l2kit.btc import tx as btx
from l2kit.btc.rpc_protocol import Rpc
from l2kit.errors import Retryable, RpcError, TxRejected

_log = log.get(__name__)

CRASH_ENV = "L2KIT_TEST_CRASH_AT"
_NOT_FOUND = -5  # RPC_INVALID_ADDRESS_OR_KEY: no such transaction
_ALREADY_IN_CHAIN = -27


def crash_point(name: str) -> None:
    """Die like ``kill -9`` here when the test hook names this point."""
    if os.environ.get(CRASH_ENV) == name:
        _log.warning("test crash hook", point=name)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Seen:
    confirmations: int  # >0 in the best chain, 0 in the mempool, -1 unknown
    block_hash: str | None = None
    block_height: int | None = None


UNKNOWN = Seen(-1)


def observe(rpc: Rpc, txid: str) -> Seen:
    """Where the node has ``txid`` (needs ``-txindex`` for confirmed txs, as l2kit's node has)."""
    return observe_many(rpc, [txid])[0]


def observe_many(rpc: Rpc, txids: Sequence[str]) -> list[Seen]:
    """``observe`` for several txs in two batched requests (txs, then their block headers)
    instead of two calls per tx: a stake's sync looks at up to five txs."""
    if not txids:
        return []
    infos = rpc.batch_results([("getrawtransaction", [txid, True]) for txid in txids])
    for info in infos:
        if isinstance(info, RpcError) and info.code != _NOT_FOUND:
            raise info
    confirmed = [
        i
        for i in infos
        if not isinstance(i, RpcError)
        and i.get("blockhash")
        and int(i.get("confirmations") or 0) > 0
    ]
    hashes = sorted({str(i["blockhash"]) for i in confirmed})
    headers = rpc.batch_results([("getblockheader", [h, True]) for h in hashes])
    for header in headers:
        if isinstance(header, RpcError):
            raise header
    height = {h: int(header["height"]) for h, header in zip(hashes, headers, strict=True)}
    return [_seen(rpc, txid, info, height) for txid, info in zip(txids, infos, strict=True)]


def _seen(rpc: Rpc, txid: str, info: Any, height: dict[str, int]) -> Seen:
    if isinstance(info, RpcError):  # not found
        return UNKNOWN
    block_hash = info.get("blockhash")
    if not block_hash:
        return Seen(0)
    confs = int(info.get("confirmations") or 0)
    if confs <= 0:  # in a block that is no longer in the best chain
        try:
            rpc.call("getmempoolentry", txid)
            return Seen(0)
        except RpcError:
            return UNKNOWN
    return Seen(confs, str(block_hash), height[str(block_hash)])


def input_conflict(rpc: Rpc, raw_hex: str, since_height: int) -> str | None:
    """The txid that spent an input of the unsent tx ``raw_hex``, or None if every input is
    still unspent. Looks in the mempool (``gettxspendingprevout``), then in the blocks from
    ``since_height`` to the tip (a stake is abandoned soon after it was made: a short scan)."""
    tx = btx.parse(raw_hex)
    spent = []
    for i in range(len(tx.vin)):
        op = btx.input_outpoint(tx, i)
        if rpc.call("gettxout", op.txid_hex, op.vout, True) is None:
            spent.append(op)
    if not spent:
        return None
    query = [{"txid": op.txid_hex, "vout": op.vout} for op in spent]
    for entry in rpc.call("gettxspendingprevout", query):
        if entry.get("spendingtxid"):
            return str(entry["spendingtxid"])
    wanted = {(op.txid_hex, op.vout) for op in spent}
    tip = int(rpc.call("getblockcount"))
    for height in range(max(since_height, 0), tip + 1):
        block = rpc.call("getblock", rpc.call("getblockhash", height), 2)
        for item in block["tx"]:
            for vin in item.get("vin", []):
                if (vin.get("txid"), vin.get("vout")) in wanted:
                    return str(item["txid"])
    return "unknown"  # spent before since_height (or never existed)


def check_accept(rpc: Rpc, raw_hex: str) -> None:
    """Raise ``TxRejected`` with bitcoind's reason unless the node would accept ``raw_hex``."""
    result = rpc.call("testmempoolaccept", [raw_hex])[0]
    if not result.get("allowed"):
        reason = result.get("reject-reason", "rejected")
        details = result.get("reject-details")
        raise TxRejected(
            f"bitcoind would reject tx {result.get('txid')}: {reason}"
            + (f" ({details})" if details else ""),
            field="tx",
        )


def broadcast(rpc: Rpc, txid: str, raw_hex: str, attempts: int = 3, delay: float = 1.0) -> Seen:
    """Verify then send ``raw_hex`` unless the node already has it; returns where it is."""
    seen = observe(rpc, txid)
    if seen.confirmations >= 0:
        return seen
    check_accept(rpc, raw_hex)
    # a slashing tx burns to OP_RETURN on purpose: allow exactly that much, nothing more
    burn = sum(value for spk, value in btx.outputs(btx.parse(raw_hex)) if spk[:1] == b"\x6a")
    args: tuple[object, ...] = (raw_hex,)
    if burn:
        args = (raw_hex, Decimal("0.10"), Decimal(burn) / Decimal(100_000_000))
    for attempt in range(1, attempts + 1):
        try:
            sent = rpc.call("sendrawtransaction", *args)
        except RpcError as exc:
            if exc.code == _ALREADY_IN_CHAIN:
                return observe(rpc, txid)
            if isinstance(exc, Retryable) and attempt < attempts:
                time.sleep(delay * attempt)
                continue
            raise TxRejected(f"sendrawtransaction refused {txid}: {exc.rpc_message}") from exc
        except Retryable:
            if attempt == attempts:
                raise
            time.sleep(delay * attempt)
            continue
        if str(sent) != txid:
            raise TxRejected(f"node returned txid {sent}, expected {txid}", field="tx")
        _log.info("broadcast", txid=txid)
        return Seen(0)
    raise AssertionError("unreachable")
