"""BIP341 sighash and BIP340 signatures: official vectors, cross-check against bitcoin-utils."""

from __future__ import annotations

import json

import pytest
from bitcoin.core import COutPoint, CTransaction, CTxIn, CTxOut
from bitcoinutils.script import Script as BuScript
from bitcoinutils.transactions import Transaction as BuTransaction
from hypothesis import given, settings
from hypothesis import strategies as st
from support import paths

from l2kit.btc import sign
from l2kit.btc.taproot import tap_leaf_hash
from l2kit.errors import InputError

VECTORS = paths.VECTORS / "bip341-wallet-test-vectors.json"


def _keypath_cases() -> list[tuple[str, list[tuple[int, bytes]], int, int, str]]:
    data = json.loads(VECTORS.read_text())
    cases = []
    for group in data["keyPathSpending"]:
        raw = group["given"]["rawUnsignedTx"]
        prevouts = [
            (u["amountSats"], bytes.fromhex(u["scriptPubKey"]))
            for u in group["given"]["utxosSpent"]
        ]
        for spend in group["inputSpending"]:
            cases.append(
                (
                    raw,
                    prevouts,
                    spend["given"]["txinIndex"],
                    spend["given"]["hashType"],
                    spend["intermediary"]["sigHash"],
                )
            )
    return cases


@pytest.mark.parametrize("case", _keypath_cases(), ids=lambda c: f"in{c[2]}-type{c[3]:#x}")
def test_bip341_keypath_sighash_vectors(
    case: tuple[str, list[tuple[int, bytes]], int, int, str],
) -> None:
    raw, prevouts, index, hash_type, expected = case
    tx = CTransaction.deserialize(bytes.fromhex(raw))
    assert sign.taproot_sighash(tx, index, prevouts, hash_type).hex() == expected


def test_bip341_tapleaf_hash_vectors() -> None:
    data = json.loads(VECTORS.read_text())
    checked = 0
    for case in data["scriptPubKey"]:
        tree = case["given"]["scriptTree"]
        leaves: list[dict[str, object]] = []
        stack = [tree] if tree else []
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack[:0] = node
            else:
                leaves.append(node)
        leaves.sort(key=lambda leaf: int(str(leaf["id"])))
        for leaf, want in zip(leaves, case["intermediary"].get("leafHashes", []), strict=True):
            got = tap_leaf_hash(bytes.fromhex(str(leaf["script"])), int(str(leaf["leafVersion"])))
            assert got.hex() == want
            checked += 1
    assert checked == 12


def _tx(n_in: int, n_out: int, version: int, locktime: int, seed: int) -> CTransaction:
    vin = [
        CTxIn(
            COutPoint(bytes([seed % 256, i]) * 16, i),
            nSequence=(0xFFFFFFFF - i - seed) & 0xFFFFFFFF,
        )
        for i in range(n_in)
    ]
    vout = [
        CTxOut(1000 * (i + 1) + seed, bytes.fromhex("5120") + bytes([i]) * 32) for i in range(n_out)
    ]
    return CTransaction(vin, vout, locktime, version)


SIGHASH_TYPES = sorted(sign.VALID_SIGHASH_TYPES)
# Staking-like leaves: key pushes, CHECKSIG(VERIFY/ADD), NUMEQUAL, CSV, small numbers.
_KEY_PUSH = st.binary(min_size=32, max_size=32).map(lambda k: b"\x20" + k)
_OP = st.sampled_from(
    [
        b"\xac",
        b"\xad",
        b"\xba",
        b"\x9c",
        b"\x9d",
        b"\xb2",
        b"\x51",
        b"\x56",
        b"\x01\x64",
        b"\x02\xf0\x03",
        b"\x03\x00\xfa\x00",
    ]
)
LEAVES = st.lists(st.one_of(_KEY_PUSH, _OP), min_size=1, max_size=12).map(b"".join)


