"""Interop: adaptor signatures made the way Babylon's Go code makes them must verify, decrypt
and extract with ``l2kit.btc.adaptor``.

We cannot run Go here, so ``_go_enc_sign`` re-derives Go's algorithm step by step from
babylonlabs-io/babylon ``crypto/schnorr-adaptor-signature`` (``sig.go`` EncSignWithAuxData,
``sign_utils.go`` encSign, ``keys.go`` NewEncryptionKeyFromBTCPK / NewDecryptionKeyFromBTCSK,
``types.go`` Marshal / convertOldFormatToNewFormat) on a textbook affine secp256k1 written
here — independent of coincurve and of the module under test.
"""

from __future__ import annotations

import hashlib

import pytest

from l2kit.btc import adaptor
from l2kit.btc.sign import schnorr_verify

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
Point = tuple[int, int] | None


def _add(a: Point, b: Point) -> Point:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def _mul(k: int, pt: Point) -> Point:
    out: Point = None
    while k:
        if k & 1:
            out = _add(out, pt)
        pt = _add(pt, pt)
        k >>= 1
    return out


def _ser(pt: Point) -> bytes:  # SerializeCompressed / JacobianToByteSlice
    assert pt is not None
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def _tagged(tag: str, *parts: bytes) -> bytes:
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + b"".join(parts)).digest()


def _even(pt: Point) -> Point:  # NewEncryptionKeyFromJacobianPoint: negate Y when odd
    assert pt is not None
    return pt if pt[1] % 2 == 0 else (pt[0], P - pt[1])


def _go_enc_sign(sk: int, fp_pub: Point, msg: bytes, aux: bytes) -> tuple[bytes, bytes]:
    """(65-byte Marshal, 66-byte legacy form) of Go EncSignWithAuxData(sk, encKey(fp), msg)."""
    enc = _even(fp_pub)  # NewEncryptionKeyFromBTCPK
    pk = _mul(sk, G)
    assert pk is not None
    pk_bytes = _ser(pk)  # 33 bytes: Go hashes the compressed key into the nonce
    d = N - sk if pk_bytes[0] == 0x03 else sk
    t = bytes(
        a ^ b
        for a, b in zip(d.to_bytes(32, "big"), _tagged("SchnorrAdaptor/aux", aux), strict=True)
    )
    k = int.from_bytes(_tagged("SchnorrAdaptor/nonce", t, _ser(enc), pk_bytes, msg), "big") % N
    r0 = _add(_mul(k, G), enc)
    assert r0 is not None and k != 0
    if r0[1] % 2:
        k = N - k
    e = (
        int.from_bytes(
            _tagged("BIP0340/challenge", r0[0].to_bytes(32, "big"), pk_bytes[1:], msg), "big"
        )
        % N
    )
    s = (e * d + k) % N
    new = _ser(r0) + s.to_bytes(32, "big")
    legacy = b"\x02" + r0[0].to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([r0[1] % 2])
    return new, legacy


def _go_dec_key(fp_sk: int) -> bytes:  # NewDecryptionKeyFromBTCSK
    pub = _mul(fp_sk, G)
    assert pub is not None
    return (N - fp_sk if pub[1] % 2 else fp_sk).to_bytes(32, "big")


def _odd_key(seed: int, odd: bool) -> int:
    k = seed
    while True:
        pub = _mul(k, G)
        assert pub is not None
        if (pub[1] % 2 == 1) == odd:
            return k
        k += 1


@pytest.mark.parametrize(
    ("cov_odd", "fp_odd"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_go_made_adaptor_sigs_verify_decrypt_and_extract(cov_odd: bool, fp_odd: bool) -> None:
    cov_sk = _odd_key(0xC0FFEE + 1000 * cov_odd, cov_odd)
    fp_sk = _odd_key(0xFACADE + 1000 * fp_odd, fp_odd)
    cov_pub, fp_pub = _mul(cov_sk, G), _mul(fp_sk, G)
    assert cov_pub is not None and fp_pub is not None
    cov_x, fp_x = cov_pub[0].to_bytes(32, "big"), fp_pub[0].to_bytes(32, "big")
    msg = hashlib.sha256(b"slashing sighash").digest()
    enc_key = adaptor.encryption_key_from_xonly(fp_x)
    assert enc_key == _ser(_even(fp_pub))
    assert adaptor.decryption_key_for(fp_sk.to_bytes(32, "big")) == _go_dec_key(fp_sk)

    seen_parity = set()
    for i in range(64):
        aux = hashlib.sha256(bytes([i])).digest()
        wire, legacy = _go_enc_sign(cov_sk, fp_pub, msg, aux)
        seen_parity.add(wire[0])
        for form in (wire, legacy):
            assert adaptor.encrypted_verify(cov_x, enc_key, msg, form)
            sig = adaptor.decrypt(form, _go_dec_key(fp_sk))
            assert schnorr_verify(cov_x, msg, sig)
            assert adaptor.extract(form, sig) == _go_dec_key(fp_sk)
        # l2kit's go_nonce mode reproduces Go's bytes exactly
        ours = adaptor.encrypted_sign(cov_sk.to_bytes(32, "big"), enc_key, msg, aux, go_nonce=True)
        assert ours.serialize() == wire
        # a pre-signature under the wrong key never verifies
        assert not adaptor.encrypted_verify(cov_x, enc_key, bytes(32), wire)
        if seen_parity == {2, 3}:
            break
    assert seen_parity == {2, 3}  # both R0 parities (needsNegation 0 and 1) were exercised
