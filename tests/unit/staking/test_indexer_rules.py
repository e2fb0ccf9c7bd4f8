"""Indexer rules over synthetic blocks (pure classification) and the index store."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from bitcoin.core import COutPoint, CTransaction, CTxIn, CTxInWitness, CTxOut, CTxWitness
from bitcoin.core.script import CScript, CScriptWitness
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.btc.block import Block
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.errors import StoreError
from l2kit.staking.identifiable import build_v0_op_return, parse_staking_tx
from l2kit.staking.index_rules import classify_block
from l2kit.staking.indexer import Indexer, IndexStore
from l2kit.staking.params import ParamsSet, StakingParams, params_from_json, regtest_params
from l2kit.staking.scripts import staking_info, unbonding_info

NET = Network.REGTEST
COV = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
STAKER, FP = xonly_of(b"\x0b" * 32), xonly_of(b"\x07" * 32)
INFO = staking_info(STAKER, [FP], COV, 2, 100, 1, NET)  # scripts do not depend on the value
_nonce = itertools.count(1)


def _params(**over: object) -> StakingParams:
    base = regtest_params(COV, 2, max_staking_amount=500_000, max_staking_time=1_000).to_json()
    for key in ("phase", "slashing_pk_script", "slashing_rate", "min_slashing_tx_fee_sat"):
        base.pop(key)
    p: StakingParams = params_from_json({"versions": [{**base, **over}]}).versions[0]
    return p


def _tx(ins: list[tuple[bytes, int, list[bytes]]], outs: list[tuple[bytes, int]]) -> CTransaction:
    vin = [CTxIn(COutPoint(h, n), nSequence=0xFFFFFFFF) for h, n, _ in ins]
    wit = CTxWitness([CTxInWitness(CScriptWitness(w)) for _, _, w in ins])
    return CTransaction(vin, [CTxOut(v, CScript(s)) for s, v in outs], 0, 2, wit)


def _funding() -> tuple[bytes, int, list[bytes]]:
    return (next(_nonce).to_bytes(32, "big"), 0, [b"\x01" * 64])


def _stake(p: StakingParams, value: int, time: int = 100) -> CTransaction:
    info = INFO if time == 100 else staking_info(STAKER, [FP], COV, 2, time, 1, NET)
    assert p.tag is not None
    op = build_v0_op_return(p.tag, STAKER, FP, time)
    return _tx([_funding()], [(bytes(info.script_pubkey), value), (bytes(op), 0)])


COINBASE = _tx([(b"\x00" * 32, 0xFFFFFFFF, [])], [(b"\x51", 1)])


def _classify(
    p: StakingParams, txs: list[CTransaction], height: int = 10, tvl: int = 0
) -> dict[str, Any]:
    result, _ = classify_block(height, [COINBASE, *txs], {}, tvl, p, lambda v: p, NET)
    status = {s.txid: s.status for s in result.stakes}
    return {"status": status, "invalid": dict(result.invalid), "tvl": result.tvl_after}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=10_000, max_value=500_000), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=1_500_000),
)
def test_amount_cap_tx_crossing_the_cap_is_active(values: list[int], tvl_before: int) -> None:
    p = _params(staking_cap=1_000_000)
    txs = [_stake(p, v) for v in values]
    got = _classify(p, txs, tvl=tvl_before)
    tvl, expected = tvl_before, []
    for v in values:
        active = tvl < 1_000_000
        expected.append("active" if active else "overflow")
        tvl += v if active else 0
    assert [got["status"][t.GetTxid()[::-1].hex()] for t in txs] == expected
    assert got["tvl"] == tvl


def test_height_cap_and_bounds() -> None:
    p = _params(cap_height=10)
    ok, small, long_ = _stake(p, 50_000), _stake(p, 5_000), _stake(p, 50_000, time=2_000)
    at_cap = _classify(p, [ok, small, long_], height=10)
    ok_id = ok.GetTxid()[::-1].hex()
    assert at_cap["status"] == {ok_id: "active"}
    assert "min_staking_amount" in at_cap["invalid"][small.GetTxid()[::-1].hex()]
    assert "max_staking_time" in at_cap["invalid"][long_.GetTxid()[::-1].hex()]
    assert _classify(p, [ok], height=11)["status"] == {ok_id: "overflow"}


def test_tagged_op_return_without_staking_output_is_invalid() -> None:
    p = _params()
    assert p.tag is not None
    op = build_v0_op_return(p.tag, STAKER, FP, 100)
    tx = _tx([_funding()], [(b"\x51\x20" + b"\x09" * 32, 50_000), (bytes(op), 0)])
    other_tag = build_v0_op_return(b"zzzz", STAKER, FP, 100)
    untagged = _tx([_funding()], [(bytes(INFO.script_pubkey), 50_000), (bytes(other_tag), 0)])
    got = _classify(p, [tx, untagged])
    assert got["status"] == {}
    assert list(got["invalid"].values()) == ["tagged V0 OP_RETURN but no matching staking output"]


def _spend(txid: bytes, vout: int, leaf: bytes, outs: list[tuple[bytes, int]]) -> CTransaction:
    return _tx([(txid, vout, [b"\x01" * 64, b"\x02" * 64, leaf, b"\xc0" + bytes(32)])], outs)


def test_spends_classified_and_reorg_rolls_back(tmp_path: Path) -> None:
    p = _params()
    params = ParamsSet([p])
    store = IndexStore(tmp_path / "i.db")
    indexer = Indexer(store, None, params, NET, 1)  # type: ignore[arg-type]
    stakes = [_stake(p, 100_000) for _ in range(4)]
    indexer.process(1, Block("h1", "h0", [COINBASE, *stakes]))
    before = store.stats()
    assert before.active_tvl_sat == 400_000

    unb = unbonding_info(STAKER, [FP], COV, 2, p.unbonding_time, 100_000 - p.unbonding_fee, NET)
    good = _spend(
        stakes[0].GetTxid(),
        0,
        INFO.unbonding_script,
        [(bytes(unb.script_pubkey), 100_000 - p.unbonding_fee)],
    )
    bad_value = _spend(
        stakes[1].GetTxid(), 0, INFO.unbonding_script, [(bytes(unb.script_pubkey), 90_000)]
    )
    withdraw = _spend(stakes[2].GetTxid(), 0, INFO.timelock_script, [(b"\x51", 99_000)])
    slash_leaf = _spend(stakes[3].GetTxid(), 0, INFO.slashing_script, [(b"\x51", 99_000)])
    indexer.process(2, Block("h2", "h1", [COINBASE, good, bad_value, withdraw, slash_leaf]))
    unb_withdraw = _spend(good.GetTxid(), 0, unb.timelock_script, [(b"\x51", 98_000)])
    indexer.process(3, Block("h3", "h2", [COINBASE, unb_withdraw]))

    rows = {r["txid"]: r for r in store.stakes()}
    first = rows[stakes[0].GetTxid()[::-1].hex()]
    assert first["unbonding_height"] == 2 and first["withdrawal_height"] == 3
    assert rows[stakes[2].GetTxid()[::-1].hex()]["withdrawal_height"] == 2
    reasons = sorted(a["reason"] for a in store.alarms())
    assert len(reasons) == 2
    assert "unbonding tx violates params" in reasons[1] and "other than" in reasons[0]
    # the indexer's confirmed TVL: only the valid unbonding subtracts (not the withdrawal
    # or the two alarm spends)
    assert store.stats().active_tvl_sat == 300_000

    store.rollback(2)  # reorg below height 2: spends forgotten, stakes back to unspent
    assert store.stats() == before and store.alarms() == []
    store.close()


def test_store_refuses_newer_schema(tmp_path: Path) -> None:
    IndexStore(tmp_path / "i.db").close()
    db = sqlite3.connect(tmp_path / "i.db")
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        IndexStore(tmp_path / "i.db")


# --- phase-1 recognition ---------------------------------------------------------------------


def test_second_v0_op_return_with_another_tag_rejects_the_tx() -> None:
    """Go ``tryToGetOpReturnDataFromOutputs`` counts every V0 OP_RETURN with valid keys,
    whatever its tag: two of them → "multiple op return outputs found" → not a staking tx."""
    p = _params()
    assert p.tag is not None
    ours = build_v0_op_return(p.tag, STAKER, FP, 100)
    other = build_v0_op_return(b"zzzz", STAKER, FP, 100)
    tx = _tx([_funding()], [(bytes(INFO.script_pubkey), 50_000), (ours, 0), (other, 0)])
    assert parse_staking_tx(tx, p, NET) is None
    # the other tag with a key off the curve is skipped by Go (not a V0 output): still a stake
    bad_key = bytes(other[:7]) + b"\x00" * 32 + bytes(other[39:])
    tx2 = _tx([_funding()], [(bytes(INFO.script_pubkey), 50_000), (ours, 0), (bad_key, 0)])
    parsed = parse_staking_tx(tx2, p, NET)
    assert parsed is not None and parsed.staking_output_index == 0


# --- indexer cap rule --------------------------------------------------------------------------


def test_amount_cap_tvl_is_only_reduced_by_unbonding() -> None:
    """staking-indexer's confirmed TVL drops only on a valid unbonding tx
    (``AddUnbondingTransaction``); a withdrawal from the staking output
    (``processWithdrawTx``) or an invalid spend (logged) leaves it, so a later stake
    overflows the amount cap just as the reference indexer decides."""
    p = _params(staking_cap=600_000)
    assert p.tag is not None
    op = build_v0_op_return(p.tag, STAKER, FP, 100)
    stakes = [_tx([_funding()], [(bytes(INFO.script_pubkey), 300_000), (op, 0)]) for _ in range(2)]
    result, tracked = classify_block(10, [COINBASE, *stakes], {}, 0, p, lambda v: p, NET)
    assert [s.status for s in result.stakes] == ["active", "active"]
    assert result.tvl_after == 600_000
    live = {k: v for k, v in tracked.items() if v is not None}

    def spend(txid: bytes, leaf: bytes) -> CTransaction:
        return _tx([(txid, 0, [b"\x01" * 64, leaf, b"\xc0" + bytes(32)])], [(b"\x51", 290_000)])

    withdraw = spend(stakes[0].GetTxid(), INFO.timelock_script)
    alarm = spend(stakes[1].GetTxid(), INFO.slashing_script)
    late = _tx([_funding()], [(bytes(INFO.script_pubkey), 300_000), (op, 0)])
    result, _ = classify_block(
        11, [COINBASE, withdraw, alarm, late], live, 600_000, p, lambda v: p, NET
    )
    assert [s.kind for s in result.spends] == ["withdrawal", "alarm"]
    assert [s.status for s in result.stakes] == ["overflow"]
    assert result.tvl_after == 600_000


def test_coinbase_can_be_a_phase1_staking_tx() -> None:
    """staking-indexer's HandleConfirmedBlock tries every tx of the block, the coinbase too."""
    p = _params()
    assert p.tag is not None
    op = build_v0_op_return(p.tag, STAKER, FP, 100)
    coinbase = _tx(
        [(b"\x00" * 32, 0xFFFFFFFF, [bytes(32)])], [(bytes(INFO.script_pubkey), 50_000), (op, 0)]
    )
    result, _ = classify_block(10, [coinbase], {}, 0, p, lambda v: p, NET)
    assert [(s.tx_index, s.status) for s in result.stakes] == [(0, "active")]
