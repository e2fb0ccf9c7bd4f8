"""Babylon messages: wire bytes by hand from Babylon's .proto field numbers, round trips field by
field, refusal of unknown/non-canonical input, and bbn1 addresses."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.babylon.address import BabylonAddress, parse_address
from l2kit.babylon.proto import (
    TYPE_URL_ADD_INCLUSION_PROOF,
    TYPE_URL_CREATE_DELEGATION,
    AddInclusionProof,
    Bip322Sig,
    BtcSigType,
    CreateDelegation,
    InclusionProof,
    Pop,
    decode_add_inclusion_proof,
    decode_bip322_sig,
    decode_create_delegation,
    decode_pop,
    encode_add_inclusion_proof,
    encode_bip322_sig,
    encode_create_delegation,
    encode_pop,
    message_class,
)
from l2kit.errors import InputError


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 → 10-byte two's complement, as protobuf does
    out = b""
    while n > 0x7F:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def _len(field: int, data: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _num(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value) if value else b""


def _msg(**over: object) -> CreateDelegation:
    base = CreateDelegation(
        staker_addr="bbn1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn5gqtwq",
        pop=Pop(BtcSigType.ECDSA, b"\x1f" + b"\x01" * 64),
        btc_pk=b"\x02" * 32,
        fp_btc_pk_list=(b"\x03" * 32,),
        staking_time=64000,
        staking_value=500_000,
        staking_tx=b"\x04" * 80,
        staking_tx_inclusion_proof=InclusionProof(7, b"\x05" * 32, b"\x06" * 64),
        slashing_tx=b"\x07" * 90,
        delegator_slashing_sig=b"\x08" * 64,
        unbonding_time=1008,
        unbonding_tx=b"\x09" * 70,
        unbonding_value=468_000,
        unbonding_slashing_tx=b"\x0a" * 90,
        delegator_unbonding_slashing_sig=b"\x0b" * 64,
    )
    return dataclasses.replace(base, **over)  # type: ignore[arg-type]


def test_create_delegation_wire_bytes_follow_babylons_field_numbers() -> None:
    """tx.proto MsgCreateBTCDelegation: 1 staker_addr … 15 delegator_unbonding_slashing_sig."""
    m = _msg()
    proof = m.staking_tx_inclusion_proof
    assert proof is not None
    key = _num(1, proof.index) + _len(2, proof.block_hash)
    expected = (
        _len(1, m.staker_addr.encode())
        + _len(2, _num(1, 2) + _len(2, m.pop.btc_sig))
        + _len(3, m.btc_pk)
        + _len(4, m.fp_btc_pk_list[0])
        + _num(5, m.staking_time)
        + _num(6, m.staking_value)
        + _len(7, m.staking_tx)
        + _len(8, _len(1, key) + _len(2, proof.proof))
        + _len(9, m.slashing_tx)
        + _len(10, m.delegator_slashing_sig)
        + _num(11, m.unbonding_time)
        + _len(12, m.unbonding_tx)
        + _num(13, m.unbonding_value)
        + _len(14, m.unbonding_slashing_tx)
        + _len(15, m.delegator_unbonding_slashing_sig)
    )
    assert encode_create_delegation(m) == expected
    assert TYPE_URL_CREATE_DELEGATION == "/babylon.btcstaking.v1.MsgCreateBTCDelegation"


def test_zero_values_are_not_written_as_in_go() -> None:
    # BIP340 = 0 is the proto3 default: only btc_sig is on the wire
    assert encode_pop(Pop(BtcSigType.BIP340, b"\xaa" * 64)) == _len(2, b"\xaa" * 64)
    no_proof = encode_create_delegation(_msg(staking_tx_inclusion_proof=None))
    assert _varint(8 << 3 | 2) + _varint(100) not in no_proof
    assert decode_create_delegation(no_proof).staking_tx_inclusion_proof is None


def test_add_inclusion_proof_wire_bytes() -> None:
    m = AddInclusionProof("bbn1signer", "ab" * 32, InclusionProof(1, b"\x01" * 32, b"\x02" * 32))
    key = _num(1, 1) + _len(2, b"\x01" * 32)
    expected = (
        _len(1, b"bbn1signer")
        + _len(2, ("ab" * 32).encode())
        + _len(3, _len(1, key) + _len(2, b"\x02" * 32))
    )
    assert encode_add_inclusion_proof(m) == expected
    assert decode_add_inclusion_proof(expected) == m
    assert TYPE_URL_ADD_INCLUSION_PROOF.endswith("MsgAddBTCDelegationInclusionProof")


def test_decode_gives_back_every_field() -> None:
    m = _msg()
    back = decode_create_delegation(encode_create_delegation(m))
    for f in dataclasses.fields(CreateDelegation):
        assert getattr(back, f.name) == getattr(m, f.name), f.name


def test_unknown_and_non_canonical_bytes_are_refused() -> None:
    data = encode_create_delegation(_msg())
    with pytest.raises(InputError, match="unknown fields"):
        decode_create_delegation(data + _num(16, 1))
    with pytest.raises(InputError, match="unknown fields"):
        # field 9 of the nested ProofOfPossessionBTC
        decode_create_delegation(_len(2, _num(9, 1)) + data)
    with pytest.raises(InputError, match="canonical"):
        decode_create_delegation(_num(5, 1) + data)  # staking_time twice: last one wins
    with pytest.raises(InputError, match="not a MsgCreateBTCDelegation"):
        decode_create_delegation(data[:-3])
    with pytest.raises(InputError, match="BTCSigType"):
        decode_pop(_num(1, 7) + _len(2, b"\x01"))


def test_range_checks_before_encoding() -> None:
    with pytest.raises(InputError, match="staking_time"):
        encode_create_delegation(_msg(staking_time=2**32))
    with pytest.raises(InputError, match="staking_value"):
        encode_create_delegation(_msg(staking_value=2**63))


def test_message_class_is_googles_protobuf() -> None:
    cls = message_class("babylon.btcstaking.v1.BIP322Sig")
    assert cls.DESCRIPTOR.full_name == "babylon.btcstaking.v1.BIP322Sig"
    assert [f.number for f in cls.DESCRIPTOR.fields] == [1, 2]


_bytes = st.binary(max_size=200)
_u32 = st.integers(0, 2**32 - 1)
_i64 = st.integers(-(2**63), 2**63 - 1)
_proofs = st.builds(InclusionProof, _u32, st.binary(min_size=32, max_size=32), _bytes)
_pops = st.builds(Pop, st.sampled_from(list(BtcSigType)), _bytes)


@given(
    st.builds(
        CreateDelegation,
        st.text(max_size=60),
        _pops,
        _bytes,
        st.lists(_bytes, max_size=3).map(tuple),
        _u32,
        _i64,
        _bytes,
        st.none() | _proofs,
        _bytes,
        _bytes,
        _u32,
        _bytes,
        _i64,
        _bytes,
        _bytes,
    )
)
def test_create_delegation_round_trip(m: CreateDelegation) -> None:
    assert decode_create_delegation(encode_create_delegation(m)) == m


@given(st.text(max_size=90), _bytes)
def test_bip322_sig_round_trip(address: str, sig: bytes) -> None:
    s = Bip322Sig(address, sig)
    assert decode_bip322_sig(encode_bip322_sig(s)) == s


# --- addresses ---------------------------------------------------------------------------------

MODULE = "bbn13837feaxn8t0zvwcjwhw7lhpgdcx4s36eqteah"  # btcstaking module account (ecosystem §1.3)


def test_address_checks() -> None:
    addr = parse_address(MODULE)
    assert addr.text == MODULE and len(addr.account) == 20
    assert parse_address(MODULE.upper()).text == MODULE  # the chain signs the lowercase form
    bad_checksum = MODULE[:-1] + ("q" if MODULE[-1] != "q" else "p")
    for text, rule in (
        (bad_checksum, "checksum"),
        ("cosmos1" + MODULE[4:], "checksum"),
        (BabylonAddress.from_account(b"\x01" * 20, "cosmos").text, "prefix"),
        ("bbn1", "bech32"),
        ("", "bech32"),
    ):
        with pytest.raises(InputError, match=rule):
            parse_address(text)


def test_address_payload_must_be_20_bytes() -> None:
    from bitcoinutils import bech32

    long = bech32.bech32_encode(
        "bbn", bech32.convertbits(list(b"\x01" * 32), 8, 5), bech32.Encoding.BECH32
    )
    with pytest.raises(InputError, match="20 bytes"):
        parse_address(long)
    m = bech32.bech32_encode(
        "bbn", bech32.convertbits(list(b"\x01" * 20), 8, 5), bech32.Encoding.BECH32M
    )
    with pytest.raises(InputError, match="bech32m"):
        parse_address(m)


@given(st.binary(min_size=20, max_size=20))
def test_address_round_trip(account: bytes) -> None:
    addr = BabylonAddress.from_account(account)
    assert parse_address(addr.text) == addr
