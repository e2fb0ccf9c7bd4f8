"""Conformance throughput: official-vector parameters -> expected scripts/outputs/unbonding tx.

l2kit: ``l2kit.staking.conformance.conformance`` (key checks on the curve, duplicate check,
three staking leaves, the 3-leaf taproot output, the unbonding output and unsigned unbonding
tx, the V0 OP_RETURN) over the 5 official Babylon vectors.

Baseline: bitcoin-utils building the same leaves (``Script`` with OP_CHECKSIGADD), the same
taproot outputs (``PublicKey.get_taproot_address`` with the tree ``[[timelock, unbonding],
slashing]`` from the NUMS key) and the same unbonding tx (``Transaction``); every baseline
answer is checked byte-equal to the vector first. Both run in this process; the ratio is
printed. ``python -m benches.builders_bench``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bitcoinutils.keys import PublicKey
from bitcoinutils.script import Script as BuScript
from bitcoinutils.setup import setup as bu_setup
from bitcoinutils.transactions import Transaction, TxInput, TxOutput

from l2kit.btc.taproot import NUMS_X
from l2kit.staking.conformance import conformance

VECTORS = json.loads(
    (
        Path(__file__).parents[1]
        / "tests"
        / "vectors"
        / "data"
        / "babylon-btcstaking-testvectors.json"
    ).read_text()
)["vectors"]
NUMS = PublicKey("02" + NUMS_X.hex())


def _multisig(keys: list[str], k: int, verify: bool) -> list[Any]:
    if len(keys) == 1:
        return [keys[0], "OP_CHECKSIGVERIFY" if verify else "OP_CHECKSIG"]
    ordered = sorted(keys)
    ops: list[Any] = [ordered[0], "OP_CHECKSIG"]
    for key in ordered[1:]:
        ops += [key, "OP_CHECKSIGADD"]
    return [*ops, k, "OP_NUMEQUALVERIFY" if verify else "OP_NUMEQUAL"]


def xonly(key_hex: str) -> str:
    """x-only hex via bitcoin-utils (which also checks the point)."""
    return str(PublicKey(key_hex).to_x_only_hex())


def baseline(p: dict[str, Any]) -> dict[str, Any]:
    staker = xonly(p["staker_public_key"])
    fps = [xonly(k) for k in p["finality_provider_public_keys"]]
    covs = [xonly(k) for k in p["covenant_public_keys"]]
    q = p["covenant_quorum"]
    head = [staker, "OP_CHECKSIGVERIFY"]
    timelock = BuScript([*head, p["staking_time"], "OP_CHECKSEQUENCEVERIFY"])
    unbonding = BuScript([*head, *_multisig(covs, q, False)])
    slashing = BuScript([*head, *_multisig(fps, 1, True), *_multisig(covs, q, False)])
    staking_spk = NUMS.get_taproot_address([[timelock, unbonding], slashing]).to_script_pub_key()
    ub_timelock = BuScript([*head, p["unbonding_time"], "OP_CHECKSEQUENCEVERIFY"])
    ub_spk = NUMS.get_taproot_address([ub_timelock, slashing]).to_script_pub_key()
    # bitcoin-utils treats an all-zero txid as coinbase and writes script[0] raw: give it b""
    coinbase_like = BuScript([""]) if p["staking_tx_hash"] == "0" * 64 else None
    tx = Transaction(
        [TxInput(p["staking_tx_hash"], p["staking_output_index"], coinbase_like, "ffffffff")],
        [TxOutput(p["staking_value"] - p["unbonding_fee"], ub_spk)],
        version=(2).to_bytes(4, "little"),
    )
    op_return = ""
    if len(fps) == 1:
        data = p["tag"] + "00" + staker + fps[0] + p["staking_time"].to_bytes(2, "big").hex()
        op_return = BuScript(["OP_RETURN", data]).to_hex()
    return {
        "staking_output_pkscript_hex": staking_spk.to_hex(),
        "staking_output_value": p["staking_value"],
        "staking_transaction_timelock_script_hex": timelock.to_hex(),
        "staking_transaction_unbonding_script_hex": unbonding.to_hex(),
        "staking_transaction_slashing_script_hex": slashing.to_hex(),
        "unbonding_transaction_hex": tx.serialize(),
        "unbonding_transaction_time_lock_script_hex": ub_timelock.to_hex(),
        "unbonding_transaction_slashing_script_hex": slashing.to_hex(),
        "op_return_script_hex": op_return,
    }


def _rate(fn: Callable[[dict[str, Any]], dict[str, Any]], seconds: float = 2.0) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for v in VECTORS:
            fn(v["parameters"])
        done += len(VECTORS)
    return done / elapsed


def main() -> None:
    bu_setup("mainnet")
    for v in VECTORS:  # same bytes on both sides, or the comparison means nothing
        assert conformance(v["parameters"]) == v["expected"], v["name"]
        assert baseline(v["parameters"]) == v["expected"], v["name"]
    ours, theirs = _rate(conformance), _rate(baseline)
    print(
        f"conformance answers/s: l2kit {ours:,.0f}  bitcoin-utils {theirs:,.0f}  "
        f"ratio {ours / theirs:.2f}x"
    )


if __name__ == "__main__":
    main()
