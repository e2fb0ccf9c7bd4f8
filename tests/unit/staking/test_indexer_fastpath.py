"""The indexer's fast path (``select_txs`` walking raw block bytes, full parse only of the txs
that may matter) against the full parse (python-bitcoinlib ``CBlock.deserialize`` of every tx):
same transactions, txids and boundaries, and the same classification on generated blocks with
stakes, unbondings, withdrawals, invalid stakes, overflow, alarms and unrelated spends, segwit
and legacy, with CompactSize lengths of 1, 3 and 5 bytes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from bitcoin.core import (
    CBlock,
    COutPoint,
    CTransaction,
    CTxIn,
    CTxInWitness,
    CTxOut,
    CTxWitness,
)
from bitcoin.core.script import CScript, CScriptWitness
from bitcoin.core.serialize import SerializationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2kit.btc.block import parse_block, select_txs
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network
from l2kit.staking.identifiable import V0_OP_RETURN_SIZE, build_v0_op_return
from l2kit.staking.index_rules import (
    Outpoint,
    Tracked,
    classify_block,
    classify_txs,
    v0_op_return_head,
)
from l2kit.staking.params import StakingParams, params_from_json, regtest_params
from l2kit.staking.scripts import StakingInfo, staking_info, unbonding_info

NET = Network.REGTEST
COV = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
FP = xonly_of(b"\x07" * 32)
STAKERS = [xonly_of(bytes([0x10 + i]) * 32) for i in range(3)]
TIMES = (100, 150)
INFOS = {(s, t): staking_info(s, [FP], COV, 2, t, 1, NET) for s in STAKERS for t in TIMES}
KINDS = [
    "stake",
    "stake_small",
    "stake_long",
    "tagged_no_output",
    "other_tag",
    "unbond",
    "unbond_bad",
    "withdraw",
    "slash",
    "other_vout",
    "plain_segwit",
    "plain_legacy",
    "big_push",
]


def _params(cap: int | None) -> StakingParams:
    base = regtest_params(COV, 2, max_staking_amount=500_000, max_staking_time=120).to_json()
    for key in ("phase", "slashing_pk_script", "slashing_rate", "min_slashing_tx_fee_sat"):
        base.pop(key)
    p: StakingParams = params_from_json({"versions": [{**base, "staking_cap": cap}]}).versions[0]
    return p


def _tx(
    ins: list[tuple[bytes, int, bytes, list[bytes]]],
    outs: list[tuple[bytes, int]],
    locktime: int = 0,
) -> CTransaction:
    vin = [CTxIn(COutPoint(h, n), CScript(sig), 0xFFFFFFFF) for h, n, sig, _ in ins]
    wit = CTxWitness([CTxInWitness(CScriptWitness(w)) for *_, w in ins])
    return CTransaction(vin, [CTxOut(v, CScript(s)) for s, v in outs], locktime, 2, wit)


@dataclass(frozen=True)
class Made:
    txid: bytes
    vout: int
    staker: XOnlyPubKey
    time: int
    value: int


@dataclass
class Chain:
    """What the generator knows: stakes it made, not spent yet, and unbonding outputs."""

    p: StakingParams
    stakes: list[Made] = field(default_factory=list)
    unbonded: list[Made] = field(default_factory=list)


def _make(kind: str, chain: Chain, draw: st.DrawFn) -> CTransaction:
    p = chain.p
    assert p.tag is not None
    rnd = draw(st.binary(min_size=32, max_size=32))
    funding = (rnd, draw(st.integers(0, 3)), b"", [draw(st.binary(min_size=64, max_size=64))])
    staker = draw(st.sampled_from(STAKERS))
    time = draw(st.sampled_from(TIMES))
    info: StakingInfo = INFOS[(staker, time)]
    op = build_v0_op_return(p.tag, staker, FP, time)
    change = (b"\x00\x14" + rnd[:20], 1_000)
    if kind.startswith("stake"):
        value = {
            "stake": draw(st.integers(50_000, 300_000)),
            "stake_small": 1_000,
            "stake_long": 60_000,
        }[kind]
        if kind == "stake_long":  # a time above max_staking_time: invalid
            info, op = (
                staking_info(staker, [FP], COV, 2, 200, 1, NET),
                build_v0_op_return(p.tag, staker, FP, 200),
            )
        outs = [(bytes(info.script_pubkey), value), (bytes(op), 0), change]
        tx = _tx([funding], draw(st.permutations(outs)))
        vout = [o.scriptPubKey for o in tx.vout].index(CScript(bytes(info.script_pubkey)))
        if kind == "stake":  # the others are invalid: never tracked
            chain.stakes.append(Made(tx.GetTxid(), vout, staker, time, value))
        return tx
    if kind == "tagged_no_output":
        return _tx([funding], [(b"\x51\x20" + rnd, 50_000), (bytes(op), 0)])
    if kind == "other_tag":
        other = build_v0_op_return(b"zzzz", staker, FP, time)
        return _tx([funding], [(bytes(info.script_pubkey), 50_000), (bytes(other), 0)])
    if kind in ("unbond", "unbond_bad", "withdraw", "slash", "other_vout") and chain.stakes:
        made = chain.stakes.pop(draw(st.integers(0, len(chain.stakes) - 1)))
        inf = INFOS.get((made.staker, made.time)) or staking_info(
            made.staker, [FP], COV, 2, made.time, 1, NET
        )
        leaf = {
            "unbond": inf.unbonding_script,
            "unbond_bad": inf.unbonding_script,
            "withdraw": inf.timelock_script,
            "slash": inf.slashing_script,
            "other_vout": inf.timelock_script,
        }[kind]
        # other_vout: the stake's txid, an output nobody tracks: selected, classifies to nothing
        vout = made.vout + (kind == "other_vout")
        stack = [rnd * 2, bytes(leaf), b"\xc0" + bytes(32)]
        if kind.startswith("unbond"):
            unb = unbonding_info(
                made.staker, [FP], COV, 2, p.unbonding_time, made.value - p.unbonding_fee, NET
            )
            out_value = made.value - p.unbonding_fee - (kind == "unbond_bad")
            tx = _tx([(made.txid, vout, b"", stack)], [(bytes(unb.script_pubkey), out_value)])
            if kind == "unbond":
                chain.unbonded.append(Made(tx.GetTxid(), 0, made.staker, made.time, made.value))
            return tx
        return _tx([(made.txid, vout, b"", stack)], [(b"\x51", 500)])
    if kind == "withdraw" and chain.unbonded:  # from an unbonding output
        made = chain.unbonded.pop()
        unb = unbonding_info(
            made.staker, [FP], COV, 2, p.unbonding_time, made.value - p.unbonding_fee, NET
        )
        return _tx(
            [(made.txid, 0, b"", [rnd * 2, bytes(unb.timelock_script), b"\xc0" + rnd])],
            [(b"\x51", 500)],
        )
    if kind == "plain_legacy":  # no witness: legacy serialization, scriptSig up to 300 bytes
        sig = draw(st.binary(min_size=0, max_size=300))
        return _tx(
            [(rnd, 1, sig, []), (rnd[::-1], 2, b"\x01", [])],
            [change, change],
            locktime=draw(st.integers(0, 2**32 - 1)),
        )
    if kind == "big_push":  # a 0xfd-length witness item and output script
        item = draw(st.binary(min_size=253, max_size=600))
        return _tx([(rnd, 0, b"", [item, b""])], [(b"\x6a" + b"\x4d" + item, 0), change])
    n_in = draw(st.integers(1, 3))
    ins = [
        (draw(st.binary(min_size=32, max_size=32)), i, b"", [rnd[: i + 1]] * i) for i in range(n_in)
    ]
    if all(not w for *_, w in ins):
        ins[0] = (*ins[0][:3], [b"\x01"])
    return _tx(ins, [change] * draw(st.integers(1, 3)))


def _block(chain: Chain, draw: st.DrawFn, prev: bytes) -> bytes:
    coinbase_outs = [(b"\x51", 50_0000_0000)]
    if draw(st.booleans()):  # staking-indexer tries the coinbase as a stake too
        assert chain.p.tag is not None
        coinbase_outs.append((bytes(build_v0_op_return(chain.p.tag, STAKERS[0], FP, 100)), 0))
    txs = [_tx([(bytes(32), 0xFFFFFFFF, b"\x01\x02", [])], coinbase_outs)]
    for kind in draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=14)):
        txs.append(_make(kind, chain, draw))
    block = CBlock(nVersion=0x20000000, hashPrevBlock=prev, nBits=0x207FFFFF, vtx=txs)
    raw: bytes = block.serialize()
    return raw


def _watched(tracked: dict[Outpoint, Tracked]) -> set[bytes]:
    return {txid for txid, _ in tracked}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([None, 600_000]))
def test_fast_path_and_full_parse_classify_identically(
    data: st.DataObject, cap: int | None
) -> None:
    chain = Chain(_params(cap))
    p = chain.p
    head = v0_op_return_head(p)
    fast_tracked: dict[Outpoint, Tracked] = {}
    full_tracked: dict[Outpoint, Tracked] = {}
    fast_tvl = full_tvl = 0
    prev = bytes(32)
    for height in (10, 11, 12):  # later blocks spend stakes of earlier ones
        raw = _block(chain, data.draw, prev)
        full_txs = CBlock.deserialize(raw).vtx
        full, full_changes = classify_block(
            height, full_txs, full_tracked, full_tvl, p, lambda v: p, NET
        )
        block = parse_block(raw)
        selected = block.select(head, V0_OP_RETURN_SIZE, _watched(fast_tracked))
        fast, fast_changes = classify_txs(
            height, selected, fast_tracked, fast_tvl, p, lambda v: p, NET
        )
        assert fast == full
        assert fast_changes == full_changes
        for tracked, changes in ((fast_tracked, fast_changes), (full_tracked, full_changes)):
            for op, t in changes.items():
                if t is None:
                    tracked.pop(op, None)
                else:
                    tracked[op] = t
        fast_tvl, full_tvl = fast.tvl_after, full.tvl_after
        # every selected tx is the full parse's tx at that position, byte for byte
        for index, tx, txid in selected:
            assert tx.serialize() == full_txs[index].serialize()
            assert txid == full_txs[index].GetTxid()
        prev = bytes.fromhex(block.hash)[::-1]
        assert block.prev_hash == CBlock.deserialize(raw).hashPrevBlock[::-1].hex()
        assert block.hash == CBlock.deserialize(raw).GetHash()[::-1].hex()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_walk_finds_every_tx_boundary_txid_and_selection(data: st.DataObject) -> None:
    """Asked for every txid the block spends, the walk selects each tx that spends one (the
    coinbase aside) or carries the script head, and nothing else: per tx, the same bytes and
    txid as python-bitcoinlib."""
    chain = Chain(_params(None))
    raw = _block(chain, data.draw, bytes(32))
    txs = CBlock.deserialize(raw).vtx
    head = v0_op_return_head(chain.p)
    assert head is not None
    spent = [tx.vin[0].prevout.hash for tx in txs[1:]]
    watched = set(data.draw(st.lists(st.sampled_from(spent), unique=True))) if spent else set()
    chosen: set[bytes] = set()
    expected = []
    for index, tx in enumerate(txs):
        spends = index and any(i.prevout.hash in watched | chosen for i in tx.vin)
        tagged = any(len(o.scriptPubKey) == 73 and o.scriptPubKey[:7] == head for o in tx.vout)
        if spends or tagged:
            expected.append((index, tx.serialize(), tx.GetTxid()))
            chosen.add(tx.GetTxid())
    got = [(i, tx.serialize(), txid) for i, tx, txid in select_txs(raw, head, 73, watched)]
    assert got == expected
    everything = {i.prevout.hash for tx in txs for i in tx.vin}
    every = select_txs(raw, None, 73, everything)
    assert [i for i, _, _ in every] == list(range(1, len(txs)))
    assert [t.serialize() for _, t, _ in every] == [t.serialize() for t in txs[1:]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_truncated_or_padded_block_fails_like_python_bitcoinlib(data: st.DataObject) -> None:
    chain = Chain(_params(None))
    raw = _block(chain, data.draw, bytes(32))
    cut = data.draw(st.integers(81, len(raw) - 1))
    bad = data.draw(st.sampled_from([raw[:cut], raw + b"\x00"]))
    with pytest.raises(SerializationError):
        CBlock.deserialize(bad)
    with pytest.raises(SerializationError):
        select_txs(bad, v0_op_return_head(chain.p), 73, set())
