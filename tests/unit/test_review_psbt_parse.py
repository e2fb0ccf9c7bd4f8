"""PSBT parsing of untrusted input: a huge declared count fails fast with PsbtError."""

from __future__ import annotations

import pytest

from l2kit.btc import psbt as P
from l2kit.btc import tx as btx
from l2kit.errors import PsbtError


@pytest.mark.timeout(20)
def test_tap_bip32_leaf_hash_count_larger_than_the_value_is_rejected() -> None:
    tx = btx.new_tx(
        2, [(btx.OutPoint("11" * 32, 0), 0xFFFFFFFF)], [(b"\x51\x20" + bytes(32), 1000)], 0
    )
    psbt = P.from_psbt(P.to_psbt(tx, [(2000, b"\x51\x20" + bytes(32))]))
    # 0xffffffff leaf hashes declared, none present (+ a fingerprint)
    psbt.inputs[0].unknown[bytes([P.I_TAP_BIP32]) + b"\x02" * 32] = b"\xfe\xff\xff\xff\xff" + bytes(
        4
    )
    with pytest.raises(PsbtError, match="leaf hashes"):
        P.from_psbt(psbt.serialize())
