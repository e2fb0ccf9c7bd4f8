"""Phase-1 staking-indexer rules over one block: pure, no I/O.

``classify_block`` takes a block's transactions, the outputs already tracked (staking outputs
and unbonding outputs, keyed by internal-order outpoint), the active TVL before the block and
the params in force at the block's height; it returns what the block did. The store
(``indexer.py``) applies the result in one SQLite transaction.

Rules (staking-indexer ``indexer/indexer.go``, reference §2):
- recognition: ``parse_staking_tx`` (73-byte V0 OP_RETURN with the params tag + one output with
  the rebuilt staking pkScript); a tag-matching OP_RETURN that fails recognition is INVALID;
- ``min_staking_amount ≤ value ≤ max_staking_amount`` and ``min_staking_time ≤ T ≤
  max_staking_time``, else INVALID with the bound named;
- cap: ``cap_height`` set → ACTIVE iff height ≤ cap_height; else OVERFLOW iff the active TVL
  BEFORE this tx ≥ ``staking_cap`` (so the tx crossing the cap is still ACTIVE);
- a spend of a staking output is an UNBONDING iff 1-in/1-out and ``witness[-2]`` is the
  unbonding leaf, and then the tx must match the params (sequence ffffffff, locktime 0, the
  unbonding output with value - unbonding_fee) or it is an ALARM; ``witness[-2]`` = the timelock
  leaf → WITHDRAWAL (also for unbonding outputs); any other spend → ALARM.

TVL here = the staking-indexer's confirmed TVL: sum of ACTIVE stakes minus those unbonded
(``AddUnbondingTransaction`` subtracts; a withdrawal or an invalid spend of the staking output
does not), so the amount-cap decision is the reference indexer's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bitcoin.core import CTransaction

from l2kit.btc.block import IndexedTx, witness_stack
from l2kit.btc.keys import XOnlyPubKey, parse_pubkeys
from l2kit.btc.network import Network
from l2kit.staking.identifiable import (
    has_tagged_v0_op_return,
    parse_staking_tx,
    v0_op_return_head,
)
from l2kit.staking.params import StakingParams
from l2kit.staking.scripts import staking_info, unbonding_info

Outpoint = tuple[bytes, int]


@dataclass(frozen=True)
class Tracked:
    """A staking or unbonding output the index watches for spends."""

    staking_txid: str
    kind: str  # "staking" | "unbonding"
    staker_pk: str
    fp_pk: str
    staking_time: int
    value: int
    params_version: int
    active: bool


@dataclass(frozen=True)
class NewStake:
    txid: str
    tx_index: int
    vout: int
    value: int
    staker_pk: str
    fp_pk: str
    staking_time: int
    params_version: int
    status: str  # "active" | "overflow"


@dataclass(frozen=True)
class Spend:
    staking_txid: str
    spending_txid: str
    kind: str  # "unbonding" | "withdrawal" | "alarm"
    from_output: str  # "staking" | "unbonding"
    reason: str = ""
    value: int = 0  # unbonding: the unbonding output's value


@dataclass
class BlockResult:
    stakes: list[NewStake] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (txid, reason)
    spends: list[Spend] = field(default_factory=list)
    tvl_after: int = 0


@lru_cache(maxsize=4096)
def _leaves(
    staker: str,
    fp: str,
    cov: tuple[str, ...],
    quorum: int,
    t: int,
    ut: int,
    value: int,
    fee: int,
    net: Network,
) -> tuple[bytes, bytes, bytes, bytes]:
    """(staking timelock leaf, staking unbonding leaf, unbonding-output timelock leaf,
    expected unbonding output pkScript)."""
    s = XOnlyPubKey(bytes.fromhex(staker))
    fps = [XOnlyPubKey(bytes.fromhex(fp))]
    covs = list(parse_pubkeys(cov, "covenant_pks"))
    info = staking_info(s, fps, covs, quorum, t, value, net)
    unb = unbonding_info(s, fps, covs, quorum, ut, value - fee, net)
    return (
        bytes(info.timelock_script),
        bytes(info.unbonding_script),
        bytes(unb.timelock_script),
        bytes(unb.script_pubkey),
    )


def _check_bounds(params: StakingParams, value: int, staking_time: int) -> str | None:
    if not params.min_staking_amount <= value <= params.max_staking_amount:
        return (
            f"value {value} outside [min_staking_amount {params.min_staking_amount}, "
            f"max_staking_amount {params.max_staking_amount}] of params v{params.version}"
        )
    if not params.min_staking_time <= staking_time <= params.max_staking_time:
        return (
            f"staking_time {staking_time} outside [min_staking_time {params.min_staking_time}, "
            f"max_staking_time {params.max_staking_time}] of params v{params.version}"
        )
    return None


def _is_overflow(params: StakingParams, height: int, tvl_before: int) -> bool:
    if params.cap_height:
        return height > params.cap_height
    return params.staking_cap is not None and tvl_before >= params.staking_cap


def classify_block(
    height: int,
    txs: Sequence[CTransaction],
    tracked: Mapping[Outpoint, Tracked],
    tvl_before: int,
    params: StakingParams,
    params_by_version: Callable[[int], StakingParams],
    net: Network,
) -> tuple[BlockResult, dict[Outpoint, Tracked | None]]:
    """Classify every tx of one block. Returns the result and the changes to ``tracked``
    (new outpoints → Tracked, spent outpoints → None)."""
    indexed = [IndexedTx(i, tx, tx.GetTxid()) for i, tx in enumerate(txs)]
    return classify_txs(height, indexed, tracked, tvl_before, params, params_by_version, net)


def classify_txs(
    height: int,
    txs: Iterable[IndexedTx],
    tracked: Mapping[Outpoint, Tracked],
    tvl_before: int,
    params: StakingParams,
    params_by_version: Callable[[int], StakingParams],
    net: Network,
) -> tuple[BlockResult, dict[Outpoint, Tracked | None]]:
    """``classify_block`` over (position, tx) pairs in block order. The indexer passes only
    the txs ``Block.select`` found (a 73-byte script starting with ``v0_op_return_head``, or a
    spend of a tracked txid or of one selected before): any other tx classifies to nothing."""
    result = BlockResult()
    changes: dict[Outpoint, Tracked | None] = {}
    tvl = tvl_before
    head = v0_op_return_head(params)

    def lookup(op: Outpoint) -> Tracked | None:
        return changes[op] if op in changes else tracked.get(op)

    for index, tx, raw_txid in txs:
        txid = raw_txid[::-1].hex()
        # the coinbase spends nothing tracked, but staking-indexer also tries it as a stake
        for vin_index, txin in enumerate(tx.vin if index else ()):
            op = (bytes(txin.prevout.hash), int(txin.prevout.n))
            spent = lookup(op)
            if spent is None:
                continue
            spend = _classify_spend(tx, vin_index, spent, txid, params_by_version, net)
            result.spends.append(spend)
            changes[op] = None
            if spend.kind == "unbonding":
                if spent.active:  # the indexer's confirmed TVL drops only here
                    tvl -= spent.value
                changes[(raw_txid, 0)] = Tracked(
                    spent.staking_txid,
                    "unbonding",
                    spent.staker_pk,
                    spent.fp_pk,
                    spent.staking_time,
                    tx.vout[0].nValue,
                    spent.params_version,
                    spent.active,
                )
        if head is None or not has_tagged_v0_op_return(tx, head):
            continue
        parsed = parse_staking_tx(tx, params, net)
        if parsed is None:
            result.invalid.append((txid, "tagged V0 OP_RETURN but no matching staking output"))
            continue
        value, stime = int(parsed.staking_value), int(parsed.staking_time)
        reason = _check_bounds(params, value, stime)
        if reason is not None:
            result.invalid.append((txid, reason))
            continue
        overflow = _is_overflow(params, height, tvl)
        staker, fp = bytes(parsed.staker_pk).hex(), bytes(parsed.fp_pk).hex()
        vout = int(parsed.staking_output_index)
        result.stakes.append(
            NewStake(
                txid,
                index,
                vout,
                value,
                staker,
                fp,
                stime,
                params.version,
                "overflow" if overflow else "active",
            )
        )
        if not overflow:
            tvl += value
        changes[(raw_txid, vout)] = Tracked(
            txid, "staking", staker, fp, stime, value, params.version, not overflow
        )
    result.tvl_after = tvl
    return result, changes


def _classify_spend(
    tx: CTransaction,
    vin_index: int,
    spent: Tracked,
    txid: str,
    params_by_version: Callable[[int], StakingParams],
    net: Network,
) -> Spend:
    p = params_by_version(spent.params_version)
    value = spent.value
    if spent.kind == "unbonding":
        # the unbonding output's value is already stake - fee; rebuild from the stake's value
        value = spent.value + p.unbonding_fee
    timelock, unbond_leaf, unb_timelock, unb_spk = _leaves(
        spent.staker_pk,
        spent.fp_pk,
        tuple(p.covenant_pks),
        p.covenant_quorum,
        spent.staking_time,
        p.unbonding_time,
        value,
        p.unbonding_fee,
        net,
    )
    stack = witness_stack(tx, vin_index)
    revealed = stack[-2] if len(stack) >= 2 else b""

    def spend(kind: str, reason: str = "") -> Spend:
        return Spend(spent.staking_txid, txid, kind, spent.kind, reason)

    if spent.kind == "unbonding":
        if revealed == unb_timelock:
            return spend("withdrawal")
        return spend("alarm", "unbonding output spent by a path other than its timelock")
    if revealed == timelock:
        return spend("withdrawal")
    if revealed != unbond_leaf:
        return spend("alarm", "staking output spent by a path other than unbonding or timelock")
    if len(tx.vin) != 1 or len(tx.vout) != 1:
        return spend("alarm", "unbonding tx must have exactly 1 input and 1 output")
    problems = []
    if tx.vin[0].nSequence != 0xFFFFFFFF:
        problems.append("sequence is not ffffffff")
    if tx.nLockTime != 0:
        problems.append("locktime is not 0")
    if bytes(tx.vout[0].scriptPubKey) != unb_spk:
        problems.append(f"output is not the unbonding output of params v{p.version}")
    if tx.vout[0].nValue != spent.value - p.unbonding_fee:
        problems.append(
            f"output value {tx.vout[0].nValue} != stake {spent.value} - unbonding_fee "
            f"{p.unbonding_fee}"
        )
    if problems:
        return spend("alarm", "unbonding tx violates params: " + "; ".join(problems))
    return Spend(spent.staking_txid, txid, "unbonding", spent.kind, "", tx.vout[0].nValue)