@settings(max_examples=60, deadline=None)
@given(
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 3),
    version=st.sampled_from([1, 2]),
    locktime=st.integers(0, 2**32 - 1),
    seed=st.integers(0, 255),
    hash_type=st.sampled_from(SIGHASH_TYPES),
    leaf=LEAVES,
    amounts=st.lists(st.integers(0, 21_000_000 * 100_000_000), min_size=4, max_size=4),
    data=st.data(),
)
def test_script_sighash_matches_bitcoinutils(
    n_in: int,
    n_out: int,
    version: int,
    locktime: int,
    seed: int,
    hash_type: int,
    leaf: bytes,
    amounts: list[int],
    data: st.DataObject,
) -> None:
    index = data.draw(st.integers(0, n_in - 1))
    if hash_type & 3 == sign.SIGHASH_SINGLE and index >= n_out:
        hash_type = sign.SIGHASH_ALL
    tx = _tx(n_in, n_out, version, locktime, seed)
    spks = [bytes.fromhex("5120") + bytes([0xA0 + i]) * 32 for i in range(n_in)]
    prevouts = list(zip(amounts[:n_in], spks, strict=True))
    ours = sign.taproot_script_sighash(tx, index, prevouts, leaf, hash_type)
    bu_tx = BuTransaction.from_raw(tx.serialize().hex())
    theirs = bu_tx.get_transaction_taproot_digest(
        index,
        [BuScript.from_raw(s.hex()) for s in spks],
        amounts[:n_in],
        ext_flag=1,
        script=BuScript.from_raw(leaf.hex()),
        leaf_ver=0xC0,
        sighash=hash_type,
    )
    assert ours == theirs


def test_sighash_rejects_bad_input() -> None:
    tx = _tx(2, 1, 2, 0, 1)
    prevouts = [(1000, b"\x51"), (2000, b"\x51")]
    with pytest.raises(InputError, match="input_index"):
        sign.taproot_script_sighash(tx, 2, prevouts, b"\x51")
    with pytest.raises(InputError, match="prevouts"):
        sign.taproot_script_sighash(tx, 0, prevouts[:1], b"\x51")
    with pytest.raises(InputError, match="sighash_type"):
        sign.taproot_script_sighash(tx, 0, prevouts, b"\x51", 0x04)
    with pytest.raises(InputError, match="SINGLE"):
        sign.taproot_script_sighash(tx, 1, prevouts, b"\x51", sign.SIGHASH_SINGLE)


@settings(max_examples=30, deadline=None)
@given(
    seckey=st.integers(1, 2**256 - 2**129),
    msg=st.binary(min_size=32, max_size=32),
    aux=st.binary(min_size=32, max_size=32),
)
def test_schnorr_roundtrip(seckey: int, msg: bytes, aux: bytes) -> None:
    sk = seckey.to_bytes(32, "big")
    pub = sign.xonly_pubkey(sk)
    sig = sign.schnorr_sign(sk, msg, aux)
    assert len(sig) == 64 and sign.schnorr_verify(pub, msg, sig)
    assert sign.schnorr_sign(sk, msg, aux) == sig  # deterministic given aux
    bad = bytearray(sig)
    bad[63] ^= 1
    assert not sign.schnorr_verify(pub, msg, bytes(bad))
    assert not sign.schnorr_verify(pub, bytes(32), sig) or msg == bytes(32)


def test_schnorr_bip340_vector_0() -> None:
    # BIP340 test vector 0 (bip-0340/test-vectors.csv row 0).
    sk = (3).to_bytes(32, "big")
    pub = bytes.fromhex("F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9")
    sig = sign.schnorr_sign(sk, bytes(32), bytes(32))
    assert sign.xonly_pubkey(sk) == pub
    assert sig.hex().upper() == (
        "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA8215"
        "25F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0"
    )


def test_schnorr_with_hash_type_and_malformed() -> None:
    sk = (7).to_bytes(32, "big")
    msg = bytes(range(32))
    sig = sign.schnorr_sign(sk, msg, bytes(32), sign.SIGHASH_ALL)
    assert len(sig) == 65 and sig[-1] == 1
    assert sign.schnorr_verify(sign.xonly_pubkey(sk), msg, sig)
    assert not sign.schnorr_verify(b"\x00" * 32, msg, sig[:64])
    assert not sign.schnorr_verify(sign.xonly_pubkey(sk), msg, sig[:63])
    with pytest.raises(InputError, match="seckey"):
        sign.schnorr_sign(bytes(32), msg)
    with pytest.raises(InputError, match="msg"):
        sign.schnorr_sign(sk, msg[:31])
