"""BIP341 script-path signature hashes and BIP340 Schnorr signatures (libsecp256k1 via coincurve).

Sizes: message 32 bytes, secret key 32 bytes, x-only public key 32 bytes, signature 64 bytes
(SIGHASH_DEFAULT) or 65 bytes (signature ‖ hash_type for the other types).

The sighash follows BIP341 "Common signature message" plus the BIP342 extension:

    TapSighash(0x00 ‖ hash_type ‖ nVersion ‖ nLockTime
      ‖ [sha_prevouts ‖ sha_amounts ‖ sha_scriptpubkeys ‖ sha_sequences]  (not ANYONECANPAY)
      ‖ [sha_outputs]                                                     (ALL / DEFAULT)
      ‖ spend_type (= 2: ext_flag 1, no annex)
      ‖ (outpoint ‖ amount ‖ scriptPubKey ‖ nSequence)  (ANYONECANPAY)  | input_index (else)
      ‖ [sha_single_output]                                               (SINGLE)
      ‖ tapleaf_hash ‖ key_version 0x00 ‖ codesep_pos 0xffffffff)
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

import coincurve
from bitcoin.core import CTransaction

from l2kit.btc.taproot import LEAF_VERSION, compact_size, tagged_hash, tap_leaf_hash
from l2kit.errors import BadKey, InputError

__all__ = [
    "SIGHASH_ALL",
    "SIGHASH_ANYONECANPAY",
    "SIGHASH_DEFAULT",
    "SIGHASH_NONE",
    "SIGHASH_SINGLE",
    "schnorr_sign",
    "schnorr_verify",
    "tagged_hash",
    "taproot_script_sighash",
    "taproot_sighash",
    "xonly_pubkey",
]

SIGHASH_DEFAULT = 0x00
SIGHASH_ALL = 0x01
SIGHASH_NONE = 0x02
SIGHASH_SINGLE = 0x03
SIGHASH_ANYONECANPAY = 0x80
VALID_SIGHASH_TYPES = frozenset({0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83})


def _ser_script(script: bytes) -> bytes:
    return compact_size(len(script)) + script


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def taproot_script_sighash(
    tx: CTransaction,
    input_index: int,
    prevouts: Sequence[tuple[int, bytes]],
    leaf_script: bytes,
    sighash_type: int = SIGHASH_DEFAULT,
    *,
    leaf_version: int = LEAF_VERSION,
) -> bytes:
    """BIP341/342 script-path signature hash (32 bytes) for ``tx.vin[input_index]``.

    ``prevouts`` lists ``(amount_sat, scriptPubKey)`` of EVERY input, in input order.
    Raises ``InputError`` for a wrong index, prevout count or hash type.
    """
    leaf = tap_leaf_hash(leaf_script, leaf_version)
    return taproot_sighash(tx, input_index, prevouts, sighash_type, leaf_hash=leaf)


def taproot_sighash(
    tx: CTransaction,
    input_index: int,
    prevouts: Sequence[tuple[int, bytes]],
    sighash_type: int = SIGHASH_DEFAULT,
    *,
    leaf_hash: bytes | None = None,
) -> bytes:
    """BIP341 signature hash: key path when ``leaf_hash`` is None, else script path (BIP342).

    No annex support (l2kit never spends with an annex).
    """
    if leaf_hash is not None:
        _check_len(leaf_hash, 32, "leaf_hash")
    n_in = len(tx.vin)
    if not 0 <= input_index < n_in:
        raise InputError(f"{input_index} is not an input of a {n_in}-input tx", field="input_index")
    if len(prevouts) != n_in:
        raise InputError(
            f"need {n_in} prevouts (one per input), got {len(prevouts)}", field="prevouts"
        )
    if sighash_type not in VALID_SIGHASH_TYPES:
        raise InputError(f"unknown taproot sighash type 0x{sighash_type:02x}", field="sighash_type")
    for amount, _ in prevouts:
        if not 0 <= amount <= 21_000_000 * 100_000_000:
            raise InputError(f"amount {amount} out of range", field="prevouts")

    output_type = SIGHASH_ALL if sighash_type == SIGHASH_DEFAULT else sighash_type & 0x03
    anyone_can_pay = bool(sighash_type & SIGHASH_ANYONECANPAY)

    msg = bytearray(b"\x00")  # sighash epoch
    msg += bytes([sighash_type])
    msg += struct.pack("<i", tx.nVersion) + struct.pack("<I", tx.nLockTime)
    if not anyone_can_pay:
        msg += _sha(b"".join(txin.prevout.serialize() for txin in tx.vin))
        msg += _sha(b"".join(struct.pack("<q", amount) for amount, _ in prevouts))
        msg += _sha(b"".join(_ser_script(spk) for _, spk in prevouts))
        msg += _sha(b"".join(struct.pack("<I", txin.nSequence) for txin in tx.vin))
    if output_type == SIGHASH_ALL:
        msg += _sha(b"".join(txout.serialize() for txout in tx.vout))
    msg += b"\x00" if leaf_hash is None else b"\x02"  # spend_type = 2*ext_flag, no annex
    if anyone_can_pay:
        txin = tx.vin[input_index]
        amount, spk = prevouts[input_index]
        msg += txin.prevout.serialize() + struct.pack("<q", amount) + _ser_script(spk)
        msg += struct.pack("<I", txin.nSequence)
    else:
        msg += struct.pack("<I", input_index)
    if output_type == SIGHASH_SINGLE:
        if input_index >= len(tx.vout):
            raise InputError("SIGHASH_SINGLE without a matching output", field="sighash_type")
        msg += _sha(tx.vout[input_index].serialize())
    if leaf_hash is not None:
        msg += leaf_hash + b"\x00" + b"\xff\xff\xff\xff"  # key_version 0, no OP_CODESEPARATOR
    return tagged_hash("TapSighash", bytes(msg))


def _check_len(value: bytes, size: int, field: str) -> None:
    if len(value) != size:
        raise InputError(f"must be {size} bytes, got {len(value)}", field=field)


def xonly_pubkey(seckey32: bytes) -> bytes:
    """The 32-byte x-only public key of a secret key."""
    _check_len(seckey32, 32, "seckey")
    try:
        return bytes(coincurve.PublicKeyXOnly.from_secret(seckey32).format())
    except ValueError as exc:
        raise BadKey("secret key is zero or not below the curve order", field="seckey") from exc


def schnorr_sign(
    seckey32: bytes, msg32: bytes, aux32: bytes | None = None, sighash_type: int = SIGHASH_DEFAULT
) -> bytes:
    """BIP340 signature over ``msg32`` (64 bytes; 65 with the hash type byte unless DEFAULT).

    ``aux32`` is the BIP340 auxiliary randomness; ``None`` draws 32 fresh random bytes.
    The signature is verified before it is returned.
    """
    _check_len(seckey32, 32, "seckey")
    _check_len(msg32, 32, "msg")
    if aux32 is not None:
        _check_len(aux32, 32, "aux")
    if sighash_type not in VALID_SIGHASH_TYPES:
        raise InputError(f"unknown taproot sighash type 0x{sighash_type:02x}", field="sighash_type")
    try:
        key = coincurve.PrivateKey(seckey32)
    except ValueError as exc:
        raise BadKey("secret key is zero or not below the curve order", field="seckey") from exc
    sig = bytes(key.sign_schnorr(msg32, aux32 if aux32 is not None else b""))
    if sighash_type != SIGHASH_DEFAULT:
        sig += bytes([sighash_type])
    return sig


def schnorr_verify(xonly: bytes, msg32: bytes, sig: bytes) -> bool:
    """True iff ``sig`` (64 bytes, or 65 with a non-default hash type) is valid for ``msg32``.

    Malformed keys or signatures are simply invalid (False), never an exception.
    """
    if len(xonly) != 32 or len(msg32) != 32:
        return False
    if len(sig) == 65:
        if sig[64] == SIGHASH_DEFAULT or sig[64] not in VALID_SIGHASH_TYPES:
            return False
        sig = sig[:64]
    if len(sig) != 64:
        return False
    try:
        return bool(coincurve.PublicKeyXOnly(xonly).verify(sig, msg32))
    except ValueError:
        return False
