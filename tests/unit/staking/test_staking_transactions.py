"""Unsigned staking / unbonding / slashing / withdrawal transactions and the V0 OP_RETURN."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.btc.tx import (
    SEQUENCE_FINAL,
    OutPoint,
    dust_threshold,
    is_dust,
    new_tx,
    output,
    parse,
    serialize,
    set_witness,
    txid_hex,
    vsize,
)
from l2kit.errors import InputError, TxRejected
from l2kit.staking.identifiable import build_v0_op_return, parse_staking_tx, parse_v0_op_return
from l2kit.staking.params import BABYLON_BURN_SCRIPT, regtest_params
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.transactions import (
    Utxo,
    build_slashing_tx,
    build_staking_tx,
    build_unbonding_tx,
    build_withdrawal_tx,
    slashing_amount,
    slashing_outputs,
)

NET = Network.REGTEST
STAKER, FP, C1, C2, C3 = (xonly_of(bytes([i]) * 32) for i in range(1, 6))
COVS = [C1, C2, C3]
PARAMS = regtest_params(COVS, 2)
P2WPKH = b"\x00\x14" + b"\x07" * 20
OP = OutPoint("ab" * 32, 1)


def _info(value: int = 100_000, t: int = 100):  # type: ignore[no-untyped-def]
    return staking_info(STAKER, [FP], COVS, 2, t, value, NET)


# --- slashing amount: Go btcutil.Amount.MulF64 semantics ---------------------------------------


@pytest.mark.parametrize(
    ("value", "rate", "expected"),
    [
        (1_000_000, "0.1", 100_000),
        (25, "0.1", 3),  # 2.5 -> 3 (half away from zero; Python's round() would give 2)
        (5, "0.1", 1),  # 0.5 -> 1
        (35, "0.1", 4),  # 3.5000000000000004 in float64
        (45, "0.7", 31),  # float64 product 31.499999999999996 -> 31 (exact decimal: 31.5)
        (85, "0.7", 59),  # 59.49999999999999 -> 59
        (4, "0.1", 0),  # 0.4 -> 0: refused by the builders
        (5000, "0.0001", 1),
        (100_000_000, "0.001", 100_000),
        (1_000_000, "0.100000000000000000", 100_000),  # the chain's 18-decimal form
    ],
)
def test_slashing_amount_matches_go(value: int, rate: str, expected: int) -> None:
    assert slashing_amount(value, rate) == expected
    assert slashing_amount(value, rate) == math.floor(value * float(rate) + 0.5)


@settings(max_examples=200)
@given(
    value=st.integers(min_value=1, max_value=21 * 10**14),
    bp=st.integers(min_value=1, max_value=9999),
)
def test_slashing_amount_is_float64_round_half_up(value: int, bp: int) -> None:
    rate = Decimal(bp) / 10_000
    got = slashing_amount(value, rate)
    assert got == int(float(value) * float(rate) + 0.5)
    assert abs(got - float(value) * float(rate)) <= 0.5 + 1e-6 * value * float(rate)


@pytest.mark.parametrize("rate", ["0", "1", "1.5", "-0.1", "0.00001", "abc"])
def test_bad_slashing_rates(rate: str) -> None:
    with pytest.raises(InputError) as err:
        slashing_outputs(100_000, rate, 1000)
    assert err.value.field == "slashing_rate"


def test_zero_slashing_amount_refused() -> None:
    with pytest.raises(TxRejected, match="rounds to 0") as err:
        slashing_outputs(4, "0.1", 1)
    assert err.value.field == "slashing_rate"


# --- slashing tx -------------------------------------------------------------------------------


def test_slashing_tx_shape() -> None:
    change = slashing_change_info(STAKER, 5, net=NET)
    tx = build_slashing_tx(OP, 100_000, BABYLON_BURN_SCRIPT, "0.1", 1000, change)
    assert tx.nVersion == 2 and tx.nLockTime == 0
    assert len(tx.vin) == 1 and tx.vin[0].nSequence == SEQUENCE_FINAL
    assert output(tx, 0) == (BABYLON_BURN_SCRIPT, 10_000)
    assert output(tx, 1) == (change.script_pubkey, 100_000 - 10_000 - 1000)


def test_slashing_tx_refuses_dust_and_low_fee() -> None:
    change = slashing_change_info(STAKER, 5, net=NET)
    with pytest.raises(TxRejected, match="dust") as err:  # change 1100 - 110 - 700 = 290 < 330
        build_slashing_tx(OP, 1100, BABYLON_BURN_SCRIPT, "0.1", 700, change)
    assert err.value.field == "slashing_change"
    with pytest.raises(TxRejected, match="dust"):  # P2WPKH slashing output 100 < 294
        build_slashing_tx(OP, 1000, P2WPKH, "0.1", 100, change)
    # an OP_RETURN slashing output may be tiny but not zero
    tx = build_slashing_tx(OP, 10_000, BABYLON_BURN_SCRIPT, "0.0001", 1000, change)
    assert output(tx, 0)[1] == 1
    with pytest.raises(TxRejected, match="minimum"):
        build_slashing_tx(OP, 100_000, BABYLON_BURN_SCRIPT, "0.1", 999, change, min_fee=1000)
    with pytest.raises(TxRejected, match="no change"):
        build_slashing_tx(OP, 10_000, BABYLON_BURN_SCRIPT, "0.1", 9000, change)


def test_dust_thresholds_match_bitcoin_core() -> None:
    assert dust_threshold(b"\x51\x20" + bytes(32)) == 330
    assert dust_threshold(P2WPKH) == 294
    assert dust_threshold(b"\x00\x20" + bytes(32)) == 330
    assert dust_threshold(b"\x76\xa9\x14" + bytes(20) + b"\x88\xac") == 546
    assert dust_threshold(b"\xa9\x14" + bytes(20) + b"\x87") == 540
    assert dust_threshold(BABYLON_BURN_SCRIPT) == 0
    assert is_dust(b"\x51\x20" + bytes(32), 329) and not is_dust(b"\x51\x20" + bytes(32), 330)


# --- unbonding tx ------------------------------------------------------------------------------


def test_unbonding_tx() -> None:
    ui = unbonding_info(STAKER, [FP], COVS, 2, 5, 99_000, NET)
    tx = build_unbonding_tx(OP, 100_000, ui)
    assert tx.nVersion == 2 and tx.nLockTime == 0
    assert tx.vin[0].nSequence == SEQUENCE_FINAL
    assert [output(tx, 0)] == [(ui.script_pubkey, 99_000)]
    with pytest.raises(TxRejected):
        build_unbonding_tx(OP, 99_000, ui)


# --- staking tx --------------------------------------------------------------------------------


def _utxos() -> list[Utxo]:
    return [
        Utxo(OutPoint("11" * 32, 0), 30_000, P2WPKH),
        Utxo(OutPoint("22" * 32, 1), 200_000, b"\x51\x20" + b"\x02" * 32),
        Utxo(OutPoint("33" * 32, 2), 80_000, P2WPKH),
    ]


def test_staking_tx_layout_fee_and_recognition() -> None:
    si = _info()
    op_return = build_v0_op_return(PARAMS.tag or b"", STAKER, FP, 100)
    tx = build_staking_tx(_utxos(), si, P2WPKH, 2, op_return)
    assert len(tx.vin) == 1  # largest first covers it
    assert output(tx, 0) == (si.script_pubkey, 100_000)
    assert output(tx, 1) == (op_return, 0)
    change = output(tx, 2)[1]
    fee = 200_000 - 100_000 - change
    signed = set_witness(tx, 0, [b"\x01" * 64])  # P2TR key-path witness
    assert fee == 2 * vsize(signed)
    parsed = parse_staking_tx(tx, PARAMS, NET)
    assert parsed is not None
    assert (parsed.staking_output_index, parsed.op_return_index) == (0, 1)
    assert (parsed.staker_pk, parsed.fp_pk, parsed.staking_time) == (STAKER, FP, 100)
    assert parsed.staking_value == 100_000


def test_staking_tx_p2wpkh_estimate_covers_real_witness() -> None:
    si = _info(value=250_000)
    tx = build_staking_tx(_utxos(), si, P2WPKH, 1.5)
    assert len(tx.vin) == 2
    fee = 280_000 - sum(o.nValue for o in tx.vout)
    # largest first: in[0] is the P2TR UTXO (64-byte sig), in[1] a P2WPKH one, estimated with
    # the largest real witness (72-byte DER signature incl. sighash byte + 33-byte key)
    real = set_witness(set_witness(tx, 0, [b"\x01" * 64]), 1, [b"\x30" * 72, b"\x02" * 33])
    assert fee == math.ceil(1.5 * vsize(real))
    smaller = set_witness(real, 1, [b"\x30" * 71, b"\x02" * 33])  # typical sigs: never underpaid
    assert fee >= math.ceil(1.5 * vsize(smaller))


def test_staking_tx_insufficient_and_unsupported_inputs() -> None:
    with pytest.raises(TxRejected, match="need"):
        build_staking_tx(_utxos()[:1], _info(), P2WPKH, 2)
    with pytest.raises(TxRejected, match="P2WPKH"):
        build_staking_tx([Utxo(OP, 10**6, b"\x76\xa9")], _info(), P2WPKH, 2)
    with pytest.raises(InputError, match="fee_rate"):
        build_staking_tx(_utxos(), _info(), P2WPKH, 0)


def test_dust_change_goes_to_fee() -> None:
    si = _info(value=29_600)
    tx = build_staking_tx(_utxos()[:1], si, P2WPKH, 1)
    assert len(tx.vout) == 1


# --- identifiable staking recognition ------------------------------------------------------------


def test_v0_op_return_bytes() -> None:
    s = build_v0_op_return(b"\x01\x02\x03\x04", STAKER, FP, 10_000)
    assert len(s) == 73
    assert s.hex() == "6a47" + "01020304" + "00" + STAKER.hex() + FP.hex() + "2710"
    parsed = parse_v0_op_return(s, b"\x01\x02\x03\x04")
    assert parsed is not None and parsed.staking_time == 10_000
    assert parse_v0_op_return(s, b"\x00\x00\x00\x00") is None
    assert parse_v0_op_return(s[:-1]) is None


def _tx(outs: list[tuple[bytes, int]]):  # type: ignore[no-untyped-def]
    return new_tx(2, [(OP, SEQUENCE_FINAL)], outs, 0)


def test_recognition_rules() -> None:
    si = _info()
    op_return = build_v0_op_return(PARAMS.tag or b"", STAKER, FP, 100)
    # any order is fine
    tx = _tx([(P2WPKH, 5), (op_return, 0), (si.script_pubkey, 100_000)])
    parsed = parse_staking_tx(tx, PARAMS, NET)
    assert parsed is not None and parsed.staking_output_index == 2
    # two OP_RETURNs, two staking outputs, none, or a single output: not a staking tx
    assert (
        parse_staking_tx(_tx([(si.script_pubkey, 1), (op_return, 0), (op_return, 0)]), PARAMS, NET)
        is None
    )
    assert (
        parse_staking_tx(
            _tx([(si.script_pubkey, 1), (si.script_pubkey, 1), (op_return, 0)]), PARAMS, NET
        )
        is None
    )
    assert parse_staking_tx(_tx([(P2WPKH, 1), (op_return, 0)]), PARAMS, NET) is None
    assert parse_staking_tx(_tx([(op_return, 0)]), PARAMS, NET) is None
    # other tag, or another staking time in the OP_RETURN than in the script
    other_tag = build_v0_op_return(b"bbn1", STAKER, FP, 100)
    assert parse_staking_tx(_tx([(si.script_pubkey, 1), (other_tag, 0)]), PARAMS, NET) is None
    other_time = build_v0_op_return(PARAMS.tag or b"", STAKER, FP, 101)
    assert parse_staking_tx(_tx([(si.script_pubkey, 1), (other_time, 0)]), PARAMS, NET) is None
    # a key off the curve in a V0-shaped OP_RETURN
    bad = op_return[:7] + b"\x00" * 32 + op_return[39:]
    assert parse_staking_tx(_tx([(si.script_pubkey, 1), (bad, 0)]), PARAMS, NET) is None


# --- withdrawal --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["staking", "unbonding", "slashing"])
def test_withdrawal_sequence_and_exact_fee(source: str) -> None:
    si, ui = _info(), unbonding_info(STAKER, [FP], COVS, 2, 5, 99_000, NET)
    ch = slashing_change_info(STAKER, 5, net=NET)
    out, leaf, seq = {
        "staking": (si.output, si.timelock_script, 100),
        "unbonding": (ui.output, ui.timelock_script, 5),
        "slashing": (ch.output, ch.timelock_script, 5),
    }[source]
    cb = out.control_block(leaf)
    tx = build_withdrawal_tx(OP, 50_000, seq, P2WPKH, 3, leaf_script=leaf, control_block=cb)
    assert tx.nVersion == 2 and tx.vin[0].nSequence == seq and len(tx.vout) == 1
    signed = set_witness(tx, 0, [b"\x01" * 64, leaf, cb])
    assert 50_000 - tx.vout[0].nValue == 3 * vsize(signed)
    # and it survives a serialization round trip
    assert serialize(parse(serialize(signed).hex())) == serialize(signed)
    assert txid_hex(signed) == txid_hex(tx)


def test_withdrawal_rejects_bad_sequence_and_dust() -> None:
    with pytest.raises(InputError, match="sequence"):
        build_withdrawal_tx(OP, 50_000, 0, P2WPKH, 1)
    with pytest.raises(InputError, match="sequence"):
        build_withdrawal_tx(OP, 50_000, 70_000, P2WPKH, 1)
    with pytest.raises(TxRejected, match="dust"):
        build_withdrawal_tx(OP, 400, 10, P2WPKH, 1)
    with pytest.raises(TxRejected, match="fee"):
        build_withdrawal_tx(OP, 100, 10, P2WPKH, 1)


@settings(max_examples=50, deadline=None)
@given(
    tag=st.binary(min_size=4, max_size=4),
    a=st.integers(min_value=1, max_value=2**200),
    b=st.integers(min_value=1, max_value=2**200),
    t=st.integers(min_value=1, max_value=65535),
)
def test_v0_op_return_roundtrip(tag: bytes, a: int, b: int, t: int) -> None:
    staker, fp = xonly_of(a.to_bytes(32, "big")), xonly_of(b.to_bytes(32, "big"))
    script = build_v0_op_return(tag, staker, fp, t)
    assert len(script) == 73 and script[:2] == b"\x6a\x47" and script[6] == 0
    parsed = parse_v0_op_return(script, tag)
    assert parsed is not None
    assert (parsed.tag, parsed.staker_pk, parsed.fp_pk, parsed.staking_time) == (tag, staker, fp, t)
