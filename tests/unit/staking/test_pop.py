"""Proof of possession: every type verifies (BIP-322 also with the independent rust-bitcoin
verifier); every mutation the chain refuses is refused by ``verify_pop`` before sending."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import bip322 as rust
import coincurve
import pytest
from bitcoin.core import CScript
from bitcoin.core.key import CPubKey
from bitcoin.core.script import SIGVERSION_WITNESS_V0, SignatureHash
from bitcoin.signmessage import BitcoinMessage, VerifyMessage
from bitcoin.wallet import P2PKHBitcoinAddress
from bitcoinutils import schnorr as reference_schnorr
from hypothesis import given
from hypothesis import strategies as st

from l2kit.babylon.address import BabylonAddress
from l2kit.babylon.proto import Bip322Sig, BtcSigType, Pop, decode_bip322_sig, encode_bip322_sig
from l2kit.btc import bip322
from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network, address_to_script, p2tr_address
from l2kit.btc.sign import schnorr_sign, schnorr_verify, taproot_sighash
from l2kit.btc.taproot import tagged_hash, taproot_output
from l2kit.errors import InputError, PopError
from l2kit.staking.funding import key_path_key
from l2kit.staking.pop import (
    AddressType,
    PopContext,
    PopType,
    bip322_address,
    bip322_psbt,
    pop_from_psbt,
    pop_message,
    sign_pop,
    verify_pop,
)

SK = bytes.fromhex("3b" * 32)
OTHER = bytes.fromhex("5c" * 32)
STAKER = BabylonAddress.from_account(bytes(range(1, 21)))
ELSE = BabylonAddress.from_account(bytes(range(2, 22)))
NETS = [Network.MAINNET, Network.SIGNET, Network.REGTEST]
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _bip322(pop: Pop) -> Bip322Sig:
    assert pop.btc_sig_type == BtcSigType.BIP322
    return decode_bip322_sig(pop.btc_sig)


def _with_witness(address: str, witness: list[bytes]) -> Pop:
    sig = encode_bip322_sig(Bip322Sig(address, bip322.serialize_witness(witness)))
    return Pop(BtcSigType.BIP322, sig)


@pytest.mark.parametrize("net", NETS)
@pytest.mark.parametrize("address_type", list(AddressType))
def test_bip322_pops_verify_independently(net: Network, address_type: AddressType) -> None:
    pop = sign_pop(SK, STAKER, net, PopType.BIP322, address_type=address_type)
    sig = _bip322(pop)
    assert sig.address == bip322_address(SK, net, address_type)
    verify_pop(pop, STAKER, xonly_of(SK), net)
    # rust-bitcoin/bip322: the message is the bech32 text, the signature the witness
    rust.verify_simple_encoded(sig.address, STAKER.text, base64.b64encode(sig.sig).decode())
    with pytest.raises(rust.VerificationError):
        rust.verify_simple_encoded(sig.address, ELSE.text, base64.b64encode(sig.sig).decode())


@pytest.mark.parametrize("kind", [PopType.BIP340, PopType.ECDSA])
def test_bip340_and_ecdsa_pops(kind: PopType) -> None:
    pop = sign_pop(SK, STAKER, Network.MAINNET, kind)
    verify_pop(pop, STAKER, xonly_of(SK), Network.MAINNET)
    if kind is PopType.BIP340:  # sha256 of the 20 account bytes, not of the text
        digest = hashlib.sha256(STAKER.account).digest()
        # independent: the BIP-340 reference implementation (bitcoin-utils' schnorr.py)
        assert reference_schnorr.schnorr_verify(digest, xonly_of(SK), pop.btc_sig)
    else:  # BIP-137 with a compressed-key header, as btcec SignCompact(…, true)
        assert 31 <= pop.btc_sig[0] <= 34 and len(pop.btc_sig) == 65
        # independent: python-bitcoinlib's Bitcoin Signed Message verifier (P2PKH address)
        pub = CPubKey(coincurve.PrivateKey(SK).public_key.format(compressed=True))
        address = P2PKHBitcoinAddress.from_pubkey(pub)
        sig64 = base64.b64encode(pop.btc_sig).decode()
        assert VerifyMessage(address, BitcoinMessage(STAKER.text), sig64)
        assert not VerifyMessage(address, BitcoinMessage(ELSE.text), sig64)


@pytest.mark.parametrize("kind", list(PopType))
def test_wrong_address_and_wrong_key_are_refused(kind: PopType) -> None:
    pop = sign_pop(SK, STAKER, Network.MAINNET, kind)
    with pytest.raises(PopError):
        verify_pop(pop, ELSE, xonly_of(SK), Network.MAINNET)
    with pytest.raises(PopError):
        verify_pop(pop, STAKER, xonly_of(OTHER), Network.MAINNET)


def test_bip322_address_of_another_network_is_refused() -> None:
    pop = sign_pop(SK, STAKER, Network.REGTEST)
    with pytest.raises(PopError, match="BIP-322"):
        verify_pop(pop, STAKER, xonly_of(SK), Network.MAINNET)


def test_bip322_address_of_another_key_is_refused() -> None:
    # a valid BIP-322 signature, but by another key's address: the chain ties address to btc_pk
    pop = sign_pop(OTHER, STAKER, Network.MAINNET)
    with pytest.raises(PopError, match="BIP-86"):
        verify_pop(pop, STAKER, xonly_of(SK), Network.MAINNET)
    pop = sign_pop(OTHER, STAKER, Network.MAINNET, address_type=AddressType.P2WPKH)
    with pytest.raises(PopError, match="not btc_pk"):
        verify_pop(pop, STAKER, xonly_of(SK), Network.MAINNET)


@pytest.mark.parametrize("hash_type", [0x02, 0x03, 0x81, 0x82, 0x83])
def test_p2tr_sighash_types_other_than_default_and_all_are_refused(hash_type: int) -> None:
    key, net = key_path_key(SK), Network.MAINNET
    address = p2tr_address(key.output, net)  # type: ignore[arg-type]
    msg = STAKER.text.encode()
    witness = bip322.sign_p2tr(key.tweaked_secret, msg, hash_type)
    # the signature is valid BIP-341 for its hash type: only the sighash rule refuses it
    spk = bytes(address_to_script(address, net))
    to_sign = bip322.to_sign_tx(bip322.to_spend_tx(msg, spk))
    assert schnorr_verify(
        key.output, taproot_sighash(to_sign, 0, [(0, spk)], hash_type), witness[0]
    )
    with pytest.raises(PopError, match="SIGHASH"):
        verify_pop(_with_witness(address, witness), STAKER, xonly_of(SK), net)
    # SIGHASH_ALL (65 bytes ending 01) is what the chain accepts besides DEFAULT
    ok = bip322.sign_p2tr(key.tweaked_secret, msg, 0x01)
    verify_pop(_with_witness(address, ok), STAKER, xonly_of(SK), net)


def test_p2wpkh_sighash_none_is_refused() -> None:
    net, msg = Network.MAINNET, STAKER.text.encode()
    pub = coincurve.PrivateKey(SK).public_key.format(compressed=True)
    spk = bip322.p2wpkh_script(pub)
    to_sign = bip322.to_sign_tx(bip322.to_spend_tx(msg, spk))
    code = CScript(b"\x76\xa9\x14" + spk[2:] + b"\x88\xac")
    digest = SignatureHash(code, to_sign, 0, 0x02, 0, SIGVERSION_WITNESS_V0)
    sig = coincurve.PrivateKey(SK).sign(bytes(digest), hasher=None) + b"\x02"
    address = bip322_address(SK, net, AddressType.P2WPKH)
    with pytest.raises(PopError, match="SIGHASH_ALL"):
        verify_pop(_with_witness(address, [sig, pub]), STAKER, xonly_of(SK), net)


def test_p2wpkh_high_s_and_loose_der_are_refused() -> None:
    net = Network.MAINNET
    pop = sign_pop(SK, STAKER, net, address_type=AddressType.P2WPKH)
    sig, pub = bip322.parse_witness(_bip322(pop).sig)
    r_len = sig[3]
    s = int.from_bytes(sig[6 + r_len : -1], "big")
    high = (_N - s).to_bytes(33, "big")  # > n/2: top bit set, so DER needs a 00 byte
    der = b"\x02" + bytes([r_len]) + sig[4 : 4 + r_len] + b"\x02\x21" + high
    high_sig = b"\x30" + bytes([len(der)]) + der + b"\x01"
    address = _bip322(pop).address
    with pytest.raises(PopError, match="high S"):
        verify_pop(_with_witness(address, [high_sig, pub]), STAKER, xonly_of(SK), net)
    padded = sig[:4] + b"\x00" + sig[4:]  # a needless leading zero: not strict DER
    with pytest.raises(PopError, match="DER"):
        verify_pop(_with_witness(address, [padded, pub]), STAKER, xonly_of(SK), net)


def test_script_path_p2tr_is_refused() -> None:
    net, msg = Network.MAINNET, STAKER.text.encode()
    leaf = bytes([0x20]) + xonly_of(SK) + b"\xac"  # <btc_pk> OP_CHECKSIG
    out = taproot_output(leaf, internal_key=xonly_of(OTHER))
    address = p2tr_address(out.output_key, net)
    spk = bytes(out.script_pubkey)
    to_sign = bip322.to_sign_tx(bip322.to_spend_tx(msg, spk))
    leaf_hash = tagged_hash("TapLeaf", b"\xc0" + bytes([len(leaf)]) + leaf)
    sig = schnorr_sign(SK, taproot_sighash(to_sign, 0, [(0, spk)], leaf_hash=leaf_hash))
    witness = [sig, leaf, out.control_block(leaf)]
    with pytest.raises(PopError, match="unsupported"):
        verify_pop(_with_witness(address, witness), STAKER, xonly_of(SK), net)


def test_ecdsa_high_s_and_bad_header_are_refused() -> None:
    pop = sign_pop(SK, STAKER, Network.MAINNET, PopType.ECDSA)
    h, r, s = pop.btc_sig[0], pop.btc_sig[1:33], int.from_bytes(pop.btc_sig[33:], "big")
    # (r, n - s) with the other recovery id recovers the same key: only the high-S rule refuses
    flipped = bytes([27 + 4 + ((h - 27) & 3 ^ 1)]) + r + (_N - s).to_bytes(32, "big")
    with pytest.raises(PopError, match="high S"):
        verify_pop(Pop(BtcSigType.ECDSA, flipped), STAKER, xonly_of(SK), Network.MAINNET)
    for header in (26, 35):
        bad = Pop(BtcSigType.ECDSA, bytes([header]) + pop.btc_sig[1:])
        with pytest.raises(PopError, match="header"):
            verify_pop(bad, STAKER, xonly_of(SK), Network.MAINNET)


def test_bip340_over_the_text_instead_of_the_account_bytes_is_refused() -> None:
    sig = schnorr_sign(SK, hashlib.sha256(STAKER.text.encode()).digest())
    with pytest.raises(PopError, match="BIP-340"):
        verify_pop(Pop(BtcSigType.BIP340, sig), STAKER, xonly_of(SK), Network.MAINNET)
    with pytest.raises(PopError, match="64 bytes"):
        verify_pop(Pop(BtcSigType.BIP340, sig[:63]), STAKER, xonly_of(SK), Network.MAINNET)


def test_malformed_bip322_sigs_are_refused() -> None:
    pop = sign_pop(SK, STAKER, Network.MAINNET)
    good = _bip322(pop)
    for bad in (
        Bip322Sig(good.address, good.sig + b"\x00"),  # trailing bytes
        Bip322Sig("", good.sig),
        Bip322Sig(good.address, b""),
        Bip322Sig(good.address, b"\x02\x40" + good.sig[2:]),  # truncated second item
    ):
        with pytest.raises(PopError):
            verify_pop(
                Pop(BtcSigType.BIP322, encode_bip322_sig(bad)),
                STAKER,
                xonly_of(SK),
                Network.MAINNET,
            )
    with pytest.raises(PopError, match="empty"):
        verify_pop(dataclasses.replace(pop, btc_sig=b""), STAKER, xonly_of(SK), Network.MAINNET)


@pytest.mark.parametrize("kind", list(PopType))
def test_signing_context_is_an_option_and_must_match(kind: PopType) -> None:
    ctx = PopContext("bbn-test-5", "bbn13837feaxn8t0zvwcjwhw7lhpgdcx4s36eqteah")
    assert pop_message(PopType.BIP322, STAKER, ctx) == (
        hashlib.sha256(
            b"btcstaking/0/staker_pop/bbn-test-5/bbn13837feaxn8t0zvwcjwhw7lhpgdcx4s36eqteah"
        )
        .hexdigest()
        .encode()
        + STAKER.text.encode()
    )
    pop = sign_pop(SK, STAKER, Network.MAINNET, kind, context=ctx)
    verify_pop(pop, STAKER, xonly_of(SK), Network.MAINNET, context=ctx)
    with pytest.raises(PopError):
        verify_pop(pop, STAKER, xonly_of(SK), Network.MAINNET)  # mainnet v4: no context
    with pytest.raises(InputError, match="version"):
        pop_message(kind, STAKER, dataclasses.replace(ctx, version=1))


def test_psbt_round_trip_through_an_external_signer() -> None:
    net = Network.REGTEST
    address = bip322_address(SK, net)
    psbt = bip322_psbt(STAKER, address, net)
    raw = base64.b64decode(psbt)
    assert raw.startswith(b"psbt\xff")
    # the "external signer": sign to_sign and hand back the finalized tx
    key = key_path_key(SK)
    witness = bip322.sign_p2tr(key.tweaked_secret, STAKER.text.encode())
    spk = bytes(address_to_script(address, net))
    to_sign = bip322.to_sign_tx(bip322.to_spend_tx(STAKER.text.encode(), spk))
    assert btx.serialize(to_sign, witness=False) in raw
    signed = btx.serialize(btx.set_witness(to_sign, 0, witness)).hex()
    pop = pop_from_psbt(signed, STAKER, xonly_of(SK), address, net)
    verify_pop(pop, STAKER, xonly_of(SK), net)
    with pytest.raises(InputError, match="final witness"):
        pop_from_psbt(psbt, STAKER, xonly_of(SK), address, net)  # not signed yet


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_witness_serialization_round_trip(items: list[bytes]) -> None:
    assert bip322.parse_witness(bip322.serialize_witness(items)) == items


@given(st.binary(max_size=80) | st.sampled_from([b"\x01\xfd\x01\x00\x00", b"\xfe\x01\x00\x00\x00"]))
def test_witness_parser_accepts_only_canonical_stacks(data: bytes) -> None:
    try:
        items = bip322.parse_witness(data)
    except InputError:
        return
    assert bip322.serialize_witness(items) == data


_keys = st.integers(1, _N - 1).map(lambda d: d.to_bytes(32, "big"))


@given(_keys, st.binary(max_size=100))
def test_bip137_recovers_the_signer(seckey: bytes, message: bytes) -> None:
    sig = bip322.bip137_sign(seckey, message)
    assert int.from_bytes(sig[33:], "big") <= _N // 2  # libsecp256k1 signs low-S
    recovered = bip322.bip137_recover(message, sig)
    assert recovered == coincurve.PrivateKey(seckey).public_key.format(compressed=True)


@given(st.binary(min_size=65, max_size=65), st.binary(max_size=40))
def test_bip137_recover_never_crashes(sig: bytes, message: bytes) -> None:
    assert isinstance(bip322.bip137_recover(message, sig), bytes | str)


@given(_keys, st.sampled_from(list(PopType)), st.binary(min_size=20, max_size=20))
def test_every_pop_verifies_for_any_key_and_account(
    seckey: bytes, kind: PopType, account: bytes
) -> None:
    staker = BabylonAddress.from_account(account)
    pop = sign_pop(seckey, staker, Network.SIGNET, kind)  # sign_pop verifies before returning
    with pytest.raises(PopError):
        verify_pop(pop, staker, xonly_of(OTHER if seckey != OTHER else SK), Network.SIGNET)
