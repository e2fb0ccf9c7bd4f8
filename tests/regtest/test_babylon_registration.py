"""Phase-2 registration against the simulated Babylon chain (real HTTP on 127.0.0.1) and the
real regtest bitcoind: pre-staking register → VERIFIED → staking tx broadcast → k-deep →
inclusion proof → ACTIVE → unbond with the chain's covenant signatures → UNBONDED → withdraw;
post-staking registration of a mined stake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.babylon_helpers import (
    PRE_STAKING_GAS,
    Chain,
    quiet,
    start_chain,
    status_of,
    stop_chain,
)
from support.lifecycle_helpers import FEE, MAX_FEE, STAKER_SECRET, Env

from l2kit.babylon.address import parse_address
from l2kit.btc.keys import XOnlyPubKey
from l2kit.errors import InputError, TxRejected
from l2kit.staking.register_offline import RegisterRequest
from l2kit.staking.registration_flow import (
    chain_unbonding_sigs,
    follow,
    refresh_state,
    register_new,
    register_tracked,
)
from l2kit.staking.states import State


def _request(env: Env, chain: Chain, value: int = 120_000, time: int = 40) -> RegisterRequest:
    return RegisterRequest(
        env.staker, (env.fp,), value, time, parse_address(chain.bbn.address), wallet=env.wallet_name
    )


def _follow(chain: Chain, stake: Any, timeout: float = 3.0, proof: bool = True) -> Any:
    return follow(
        chain.life,
        chain.bbn,
        stake,
        submit_proof=proof,
        timeout=timeout,
        interval=0.1,
        progress=quiet,
    )


def test_pre_staking_full_lifecycle(env: Env, chain: Chain) -> None:
    stake, existed = register_new(
        chain.life, chain.bbn, _request(env, chain), STAKER_SECRET, FEE, MAX_FEE, quiet
    )
    assert not existed and stake.state is State.REGISTRATION_PENDING
    txid = stake.staking_txid
    assert txid not in env.node.rpc.call("getrawmempool")  # held until VERIFIED
    assert status_of(chain, txid) is None
    stake = _follow(chain, stake)
    # registered, covenant-signed (VERIFIED), staking tx broadcast after testmempoolaccept
    assert status_of(chain, txid) == "VERIFIED"
    assert stake.state is State.BROADCAST and txid in env.node.rpc.call("getrawmempool")
    assert env.tracker.babylon(stake.id).state == "VERIFIED"  # type: ignore[union-attr]
    create = env.tracker.cosmos_tx(stake.id, "create")
    assert create is not None and chain.bbn.client.get_tx(create.txhash) is not None
    # the pre-staking registration paid for the extra gas
    assert chain.dev.state.txs[create.txhash].gas_used > PRE_STAKING_GAS

    env.node.mine(3)  # k = 2: the proof is accepted when tip - height >= 2
    stake = _follow(chain, stake, timeout=10)
    assert status_of(chain, txid) == "ACTIVE"
    assert env.tracker.cosmos_tx(stake.id, "proof") is not None
    assert chain.life.status(stake)["babylon"]["state"] == "ACTIVE"

    # unbond with the chain's covenant signatures (the local committee is not asked)
    sigs = chain_unbonding_sigs(chain.bbn.client, stake.staking_txid)
    assert len(sigs) == 3  # all members signed on the chain; quorum is 2
    stake = chain.life.unbond(stake, STAKER_SECRET, chain_sigs=sigs)
    assert stake.state is State.UNBONDING
    env.node.mine(1)
    chain.dev.tick()
    assert status_of(chain, txid) == "UNBONDED"
    env.node.mine(5)
    stake = chain.life.withdraw(stake, env.new_address(), STAKER_SECRET, FEE)
    assert stake.state is State.WITHDRAWN


def test_rerun_is_idempotent_and_resumes(env: Env, chain: Chain) -> None:
    req = _request(env, chain, value=110_000)
    stake, _ = register_new(chain.life, chain.bbn, req, STAKER_SECRET, FEE, MAX_FEE, quiet)
    again, existed = register_new(chain.life, chain.bbn, req, STAKER_SECRET, FEE, MAX_FEE, quiet)
    assert existed and again.id == stake.id and len(env.tracker.all()) == 1
    stake = _follow(chain, stake)
    stake = _follow(chain, stake)
    assert len(chain.staking.dels) == 1  # one delegation, one create tx
    assert sum(1 for t in chain.dev.state.txs.values() if t.code == 0) == 1


def test_post_staking_registration_of_a_mined_stake(env: Env, chain: Chain) -> None:
    req = env.request(value=130_000, time=50, op_return=False)
    stake, _ = chain.life.create(req, STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(1)
    with pytest.raises(InputError, match="blocks deep"):
        register_tracked(chain.life, chain.bbn, env.tracker.get(stake.id), STAKER_SECRET, quiet)
    assert chain.staking.dels == {}
    env.node.mine(2)
    stake = register_tracked(chain.life, chain.bbn, env.tracker.get(stake.id), STAKER_SECRET, quiet)
    stake = _follow(chain, stake, timeout=10, proof=False)
    assert status_of(chain, stake.staking_txid) == "ACTIVE"
    assert env.tracker.babylon(stake.id).flow == "post-staking"  # type: ignore[union-attr]
    create = env.tracker.cosmos_tx(stake.id, "create")
    assert create is not None
    assert chain.dev.state.txs[create.txhash].gas_used < PRE_STAKING_GAS  # no extra gas


def test_foreign_and_extra_covenant_sigs_are_dropped(env: Env, tmp_path: Path) -> None:
    chain = start_chain(env, tmp_path / "foreign", foreign_sig=True)
    try:
        req = env.request(value=140_000, time=50, op_return=False)
        stake, _ = chain.life.create(req, STAKER_SECRET, FEE, MAX_FEE)
        env.node.mine(3)
        stake = register_tracked(chain.life, chain.bbn, stake, STAKER_SECRET, quiet)
        stake = _follow(chain, stake, timeout=10, proof=False)
        sigs = chain_unbonding_sigs(chain.bbn.client, stake.staking_txid)
        assert len(sigs) == 4 and not set(sigs) <= set(env.committee.public_keys())
        only_foreign = {k: v for k, v in sigs.items() if k not in env.committee.public_keys()}
        with pytest.raises(TxRejected, match="only 0 covenant signatures"):
            chain.life.unbond(stake, STAKER_SECRET, chain_sigs=only_foreign)
        assert "unbonding" not in env.tracker.txs(stake.id)  # nothing recorded or sent
        stake = chain.life.unbond(stake, STAKER_SECRET, chain_sigs=sigs)
        raw = env.tracker.txs(stake.id)["unbonding"].raw_hex
        witness = env.node.rpc.call("decoderawtransaction", raw)["vin"][0]["txinwitness"]
        assert sum(1 for item in witness if len(item) == 128) == 2 + 1  # quorum + staker
    finally:
        stop_chain(chain)


def test_preflight_refusals_change_nothing(env: Env, chain: Chain) -> None:
    unknown_fp = XOnlyPubKey(
        bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    )
    req = RegisterRequest(
        env.staker,
        (unknown_fp,),
        120_000,
        40,
        parse_address(chain.bbn.address),
        wallet=env.wallet_name,
    )
    locked = env.wallet.call("listlockunspent")
    with pytest.raises(InputError, match="not a finality provider"):
        register_new(chain.life, chain.bbn, req, STAKER_SECRET, FEE, MAX_FEE, quiet)
    chain.staking.fps[bytes(env.fp)].jailed = True
    with pytest.raises(InputError, match="jailed"):
        register_new(
            chain.life, chain.bbn, _request(env, chain), STAKER_SECRET, FEE, MAX_FEE, quiet
        )
    chain.staking.fps[bytes(env.fp)].jailed = False
    chain.dev.state.accounts[chain.bbn.address].balance = 10
    with pytest.raises(InputError, match="needs about"):
        register_new(
            chain.life, chain.bbn, _request(env, chain), STAKER_SECRET, FEE, MAX_FEE, quiet
        )
    assert env.tracker.all() == [] and env.wallet.call("listlockunspent") == locked


def test_expired_and_slashed_states(env: Env, chain: Chain) -> None:
    req = env.request(value=125_000, time=20, op_return=False)
    stake, _ = chain.life.create(req, STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(3)
    stake = register_tracked(chain.life, chain.bbn, stake, STAKER_SECRET, quiet)
    stake = _follow(chain, stake, timeout=10, proof=False)
    txid = stake.staking_txid
    assert status_of(chain, txid) == "ACTIVE"
    chain.staking.fps[bytes(env.fp)].slashed_babylon_height = 7  # the FP equivocated
    assert refresh_state(chain.life, chain.bbn.client, stake) == "SLASHED"
    assert chain.life.status(stake)["babylon"]["state"] == "SLASHED"
    chain.staking.fps[bytes(env.fp)].slashed_babylon_height = 0
    # included at h, tip h+2 now, end h+20: EXPIRED once tip + unbonding_time (5) >= end
    env.node.mine(12)
    assert status_of(chain, txid) == "ACTIVE"  # tip h+14
    env.node.mine(1)
    assert status_of(chain, txid) == "EXPIRED"
    assert refresh_state(chain.life, chain.bbn.client, stake) == "EXPIRED"
