"""BIP341 taproot outputs, control blocks and addresses.

Official vectors: BIP341 ``wallet-test-vectors.json`` (``scriptPubKey`` section), in
``tests/vectors/data/bip341-wallet-test-vectors.json`` (provenance in that folder's README);
only trees whose leaves are all tapscript (0xc0) are used, as ``taproot_output`` builds those.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support.paths import VECTORS

from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network, address_to_script, p2tr_address, script_to_address
from l2kit.btc.script import Script
from l2kit.btc.taproot import (
    NUMS_X,
    Tree,
    tap_branch_hash,
    tap_leaf_hash,
    taproot_output,
    verify_control_block,
)
from l2kit.errors import InputError, ScriptError

BIP341 = json.loads((VECTORS / "bip341-wallet-test-vectors.json").read_text())


def _tree(node: Any) -> Tree | None:
    if isinstance(node, list):
        a, b = (_tree(n) for n in node)
        return None if a is None or b is None else (a, b)
    return Script(bytes.fromhex(node["script"])) if node["leafVersion"] == 0xC0 else None


CASES = [
    c
    for c in BIP341["scriptPubKey"]
    if c["given"]["scriptTree"] is not None and _tree(c["given"]["scriptTree"]) is not None
]


def test_nums_is_sha256_of_uncompressed_generator() -> None:
    g = bytes.fromhex(
        "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
    )
    assert hashlib.sha256(g).digest() == NUMS_X


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bip341_script_tree_vectors(case: dict[str, Any]) -> None:
    tree = _tree(case["given"]["scriptTree"])
    assert tree is not None
    out = taproot_output(tree, XOnlyPubKey(bytes.fromhex(case["given"]["internalPubkey"])))
    inter, exp = case["intermediary"], case["expected"]
    assert [tap_leaf_hash(s).hex() for s in out.leaves] == inter["leafHashes"]
    assert out.merkle_root.hex() == inter["merkleRoot"]
    assert out.output_key.hex() == inter["tweakedPubkey"]
    assert out.script_pubkey.hex() == exp["scriptPubKey"]
    assert p2tr_address(out.output_key, Network.MAINNET) == exp["bip350Address"]
    assert [out.control_block(s).hex() for s in out.leaves] == exp["scriptPathControlBlocks"]


def test_at_least_three_official_trees_used() -> None:
    assert len(CASES) >= 3


def test_single_leaf_control_block_is_33_bytes() -> None:
    leaf = Script(b"\x51")
    out = taproot_output(leaf)
    assert out.merkle_root == tap_leaf_hash(leaf)
    assert len(out.control_block(leaf)) == 33
    assert verify_control_block(out.output_key, leaf, out.control_block(leaf))


def test_unknown_leaf_and_bad_tree_rejected() -> None:
    out = taproot_output((Script(b"\x51"), Script(b"\x52")))
    with pytest.raises(ScriptError):
        out.control_block(b"\x53")
    with pytest.raises(ScriptError):
        taproot_output((Script(b"\x51"),))  # type: ignore[arg-type]


def test_branch_hash_is_order_independent() -> None:
    a, b = tap_leaf_hash(b"\x51"), tap_leaf_hash(b"\x52")
    assert tap_branch_hash(a, b) == tap_branch_hash(b, a)


def test_leaf_hash_uses_compact_size_for_long_scripts() -> None:
    script = b"\x61" * 300  # > 252 bytes: length is fd 2c01
    tagged = hashlib.sha256(b"TapLeaf").digest()
    expect = hashlib.sha256(tagged + tagged + b"\xc0\xfd\x2c\x01" + script).digest()
    assert tap_leaf_hash(script) == expect


# --- property: control blocks verify against the output key --------------------------------

scripts = st.binary(min_size=1, max_size=80).map(Script)
trees: st.SearchStrategy[Tree] = st.recursive(
    scripts, lambda kids: st.tuples(kids, kids), max_leaves=8
)


@settings(max_examples=60, deadline=None)
@given(tree=trees, secret=st.integers(min_value=1, max_value=2**255))
def test_control_blocks_verify_for_random_trees(tree: Tree, secret: int) -> None:
    internal = xonly_of(secret.to_bytes(32, "big"))
    out = taproot_output(tree, internal)
    assume(len(set(out.leaves)) == len(out.leaves))  # control_block() looks leaves up by script
    for leaf, path in zip(out.leaves, out.paths, strict=True):
        cb = out.control_block(leaf)
        assert len(cb) == 33 + 32 * len(path)
        assert verify_control_block(out.output_key, leaf, cb)
        # any flipped bit in the path or the wrong parity must fail
        if path:
            bad = bytearray(cb)
            bad[-1] ^= 1
            assert not verify_control_block(out.output_key, leaf, bytes(bad))
        assert not verify_control_block(out.output_key, leaf, bytes([cb[0] ^ 1]) + cb[1:])


# --- addresses ---------------------------------------------------------------------------------

KEY = XOnlyPubKey(bytes.fromhex("b2b169d39fb8ea9828f6ed8dbbeaa12594706d03bfd1638a912608a085fdd7a5"))


@pytest.mark.parametrize(
    ("net", "prefix"),
    [
        (Network.MAINNET, "bc1p"),
        (Network.SIGNET, "tb1p"),
        (Network.TESTNET, "tb1p"),
        (Network.TESTNET4, "tb1p"),
        (Network.REGTEST, "bcrt1p"),
    ],
)
def test_p2tr_address_roundtrip(net: Network, prefix: str) -> None:
    addr = p2tr_address(KEY, net)
    assert addr.startswith(prefix)
    spk = address_to_script(addr, net)
    assert spk == b"\x51\x20" + KEY
    assert script_to_address(spk, net) == addr


def test_network_parse_aliases_and_errors() -> None:
    assert Network.parse("testnet3") is Network.TESTNET
    assert Network.parse("MAINNET") is Network.MAINNET
    with pytest.raises(InputError, match="network"):
        Network.parse("bogus")


def test_address_for_wrong_network_rejected() -> None:
    with pytest.raises(InputError, match="address"):
        address_to_script(p2tr_address(KEY, Network.MAINNET), Network.REGTEST)
    with pytest.raises(InputError):
        address_to_script("bc1pnotanaddress", Network.MAINNET)


def test_legacy_and_segwit_v0_addresses() -> None:
    p2wpkh = b"\x00\x14" + bytes(range(20))
    addr = script_to_address(p2wpkh, Network.REGTEST)
    assert addr is not None and addr.startswith("bcrt1q")
    assert address_to_script(addr, Network.REGTEST) == p2wpkh
    p2pkh = b"\x76\xa9\x14" + bytes(20) + b"\x88\xac"
    assert script_to_address(p2pkh, Network.MAINNET) == "1111111111111111111114oLvT2"
    assert address_to_script("1111111111111111111114oLvT2", Network.MAINNET) == p2pkh
    p2sh = b"\xa9\x14" + bytes(20) + b"\x87"
    legacy = script_to_address(p2sh, Network.REGTEST)
    assert legacy is not None and address_to_script(legacy, Network.REGTEST) == p2sh
