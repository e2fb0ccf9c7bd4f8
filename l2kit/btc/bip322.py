"""BIP-322 "simple" message signatures for P2WPKH and BIP-86 P2TR key-path addresses, and the
BIP-137 "Bitcoin Signed Message" compact ECDSA signature.

BIP-322 (bitcoin/bips ``bip-0322.mediawiki``)::

    message_hash = TaggedHash("BIP0322-signed-message", message)
    to_spend  v0, locktime 0; in: 000…000:0xFFFFFFFF, seq 0, scriptSig OP_0 PUSH32 message_hash;
              out: value 0, scriptPubKey = the address's script
    to_sign   v0, locktime 0; in: to_spend:0, seq 0, witness = the signature; out: 0 OP_RETURN
    simple signature = consensus-serialized witness stack: varint n, then n x (varint len ‖ item)

    P2WPKH  witness [DER sig ‖ 0x01 (SIGHASH_ALL), 33-byte compressed key]; BIP-143 sighash
            with script code OP_DUP OP_HASH160 <hash160(key)> OP_EQUALVERIFY OP_CHECKSIG
    P2TR    witness [64-byte sig (SIGHASH_DEFAULT) or 65 bytes ending 0x01]; BIP-341 key-path
            sighash, key Q = P + TapTweak(P)·G (BIP-86, no script tree)

BIP-137: ``sha256d(varstr("Bitcoin Signed Message:\\n") ‖ varstr(message))``; 65-byte sig
``header ‖ r ‖ s`` with header = 27 + recid (+ 4 for a compressed key).

The verifiers here run the script rules the Babylon chain runs (btcd ``StandardVerifyFlags``:
strict DER, low S, compressed witness keys) for exactly these two script types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import coincurve
from bitcoin.core import CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, CScript
from bitcoin.core.script import SIGVERSION_WITNESS_V0, SignatureHash

from l2kit.btc.script import P2WPKH_PREFIX, p2tr_script
from l2kit.btc.sign import (
    SIGHASH_ALL,
    SIGHASH_DEFAULT,
    schnorr_sign,
    schnorr_verify,
    taproot_sighash,
)
from l2kit.btc.taproot import compact_size, tagged_hash
from l2kit.errors import BadKey, InputError

__all__ = [
    "BIP137_PREFIX",
    "bip137_hash",
    "bip137_recover",
    "bip137_sign",
    "is_strict_der",
    "message_hash",
    "p2wpkh_script",
    "parse_witness",
    "serialize_witness",
    "sign_p2tr",
    "sign_p2wpkh",
    "to_sign_tx",
    "to_spend_tx",
    "verify_p2tr",
    "verify_p2wpkh",
]

TAG = "BIP0322-signed-message"
BIP137_PREFIX = b"Bitcoin Signed Message:\n"
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_WITNESS_ITEMS = 4_000_000  # babylon crypto/bip322/witness.go maxWitnessItemsPerInput


def message_hash(message: bytes) -> bytes:
    """``TaggedHash("BIP0322-signed-message", message)`` (32 bytes)."""
    return tagged_hash(TAG, bytes(message))


def to_spend_tx(message: bytes, script_pubkey: bytes) -> CMutableTransaction:
    """The virtual ``to_spend`` transaction committing to ``message`` and the address."""
    txin = CMutableTxIn(
        COutPoint(b"\x00" * 32, 0xFFFFFFFF),
        CScript(b"\x00\x20" + message_hash(message)),
        nSequence=0,
    )
    return CMutableTransaction([txin], [CMutableTxOut(0, CScript(bytes(script_pubkey)))], 0, 0)


def to_sign_tx(to_spend: CMutableTransaction) -> CMutableTransaction:
    """The unsigned ``to_sign`` transaction spending ``to_spend:0`` to a 0-value OP_RETURN."""
    txin = CMutableTxIn(COutPoint(to_spend.GetTxid(), 0), CScript(), nSequence=0)
    return CMutableTransaction([txin], [CMutableTxOut(0, CScript(b"\x6a"))], 0, 0)


def serialize_witness(items: Sequence[bytes]) -> bytes:
    """Consensus serialization of one witness stack (a BIP-322 simple signature)."""
    return compact_size(len(items)) + b"".join(compact_size(len(i)) + bytes(i) for i in items)


def read_varint(data: bytes, pos: int, field: str) -> tuple[int, int]:
    if pos >= len(data):
        raise InputError("truncated witness (varint)", field=field)
    first = data[pos]
    if first < 0xFD:
        return first, pos + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    if pos + 1 + size > len(data):
        raise InputError("truncated witness (varint)", field=field)
    value = int.from_bytes(data[pos + 1 : pos + 1 + size], "little")
    if value < {0xFD: 0xFD, 0xFE: 0x10000, 0xFF: 0x100000000}[first]:
        raise InputError("non-canonical varint", field=field)  # btcd ReadVarInt refuses it
    return value, pos + 1 + size


def parse_witness(data: bytes, field: str = "sig") -> list[bytes]:
    """Parse a serialized witness stack (btcd ``ReadVarInt``/``readScript``, as Babylon's
    ``SimpleSigToWitness``); trailing bytes are refused (Babylon ignores them; we never make
    them, so a signature that has them was not made by l2kit)."""
    count, pos = read_varint(bytes(data), 0, field)
    if count > MAX_WITNESS_ITEMS:
        raise InputError(f"{count} witness items is too many", field=field)
    items = []
    for _ in range(count):
        size, pos = read_varint(data, pos, field)
        if pos + size > len(data):
            raise InputError("truncated witness item", field=field)
        items.append(bytes(data[pos : pos + size]))
        pos += size
    if pos != len(data):
        raise InputError(f"{len(data) - pos} bytes after the witness stack", field=field)
    return items


def _hash160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def p2wpkh_script(compressed_pubkey: bytes) -> bytes:
    """``OP_0 <hash160(key)>`` (22 bytes)."""
    return P2WPKH_PREFIX + _hash160(compressed_pubkey)


def _p2wpkh_sighash(message: bytes, script_pubkey: bytes) -> bytes:
    to_sign = to_sign_tx(to_spend_tx(message, script_pubkey))
    script_code = CScript(b"\x76\xa9\x14" + script_pubkey[2:] + b"\x88\xac")
    return bytes(SignatureHash(script_code, to_sign, 0, SIGHASH_ALL, 0, SIGVERSION_WITNESS_V0))


def _p2tr_sighash(message: bytes, script_pubkey: bytes, hash_type: int) -> bytes:
    to_sign = to_sign_tx(to_spend_tx(message, script_pubkey))
    return taproot_sighash(to_sign, 0, [(0, bytes(script_pubkey))], hash_type)


def sign_p2wpkh(seckey: bytes, message: bytes) -> list[bytes]:
    """The witness ``[DER sig ‖ 01, compressed key]`` proving ``seckey``'s P2WPKH address."""
    key = _private(seckey)
    pub = key.public_key.format(compressed=True)
    digest = _p2wpkh_sighash(message, p2wpkh_script(pub))
    return [bytes(key.sign(digest, hasher=None)) + bytes([SIGHASH_ALL]), pub]


