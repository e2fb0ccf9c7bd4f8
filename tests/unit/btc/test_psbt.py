"""PSBT codec: hypothesis round trip of every typed field, staking export, malformed and
hostile (huge declared counts) input rejected."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.keys import seckey

from l2kit.btc import psbt as P
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.btc.tx import OutPoint, new_tx
from l2kit.staking.scripts import staking_info

b32 = st.binary(min_size=32, max_size=32)
sig = st.binary(min_size=64, max_size=65)
deriv = st.builds(
    P.TapDerivation,
    leaf_hashes=st.lists(b32, max_size=3).map(tuple),
    fingerprint=st.binary(min_size=4, max_size=4),
    path=st.lists(st.integers(0, 2**32 - 1), max_size=5).map(tuple),
)
leaf_version = st.integers(0, 127).map(lambda v: v * 2)


@st.composite
def leaf_entries(draw: st.DrawFn) -> tuple[bytes, tuple[bytes, int]]:
    version = draw(leaf_version)
    depth = draw(st.integers(0, 3))
    cb = bytes([version | draw(st.integers(0, 1))]) + draw(
        st.binary(min_size=32 + 32 * depth, max_size=32 + 32 * depth)
    )
    return cb, (draw(st.binary(max_size=80)), version)


inputs = st.builds(
    P.PsbtInput,
    non_witness_utxo=st.none(),
    witness_utxo=st.none() | st.tuples(st.integers(0, 21 * 10**14), st.binary(max_size=40)),
    sighash_type=st.none() | st.integers(0, 2**32 - 1),
    final_script_sig=st.none() | st.binary(max_size=20),
    final_script_witness=st.none() | st.lists(st.binary(max_size=70), max_size=4),
    tap_key_sig=st.none() | sig,
    tap_script_sigs=st.dictionaries(st.tuples(b32, b32), sig, max_size=3),
    tap_leaf_scripts=st.lists(leaf_entries(), max_size=3).map(dict),
    tap_bip32=st.dictionaries(b32, deriv, max_size=2),
    tap_internal_key=st.none() | b32,
    tap_merkle_root=st.none() | b32,
    unknown=st.dictionaries(
        st.sampled_from([b"\x06\x02" + b"\x11" * 32, b"\xfc\x05l2kit\x00", b"\x0a" + b"\x22" * 20]),
        st.binary(max_size=10),
        max_size=2,
    ),
)
outputs = st.builds(
    P.PsbtOutput,
    tap_internal_key=st.none() | b32,
    tap_tree=st.none()
    | st.lists(
        st.tuples(st.integers(0, 128), leaf_version, st.binary(max_size=40)), min_size=1, max_size=3
    ),
    tap_bip32=st.dictionaries(b32, deriv, max_size=2),
)


@st.composite
def psbts(draw: st.DrawFn) -> P.Psbt:
    n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    tx = new_tx(
        2,
        [(OutPoint(f"{i:02x}" * 32, i), 0xFFFFFFFF - i) for i in range(n_in)],
        [(b"\x51\x20" + bytes([i]) * 32, 1000 + i) for i in range(n_out)],
        0,
    )
    return P.Psbt(tx, [draw(inputs) for _ in range(n_in)], [draw(outputs) for _ in range(n_out)])


@settings(max_examples=80, deadline=None)
@given(psbts())
def test_round_trip(p: P.Psbt) -> None:
    raw = p.serialize()
    back = P.Psbt.parse(raw)
    assert back.inputs == p.inputs and back.outputs == p.outputs
    assert back.tx.serialize() == p.tx.serialize()
    assert back.serialize() == raw
    assert P.from_psbt(p.to_base64()).serialize() == raw
    assert P.from_psbt(raw.hex()).serialize() == raw


def test_staking_export() -> None:
    info = staking_info(
        xonly_of(seckey("s")),
        [xonly_of(seckey("f"))],
        [xonly_of(seckey(f"c{i}")) for i in range(3)],
        2,
        10,
        50_000,
        Network.REGTEST,
    )
    tx = new_tx(
        2, [(OutPoint("ab" * 32, 1), 0xFFFFFFFF)], [(b"\x51\x20" + b"\x01" * 32, 49_000)], 0
    )
    leaf = info.unbonding_script
    text = P.to_psbt(tx, [(info.value, bytes(info.script_pubkey))], leaf, info.control_block(leaf))
    back = P.from_psbt(text)
    psbt_in = back.inputs[0]
    assert psbt_in.tap_leaf_scripts == {info.control_block(leaf): (leaf, 0xC0)}
    assert psbt_in.tap_internal_key == info.output.internal_key
    assert psbt_in.tap_merkle_root == info.output.merkle_root
    assert back.prevouts() == [(info.value, bytes(info.script_pubkey))]


def _valid() -> bytes:
    tx = new_tx(2, [(OutPoint("11" * 32, 0), 0xFFFFFFFF)], [(b"\x51", 1)], 0)
    return P.Psbt(tx, [P.PsbtInput()], [P.PsbtOutput()]).serialize()


def _with_input_entry(key: bytes, value: bytes) -> bytes:
    raw = _valid()
    # the input map is the second-to-last 0x00 terminator's predecessor: rebuild explicitly
    head, tail = raw[:-2], raw[-2:]  # tail = input terminator ‖ output terminator
    return head + bytes([len(key)]) + key + bytes([len(value)]) + value + tail


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"psbu\xff\x00", "magic"),
        (_valid()[:-1], "truncated"),
        (_valid() + b"\x00", "trailing"),
        (_with_input_entry(b"\x17", b"\x01" * 31), "0x17: internal key must be 32"),
        (_with_input_entry(b"\x14" + b"\x01" * 40, b"\x02" * 64), "0x14: key must be"),
        (
            _with_input_entry(b"\x15" + b"\xc0" + b"\x01" * 40, b"\x51\xc0"),
            "0x15: key must be a control block",
        ),
        (_with_input_entry(b"\x15\xc0" + b"\x01" * 32, b"\x51\xc2"), "leaf version must match"),
        (_with_input_entry(b"\x13", b"\x01" * 63), "0x13: signature"),
        (_with_input_entry(b"\x16" + b"\x01" * 32, b"\x01" + b"\x00" * 10), "0x16"),
        (_with_input_entry(b"\x17\x00", b"\x01" * 32), "takes no key data"),
    ],
)
def test_rejects_malformed(data: bytes, match: str) -> None:
    with pytest.raises(P.PsbtError, match=match):
        P.Psbt.parse(data)


def test_rejects_duplicate_and_signed_tx_and_bad_text() -> None:
    dup = _with_input_entry(b"\x17", b"\x01" * 32)
    dup = dup[:-2] + b"\x01\x17\x20" + b"\x01" * 32 + dup[-2:]
    with pytest.raises(P.PsbtError, match="duplicate key"):
        P.Psbt.parse(dup)
    with pytest.raises(P.PsbtError, match="neither base64 nor hex"):
        P.from_psbt("not a psbt!")
    with pytest.raises(P.PsbtError, match="magic"):
        P.from_psbt(base64.b64encode(b"hello").decode())


@pytest.mark.timeout(20)
def test_tap_bip32_leaf_hash_count_larger_than_the_value_is_rejected() -> None:
    tx = new_tx(2, [(OutPoint("11" * 32, 0), 0xFFFFFFFF)], [(b"\x51\x20" + bytes(32), 1000)], 0)
    psbt = P.from_psbt(P.to_psbt(tx, [(2000, b"\x51\x20" + bytes(32))]))
    # 0xffffffff leaf hashes declared, none present (+ a fingerprint)
    key, count = bytes([P.I_TAP_BIP32]) + b"\x02" * 32, b"\xfe\xff\xff\xff\xff"
    psbt.inputs[0].unknown[key] = count + bytes(4)
    with pytest.raises(P.PsbtError, match="leaf hashes"):
        P.from_psbt(psbt.serialize())
