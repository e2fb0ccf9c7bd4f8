"""Babylon's official staking vectors (all 5 cases), through the library and the CLI.

Source: babylonlabs-io/babylon ``btcstaking/testvectors/vectors.json`` at a3b6540f3d79 (blob
7d17f02de260), copied to ``shared/vectors/babylon-btcstaking-testvectors.json`` (provenance in
its README) and here as ``data/babylon-btcstaking-testvectors.json``. The worked example
(vector #2, "3/5 covenant") comes from ``shared/reference/babylon-staking.md`` §1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import click_invoke

from l2kit.btc.keys import parse_pubkey, parse_pubkeys
from l2kit.btc.network import Network
from l2kit.btc.taproot import NUMS_X, tap_branch_hash, tap_leaf_hash, verify_control_block
from l2kit.btc.tx import OutPoint, serialize
from l2kit.staking.identifiable import build_v0_op_return
from l2kit.staking.scripts import staking_info, unbonding_info
from l2kit.staking.transactions import build_unbonding_tx

DATA = Path(__file__).parent / "data" / "babylon-btcstaking-testvectors.json"
SHARED = Path(__file__).parents[2].parent / "shared" / "vectors" / DATA.name
VECTORS: list[dict[str, Any]] = json.loads(DATA.read_text())["vectors"]
IDS = [v["name"] for v in VECTORS]


def test_copy_matches_shared() -> None:
    if SHARED.exists():  # CI has shared/ beside the clone; the copy must not drift
        assert SHARED.read_bytes() == DATA.read_bytes()
    assert len(VECTORS) == 5


def _library(p: dict[str, Any]) -> dict[str, Any]:
    staker = parse_pubkey(p["staker_public_key"], "staker")
    fps = parse_pubkeys(p["finality_provider_public_keys"], "fps")
    covs = parse_pubkeys(p["covenant_public_keys"], "covs")
    net = Network.parse(p["network"])
    si = staking_info(
        staker, fps, covs, p["covenant_quorum"], p["staking_time"], p["staking_value"], net
    )
    ui = unbonding_info(
        staker,
        fps,
        covs,
        p["covenant_quorum"],
        p["unbonding_time"],
        p["staking_value"] - p["unbonding_fee"],
        net,
    )
    assert p["unbonding_tx_version"] == 2
    tx = build_unbonding_tx(
        OutPoint(p["staking_tx_hash"], p["staking_output_index"]), p["staking_value"], ui
    )
    op_return = (
        build_v0_op_return(bytes.fromhex(p["tag"]), staker, fps[0], p["staking_time"]).hex()
        if len(fps) == 1
        else ""
    )
    # every leaf's control block must open the output key (not covered by the vectors)
    for leaf in si.output.leaves:
        assert verify_control_block(si.output.output_key, leaf, si.control_block(leaf))
    for leaf in ui.output.leaves:
        assert verify_control_block(ui.output.output_key, leaf, ui.control_block(leaf))
    return {
        "staking_output_pkscript_hex": si.script_pubkey.hex(),
        "staking_output_value": si.value,
        "staking_transaction_timelock_script_hex": si.timelock_script.hex(),
        "staking_transaction_unbonding_script_hex": si.unbonding_script.hex(),
        "staking_transaction_slashing_script_hex": si.slashing_script.hex(),
        "unbonding_transaction_hex": serialize(tx, witness=False).hex(),
        "unbonding_transaction_time_lock_script_hex": ui.timelock_script.hex(),
        "unbonding_transaction_slashing_script_hex": ui.slashing_script.hex(),
        "op_return_script_hex": op_return,
    }


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_library_reproduces_vector(vector: dict[str, Any]) -> None:
    assert _library(vector["parameters"]) == vector["expected"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_conformance_command_reproduces_vector(vector: dict[str, Any]) -> None:
    result = click_invoke(["stake", "conformance"], input=json.dumps(vector["parameters"]))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == vector["expected"]


def test_conformance_jsonl_all_vectors_in_order() -> None:
    lines = "\n".join(json.dumps(v["parameters"]) for v in VECTORS) + "\n"
    result = click_invoke(["stake", "conformance", "--jsonl"], input=lines)
    assert result.exit_code == 0
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers == [v["expected"] for v in VECTORS]


def test_worked_example_leaf_hashes_root_and_control_blocks() -> None:
    """Reference §1: vector #2 ("3/5 covenant committee")."""
    p = VECTORS[1]["parameters"]
    assert "3/5" in VECTORS[1]["name"]
    si = staking_info(
        parse_pubkey(p["staker_public_key"]),
        parse_pubkeys(p["finality_provider_public_keys"], "fps"),
        parse_pubkeys(p["covenant_public_keys"], "covs"),
        p["covenant_quorum"],
        p["staking_time"],
        p["staking_value"],
        Network.MAINNET,
    )
    tl, ub, sl = (
        tap_leaf_hash(s) for s in (si.timelock_script, si.unbonding_script, si.slashing_script)
    )
    assert tl.hex().startswith("3daa8f82") and tl.hex().endswith("6749cd")
    assert ub.hex().startswith("1008c3c9") and ub.hex().endswith("804ca1")
    assert sl.hex().startswith("3a8f5efd") and sl.hex().endswith("ac810f")
    root = si.output.merkle_root.hex()
    assert root.startswith("14c1437d") and root.endswith("f2d779")
    q = si.output.output_key.hex()
    assert q.startswith("bbc6be1f") and q.endswith("df3da7")
    assert si.output.parity == 0
    sibling = "9e26b1af7ff978e296ee1b337a54d32ea160d526c657f673784f31fedb1ab70b"
    assert tap_branch_hash(tl, ub).hex() == sibling
    for leaf in (si.timelock_script, si.unbonding_script, si.slashing_script):
        assert si.control_block(leaf)[:33] == b"\xc0" + NUMS_X
    assert si.control_block(si.slashing_script) == b"\xc0" + NUMS_X + bytes.fromhex(sibling)
    assert si.control_block(si.timelock_script)[33:] == ub + sl
    assert si.control_block(si.unbonding_script)[33:] == tl + sl
