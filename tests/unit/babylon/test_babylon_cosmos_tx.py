"""Cosmos SIGN_MODE_DIRECT txs: round trip, an independent signature check (python-ecdsa),
the SignDoc binds chain id and account number, addresses are bech32 ``bbn1``."""

from __future__ import annotations

import hashlib

import ecdsa
from ecdsa.util import sigdecode_string
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.babylon import cosmos_tx as ct
from l2kit.babylon.address import parse_address
from l2kit.errors import InputError

SK = bytes.fromhex("11" * 32)


def _signed(**kw: object) -> bytes:
    args: dict[str, object] = {
        "chain_id": "bbn-test-6",
        "account_number": 7,
        "sequence": 3,
        "fee": [ct.Coin("ubbn", 2000)],
        "gas_limit": 250_000,
    }
    args.update(kw)
    return ct.sign_tx([("/babylon.btcstaking.v1.MsgX", b"\x0a\x03abc")], SK, **args)  # type: ignore[arg-type]


def test_round_trip_and_independent_verification() -> None:
    raw = _signed()
    tx = ct.decode_tx(raw)
    assert tx.messages == (("/babylon.btcstaking.v1.MsgX", b"\x0a\x03abc"),)
    assert (tx.sequence, tx.gas_limit, tx.fee) == (3, 250_000, (ct.Coin("ubbn", 2000),))
    assert tx.sign_mode == ct.SIGN_MODE_DIRECT and len(tx.signature) == 64
    assert tx.pubkey == ct.public_key(SK)
    # python-ecdsa (pure Python, not libsecp256k1) checks the same bytes
    doc = ct._sign_doc(tx.body_bytes, tx.auth_info_bytes, "bbn-test-6", 7)
    vk = ecdsa.VerifyingKey.from_string(tx.pubkey, curve=ecdsa.SECP256k1)
    assert vk.verify(tx.signature, doc, hashfunc=hashlib.sha256, sigdecode=sigdecode_string)
    s = int.from_bytes(tx.signature[32:], "big")
    assert s <= ecdsa.SECP256k1.order // 2  # low S, as the SDK requires
    assert ct.verify_tx(tx, "bbn-test-6", 7)
    assert ct.txhash(raw) == hashlib.sha256(raw).hexdigest().upper()


def test_sign_doc_binds_chain_and_account_number() -> None:
    tx = ct.decode_tx(_signed())
    assert not ct.verify_tx(tx, "bbn-1", 7)
    assert not ct.verify_tx(tx, "bbn-test-6", 8)


def test_tampered_body_fails() -> None:
    tx = ct.decode_tx(_signed(memo="a"))
    forged = ct.DecodedTx(**{**tx.__dict__, "body_bytes": tx.body_bytes[:-1] + b"b"})
    assert not ct.verify_tx(forged, "bbn-test-6", 7)


def test_address_is_bech32_of_hash160() -> None:
    pk = ct.public_key(SK)
    addr = ct.account_address(pk)
    assert addr.startswith("bbn1") and len(addr) == 42
    h160 = hashlib.new("ripemd160", hashlib.sha256(pk).digest()).digest()
    assert parse_address(addr).account == h160


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=80))
def test_decode_junk_is_an_input_error_or_a_tx(junk: bytes) -> None:
    try:
        ct.decode_tx(junk)
    except InputError as exc:
        assert exc.field == "tx"


@settings(max_examples=40, deadline=None)
@given(
    msgs=st.lists(
        st.tuples(
            st.from_regex(r"/[a-z]{1,8}\.[A-Za-z]{1,8}", fullmatch=True), st.binary(max_size=40)
        ),
        min_size=1,
        max_size=3,
    ),
    sequence=st.integers(0, 2**63),
    account=st.integers(0, 2**63),
    fee=st.integers(0, 10**12),
    gas=st.integers(0, 2**63),
    memo=st.text(max_size=20),
)
def test_sign_decode_round_trip(
    msgs: list[tuple[str, bytes]], sequence: int, account: int, fee: int, gas: int, memo: str
) -> None:
    raw = ct.sign_tx(
        msgs,
        SK,
        chain_id="bbn-1",
        account_number=account,
        sequence=sequence,
        fee=[ct.Coin("ubbn", fee)],
        gas_limit=gas,
        memo=memo,
    )
    tx = ct.decode_tx(raw)
    assert list(tx.messages) == msgs and tx.memo == memo
    assert (tx.sequence, tx.gas_limit, tx.fee) == (sequence, gas, (ct.Coin("ubbn", fee),))
    assert ct.verify_tx(tx, "bbn-1", account) and not ct.verify_tx(tx, "bbn-1", account ^ 1)