def sign_p2tr(
    tweaked_seckey: bytes, message: bytes, hash_type: int = SIGHASH_DEFAULT
) -> list[bytes]:
    """The witness ``[sig]`` for the P2TR key path; ``tweaked_seckey`` is the BIP-86 output
    key's secret (``staking.funding.key_path_key(seckey).tweaked_secret``)."""
    output = coincurve.PublicKeyXOnly.from_secret(_private(tweaked_seckey).secret).format()
    digest = _p2tr_sighash(message, p2tr_script(bytes(output)), hash_type)
    return [schnorr_sign(tweaked_seckey, digest, sighash_type=hash_type)]


def _private(seckey: bytes) -> coincurve.PrivateKey:
    try:
        return coincurve.PrivateKey(bytes(seckey))
    except ValueError as exc:
        raise BadKey("secret key is zero or not below the curve order", field="seckey") from exc


def is_strict_der(sig: bytes) -> bool:
    """BIP-66 ``IsValidSignatureEncoding`` of ``DER ‖ hash_type`` (Bitcoin Core interpreter)."""
    n = len(sig)
    if n < 9 or n > 73 or sig[0] != 0x30 or sig[1] != n - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= n:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != n or sig[2] != 0x02 or len_r == 0 or sig[4] & 0x80:
        return False
    if len_r > 1 and sig[4] == 0 and not sig[5] & 0x80:
        return False
    s0 = 6 + len_r
    if sig[4 + len_r] != 0x02 or len_s == 0 or sig[s0] & 0x80:
        return False
    return not (len_s > 1 and sig[s0] == 0 and not sig[s0 + 1] & 0x80)


