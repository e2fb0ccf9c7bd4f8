"""Babylon ``x/btcstaking`` messages as protobuf bytes: descriptors built here from a field table,
encoded and decoded by Google's ``protobuf`` runtime (no .proto files, no generated code).

Field table (name = number : type), exactly as Babylon declares it; provenance
``babylonlabs-io/babylon@v4.2.7`` (commit eba038b7fa2e; identical at v4.3.1):

    proto/babylon/btcstaking/v1/pop.proto
      enum BTCSigType { BIP340 = 0; BIP322 = 1; ECDSA = 2; }
      ProofOfPossessionBTC { btc_sig_type = 1 : BTCSigType; btc_sig = 2 : bytes }
      BIP322Sig            { address = 1 : string; sig = 2 : bytes }
    proto/babylon/btccheckpoint/v1/btccheckpoint.proto
      TransactionKey       { index = 1 : uint32; hash = 2 : bytes (BTCHeaderHashBytes, 32,
                             internal byte order) }
    proto/babylon/btcstaking/v1/btcstaking.proto
      InclusionProof       { key = 1 : TransactionKey; proof = 2 : bytes }
    proto/babylon/btcstaking/v1/tx.proto
      MsgCreateBTCDelegation {
        staker_addr = 1 : string            pop = 2 : ProofOfPossessionBTC
        btc_pk = 3 : bytes (32, x-only)     fp_btc_pk_list = 4 : repeated bytes
        staking_time = 5 : uint32           staking_value = 6 : int64
        staking_tx = 7 : bytes              staking_tx_inclusion_proof = 8 : InclusionProof
        slashing_tx = 9 : bytes             delegator_slashing_sig = 10 : bytes (64)
        unbonding_time = 11 : uint32        unbonding_tx = 12 : bytes
        unbonding_value = 13 : int64        unbonding_slashing_tx = 14 : bytes
        delegator_unbonding_slashing_sig = 15 : bytes (64) }
      MsgAddBTCDelegationInclusionProof {
        signer = 1 : string  staking_tx_hash = 2 : string (display hex, 64)
        staking_tx_inclusion_proof = 3 : InclusionProof }

API (stable; the chain client wraps ``encode_*`` output in a ``google.protobuf.Any`` with the
``TYPE_URL_*`` constant):

    CreateDelegation / AddInclusionProof / Pop / Bip322Sig / InclusionProof   frozen dataclasses
    encode_create_delegation(m) -> bytes      decode_create_delegation(b) -> CreateDelegation
    encode_add_inclusion_proof(m) -> bytes    decode_add_inclusion_proof(b) -> AddInclusionProof
    encode_pop(p) / decode_pop(b)             encode_bip322_sig(s) / decode_bip322_sig(b)
    message_class(full_name)                  the protobuf class, e.g. for ``Any.Pack``

proto3 rules apply as in Go: zero values (BIP340 = 0, empty bytes, 0) are not written, so the
bytes are what gogoproto marshals. Decoding refuses unknown fields and bytes that do not
re-encode identically (non-canonical input), so what we decode is exactly what we would send.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from l2kit.errors import InputError

__all__ = [
    "TYPE_URL_ADD_INCLUSION_PROOF",
    "TYPE_URL_CREATE_DELEGATION",
    "AddInclusionProof",
    "Bip322Sig",
    "BtcSigType",
    "CreateDelegation",
    "InclusionProof",
    "Pop",
    "decode_add_inclusion_proof",
    "decode_bip322_sig",
    "decode_create_delegation",
    "decode_pop",
    "encode_add_inclusion_proof",
    "encode_bip322_sig",
    "encode_create_delegation",
    "encode_pop",
    "message_class",
]

PROVENANCE = "babylonlabs-io/babylon@v4.2.7 (eba038b7fa2e)"
STAKING_PKG = "babylon.btcstaking.v1"
CHECKPOINT_PKG = "babylon.btccheckpoint.v1"
TYPE_URL_CREATE_DELEGATION = f"/{STAKING_PKG}.MsgCreateBTCDelegation"
TYPE_URL_ADD_INCLUSION_PROOF = f"/{STAKING_PKG}.MsgAddBTCDelegationInclusionProof"


class BtcSigType(IntEnum):
    """``BTCSigType`` (pop.proto)."""

    BIP340 = 0
    BIP322 = 1
    ECDSA = 2


# (file, package, {message: [(field, number, type, label, type_name)]}); label "r" = repeated.
_Field = tuple[str, int, str, str, str]
_FILES: list[tuple[str, str, list[str], dict[str, list[_Field]]]] = [
    (
        "babylon/btccheckpoint/v1/btccheckpoint.proto",
        CHECKPOINT_PKG,
        [],
        {"TransactionKey": [("index", 1, "uint32", "", ""), ("hash", 2, "bytes", "", "")]},
    ),
    (
        "babylon/btcstaking/v1/pop.proto",
        STAKING_PKG,
        [],
        {
            "ProofOfPossessionBTC": [
                ("btc_sig_type", 1, "enum", "", f".{STAKING_PKG}.BTCSigType"),
                ("btc_sig", 2, "bytes", "", ""),
            ],
            "BIP322Sig": [("address", 1, "string", "", ""), ("sig", 2, "bytes", "", "")],
        },
    ),
    (
        "babylon/btcstaking/v1/btcstaking.proto",
        STAKING_PKG,
        ["babylon/btccheckpoint/v1/btccheckpoint.proto"],
        {
            "InclusionProof": [
                ("key", 1, "message", "", f".{CHECKPOINT_PKG}.TransactionKey"),
                ("proof", 2, "bytes", "", ""),
            ],
        },
    ),
    (
        "babylon/btcstaking/v1/tx.proto",
        STAKING_PKG,
        ["babylon/btcstaking/v1/pop.proto", "babylon/btcstaking/v1/btcstaking.proto"],
        {
            "MsgCreateBTCDelegation": [
                ("staker_addr", 1, "string", "", ""),
                ("pop", 2, "message", "", f".{STAKING_PKG}.ProofOfPossessionBTC"),
                ("btc_pk", 3, "bytes", "", ""),
                ("fp_btc_pk_list", 4, "bytes", "r", ""),
                ("staking_time", 5, "uint32", "", ""),
                ("staking_value", 6, "int64", "", ""),
                ("staking_tx", 7, "bytes", "", ""),
                ("staking_tx_inclusion_proof", 8, "message", "", f".{STAKING_PKG}.InclusionProof"),
                ("slashing_tx", 9, "bytes", "", ""),
                ("delegator_slashing_sig", 10, "bytes", "", ""),
                ("unbonding_time", 11, "uint32", "", ""),
                ("unbonding_tx", 12, "bytes", "", ""),
                ("unbonding_value", 13, "int64", "", ""),
                ("unbonding_slashing_tx", 14, "bytes", "", ""),
                ("delegator_unbonding_slashing_sig", 15, "bytes", "", ""),
            ],
            "MsgAddBTCDelegationInclusionProof": [
                ("signer", 1, "string", "", ""),
                ("staking_tx_hash", 2, "string", "", ""),
                ("staking_tx_inclusion_proof", 3, "message", "", f".{STAKING_PKG}.InclusionProof"),
            ],
        },
    ),
]


@functools.cache
def _pool() -> Any:
    """A private descriptor pool (never the default one: other code may load Babylon's own)."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    fdp = descriptor_pb2.FieldDescriptorProto
    types = {
        "uint32": fdp.TYPE_UINT32,
        "int64": fdp.TYPE_INT64,
        "bytes": fdp.TYPE_BYTES,
        "string": fdp.TYPE_STRING,
        "enum": fdp.TYPE_ENUM,
        "message": fdp.TYPE_MESSAGE,
    }
    pool = descriptor_pool.DescriptorPool()
    for name, package, deps, messages in _FILES:
        file = descriptor_pb2.FileDescriptorProto(
            name=name, package=package, syntax="proto3", dependency=deps
        )
        if name.endswith("pop.proto"):
            enum = file.enum_type.add(name="BTCSigType")
            for member in BtcSigType:
                enum.value.add(name=member.name, number=member.value)
        for msg_name, fields in messages.items():
            msg = file.message_type.add(name=msg_name)
            for fname, number, ftype, label, type_name in fields:
                field = msg.field.add(name=fname, number=number, type=types[ftype])
                field.label = fdp.LABEL_REPEATED if label == "r" else fdp.LABEL_OPTIONAL
                if type_name:
                    field.type_name = type_name
        pool.Add(file)
    return pool


def message_class(full_name: str) -> Any:
    """The protobuf message class of ``full_name`` (e.g. ``babylon.btcstaking.v1.BIP322Sig``)."""
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(full_name))


