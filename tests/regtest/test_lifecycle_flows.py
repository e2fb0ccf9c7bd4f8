"""Staker lifecycles on the real regtest node: every tx checked by bitcoind and mined."""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.lifecycle_helpers import FEE, FP_SECRET, MAX_FEE, STAKER_SECRET, Env, make_env

from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.errors import InputError, ParamsError, TxRejected
from l2kit.staking.funding import key_path_key
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.states import State


@pytest.fixture
def env(regtest_node: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("L2KIT_DATA_DIR", str(tmp_path))
    e = make_env(regtest_node, tmp_path, f"life-{secrets.token_hex(4)}")
    yield e
    e.tracker.close()


def _chain_tx(env: Env, txid: str) -> dict[str, Any]:
    return dict(env.node.rpc.call("getrawtransaction", txid, True))


def test_stake_unbond_withdraw(env: Env) -> None:
    stake, existed = env.life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
    assert not existed and stake.state == State.BROADCAST
    # the staking output is exactly what we asked for, and the change went back to the wallet
    tx = _chain_tx(env, stake.staking_txid)
    out = tx["vout"][stake.staking_vout]
    assert out["value"] * 10**8 == 100_000
    assert out["scriptPubKey"]["hex"] == env.life.outputs(stake).staking.script_pubkey.hex()

    env.node.mine(2)
    stake = env.life.sync_one(stake)
    assert stake.state == State.CONFIRMED and stake.confirmations == 2

    stake = env.life.unbond(stake, STAKER_SECRET)
    assert stake.state == State.UNBONDING
    unbonding_txid = env.tracker.txs(stake.id)["unbonding"].txid
    env.node.mine(1)
    stake = env.life.sync_one(stake)
    assert stake.state == State.UNBONDED

    dest = env.new_address()
    with pytest.raises(TxRejected, match="4 blocks remaining"):
        env.life.withdraw(stake, dest, STAKER_SECRET, FEE)
    assert "withdrawal" not in env.tracker.txs(stake.id)  # nothing recorded, nothing sent

    env.node.mine(4)
    stake = env.life.sync_one(stake)
    assert stake.state == State.WITHDRAWABLE
    stake = env.life.withdraw(stake, dest, STAKER_SECRET, FEE)
    assert stake.state == State.WITHDRAWN
    env.node.mine(1)
    withdrawal = _chain_tx(env, env.tracker.txs(stake.id)["withdrawal"].txid)
    assert withdrawal["confirmations"] == 1
    assert withdrawal["vin"][0]["txid"] == unbonding_txid
    assert withdrawal["vout"][0]["scriptPubKey"]["address"] == dest
    states = [to for _, to, _ in env.tracker.history(stake.id)]
    assert states == [
        State.BROADCAST,
        State.CONFIRMED,
        State.UNBONDING,
        State.UNBONDED,
        State.WITHDRAWABLE,
        State.WITHDRAWN,
    ]


def test_create_is_idempotent(env: Env) -> None:
    first, _ = env.life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
    again, existed = env.life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
    assert existed and again.staking_txid == first.staking_txid
    assert len(env.tracker.all()) == 1
    mempool = env.node.rpc.call("getrawmempool")
    assert first.staking_txid in mempool
    other, existed = env.life.create(env.request(nonce="2"), STAKER_SECRET, FEE, MAX_FEE)
    assert not existed and other.staking_txid != first.staking_txid
    env.node.mine(1)


def test_refuses_out_of_params_and_fees(env: Env) -> None:
    with pytest.raises(ParamsError, match="staking time"):
        env.life.create(env.request(time=5), STAKER_SECRET, FEE, MAX_FEE)
    with pytest.raises(ParamsError, match="staking value"):
        env.life.create(env.request(value=1_000), STAKER_SECRET, FEE, MAX_FEE)
    with pytest.raises(InputError, match="max-fee-rate"):
        env.life.create(env.request(), STAKER_SECRET, FEE * 100, MAX_FEE)
    assert env.tracker.all() == []


def test_library_withdraw_has_the_fee_cap(env: Env) -> None:
    stake, _ = env.life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
    with pytest.raises(InputError, match="max-fee-rate") as exc:
        env.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE * 100)
    assert exc.value.field == "fee-rate"
    with pytest.raises(InputError, match="max-fee-rate"):  # an explicit, lower cap
        env.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE, Decimal(1))
    assert "withdrawal" not in env.tracker.txs(stake.id)
    env.node.mine(1)


