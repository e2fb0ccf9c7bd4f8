"""`l2kit stake register` online, as a subprocess against the simulated chain (real HTTP) and
the real regtest bitcoind: kill -9 at every step then rerun (nothing lost, never registered
twice), the full CLI lifecycle to ACTIVE → unbond with the chain's signatures → withdraw, and
bad chain answers / bad input as one error line."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from support.babylon_helpers import Chain, status_of
from support.lifecycle_helpers import FEE, MAX_FEE, STAKER_SECRET, Env


def _ok(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _register(env: Env, chain: Chain, *extra: str, value: int = 120_000) -> list[str]:
    return [
        "register",
        "--fp",
        env.fp.hex(),
        "--amount",
        str(value),
        "--time",
        "40",
        "--babylon-address",
        chain.bbn.address,
        *chain.cli_args(),
        "--timeout",
        "1.5",
        "--interval",
        "0.1",
        "--json",
        *extra,
    ]


def _resume(chain: Chain, txid: str, *extra: str) -> list[str]:
    return [
        "register",
        "--stake",
        txid,
        "--babylon-address",
        chain.bbn.address,
        *chain.cli_args(),
        "--timeout",
        "1.5",
        "--interval",
        "0.1",
        "--json",
        *extra,
    ]


def _one_delegation(chain: Chain) -> None:
    assert len(chain.staking.dels) == 1
    creates = [t for t in chain.dev.state.txs.values() if t.code == 0]
    assert len(creates) <= 2  # one create (+ one proof), never a second registration


def test_cli_full_lifecycle(env: Env, chain: Chain) -> None:
    result = env.cli(*_register(env, chain))
    data = _ok(result)
    txid = data["staking_txid"]
    assert data["state"] == "BROADCAST" and data["babylon"]["state"] == "VERIFIED"
    assert "Babylon VERIFIED" in result.stderr  # progress on stderr
    env.node.mine(3)
    data = _ok(env.cli(*_resume(chain, txid)))
    assert data["babylon"]["state"] == "ACTIVE" and data["state"] == "CONFIRMED"
    assert set(data["babylon"]["cosmos_txs"]) == {"create", "proof"}
    listed = _ok(env.cli("list", "--json", "--babylon-rest", chain.dev.url))
    assert [(r["state"], r["babylon"]["state"]) for r in listed] == [("CONFIRMED", "ACTIVE")]
    refused = env.cli("unbond", txid, "--json")  # registered: the chain's signatures needed
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "babylon-rest" in refused.stderr
    data = _ok(env.cli("unbond", txid, "--babylon-rest", chain.dev.url, "--json"))
    assert data["state"] == "UNBONDING"
    env.node.mine(1)
    chain.dev.tick()
    status = _ok(env.cli("status", txid, "--babylon-rest", chain.dev.url, "--json"))
    assert (status["state"], status["babylon"]["state"]) == ("UNBONDED", "UNBONDED")
    env.node.mine(5)
    assert _ok(env.cli("withdraw", txid, "--json"))["state"] == "WITHDRAWN"
    _one_delegation(chain)


@pytest.mark.parametrize(
    "point",
    ["before-babylon-create", "after-babylon-create", "before-broadcast", "after-broadcast"],
)
def test_kill_9_during_registration_then_rerun(env: Env, chain: Chain, point: str) -> None:
    killed = env.cli(*_register(env, chain), crash_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [stake] = env.tracker.all()  # the intent survived
    create = env.tracker.cosmos_tx(stake.id, "create")
    assert create is not None  # recorded before the broadcast
    broadcast = point in ("after-babylon-create", "before-broadcast", "after-broadcast")
    assert (chain.bbn.client.get_tx(create.txhash) is not None) == broadcast
    in_mempool = stake.staking_txid in env.node.rpc.call("getrawmempool")
    assert in_mempool == (point == "after-broadcast")
    # the same command again: no second stake, no second registration, it resumes
    again = _ok(env.cli(*_register(env, chain)))
    assert again["existing"] is True and again["staking_txid"] == stake.staking_txid
    assert again["babylon"]["state"] == "VERIFIED" and again["state"] == "BROADCAST"
    assert len(env.tracker.all()) == 1
    _one_delegation(chain)


@pytest.mark.parametrize("point", ["before-babylon-proof", "after-babylon-proof"])
def test_kill_9_around_the_inclusion_proof(env: Env, chain: Chain, point: str) -> None:
    txid = _ok(env.cli(*_register(env, chain)))["staking_txid"]
    env.node.mine(3)
    killed = env.cli(*_resume(chain, txid), crash_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    data = _ok(env.cli(*_resume(chain, txid)))
    assert data["babylon"]["state"] == "ACTIVE"
    assert status_of(chain, txid) == "ACTIVE"
    _one_delegation(chain)


def test_post_staking_cli_and_no_inclusion_proof(env: Env, chain: Chain) -> None:
    req = env.request(value=150_000, time=50, op_return=False)
    stake, _ = chain.life.create(req, STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(3)
    data = _ok(env.cli(*_resume(chain, stake.staking_txid, "--no-inclusion-proof")))
    assert data["babylon"]["flow"] == "post-staking" and data["babylon"]["state"] == "ACTIVE"
    assert set(data["babylon"]["cosmos_txs"]) == {"create"}


@pytest.mark.parametrize(
    ("fault", "text"),
    [
        ((200, b"{}"), "malformed response: header: Field required"),
        ((200, b"not json"), "body is not JSON"),
        ((500, b'{"code": 2, "message": "light client is syncing"}'), "light client is syncing"),
    ],
)
def test_malformed_chain_answers_are_one_line_and_change_nothing(
    env: Env, chain: Chain, fault: tuple[int, bytes], text: str
) -> None:
    chain.dev.fault("/babylon/btclightclient/v1/tip", *fault)
    locked = env.wallet.call("listlockunspent")
    result = env.cli(*_register(env, chain))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], result.stderr
    assert env.tracker.all() == [] and env.wallet.call("listlockunspent") == locked
    assert chain.staking.dels == {}


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--chain-id", "bbn-1"], "chain-id: bbn-1 but the node"),
        (["--babylon-key-file", "/nonexistent/key"], "babylon-key-file: cannot read"),
        (["--fp", "00" * 32], "fp[0]"),
    ],
)
def test_bad_input_is_one_line_exit_2(env: Env, chain: Chain, args: list[str], text: str) -> None:
    argv = _register(env, chain)
    for flag, value in zip(args[::2], args[1::2], strict=True):
        argv[argv.index(flag) + 1] = value
    result = env.cli(*argv)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert text in result.stderr
    assert env.tracker.all() == [] and chain.staking.dels == {}


@pytest.mark.parametrize("point", ["before-babylon-create", "after-babylon-create"])
def test_kill_9_during_post_staking_registration(env: Env, chain: Chain, point: str) -> None:
    req = env.request(value=160_000, time=50, op_return=False)
    stake, _ = chain.life.create(req, STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(3)
    killed = env.cli(*_resume(chain, stake.staking_txid), crash_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert env.tracker.cosmos_tx(stake.id, "create") is not None  # recorded before the send
    data = _ok(env.cli(*_resume(chain, stake.staking_txid)))
    assert data["babylon"]["state"] == "ACTIVE"
    _one_delegation(chain)


def test_any_bitcoind_by_rpc_url(env: Env, chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """register/status against a bitcoind given by URL + user, the password from the
    environment only (never an argument, never echoed)."""
    url, user, password = env.node.rpc_url, env.node.rpc_user, env.node.rpc_password
    by_url = ["--rpc-url", url, "--rpc-user", user]
    missing = env.cli("list", "--json", *by_url)
    assert missing.returncode == 2 and "L2KIT_RPC_PASSWORD" in missing.stderr
    monkeypatch.setenv("L2KIT_RPC_PASSWORD", "wrong-" + password)
    refused = env.cli("list", "--json", *by_url)
    assert refused.returncode == 1 and "authentication failed" in refused.stderr
    assert password not in refused.stderr and refused.stderr.count("\n") == 1
    monkeypatch.setenv("L2KIT_RPC_PASSWORD", password)
    data = _ok(env.cli(*_register(env, chain), *by_url))
    assert data["babylon"]["state"] == "VERIFIED"
    status = _ok(env.cli("status", data["staking_txid"], "--json", *by_url))
    assert status["state"] == "BROADCAST" and status["babylon"]["state"] == "VERIFIED"