# --- the Python side: frozen dataclasses ------------------------------------------------------


@dataclass(frozen=True)
class Pop:
    """``ProofOfPossessionBTC``: ``btc_sig`` is 64 bytes (BIP340), 65 (ECDSA) or an encoded
    ``BIP322Sig`` (BIP322)."""

    btc_sig_type: BtcSigType
    btc_sig: bytes


@dataclass(frozen=True)
class Bip322Sig:
    """``BIP322Sig``: the signing address and the consensus-serialized witness stack."""

    address: str
    sig: bytes


@dataclass(frozen=True)
class InclusionProof:
    """``InclusionProof``: tx position ``index`` in the block ``block_hash`` (32 bytes, internal
    order) and ``proof`` = the sibling hashes, deepest first, 32 bytes each, internal order."""

    index: int
    block_hash: bytes
    proof: bytes


@dataclass(frozen=True)
class CreateDelegation:
    """``MsgCreateBTCDelegation``; transactions are serialized bytes, keys x-only."""

    staker_addr: str
    pop: Pop
    btc_pk: bytes
    fp_btc_pk_list: tuple[bytes, ...]
    staking_time: int
    staking_value: int
    staking_tx: bytes
    staking_tx_inclusion_proof: InclusionProof | None
    slashing_tx: bytes
    delegator_slashing_sig: bytes
    unbonding_time: int
    unbonding_tx: bytes
    unbonding_value: int
    unbonding_slashing_tx: bytes
    delegator_unbonding_slashing_sig: bytes