def verify_p2wpkh(message: bytes, script_pubkey: bytes, witness: Sequence[bytes]) -> str | None:
    """None if ``witness`` spends the P2WPKH ``to_spend`` output under standard rules, else
    the reason. Only SIGHASH_ALL is accepted (what Babylon accepts)."""
    if len(witness) != 2:
        return f"P2WPKH witness has {len(witness)} items, not 2"
    sig, pub = witness
    if not sig or sig[-1] != SIGHASH_ALL:
        return "P2WPKH signature is not SIGHASH_ALL"
    if not is_strict_der(sig):
        return "P2WPKH signature is not strict DER"
    if len(pub) != 33 or pub[0] not in (2, 3):
        return "P2WPKH witness key is not a compressed key"
    if p2wpkh_script(pub) != bytes(script_pubkey):
        return "P2WPKH witness key does not hash to the address"
    len_r = sig[3]
    if int.from_bytes(sig[6 + len_r : -1], "big") > _N // 2:
        return "P2WPKH signature has a high S"
    try:
        key = coincurve.PublicKey(pub)
    except ValueError:
        return "P2WPKH witness key is not on the curve"
    if not key.verify(sig[:-1], _p2wpkh_sighash(message, script_pubkey), hasher=None):
        return "P2WPKH signature does not verify"
    return None


def verify_p2tr(message: bytes, script_pubkey: bytes, witness: Sequence[bytes]) -> str | None:
    """None if ``witness`` is a valid key-path spend of the P2TR ``to_spend`` output with
    SIGHASH_DEFAULT (64 bytes) or SIGHASH_ALL (65 bytes ending 01), else the reason."""
    if len(witness) != 1:
        return f"P2TR key-path witness has {len(witness)} items, not 1 (script path?)"
    sig = witness[0]
    if len(sig) == 64:
        hash_type = SIGHASH_DEFAULT
    elif len(sig) == 65 and sig[64] == SIGHASH_ALL:
        hash_type = SIGHASH_ALL
    else:
        return "P2TR signature is not SIGHASH_DEFAULT (64 bytes) or SIGHASH_ALL (65, 01)"
    digest = _p2tr_sighash(message, script_pubkey, hash_type)
    if not schnorr_verify(bytes(script_pubkey[2:]), digest, sig):
        return "P2TR signature does not verify"
    return None


def bip137_hash(message: bytes) -> bytes:
    """``sha256d(varstr(BIP137_PREFIX) ‖ varstr(message))`` (32 bytes)."""
    data = compact_size(len(BIP137_PREFIX)) + BIP137_PREFIX
    data += compact_size(len(message)) + bytes(message)
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def bip137_sign(seckey: bytes, message: bytes) -> bytes:
    """65-byte compact signature, header 31..34 (compressed key), low S (libsecp256k1)."""
    raw = _private(seckey).sign_recoverable(bip137_hash(message), hasher=None)  # r ‖ s ‖ recid
    return bytes([27 + 4 + raw[64]]) + bytes(raw[:64])


def bip137_recover(message: bytes, sig: bytes) -> bytes | str:
    """The recovered compressed key (33 bytes), or the reason it cannot be recovered: btcd
    ``ecdsa.RecoverCompact`` (header 27..34, r and s in 1..n-1) plus Babylon's high-S refusal
    (``crypto/ecdsa/ecdsa.go`` ``RecoverPublicKey``)."""
    if len(sig) != 65:
        return f"compact signature must be 65 bytes, got {len(sig)}"
    if not 27 <= sig[0] <= 34:
        return f"compact signature header {sig[0]} outside 27..34"
    r, s = int.from_bytes(sig[1:33], "big"), int.from_bytes(sig[33:], "big")
    if not (0 < r < _N and 0 < s < _N):
        return "compact signature r or s out of range"
    if s > _N // 2:
        return "compact signature has a high S"
    try:
        key = coincurve.PublicKey.from_signature_and_message(
            bytes(sig[1:]) + bytes([(sig[0] - 27) & 3]), bip137_hash(message), hasher=None
        )
    except ValueError:
        return "no public key recovers from this signature"
    return bytes(key.format(compressed=True))
