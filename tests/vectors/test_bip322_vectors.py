"""BIP-322 test vectors (bitcoin/bips ``bip-0322/*.json``; provenance in data/README.md) through
l2kit's BIP-322 code and through the independent verifier ``bip322`` (rust-bitcoin/bip322)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import bip322 as rust
import pytest
from bitcoin.core import b2lx

from l2kit.btc import bip322
from l2kit.btc.network import Network, address_to_script, p2tr_address
from l2kit.errors import InputError
from l2kit.staking.funding import key_path_key

DATA = Path(__file__).parent / "data"
BASIC = json.loads((DATA / "bip322-basic-test-vectors.json").read_text())
GENERATED = json.loads((DATA / "bip322-generated-test-vectors.json").read_text())
SIMPLE = [v for v in BASIC["simple"] + GENERATED["simple"] if v["type"] in ("p2wpkh", "p2tr")]


def _wif(text: str) -> bytes:
    from bitcoin import base58

    raw = base58.decode(text)
    assert raw[0] == 0x80 and len(raw) == 38 and raw[33] == 0x01  # mainnet, compressed
    return bytes(raw[1:33])


def _witness(sig: str) -> list[bytes]:
    return bip322.parse_witness(base64.b64decode(sig.removeprefix("smp")))


def _spk(address: str) -> bytes:
    return bytes(address_to_script(address, Network.MAINNET))


@pytest.mark.parametrize("v", BASIC["tx_hashes"], ids=lambda v: repr(v["message"][:12]))
def test_message_hash_and_virtual_txids(v: dict[str, Any]) -> None:
    msg = v["message"].encode()
    to_spend = bip322.to_spend_tx(msg, _spk(v["address"]))
    assert bip322.message_hash(msg).hex() == v["message_hash"]
    assert b2lx(to_spend.GetTxid()) == v["to_spend_tx_hash"]
    assert b2lx(bip322.to_sign_tx(to_spend).GetTxid()) == v["to_sign_tx_hash"]


@pytest.mark.parametrize("v", SIMPLE, ids=lambda v: f"{v['type']}-{v['message'][:12]!r}")
def test_simple_signatures_verify(v: dict[str, Any]) -> None:
    msg, spk = v["message"].encode(), _spk(v["address"])
    verify = bip322.verify_p2wpkh if v["type"] == "p2wpkh" else bip322.verify_p2tr
    for sig in v["bip322_signatures"]:
        assert verify(msg, spk, _witness(sig)) is None
        rust.verify_simple_encoded(v["address"], v["message"], sig.removeprefix("smp"))
        assert verify(msg + b"!", spk, _witness(sig)) is not None


@pytest.mark.parametrize("v", SIMPLE, ids=lambda v: f"{v['type']}-{v['message'][:12]!r}")
def test_l2kit_signs_the_vector_keys(v: dict[str, Any]) -> None:
    seckey, msg = _wif(v["private_keys"][0]), v["message"].encode()
    if v["type"] == "p2wpkh":
        witness = bip322.sign_p2wpkh(seckey, msg)
        # RFC 6979 nonces: l2kit's signature is one the BIP lists, byte for byte
        assert (
            "smp" + base64.b64encode(bip322.serialize_witness(witness)).decode()
            in v["bip322_signatures"]
        )
    else:
        key = key_path_key(seckey)
        assert p2tr_address(key.output, Network.MAINNET) == v["address"]  # type: ignore[arg-type]
        witness = bip322.sign_p2tr(key.tweaked_secret, msg)
    encoded = base64.b64encode(bip322.serialize_witness(witness)).decode()
    rust.verify_simple_encoded(v["address"], v["message"], encoded)


@pytest.mark.parametrize(
    "v",
    [v for v in BASIC["error"] if v["address"].startswith("bc1q9vza")],
    ids=lambda v: v["description"],
)
def test_error_vectors_are_refused(v: dict[str, Any]) -> None:
    spk = _spk(v["address"])
    try:
        witness = _witness(v["signature"])
    except (ValueError, InputError):  # not base64 / not a witness: refused before any script
        return
    assert bip322.verify_p2wpkh(v["message"].encode(), spk, witness) is not None
