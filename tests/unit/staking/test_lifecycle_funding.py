"""Funding checks (pure): every output of a wallet-funded tx is accounted for."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.btc import tx as btx
from l2kit.errors import TxRejected
from l2kit.staking.funding import (
    _psbt_unsigned_tx,
    check_fee,
    check_outputs,
    key_path_key,
    to_sats,
)

STAKE = (b"\x51\x20" + b"\x11" * 32, 100_000)
OPRET = (b"\x6a\x47" + b"\x00" * 71, 0)
MINE = b"\x00\x14" + b"\x22" * 20
THEIRS = b"\x00\x14" + b"\x33" * 20


def _tx(outs: list[tuple[bytes, int]]) -> object:
    return btx.new_tx(2, [(btx.OutPoint("aa" * 32, 0), 0xFFFFFFFD)], outs)


def is_mine(spk: bytes) -> bool:
    return spk == MINE


def test_accepts_requested_outputs_plus_own_change() -> None:
    check_outputs(_tx([STAKE, OPRET, (MINE, 5_000)]), [STAKE, OPRET], is_mine)
    check_outputs(_tx([OPRET, STAKE]), [STAKE, OPRET], is_mine)  # no change, any order


@pytest.mark.parametrize(
    ("outs", "match"),
    [
        ([OPRET, (MINE, 5_000)], "lacks"),
        ([(STAKE[0], 99_999), OPRET, (MINE, 5_001)], "lacks"),
        ([STAKE, OPRET, (THEIRS, 5_000)], "not this wallet"),
        ([STAKE, OPRET, (MINE, 1), (MINE, 2)], "unexpected"),
        ([STAKE, OPRET, (b"\x6a\x01\x00", 7)], "not this wallet"),
    ],
)
def test_refuses_anything_else(outs: list[tuple[bytes, int]], match: str) -> None:
    with pytest.raises(TxRejected, match=match):
        check_outputs(_tx(outs), [STAKE, OPRET], is_mine)


def test_fee_rate_cap() -> None:
    check_fee(200, 100, Decimal(2))
    with pytest.raises(TxRejected, match="max-fee-rate"):
        check_fee(201, 100, Decimal(2))
    with pytest.raises(TxRejected, match="not positive"):
        check_fee(0, 100, Decimal(2))


@given(st.integers(min_value=0, max_value=21_000_000 * 10**8))
def test_to_sats_exact(sats: int) -> None:
    assert to_sats(Decimal(sats) / Decimal(10**8)) == sats


def test_psbt_global_tx_and_bip86_key() -> None:
    tx = _tx([STAKE])
    raw = btx.serialize(tx, witness=False)
    psbt = b"psbt\xff" + b"\x01\x00" + bytes([len(raw)]) + raw + b"\x00"
    parsed = _psbt_unsigned_tx(base64.b64encode(psbt).decode())
    assert btx.txid_hex(parsed) == btx.txid_hex(tx)
    # BIP86 test vector (first receiving address of the BIP's test mnemonic): internal key
    # cc8a4bc6…d115 gives output key a60869f0…f5c
    key = key_path_key(
        bytes.fromhex("41f41d69260df4cf277826a9b65a3717e4eeddbeedf637f212ca096576479361")
    )
    assert key.internal.hex() == "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115"
    assert key.output.hex() == "a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c"
