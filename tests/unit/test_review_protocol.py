"""Review findings: l2kit rules vs Babylon Go / staking-indexer, one test per divergence."""

from __future__ import annotations

import itertools

from bitcoin.core import COutPoint, CTransaction, CTxIn, CTxInWitness, CTxOut, CTxWitness
from bitcoin.core.script import CScript, CScriptWitness

from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.staking.identifiable import build_v0_op_return, parse_staking_tx
from l2kit.staking.index_rules import classify_block
from l2kit.staking.params import StakingParams, params_from_json, regtest_params
from l2kit.staking.scripts import staking_info

NET = Network.REGTEST
COV = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
STAKER, FP = xonly_of(b"\x0b" * 32), xonly_of(b"\x07" * 32)
INFO = staking_info(STAKER, [FP], COV, 2, 100, 1, NET)
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


COINBASE = _tx([(b"\x00" * 32, 0xFFFFFFFF, [])], [(b"\x51", 1)])


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
    result, _ = classify_block(11, [COINBASE, withdraw, alarm, late], live, 600_000, p,
                               lambda v: p, NET)  # fmt: skip
    assert [s.kind for s in result.spends] == ["withdrawal", "alarm"]
    assert [s.status for s in result.stakes] == ["overflow"]
    assert result.tvl_after == 600_000
