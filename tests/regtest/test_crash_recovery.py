"""Crash recovery that never leaves a stake stuck or a coin locked (#12).

A kill -9 during funding leaves locked coins that the next command releases; a kill between
recording and broadcasting keeps the coins locked across a node restart; if the coins are
spent elsewhere anyway, the stake is marked ABANDONED with the conflicting txid and the same
request can be made again.
"""

from __future__ import annotations

import json
import secrets
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

from support.lifecycle_helpers import Env, make_env
from support.regtest_node import RegtestFixture

from l2kit.btc import tx as btx
from l2kit.regtest.node import RegtestNode
from l2kit.staking.states import State


def _ok(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _create(env: Env, crash_at: str | None = None) -> Any:
    args = ["create", "--fp", env.fp.hex(), "--amount", "150000", "--time", "30", "--json"]
    return env.cli(*args, crash_at=crash_at)


def _locked(env: Env) -> set[str]:
    return {f"{o['txid']}:{o['vout']}" for o in env.wallet.call("listlockunspent")}


def _inputs(raw_hex: str) -> list[str]:
    tx = btx.parse(raw_hex)
    return [str(btx.input_outpoint(tx, i)) for i in range(len(tx.vin))]


def test_kill_during_funding_releases_the_lock_on_the_next_command(
    regtest_node: RegtestFixture, tmp_path: Path
) -> None:
    env = make_env(regtest_node, tmp_path, f"lock-{secrets.token_hex(4)}")
    try:
        result = _create(env, crash_at="after-fund")
        assert result.returncode == -signal.SIGKILL, result.stderr
        assert env.tracker.all() == []  # nothing recorded
        [(_fingerprint, (outpoints, _))] = env.tracker.locks().items()
        assert set(outpoints) <= _locked(env)  # the leak the crash left

        assert _ok(env.cli("list", "--json")) == []
        assert not set(outpoints) & _locked(env)  # released
        assert env.tracker.locks() == {}
    finally:
        env.tracker.close()


def test_unsent_stake_survives_a_node_restart_then_is_abandoned_when_spent_elsewhere(
    own_node: RegtestNode, tmp_path: Path
) -> None:
    name = f"stuck-{secrets.token_hex(4)}"
    first = RegtestFixture(own_node)
    env = make_env(first, tmp_path, name)
    clients = [first.rpc, first.wallet, env.wallet]
    try:
        result = _create(env, crash_at="before-broadcast")
        assert result.returncode == -signal.SIGKILL, result.stderr
        [stake] = env.tracker.all()
        assert stake.state is State.CREATED
        inputs = _inputs(env.tracker.txs(stake.id)["staking"].raw_hex)
        assert set(inputs) <= _locked(env)

        own_node.down()
        own_node.up()
        node = RegtestFixture(own_node)
        node.rpc.call("loadwallet", name)
        env = make_env_again(env, node, name)
        clients += [node.rpc, node.wallet, env.wallet]
        assert set(inputs) <= _locked(env)  # persistent: the restart kept the lock

        # Spend one of the coins elsewhere anyway (a user with another tool).
        op = btx.OutPoint.parse(inputs[0])
        env.wallet.call("lockunspent", True, [{"txid": op.txid_hex, "vout": op.vout}])
        coin = env.wallet.call("gettxout", op.txid_hex, op.vout)
        send = (Decimal(str(coin["value"])) - Decimal("0.0001")).quantize(Decimal("0.00000001"))
        raw = env.wallet.call(
            "createrawtransaction",
            [{"txid": op.txid_hex, "vout": op.vout}],
            [{env.new_address(): send}],
        )
        signed = env.wallet.call("signrawtransactionwithwallet", raw)["hex"]
        conflict = env.wallet.call("sendrawtransaction", signed)
        node.mine(1)

        again = _ok(_create(env))
        assert again["existing"] is False
        assert again["staking_txid"] != stake.staking_txid
        old = env.tracker.find(stake.staking_txid)
        assert old is not None and old.state is State.ABANDONED
        assert any(
            conflict in reason
            for _, to, reason in env.tracker.history(old.id)
            if to is State.ABANDONED
        )
        assert not set(inputs[1:]) & _locked(env)  # the abandoned stake's other coins are free
        status = _ok(env.cli("status", stake.staking_txid, "--json"))
        assert status["state"] == "ABANDONED"
    finally:
        env.tracker.close()
        for client in clients:
            client.close()


def make_env_again(old: Env, node: RegtestFixture, name: str) -> Env:
    """The same data dir and tracker against the restarted node."""
    from l2kit.staking.lifecycle import Lifecycle

    wallet = node.client(wallet=name)
    life = Lifecycle(node.rpc, old.tracker, old.life.params, old.life.net, old.committee, wallet)
    return Env(node, old.data_dir, name, wallet, old.committee, life, old.tracker)
