"""Cosmos SDK transactions, SIGN_MODE_DIRECT, signed with a secp256k1 account key.

    TxRaw{body_bytes=1, auth_info_bytes=2, signatures=3}            what is broadcast
    SignDoc{body_bytes=1, auth_info_bytes=2, chain_id=3, account_number=4}
    signature = ECDSA-secp256k1(sha256(SignDoc bytes)), 64 bytes r‖s, low S
    txhash    = upper-case hex of sha256(TxRaw bytes)

Message layouts: cosmos/cosmos-sdk@v0.53.4 (the version babylon v4.3.1 pins in go.mod):
``proto/cosmos/tx/v1beta1/tx.proto``, ``proto/cosmos/tx/signing/v1beta1/signing.proto``
(SIGN_MODE_DIRECT = 1), ``proto/cosmos/crypto/secp256k1/keys.proto`` (PubKey{key=1}, 33-byte
compressed), ``proto/cosmos/base/v1beta1/coin.proto``; verification rules
``crypto/keys/secp256k1/secp256k1.go`` (``VerifySignature``: 64 bytes, rejects high S) and
``x/auth/ante/sigverify.go``; address = bech32(prefix, ripemd160(sha256(compressed pk)))
(``crypto/keys/secp256k1/secp256k1.go`` ``Address``), prefix ``bbn`` (``l2kit.babylon.address``).

Why descriptors built here and not cosmpy's generated modules: cosmpy pins protobuf 5 and pulls
grpcio, PyNaCl and virtualenv for the ten small messages we need; the ``protobuf`` runtime
itself (Google's) does the encoding, as it does for ``l2kit.babylon.proto``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import coincurve
from coincurve.ecdsa import cdata_to_der, deserialize_compact
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from l2kit.babylon.address import BabylonAddress
from l2kit.errors import InputError

__all__ = [
    "PUBKEY_TYPE_URL",
    "SIGN_MODE_DIRECT",
    "Coin",
    "DecodedTx",
    "account_address",
    "address_bytes",
    "decode_tx",
    "public_key",
    "sign_tx",
    "txhash",
    "verify_tx",
]

PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey"
SIGN_MODE_DIRECT = 1

_F = descriptor_pb2.FieldDescriptorProto
_T = {
    "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES,
    "uint64": _F.TYPE_UINT64,
    "uint32": _F.TYPE_UINT32,
}

# (message, [(field, number, type, repeated)]) where a type starting with "." is a message
# and "enum:." an enum; field numbers from the cosmos-sdk v0.53.4 protos named above.
_MESSAGES: list[tuple[str, str, list[tuple[str, int, str, bool]]]] = [
    (
        "cosmos.base.v1beta1",
        "Coin",
        [
            ("denom", 1, "string", False),
            ("amount", 2, "string", False),
        ],
    ),
    ("cosmos.crypto.secp256k1", "PubKey", [("key", 1, "bytes", False)]),
    (
        "cosmos.tx.v1beta1",
        "TxBody",
        [
            ("messages", 1, ".google.protobuf.Any", True),
            ("memo", 2, "string", False),
            ("timeout_height", 3, "uint64", False),
        ],
    ),
    (
        "cosmos.tx.v1beta1",
        "ModeInfoSingle",
        [
            ("mode", 1, "enum:.cosmos.tx.v1beta1.SignMode", False),
        ],
    ),
    ("cosmos.tx.v1beta1", "ModeInfo", [("single", 1, ".cosmos.tx.v1beta1.ModeInfoSingle", False)]),
    (
        "cosmos.tx.v1beta1",
        "SignerInfo",
        [
            ("public_key", 1, ".google.protobuf.Any", False),
            ("mode_info", 2, ".cosmos.tx.v1beta1.ModeInfo", False),
            ("sequence", 3, "uint64", False),
        ],
    ),
    (
        "cosmos.tx.v1beta1",
        "Fee",
        [
            ("amount", 1, ".cosmos.base.v1beta1.Coin", True),
            ("gas_limit", 2, "uint64", False),
            ("payer", 3, "string", False),
            ("granter", 4, "string", False),
        ],
    ),
    (
        "cosmos.tx.v1beta1",
        "AuthInfo",
        [
            ("signer_infos", 1, ".cosmos.tx.v1beta1.SignerInfo", True),
            ("fee", 2, ".cosmos.tx.v1beta1.Fee", False),
        ],
    ),
    (
        "cosmos.tx.v1beta1",
        "SignDoc",
        [
            ("body_bytes", 1, "bytes", False),
            ("auth_info_bytes", 2, "bytes", False),
            ("chain_id", 3, "string", False),
            ("account_number", 4, "uint64", False),
        ],
    ),
    (
        "cosmos.tx.v1beta1",
        "TxRaw",
        [
            ("body_bytes", 1, "bytes", False),
            ("auth_info_bytes", 2, "bytes", False),
            ("signatures", 3, "bytes", True),
        ],
    ),
]


def _build_pool() -> dict[str, Any]:
    """One private descriptor pool (nothing registered globally) and the message classes."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
    by_package: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for package, name, fields in _MESSAGES:
        fd = by_package.get(package)
        if fd is None:
            fd = descriptor_pb2.FileDescriptorProto(
                name=f"l2kit/{package.replace('.', '/')}.proto", package=package, syntax="proto3"
            )
            fd.dependency.append("google/protobuf/any.proto")
            by_package[package] = fd
        msg = fd.message_type.add(name=name)
        for fname, number, ftype, repeated in fields:
            f = msg.field.add(name=fname, number=number)
            f.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
            if ftype.startswith("enum:"):
                f.type, f.type_name = _F.TYPE_ENUM, ftype[5:]
            elif ftype.startswith("."):
                f.type, f.type_name = _F.TYPE_MESSAGE, ftype
            else:
                f.type = _T[ftype]
    tx_file = by_package["cosmos.tx.v1beta1"]
    sign_mode = tx_file.enum_type.add(name="SignMode")
    for value, number in (("SIGN_MODE_UNSPECIFIED", 0), ("SIGN_MODE_DIRECT", 1)):
        sign_mode.value.add(name=value, number=number)
    for dep in ("cosmos.base.v1beta1", "cosmos.crypto.secp256k1"):
        tx_file.dependency.append(by_package[dep].name)
    for package in ("cosmos.base.v1beta1", "cosmos.crypto.secp256k1", "cosmos.tx.v1beta1"):
        pool.Add(by_package[package])
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}"))
        for package, name, _ in _MESSAGES
    }