def test_lifecycle_open_wires_node_committee_params_and_tracker(env: Env, tmp_path: Path) -> None:
    url = env.node.rpc_url  # by URL, with the node's user and password
    user, password = env.node.rpc_user, env.node.rpc_password
    where = {"db": tmp_path / "open.db", "covenant_dir": tmp_path / "covenant"}
    with Lifecycle.open(url, user=user, password=password, wallet=env.wallet_name, **where) as life:
        assert life.net is Network.REGTEST
        assert life.committee is not None and life.committee.quorum == 2
        assert life.params.latest.covenant_pks == env.life.params.latest.covenant_pks
        assert life.need_wallet() is life.wallet
        stake, existed = life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
        assert not existed and life.tracker.find(stake.staking_txid) is not None
    env.node.mine(1)
    opened = Lifecycle.open(env.node.rpc, wallet="no-such-wallet", **where)
    with pytest.raises(InputError, match="not loaded") as exc, opened as life:
        life.need_wallet()
    assert exc.value.field == "wallet"
    empty = Lifecycle.open(
        env.node.rpc,
        wallet=env.wallet_name,
        db=tmp_path / "none.db",
        covenant_dir=tmp_path / "empty",
    )
    with pytest.raises(InputError, match="no params") as exc, empty:
        pass
    assert exc.value.field == "params" and not (tmp_path / "none.db").exists()


def test_key_file_stake_expires_then_withdraws(env: Env) -> None:
    key = key_path_key(bytes.fromhex("2a" * 32))
    env.node.wallet.call("sendtoaddress", key.address(env.life.net), 0.01)
    env.node.mine(1)
    req = env.request(time=10, funding=f"key:{key.internal.hex()}")
    stake, _ = env.life.create(req, STAKER_SECRET, FEE, MAX_FEE, funding_key=key)
    tx = _chain_tx(env, stake.staking_txid)
    assert len(tx["vout"]) == 3  # staking, OP_RETURN, change back to the key
    assert tx["vout"][2]["scriptPubKey"]["hex"] == key.script_pubkey.hex()
    env.node.mine(9)
    stake = env.life.sync_one(stake)
    assert stake.state == State.CONFIRMED
    with pytest.raises(TxRejected, match="1 blocks remaining"):
        env.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE)
    env.node.mine(1)
    stake = env.life.sync_one(stake)
    assert stake.state == State.EXPIRED
    stake = env.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE)
    assert stake.state == State.WITHDRAWN
    env.node.mine(1)


@pytest.mark.parametrize("source", ["staking", "unbonding"])
def test_slash_then_withdraw_change(env: Env, source: str) -> None:
    stake, _ = env.life.create(env.request(value=200_000), STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(1)
    with pytest.raises(InputError, match="not a finality provider"):
        env.life.slash(stake, bytes.fromhex("09" * 32), source)
    if source == "unbonding":
        stake = env.life.unbond(stake, STAKER_SECRET)
        env.node.mine(1)
    stake = env.life.slash(stake, FP_SECRET, source)
    assert stake.state == State.SLASHED
    kind = "slashing" if source == "staking" else "unbonding_slashing"
    env.node.mine(1)
    slash_tx = _chain_tx(env, env.tracker.txs(stake.id)[kind].txid)
    assert slash_tx["confirmations"] == 1
    assert slash_tx["vout"][0]["scriptPubKey"]["hex"] == "6a07626162796c6f6e"  # burnt
    input_value = 200_000 if source == "staking" else 200_000 - 1_000
    assert round(slash_tx["vout"][0]["value"] * 10**8) == input_value // 10
    with pytest.raises(TxRejected, match="4 blocks remaining"):
        env.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE)
    env.node.mine(4)
    assert env.life.sync_one(stake).state == State.WITHDRAWABLE
    stake = env.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE)
    assert stake.state == State.WITHDRAWN
    env.node.mine(1)


def test_tracker_follows_reorg(env: Env) -> None:
    stake, _ = env.life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
    [block] = env.node.mine(1)
    assert env.life.sync_one(stake).state == State.CONFIRMED
    env.node.rpc.call("invalidateblock", block)
    try:
        stake = env.life.sync_one(stake)
        assert stake.state == State.BROADCAST  # back in the mempool
    finally:
        env.node.rpc.call("reconsiderblock", block)
    stake = env.life.sync_one(stake)
    assert stake.state == State.CONFIRMED and stake.confirmations == 1
    moves = [(a, b) for a, b, _ in env.tracker.history(stake.id)]
    assert moves[-2:] == [(State.CONFIRMED, State.BROADCAST), (State.BROADCAST, State.CONFIRMED)]


def test_failed_create_unlocks_the_wallet_coins(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from l2kit.staking import chain

    def reject(rpc: object, raw_hex: str) -> None:
        raise TxRejected("refused for the test")

    monkeypatch.setattr(chain, "check_accept", reject)
    with pytest.raises(TxRejected, match="for the test"):
        env.life.create(env.request(), STAKER_SECRET, FEE, MAX_FEE)
    assert env.wallet.call("listlockunspent") == []
    assert env.tracker.all() == []


def test_two_fps_without_op_return_slashed_by_the_second(env: Env) -> None:
    second = bytes.fromhex("0d" * 32)
    fps = tuple(sorted((env.fp, xonly_of(second))))
    req = env.request(fp_pks=fps, op_return=False)
    stake, _ = env.life.create(req, STAKER_SECRET, FEE, MAX_FEE)
    assert len(_chain_tx(env, stake.staking_txid)["vout"]) == 2  # staking + change
    env.node.mine(1)
    stake = env.life.slash(stake, second, "staking")
    assert stake.state == State.SLASHED
    env.node.mine(1)
    assert env.life.sync_one(stake).state == State.SLASHED
