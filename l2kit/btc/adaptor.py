"""BIP340-compatible Schnorr adaptor signatures, as Babylon uses them for covenant slashing sigs.

Spec: Blockstream secp256k1-zkp Schnorr adaptor module (Zhe Pang's Python spec); Babylon's
`crypto/schnorr-adaptor-signature` implements the same algorithms. Vectors:
`tests/vectors/test_adaptor_vectors.py` (Babylon's presig/adapt/secadaptor CSVs).

Wire format (65 bytes): ``R0`` compressed (33: 02/03 ‖ x) ‖ ``s0`` (32), where ``R0 = k0·G + T``
and ``s0 = k + e·d`` with ``k = ±k0`` chosen so that ``x(R0)`` is the nonce of the final
signature. The legacy 66-byte Babylon form ``02 ‖ x ‖ s0 ‖ needs_negation`` is parsed too
(``needs_negation`` 1 ⇔ prefix 03).

  encrypted_sign(sk, T, m)      → pre-signature (nonce: tagged "SchnorrAdaptor/nonce")
  encrypted_verify(P, T, m, ps) → T == R0 ∓ (s0·G - e·P)
  decrypt(ps, t)                → BIP340 signature x(R0) ‖ s0 ± t
  extract(ps, sig)              → t = ±(s - s0)

Babylon encrypts under an FP's BTC key given x-only, i.e. the EVEN point ``02 ‖ x``; the matching
decryption key is the FP secret negated when its point has odd y (``decryption_key_for``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import coincurve

from l2kit.btc.sign import schnorr_verify, tagged_hash
from l2kit.errors import AdaptorSigError, BadKey, InputError

__all__ = [
    "ADAPTOR_SIG_SIZE",
    "LEGACY_ADAPTOR_SIG_SIZE",
    "AdaptorSig",
    "AdaptorSigError",
    "decrypt",
    "decryption_key_for",
    "encrypted_sign",
    "encrypted_verify",
    "encryption_key_from_xonly",
    "extract",
]

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ADAPTOR_SIG_SIZE = 65
LEGACY_ADAPTOR_SIG_SIZE = 66


@dataclass(frozen=True)
class AdaptorSig:
    """A parsed pre-signature: ``r0`` compressed point (33 bytes), ``s0`` scalar in [1, n)."""

    r0: bytes
    s0: int

    @classmethod
    def parse(cls, data: bytes) -> AdaptorSig:
        """Parse the 65-byte form, or the legacy 66-byte form; reject anything else."""
        if len(data) == LEGACY_ADAPTOR_SIG_SIZE:
            if data[0] != 0x02:
                raise AdaptorSigError("legacy form must start with 02", field="adaptor_sig")
            if data[65] not in (0, 1):
                raise AdaptorSigError(
                    "legacy needs_negation byte must be 0 or 1", field="adaptor_sig"
                )
            data = bytes([0x02 + data[65]]) + data[1:65]
        if len(data) != ADAPTOR_SIG_SIZE:
            raise AdaptorSigError(
                f"must be {ADAPTOR_SIG_SIZE} (or legacy {LEGACY_ADAPTOR_SIG_SIZE}) bytes, "
                f"got {len(data)}",
                field="adaptor_sig",
            )
        r0 = bytes(data[:33])
        _point(r0, "adaptor_sig.R0")
        s0 = int.from_bytes(data[33:], "big")
        if not 0 < s0 < N:
            raise AdaptorSigError("s0 must be in [1, n)", field="adaptor_sig")
        return cls(r0=r0, s0=s0)

    def serialize(self) -> bytes:
        """The 65-byte wire form."""
        return self.r0 + self.s0.to_bytes(32, "big")

    @property
    def r0_odd(self) -> bool:
        return self.r0[0] == 0x03


def _point(data: bytes, field: str) -> coincurve.PublicKey:
    if len(data) != 33 or data[0] not in (2, 3):
        raise AdaptorSigError("must be a 33-byte compressed point", field=field)
    try:
        return coincurve.PublicKey(data)
    except ValueError as exc:
        raise AdaptorSigError("not a point on the curve", field=field) from exc


def _neg(point: coincurve.PublicKey) -> coincurve.PublicKey:
    raw = point.format(compressed=True)
    return coincurve.PublicKey(bytes([raw[0] ^ 1]) + raw[1:])


def _scalar(value: bytes, field: str) -> int:
    if len(value) != 32:
        raise AdaptorSigError(f"must be 32 bytes, got {len(value)}", field=field)
    k = int.from_bytes(value, "big")
    if not 0 < k < N:
        raise BadKey("must be in [1, n)", field=field)
    return k


def _challenge(r0: bytes, pk_xonly: bytes, msg32: bytes) -> int:
    return int.from_bytes(tagged_hash("BIP0340/challenge", r0[1:] + pk_xonly + msg32), "big") % N


def encryption_key_from_xonly(xonly: bytes) -> bytes:
    """The even point ``02 ‖ x`` Babylon encrypts under for a 32-byte x-only key."""
    point = b"\x02" + xonly
    _point(point, "enc_key")
    return point


def decryption_key_for(seckey32: bytes) -> bytes:
    """The decryption key matching ``encryption_key_from_xonly(xonly(seckey))`` (even point)."""
    d = _scalar(seckey32, "dec_key")
    odd = coincurve.PublicKey.from_secret(seckey32).format()[0] == 0x03
    return (N - d if odd else d).to_bytes(32, "big")


def encrypted_sign(
    seckey: bytes,
    enc_key_point33: bytes,
    msg32: bytes,
    aux32: bytes | None = None,
    *,
    go_nonce: bool = False,
) -> AdaptorSig:
    """Pre-sign ``msg32`` with ``seckey`` encrypted under point ``T`` (33 bytes, any parity).

    Nonce: ``t = bytes(d) XOR tagged("SchnorrAdaptor/aux", aux)``,
    ``k0 = tagged("SchnorrAdaptor/nonce", t ‖ T(33) ‖ P ‖ m) mod n`` with ``P`` the 32-byte x-only
    signing key, as in the spec and its vectors. Babylon's Go ``EncSignWithAuxData`` hashes the
    33-byte compressed ``P`` instead (its vector test does not compare bytes); ``go_nonce=True``
    reproduces Go's bytes. Any nonce verifies the same way. ``aux32`` None draws fresh
    randomness. The result is verified before it is returned.
    """
    d0 = _scalar(seckey, "seckey")
    if len(msg32) != 32:
        raise AdaptorSigError(f"must be 32 bytes, got {len(msg32)}", field="msg")
    t_point = _point(enc_key_point33, "enc_key")
    aux = os.urandom(32) if aux32 is None else aux32
    if len(aux) != 32:
        raise AdaptorSigError(f"must be 32 bytes, got {len(aux)}", field="aux")
    p_point = coincurve.PublicKey.from_secret(seckey)
    p33 = p_point.format()
    d = N - d0 if p33[0] == 0x03 else d0
    masked = bytes(
        a ^ b
        for a, b in zip(d.to_bytes(32, "big"), tagged_hash("SchnorrAdaptor/aux", aux), strict=True)
    )
    k0 = (
        int.from_bytes(
            tagged_hash(
                "SchnorrAdaptor/nonce",
                masked + enc_key_point33 + (p33 if go_nonce else p33[1:]) + msg32,
            ),
            "big",
        )
        % N
    )
    if k0 == 0:
        raise AdaptorSigError("nonce is zero; use other aux randomness", field="aux")
    try:
        r0_point = coincurve.PublicKey.combine_keys(
            [coincurve.PublicKey.from_secret(k0.to_bytes(32, "big")), t_point]
        )
    except ValueError as exc:
        raise AdaptorSigError("R0 is infinite; use other aux randomness", field="aux") from exc
    r0 = r0_point.format()
    k = N - k0 if r0[0] == 0x03 else k0
    e = _challenge(r0, p33[1:], msg32)
    sig = AdaptorSig(r0=r0, s0=(k + e * d) % N)
    if not encrypted_verify(p33[1:], enc_key_point33, msg32, sig):
        raise AdaptorSigError("produced pre-signature does not verify", field="adaptor_sig")
    return sig


def _recovered_t(pk_xonly: bytes, msg32: bytes, sig: AdaptorSig) -> bytes | None:
    try:
        p_point = coincurve.PublicKey(b"\x02" + pk_xonly)
        r0_point = coincurve.PublicKey(sig.r0)
    except ValueError:
        return None
    e = _challenge(sig.r0, pk_xonly, msg32)
    try:
        s_g = coincurve.PublicKey.from_secret(sig.s0.to_bytes(32, "big"))
        # R = s0·G - e·P  (= ±k0·G)
        r_point = (
            s_g
            if e == 0
            else coincurve.PublicKey.combine_keys(
                [s_g, _neg(p_point.multiply(e.to_bytes(32, "big")))]
            )
        )
        # T = R0 - R when R0 is even, R0 + R when odd
        t_point = coincurve.PublicKey.combine_keys(
            [r0_point, r_point if sig.r0_odd else _neg(r_point)]
        )
    except ValueError:  # a point at infinity
        return None
    return bytes(t_point.format())


def encrypted_verify(
    pk_xonly: bytes, enc_key_point33: bytes, msg32: bytes, adaptor_sig: AdaptorSig | bytes
) -> bool:
    """True iff the pre-signature is valid for signer ``pk_xonly`` under ``T`` on ``msg32``.

    Malformed inputs are invalid (False), never an exception.
    """
    if len(pk_xonly) != 32 or len(msg32) != 32 or len(enc_key_point33) != 33:
        return False
    try:
        sig = adaptor_sig if isinstance(adaptor_sig, AdaptorSig) else AdaptorSig.parse(adaptor_sig)
    except InputError:
        return False
    recovered = _recovered_t(pk_xonly, msg32, sig)
    return recovered is not None and recovered == bytes(enc_key_point33)


def decrypt(adaptor_sig: AdaptorSig | bytes, dec_key32: bytes) -> bytes:
    """The 64-byte BIP340 signature ``x(R0) ‖ (s0 ± t)`` (+ when R0 is even)."""
    sig = adaptor_sig if isinstance(adaptor_sig, AdaptorSig) else AdaptorSig.parse(adaptor_sig)
    t = _scalar(dec_key32, "dec_key")
    s = (sig.s0 - t) % N if sig.r0_odd else (sig.s0 + t) % N
    return sig.r0[1:] + s.to_bytes(32, "big")


def extract(adaptor_sig: AdaptorSig | bytes, sig64: bytes) -> bytes:
    """The 32-byte decryption key ``t`` from a pre-signature and its decrypted signature.

    Raises ``AdaptorSigError`` when the signature's nonce is not the pre-signature's ``x(R0)``
    or the result is zero (then ``sig64`` was not decrypted from this pre-signature).
    """
    sig = adaptor_sig if isinstance(adaptor_sig, AdaptorSig) else AdaptorSig.parse(adaptor_sig)
    if len(sig64) != 64:
        raise AdaptorSigError(f"must be 64 bytes, got {len(sig64)}", field="sig")
    if sig64[:32] != sig.r0[1:]:
        raise AdaptorSigError("signature nonce differs from the pre-signature's R0", field="sig")
    s = int.from_bytes(sig64[32:], "big")
    if not 0 < s < N:
        raise AdaptorSigError("s must be in [1, n)", field="sig")
    t = (sig.s0 - s) % N if sig.r0_odd else (s - sig.s0) % N
    if t == 0:
        raise AdaptorSigError("extracted key is zero", field="sig")
    return t.to_bytes(32, "big")


def decrypt_verified(
    adaptor_sig: AdaptorSig | bytes, dec_key32: bytes, pk_xonly: bytes, msg32: bytes
) -> bytes:
    """``decrypt`` and check the result is a valid BIP340 signature (spec step 9)."""
    out = decrypt(adaptor_sig, dec_key32)
    if not schnorr_verify(pk_xonly, msg32, out):
        raise AdaptorSigError("decrypted signature does not verify", field="dec_key")
    return out
