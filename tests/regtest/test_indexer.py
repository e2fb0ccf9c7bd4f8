"""The staking indexer over real regtest blocks: classifications, spends, caps, reorgs.

Two params versions, activated at heights chosen from the current tip:
    v0 (h0+1):  staking_cap 1_000_000 sat (amount cap: the tx crossing it is still active)
    v1 (h0+6):  cap_height h0+7 (height cap)
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from support.cli import run_process
from support.lifecycle_helpers import FEE, MAX_FEE, STAKER_SECRET, Env

from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network
from l2kit.staking.covenant import SpendContext
from l2kit.staking.funding import fund_from_wallet
from l2kit.staking.identifiable import build_v0_op_return
from l2kit.staking.indexer import Indexer, IndexStore
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.params import ParamsSet, load_global_params, regtest_params
from l2kit.staking.scripts import staking_info, unbonding_info
from l2kit.staking.signing import select_quorum, sign_staker, signed_unbonding_tx
from l2kit.staking.transactions import build_unbonding_tx

NET = Network.REGTEST
_PHASE2_ONLY = ("phase", "slashing_pk_script", "slashing_rate", "min_slashing_tx_fee_sat")


def _params_file(env: Env, h0: int, path: Path) -> ParamsSet:
    base = regtest_params(
        env.committee.public_keys(),
        env.committee.quorum,
        max_staking_amount=500_000,
        max_staking_time=1_000,
    ).to_json()
    for key in _PHASE2_ONLY:
        base.pop(key, None)
    v0 = {**base, "version": 0, "activation_height": h0 + 1, "staking_cap": 1_000_000}
    v1 = {**base, "version": 1, "activation_height": h0 + 6, "cap_height": h0 + 7}
    path.write_text(json.dumps({"versions": [v0, v1]}))
    return load_global_params(path)


def _raw_stake(
    env: Env, params: ParamsSet, value: int, time: int, covenants: list[XOnlyPubKey] | None = None
) -> str:
    """A tagged staking tx l2kit's `create` would refuse (out of bounds / foreign covenant)."""
    p = params.versions[0]
    covs = covenants or list(p.covenant_pks)
    info = staking_info(env.staker, [env.fp], covs, 2, time, value, NET)
    assert p.tag is not None
    op = build_v0_op_return(p.tag, env.staker, env.fp, time)
    funded = fund_from_wallet(env.wallet, [(info.script_pubkey, value), (op, 0)], NET, FEE, MAX_FEE)
    env.node.rpc.call("sendrawtransaction", funded.raw_hex)
    return funded.txid


def _bad_unbonding(env: Env, life: Lifecycle, txid: str) -> str:
    """Spend a staking output by the unbonding leaf but with twice the unbonding fee."""
    stake = life.get(txid)
    outs = life.outputs(stake)
    wrong = unbonding_info(
        env.staker,
        [env.fp],
        list(outs.staking.covenants),
        2,
        stake.unbonding_time,
        stake.value - 2 * stake.unbonding_fee,
        NET,
    )
    tx = build_unbonding_tx(btx.OutPoint(txid, stake.staking_vout), stake.value, wrong)
    info = outs.staking
    staker_sig = sign_staker(STAKER_SECRET, tx, info, info.unbonding_script)
    ctx = SpendContext(tx, stake.value, bytes(info.script_pubkey), info.unbonding_script)
    sigs = select_quorum(env.committee.sign_unbonding(ctx), 2)
    signed = signed_unbonding_tx(tx, info, staker_sig, sigs)
    return str(env.node.rpc.call("sendrawtransaction", btx.serialize(signed).hex()))


