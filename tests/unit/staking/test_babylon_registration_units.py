"""Pieces of the online registration that need no bitcoind: mainnet confirmation, chain id by
network, the tracker's v1 → v2 migration, Babylon answers parsed or refused in one line."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import DATA

from l2kit.babylon.client import _parse
from l2kit.babylon.devchain import DevChain
from l2kit.babylon.models import DelegationAnswer, TxAnswer
from l2kit.btc.network import Network
from l2kit.cli.stake_babylon import confirm_mainnet, open_babylon
from l2kit.errors import BabylonBadResponse, InputError
from l2kit.staking.tracker import _MIGRATIONS, SCHEMA_VERSION, NewStake, Tracker
from l2kit.staking.tracker_babylon import CosmosTx

FIXTURES = DATA / "monitor" / "babylon-rest"  # shared copy


def test_mainnet_needs_the_flag() -> None:
    with pytest.raises(InputError, match="yes-mainnet: this moves real BTC on mainnet"):
        confirm_mainnet(Network.MAINNET, False)
    confirm_mainnet(Network.MAINNET, True)
    confirm_mainnet(Network.SIGNET, False)


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[tuple[DevChain, Path]]:
    key = tmp_path / "bbn.key"
    key.write_text("44" * 32)
    with DevChain(chain_id="bbn-devnet-1", block_time=3600) as chain:
        yield chain, key


@pytest.mark.parametrize(
    ("net", "chain_id", "text"),
    [
        (Network.MAINNET, None, "mainnet stakes with bbn-1, the node runs bbn-devnet-1"),
        (Network.SIGNET, None, "signet stakes with bbn-test-6"),
        (Network.REGTEST, "bbn-1", "chain-id: bbn-1 but the node"),
    ],
)
def test_chain_id_must_fit_node_and_network(
    devnet: tuple[DevChain, Path], net: Network, chain_id: str | None, text: str
) -> None:
    chain, key = devnet
    with pytest.raises(InputError, match=text):
        open_babylon(net, chain.url, key, chain_id, *(_gas()))
    bbn = open_babylon(Network.REGTEST, chain.url, key, None, *(_gas()))
    assert bbn.chain_id == "bbn-devnet-1" and "44" * 32 not in repr(bbn)
    bbn.client.close()


def _gas() -> tuple[Decimal, Decimal]:
    return Decimal("0.002"), Decimal("1.5")


def test_tracker_migrates_v1_to_latest(tmp_path: Path) -> None:
    path = tmp_path / "stakes.db"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[0])
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.commit()
    db.close()
    with Tracker(path) as tracker:
        assert tracker.schema_version() == SCHEMA_VERSION == len(_MIGRATIONS)
        assert tracker.babylon(1) is None and tracker.cosmos_tx(1, "create") is None
        assert tracker.locks() == {}  # v3: wallet locks
    with Tracker(path) as tracker:  # idempotent: a second open migrates nothing
        assert tracker.schema_version() == SCHEMA_VERSION


def test_cosmos_tx_record_replaces_same_purpose(tmp_path: Path) -> None:
    new = NewStake(
        fingerprint="f",
        network="regtest",
        params_version=0,
        staker_pk="11" * 32,
        fp_pks=("22" * 32,),
        covenant_pks=("33" * 32,),
        covenant_quorum=1,
        staking_time=100,
        unbonding_time=10,
        unbonding_fee=1000,
        value=100_000,
        staking_vout=0,
        start_height=1,
    )
    with Tracker(tmp_path / "s.db") as tracker:
        stake = tracker.add_stake(new, "aa" * 32, "00")
        tracker.put_cosmos_tx(stake.id, CosmosTx("create", "A" * 64, "0a", 0))
        tracker.put_cosmos_tx(stake.id, CosmosTx("create", "B" * 64, "0b", 1))
        assert tracker.cosmos_tx(stake.id, "create") == CosmosTx("create", "B" * 64, "0b", 1)
        tracker.link_babylon(stake.id, "bbn-test-6", "pre-staking")
        with pytest.raises(ValueError, match="registered with bbn-test-6"):
            tracker.link_babylon(stake.id, "bbn-1", "pre-staking")


def test_recorded_fixture_delegation_parses() -> None:
    data = json.loads((FIXTURES / "btc_delegations_active.json").read_text())
    answer = _parse("GET x", {"btc_delegation": data["btc_delegations"][0]}, DelegationAnswer)
    d = answer.btc_delegation
    assert d.status_desc.value == "ACTIVE" and d.total_sat == 150_000_000
    assert d.undelegation_response is not None
    [sig] = d.undelegation_response.covenant_unbonding_sig_list
    assert len(sig.pk) == 32 and len(sig.sig) == 64  # hex key, base64 signature


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_any_json_is_a_model_or_one_bad_response_line(data: Any) -> None:
    for model in (TxAnswer, DelegationAnswer):
        try:
            _parse("GET x", data, model)
        except BabylonBadResponse as exc:
            assert "\n" not in str(exc) and "malformed response" in str(exc)


def test_params_file_must_match_the_chain() -> None:
    from l2kit.btc.keys import xonly_of
    from l2kit.staking.params import check_params_match, regtest_params

    covs = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
    chain = regtest_params(covs, 2)
    check_params_match(regtest_params(covs, 2, tag=b"othr"), chain)  # tag is not built with
    for local, field in (
        (regtest_params(covs, 3), "covenant_quorum"),
        (regtest_params(covs[:2], 2), "covenant_pks"),
        (regtest_params(covs, 2, unbonding_fee=2_000), "unbonding_fee"),
        (regtest_params(covs, 2, slashing_rate="0.2"), "slashing_rate"),
    ):
        with pytest.raises(InputError, match=f"params: {field} differs from the chain's params v0"):
            check_params_match(local, chain)
