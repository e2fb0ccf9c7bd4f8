"""kill -9 of the `l2kit stake` process at named points, then a restart: nothing is lost.

The CLI runs as a subprocess with ``L2KIT_TEST_CRASH_AT=<point>``; it SIGKILLs itself there.
Each test then asserts on the DB (intent recorded) and the chain, and re-runs the CLI.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from support.lifecycle_helpers import FP_SECRET, Env

from l2kit.staking.states import State


def _ok(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _killed(result: Any) -> None:
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr)


def _create_args(env: Env) -> list[str]:
    return [
        "create",
        "--fp",
        env.fp.hex(),
        "--amount",
        "150000",
        "--time",
        "30",
        "--op-return",
        "--json",
    ]


@pytest.mark.parametrize("point", ["before-broadcast", "after-broadcast"])
def test_kill_during_create_then_resume(env: Env, point: str) -> None:
    _killed(env.cli(*_create_args(env), crash_at=point))
    [stake] = env.tracker.all()
    assert stake.state == State.CREATED  # the intent (raw tx) was committed before the send
    raw = env.tracker.txs(stake.id)["staking"].raw_hex
    in_mempool = stake.staking_txid in env.node.rpc.call("getrawmempool")
    assert in_mempool == (point == "after-broadcast")

    # the same request again: no second stake, the recorded tx is (re)sent
    again = _ok(env.cli(*_create_args(env)))
    assert again["existing"] is True
    assert again["staking_txid"] == stake.staking_txid and again["state"] == "BROADCAST"
    assert len(env.tracker.all()) == 1
    assert env.node.rpc.call("getrawtransaction", stake.staking_txid) == raw
    env.node.mine(1)
    listed = _ok(env.cli("list", "--json"))
    assert [(r["staking_txid"], r["state"]) for r in listed] == [(stake.staking_txid, "CONFIRMED")]


@pytest.mark.parametrize("point", ["before-unbond-broadcast", "after-unbond-broadcast"])
def test_kill_between_unbond_and_withdraw(env: Env, point: str) -> None:
    created = _ok(env.cli(*_create_args(env)))
    txid = created["staking_txid"]
    env.node.mine(1)
    _killed(env.cli("unbond", txid, "--json", crash_at=point))
    stake = env.tracker.find(txid)
    assert stake is not None and stake.state == State.CONFIRMED
    unbonding = env.tracker.txs(stake.id)["unbonding"]  # recorded before the send

    status = _ok(env.cli("status", txid, "--json"))  # restart: sync re-sends if needed
    assert status["state"] == "UNBONDING"
    assert status["txs"]["unbonding"]["txid"] == unbonding.txid
    assert unbonding.txid in env.node.rpc.call("getrawmempool")

    env.node.mine(5)
    dest = env.new_address()
    _killed(env.cli("withdraw", txid, "--to", dest, "--json", crash_at="after-withdraw-broadcast"))
    withdrawal = env.tracker.txs(stake.id)["withdrawal"]
    status = _ok(env.cli("status", txid, "--json"))
    assert status["state"] == "WITHDRAWN"
    env.node.mine(1)
    tx = env.node.rpc.call("getrawtransaction", withdrawal.txid, True)
    assert tx["confirmations"] == 1 and tx["vout"][0]["scriptPubKey"]["address"] == dest
    # running withdraw again is harmless: nothing new is sent
    again = _ok(env.cli("withdraw", txid, "--to", dest, "--json"))
    assert again["txs"]["withdrawal"]["txid"] == withdrawal.txid


def test_early_withdraw_refused_with_exit_2(env: Env) -> None:
    txid = _ok(env.cli(*_create_args(env)))["staking_txid"]
    env.node.mine(3)
    result = env.cli("withdraw", txid, "--to", env.new_address())
    assert result.returncode == 2
    assert "27 blocks remaining" in result.stderr
    stake = env.tracker.find(txid)
    assert stake is not None and "withdrawal" not in env.tracker.txs(stake.id)


def test_cli_slash_with_kill_then_change_withdraw(env: Env, tmp_path: Path) -> None:
    txid = _ok(env.cli(*_create_args(env)))["staking_txid"]
    env.node.mine(1)
    wrong = tmp_path / "wrong.key"
    wrong.write_text("09" * 32)
    refused = env.cli("slash", txid, "--fp-secret-file", str(wrong))
    assert refused.returncode == 2 and "not a finality provider" in refused.stderr
    assert "09" * 32 not in refused.stderr  # the secret never shows up
    fp_file = tmp_path / "fp.key"
    fp_file.write_text(FP_SECRET.hex())
    _killed(
        env.cli(
            "slash",
            txid,
            "--fp-secret-file",
            str(fp_file),
            "--json",
            crash_at="after-slash-broadcast",
        )
    )
    status = _ok(env.cli("status", txid, "--json"))
    assert status["state"] == "SLASHED" and status["blocks_until_withdrawable"] == 5
    env.node.mine(5)
    done = _ok(env.cli("withdraw", txid, "--json"))
    assert done["state"] == "WITHDRAWN"
    spent = env.node.rpc.call("getrawtransaction", done["txs"]["withdrawal"]["txid"], True)
    assert spent["vin"][0] == {
        **spent["vin"][0],
        "txid": status["txs"]["slashing"]["txid"],
        "vout": 1,
    }
    env.node.mine(1)