def test_classifies_blocks_and_follows_a_reorg(env: Env, tmp_path: Path) -> None:
    node = env.node
    node.mine(1)
    h0 = int(node.rpc.call("getblockcount"))
    params = _params_file(env, h0, tmp_path / "params.json")
    life = Lifecycle(node.rpc, env.tracker, params, NET, env.committee, env.wallet)

    def stake(value: int, nonce: str, time: int = 100) -> str:
        req = env.request(value=value, time=time, nonce=nonce)
        return life.create(req, STAKER_SECRET, FEE, MAX_FEE)[0].staking_txid

    a, b = stake(300_000, "a"), stake(400_000, "b")
    node.mine(1)  # h0+1: 700k active
    c = stake(400_000, "c")
    node.mine(1)  # h0+2: crosses the 1M cap, still active
    d = stake(100_000, "d")
    too_small = _raw_stake(env, params, 5_000, 100)
    too_long = _raw_stake(env, params, 100_000, 2_000)
    foreign_covs = [xonly_of(secrets.token_bytes(32)) for _ in range(3)]
    foreign = _raw_stake(env, params, 100_000, 100, foreign_covs)
    env.wallet.call("sendtoaddress", env.new_address(), 0.001)  # an ordinary tx: ignored
    node.mine(1)  # h0+3: d overflows; three invalid
    life.unbond(life.get(a), STAKER_SECRET)
    node.mine(2)  # h0+4: unbonding of a (TVL -300k), h0+5 empty
    many = [stake(20_000, f"m{i}") for i in range(25)]
    node.mine(1)  # h0+6: v1 (cap_height h0+7): 25 active
    i_ = stake(100_000, "i")
    node.mine(1)  # h0+7 = cap_height: active
    j = stake(100_000, "j")
    node.mine(1)  # h0+8 > cap_height: overflow
    alarm = _bad_unbonding(env, life, b)
    withdrawal = life.withdraw(life.get(a), env.new_address(), STAKER_SECRET, FEE)
    node.mine(2)  # h0+9: alarm + withdrawal of a; h0+10 keeps h0+9 at depth 2

    store = IndexStore(tmp_path / "index.db")
    indexer = Indexer(store, node.rpc, params, NET, h0 + 1)
    assert indexer.scan() == 9
    assert store.tip() is not None and store.tip()[0] == h0 + 9  # type: ignore[index]

    rows = {r["txid"]: r for r in store.stakes()}
    status = {t: rows[t]["status"] for t in rows}
    assert status == {
        a: "active",
        b: "active",
        c: "active",
        d: "overflow",
        i_: "active",
        j: "overflow",
        **{m: "active" for m in many},
    }
    assert {r["txid"]: r["params_version"] for r in store.stakes()}[j] == 1
    invalid = {r["txid"]: r["reason"] for r in store.invalid()}
    assert set(invalid) == {too_small, too_long, foreign}
    assert "min_staking_amount" in invalid[too_small]
    assert "max_staking_time" in invalid[too_long]
    assert "no matching staking output" in invalid[foreign]
    assert rows[a]["unbonding_height"] == h0 + 4
    assert rows[a]["withdrawal_txid"] == env.tracker.txs(withdrawal.id)["withdrawal"].txid
    [alarm_row] = store.alarms()
    assert alarm_row["spending_txid"] == alarm and alarm_row["staking_txid"] == b
    assert "unbonding_fee" in alarm_row["reason"]
    stats = store.stats()
    # the indexer's confirmed TVL: b, c, many, i (a unbonded; b's invalid unbonding is an
    # alarm and, as in staking-indexer, does not reduce it)
    active_tvl = 400_000 + 400_000 + 25 * 20_000 + 100_000
    assert stats.active_tvl_sat == active_tvl
    assert (stats.stakes_overflow, stats.invalid, stats.alarms) == (2, 3, 1)

    # reorg: drop h0+8.., the dropped txs come back in one new block
    dropped = node.rpc.call("getblockhash", h0 + 8)
    node.rpc.call("invalidateblock", dropped)
    try:
        node.mine(4)
        indexer.scan()
    finally:
        node.rpc.call("reconsiderblock", dropped)
    assert store.hash_at(h0 + 8) == node.rpc.call("getblockhash", h0 + 8) != dropped
    fresh = IndexStore(tmp_path / "fresh.db")
    Indexer(fresh, node.rpc, params, NET, h0 + 1).scan()
    assert store.stakes() == fresh.stakes()
    assert store.invalid() == fresh.invalid() and store.alarms() == fresh.alarms()
    assert store.stats() == fresh.stats()
    assert {r["txid"]: r["status"] for r in store.stakes()}[j] == "overflow"
    store.close()
    fresh.close()

    # the CLI over the same chain gives the same stats
    argv = [
        "index",
        "scan",
        "--datadir",
        str(node.datadir),
        "--params",
        str(tmp_path / "params.json"),
        "--db",
        str(tmp_path / "cli.db"),
        "--start-height",
        str(h0 + 1),
        "--textfile",
        str(tmp_path / "index.prom"),
        "--json",
    ]
    result = run_process(*argv, env={"L2KIT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["active_tvl_sat"] == active_tvl
    gauges = dict(
        line.rsplit(" ", 1)
        for line in (tmp_path / "index.prom").read_text().splitlines()
        if not line.startswith("#")
    )
    assert float(gauges["l2kit_index_active_tvl_sat"]) == active_tvl