_CLASSES: dict[str, Any] | None = None


def _cls(name: str) -> Any:
    global _CLASSES
    if _CLASSES is None:  # built on first use: no import-time work
        _CLASSES = _build_pool()
    return _CLASSES[name]


@dataclass(frozen=True)
class Coin:
    denom: str
    amount: int

    def __str__(self) -> str:
        return f"{self.amount}{self.denom}"


# --- keys and addresses -------------------------------------------------------------------------


def address_bytes(pubkey33: bytes) -> bytes:
    """The 20-byte account address: ripemd160(sha256(33-byte compressed key))."""
    return hashlib.new("ripemd160", hashlib.sha256(pubkey33).digest()).digest()


def account_address(pubkey33: bytes) -> str:
    """The ``bbn1…`` address of a compressed key (bech32 in ``l2kit.babylon.address``)."""
    return BabylonAddress.from_account(address_bytes(pubkey33)).text


def public_key(seckey: bytes) -> bytes:
    return bytes(coincurve.PrivateKey(seckey).public_key.format(compressed=True))


# --- build and sign -----------------------------------------------------------------------------


def sign_tx(
    messages: Sequence[tuple[str, bytes]],
    seckey: bytes,
    *,
    chain_id: str,
    account_number: int,
    sequence: int,
    fee: Sequence[Coin],
    gas_limit: int,
    memo: str = "",
) -> bytes:
    """The serialized ``TxRaw`` of ``messages`` ((type URL, protobuf bytes)), one signer."""
    body = _cls("TxBody")(memo=memo)
    for type_url, value in messages:
        body.messages.add(type_url=type_url, value=value)
    pk = _cls("PubKey")(key=public_key(seckey)).SerializeToString()
    signer = _cls("SignerInfo")(sequence=sequence)
    signer.public_key.type_url, signer.public_key.value = PUBKEY_TYPE_URL, pk
    signer.mode_info.single.mode = SIGN_MODE_DIRECT
    fee_msg = _cls("Fee")(gas_limit=gas_limit)
    for coin in fee:
        fee_msg.amount.append(_cls("Coin")(denom=coin.denom, amount=str(coin.amount)))
    auth = _cls("AuthInfo")(signer_infos=[signer], fee=fee_msg)
    body_bytes, auth_bytes = body.SerializeToString(), auth.SerializeToString()
    doc = _sign_doc(body_bytes, auth_bytes, chain_id, account_number)
    recoverable = coincurve.PrivateKey(seckey).sign_recoverable(doc)  # sha256, low S
    raw = _cls("TxRaw")(
        body_bytes=body_bytes, auth_info_bytes=auth_bytes, signatures=[recoverable[:64]]
    )
    return bytes(raw.SerializeToString())