@dataclass(frozen=True)
class AddInclusionProof:
    """``MsgAddBTCDelegationInclusionProof``; ``staking_tx_hash`` is the display-order txid."""

    signer: str
    staking_tx_hash: str
    staking_tx_inclusion_proof: InclusionProof


# --- encode / decode -------------------------------------------------------------------------

_U32, _I64 = (0, 0xFFFFFFFF), (-(2**63), 2**63 - 1)


def _int(value: int, bounds: tuple[int, int], field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise InputError(f"must be an integer in {bounds[0]}..{bounds[1]}", field=field)
    return value


def _pb_pop(pop: Pop) -> Any:
    return message_class(f"{STAKING_PKG}.ProofOfPossessionBTC")(
        btc_sig_type=int(BtcSigType(pop.btc_sig_type)), btc_sig=bytes(pop.btc_sig)
    )


def _pb_proof(proof: InclusionProof, field: str) -> Any:
    key = message_class(f"{CHECKPOINT_PKG}.TransactionKey")(
        index=_int(proof.index, _U32, f"{field}.index"), hash=bytes(proof.block_hash)
    )
    return message_class(f"{STAKING_PKG}.InclusionProof")(key=key, proof=bytes(proof.proof))


def encode_pop(pop: Pop) -> bytes:
    return bytes(_pb_pop(pop).SerializeToString(deterministic=True))


def encode_bip322_sig(sig: Bip322Sig) -> bytes:
    msg = message_class(f"{STAKING_PKG}.BIP322Sig")(address=sig.address, sig=bytes(sig.sig))
    return bytes(msg.SerializeToString(deterministic=True))


def encode_create_delegation(m: CreateDelegation) -> bytes:
    """The protobuf bytes of ``MsgCreateBTCDelegation`` (the ``Any.value`` to send)."""
    cls = message_class(f"{STAKING_PKG}.MsgCreateBTCDelegation")
    msg = cls(
        staker_addr=m.staker_addr,
        pop=_pb_pop(m.pop),
        btc_pk=bytes(m.btc_pk),
        fp_btc_pk_list=[bytes(k) for k in m.fp_btc_pk_list],
        staking_time=_int(m.staking_time, _U32, "staking_time"),
        staking_value=_int(m.staking_value, _I64, "staking_value"),
        staking_tx=bytes(m.staking_tx),
        slashing_tx=bytes(m.slashing_tx),
        delegator_slashing_sig=bytes(m.delegator_slashing_sig),
        unbonding_time=_int(m.unbonding_time, _U32, "unbonding_time"),
        unbonding_tx=bytes(m.unbonding_tx),
        unbonding_value=_int(m.unbonding_value, _I64, "unbonding_value"),
        unbonding_slashing_tx=bytes(m.unbonding_slashing_tx),
        delegator_unbonding_slashing_sig=bytes(m.delegator_unbonding_slashing_sig),
    )
    if m.staking_tx_inclusion_proof is not None:
        msg.staking_tx_inclusion_proof.CopyFrom(
            _pb_proof(m.staking_tx_inclusion_proof, "staking_tx_inclusion_proof")
        )
    return bytes(msg.SerializeToString(deterministic=True))


def encode_add_inclusion_proof(m: AddInclusionProof) -> bytes:
    cls = message_class(f"{STAKING_PKG}.MsgAddBTCDelegationInclusionProof")
    msg = cls(signer=m.signer, staking_tx_hash=m.staking_tx_hash)
    msg.staking_tx_inclusion_proof.CopyFrom(
        _pb_proof(m.staking_tx_inclusion_proof, "staking_tx_inclusion_proof")
    )
    return bytes(msg.SerializeToString(deterministic=True))


def _parse(name: str, data: bytes, field: str) -> Any:
    from google.protobuf.message import DecodeError

    msg = message_class(name)()
    try:
        msg.ParseFromString(bytes(data))
    except (DecodeError, ValueError) as exc:  # ValueError: invalid UTF-8 in a string field
        raise InputError(f"not a {name.rsplit('.', 1)[-1]}: {exc}", field=field) from None
    if _has_unknown(msg):
        raise InputError(f"{name.rsplit('.', 1)[-1]} has unknown fields", field=field)
    if msg.SerializeToString(deterministic=True) != bytes(data):
        raise InputError(f"{name.rsplit('.', 1)[-1]} is not canonically encoded", field=field)
    return msg


def _has_unknown(msg: Any) -> bool:
    from google.protobuf import unknown_fields

    if len(unknown_fields.UnknownFieldSet(msg)):
        return True
    # no repeated message fields in this table: a sub-message is a single value
    return any(_has_unknown(v) for _, v in msg.ListFields() if hasattr(v, "ListFields"))


def _pop_of(pb: Any) -> Pop:
    try:
        kind = BtcSigType(pb.btc_sig_type)
    except ValueError:
        raise InputError(
            f"unknown BTCSigType {pb.btc_sig_type}", field="pop.btc_sig_type"
        ) from None
    return Pop(kind, bytes(pb.btc_sig))


def _proof_of(pb: Any) -> InclusionProof:
    return InclusionProof(int(pb.key.index), bytes(pb.key.hash), bytes(pb.proof))


def decode_pop(data: bytes) -> Pop:
    return _pop_of(_parse(f"{STAKING_PKG}.ProofOfPossessionBTC", data, "pop"))


def decode_bip322_sig(data: bytes) -> Bip322Sig:
    pb = _parse(f"{STAKING_PKG}.BIP322Sig", data, "pop.btc_sig")
    return Bip322Sig(str(pb.address), bytes(pb.sig))


def decode_create_delegation(data: bytes) -> CreateDelegation:
    pb = _parse(f"{STAKING_PKG}.MsgCreateBTCDelegation", data, "msg")
    proof = (
        _proof_of(pb.staking_tx_inclusion_proof)
        if pb.HasField("staking_tx_inclusion_proof")
        else None
    )
    return CreateDelegation(
        staker_addr=str(pb.staker_addr),
        pop=_pop_of(pb.pop),
        btc_pk=bytes(pb.btc_pk),
        fp_btc_pk_list=tuple(bytes(k) for k in pb.fp_btc_pk_list),
        staking_time=int(pb.staking_time),
        staking_value=int(pb.staking_value),
        staking_tx=bytes(pb.staking_tx),
        staking_tx_inclusion_proof=proof,
        slashing_tx=bytes(pb.slashing_tx),
        delegator_slashing_sig=bytes(pb.delegator_slashing_sig),
        unbonding_time=int(pb.unbonding_time),
        unbonding_tx=bytes(pb.unbonding_tx),
        unbonding_value=int(pb.unbonding_value),
        unbonding_slashing_tx=bytes(pb.unbonding_slashing_tx),
        delegator_unbonding_slashing_sig=bytes(pb.delegator_unbonding_slashing_sig),
    )


def decode_add_inclusion_proof(data: bytes) -> AddInclusionProof:
    pb = _parse(f"{STAKING_PKG}.MsgAddBTCDelegationInclusionProof", data, "msg")
    return AddInclusionProof(
        str(pb.signer), str(pb.staking_tx_hash), _proof_of(pb.staking_tx_inclusion_proof)
    )
