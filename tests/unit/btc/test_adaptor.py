"""Adaptor signatures: sign → verify → decrypt → extract round trip, wire forms, rejects."""

from __future__ import annotations

import coincurve
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.btc import adaptor
from l2kit.btc.sign import schnorr_verify, xonly_pubkey
from l2kit.errors import InputError

N = adaptor.N
scalars = st.integers(1, N - 1).map(lambda k: k.to_bytes(32, "big"))


@settings(max_examples=40, deadline=None)
@given(
    sk=scalars,
    dk=scalars,
    msg=st.binary(min_size=32, max_size=32),
    aux=st.binary(min_size=32, max_size=32),
)
def test_roundtrip_any_parity(sk: bytes, dk: bytes, msg: bytes, aux: bytes) -> None:
    t_point = coincurve.PublicKey.from_secret(dk).format()  # 02 or 03
    pre = adaptor.encrypted_sign(sk, t_point, msg, aux)
    pk = xonly_pubkey(sk)
    assert adaptor.encrypted_verify(pk, t_point, msg, pre)
    assert not adaptor.encrypted_verify(pk, t_point, bytes(b ^ 1 for b in msg), pre)
    sig = adaptor.decrypt(pre, dk)
    assert schnorr_verify(pk, msg, sig)
    assert adaptor.extract(pre, sig) == dk


@settings(max_examples=20, deadline=None)
@given(sk=scalars, fp_sk=scalars, msg=st.binary(min_size=32, max_size=32))
def test_babylon_even_encryption_key(sk: bytes, fp_sk: bytes, msg: bytes) -> None:
    enc = adaptor.encryption_key_from_xonly(xonly_pubkey(fp_sk))
    pre = adaptor.encrypted_sign(sk, enc, msg)
    dec = adaptor.decryption_key_for(fp_sk)
    sig = adaptor.decrypt_verified(pre, dec, xonly_pubkey(sk), msg)
    assert adaptor.extract(pre, sig) == dec


def test_legacy_66_byte_form_and_go_nonce() -> None:
    sk, dk, msg = (5).to_bytes(32, "big"), (7).to_bytes(32, "big"), bytes(range(32))
    t_point = adaptor.encryption_key_from_xonly(xonly_pubkey(dk))
    for go_nonce in (False, True):
        pre = adaptor.encrypted_sign(sk, t_point, msg, bytes(32), go_nonce=go_nonce)
        wire = pre.serialize()
        legacy = b"\x02" + wire[1:] + bytes([wire[0] - 2])
        assert adaptor.AdaptorSig.parse(legacy) == pre
        assert adaptor.AdaptorSig.parse(wire) == pre
    a = adaptor.encrypted_sign(sk, t_point, msg, bytes(32))
    b = adaptor.encrypted_sign(sk, t_point, msg, bytes(32), go_nonce=True)
    assert a != b and adaptor.encrypted_verify(xonly_pubkey(sk), t_point, msg, b)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x02" * 64,
        b"\x03" + b"\x00" * 64,
        b"\x04" + b"\x11" * 64,
        b"\x03" + b"\x11" * 65,
        b"\x02" + b"\x11" * 64 + b"\x02",
    ],
)
def test_parse_rejects_malformed(data: bytes) -> None:
    with pytest.raises(InputError, match="adaptor_sig"):
        adaptor.AdaptorSig.parse(data)


def test_extract_rejects_unrelated_signature() -> None:
    sk, dk, msg = (5).to_bytes(32, "big"), (7).to_bytes(32, "big"), bytes(32)
    pre = adaptor.encrypted_sign(sk, coincurve.PublicKey.from_secret(dk).format(), msg)
    with pytest.raises(InputError, match="nonce"):
        adaptor.extract(pre, b"\x01" * 64)