def _sign_doc(body: bytes, auth: bytes, chain_id: str, account_number: int) -> bytes:
    doc = _cls("SignDoc")(
        body_bytes=body, auth_info_bytes=auth, chain_id=chain_id, account_number=account_number
    )
    return bytes(doc.SerializeToString())


def txhash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest().upper()


# --- decode and verify (the simulated chain; tests) -----------------------------------------


@dataclass(frozen=True)
class DecodedTx:
    messages: tuple[tuple[str, bytes], ...]
    memo: str
    pubkey: bytes  # 33-byte compressed; b"" when the signer info carries none
    sequence: int
    sign_mode: int
    fee: tuple[Coin, ...]
    gas_limit: int
    signature: bytes
    body_bytes: bytes
    auth_info_bytes: bytes

    @property
    def signer(self) -> str:
        return account_address(self.pubkey)


def decode_tx(raw: bytes) -> DecodedTx:
    """Parse a ``TxRaw``: exactly one signer with a secp256k1 key, SIGN_MODE_DIRECT.

    Raises ``InputError`` (field ``tx``) for anything else."""
    try:
        tx = _cls("TxRaw").FromString(raw)
        body = _cls("TxBody").FromString(tx.body_bytes)
        auth = _cls("AuthInfo").FromString(tx.auth_info_bytes)
        if len(auth.signer_infos) != 1 or len(tx.signatures) != 1:
            raise InputError("exactly one signer and one signature expected", field="tx")
        info = auth.signer_infos[0]
        if info.public_key.type_url != PUBKEY_TYPE_URL:
            raise InputError(f"unsupported public key {info.public_key.type_url!r}", field="tx")
        pubkey = bytes(_cls("PubKey").FromString(info.public_key.value).key)
    except DecodeError as exc:
        raise InputError(f"not a protobuf TxRaw: {exc}", field="tx") from exc
    return DecodedTx(
        messages=tuple((m.type_url, bytes(m.value)) for m in body.messages),
        memo=str(body.memo),
        pubkey=pubkey,
        sequence=int(info.sequence),
        sign_mode=int(info.mode_info.single.mode),
        fee=tuple(Coin(c.denom, int(c.amount)) for c in auth.fee.amount),
        gas_limit=int(auth.fee.gas_limit),
        signature=bytes(tx.signatures[0]),
        body_bytes=bytes(tx.body_bytes),
        auth_info_bytes=bytes(tx.auth_info_bytes),
    )


def verify_tx(tx: DecodedTx, chain_id: str, account_number: int) -> bool:
    """Does the signature verify over the SignDoc for this chain and account number?
    (libsecp256k1 rejects high-S signatures, as the Cosmos SDK does.)"""
    if tx.sign_mode != SIGN_MODE_DIRECT or len(tx.signature) != 64 or len(tx.pubkey) != 33:
        return False
    doc = _sign_doc(tx.body_bytes, tx.auth_info_bytes, chain_id, account_number)
    try:
        key = coincurve.PublicKey(tx.pubkey)
        der = cdata_to_der(deserialize_compact(tx.signature))
    except ValueError:
        return False
    return bool(key.verify(der, doc))
