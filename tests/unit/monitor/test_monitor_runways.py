"""Runways, checkpoint ages and the delegation lifecycle (issue #13): the pure rules, then the
probes against the loopback fixture server (real HTTP), including malformed answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.monitor_server import (
    ALPHA,
    BRAVO,
    CHARLIE,
    COVENANT,
    DEVNET_BABYLON_THRESHOLDS,
    PENDING_TXID,
    VERIFIED_TXID,
    MonitorServer,
    Route,
    babylon_rest,
    cometbft,
    jroute,
    load,
)
from support.paths import DATA

from l2kit.monitor import babylon, babylon_runway, checks_babylon, delegations
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.poll import Poller, poll_once
from l2kit.monitor.results import CheckResult, CycleReport, Status

FIXTURES = DATA / "monitor" / "babylon-rest"


# --- pure rules ---------------------------------------------------------------------------------


@given(
    st.integers(min_value=1, max_value=1_000_000),
    st.integers(min_value=1, max_value=10**18 - 1),
)
def test_jail_limit_is_the_chains_rule(window: int, atto: int) -> None:
    """babylon x/finality: jailed at missed > window - RoundInt64(min_signed x window)."""
    min_signed = Decimal(atto) / Decimal(10**18)  # an 18-decimal LegacyDec in (0, 1)
    params = babylon.FinalityParamsBody(
        signed_blocks_window=window, min_signed_per_window=min_signed
    )
    exact = min_signed * window
    rounded = int(exact) + (1 if exact - int(exact) >= Decimal("0.5") else 0)  # half away from 0
    assert checks_babylon.jail_limit(params) == window - rounded


def test_block_time_is_measured_between_polls() -> None:
    mem: dict[str, float] = {}
    assert checks_babylon.block_time(100, 1000.0, {}, mem, 10.0) == (10.0, False)  # default
    again: dict[str, float] = {}
    assert checks_babylon.block_time(112, 1060.0, mem, again, 10.0) == (5.0, True)  # 12 in 60 s
    assert again == mem  # the base stays until 1,000 blocks passed


@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=2**63),
        st.tuples(st.integers(min_value=1, max_value=10**6), st.integers(0, 2**32)),
        max_size=5,
    ),
    st.booleans(),
)
def test_newest_pub_rand_commit(commits: dict[int, tuple[int, int]], as_strings: bool) -> None:
    """uint64 map keys and values arrive as JSON strings (gogoproto jsonpb); any order."""
    raw = {
        (str(k) if as_strings else k): {
            "num_pub_rand": str(n) if as_strings else n,
            "epoch_num": str(e),
            "commitment": "AA==",
        }
        for k, (n, e) in commits.items()
    }
    body = babylon_runway.PubRandCommitList.model_validate(
        {"pub_rand_commit_map": raw, "pagination": {"next_key": None}}
    )
    got = babylon_runway.newest(body)
    if not commits:
        assert got is None
        return
    start = max(commits)
    assert got == babylon_runway.PubRand(start, *commits[start])
    assert got.last == start + commits[start][0] - 1


def test_pub_rand_and_checkpoint_fixtures_parse() -> None:
    body = babylon_runway.PubRandCommitList.model_validate(
        json.loads((FIXTURES / "finality_pub_rand_commit_list.json").read_text())
    )
    assert body.pub_rand_commit_map[1001].num_pub_rand == 70000  # map key and uint64 as strings
    ckpts = babylon_runway.RawCheckpoints.model_validate(
        json.loads((FIXTURES / "raw_checkpoints.json").read_text())
    )
    assert [c.status for c in ckpts.raw_checkpoints][:2] == [
        "CKPT_STATUS_SEALED",
        "CKPT_STATUS_SUBMITTED",
    ]
    pending = delegations.DelegationList.model_validate(
        json.loads((FIXTURES / "btc_delegations_pending.json").read_text())
    ).btc_delegations[0]
    assert pending.txid == PENDING_TXID and pending.signers == frozenset()
    assert pending.start_height == 0 and pending.status_desc == "PENDING"


# --- against the fixture server -----------------------------------------------------------------


@pytest.fixture
def srv() -> Iterator[MonitorServer]:
    with MonitorServer() as server:
        yield server


def _target(
    srv: MonitorServer, name: str = "bbn", routes: dict[str, Route] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "babylon",
        "rest_url": srv.add(name, routes if routes is not None else babylon_rest()),
        "cometbft_url": srv.add(name + "-comet", cometbft()),
        "thresholds": DEVNET_BABYLON_THRESHOLDS,
        **extra,
    }


def _poll(*targets: dict[str, Any]) -> CycleReport:
    return asyncio.run(poll_once(fleet_mod.parse({"targets": list(targets)})))


def _get(report: CycleReport, check: str, subject: str = "") -> CheckResult:
    found = [c for c in report.checks if (c.check, c.subject) == (check, subject)]
    assert len(found) == 1, (check, subject, [(c.check, c.subject) for c in report.checks])
    return found[0]


def test_healthy_runways(srv: MonitorServer) -> None:
    report = _poll(_target(srv))
    jail = _get(report, "fp_jail_runway", ALPHA)
    assert (jail.status, jail.value) == (Status.OK, 47)  # 50 allowed - 3 missed
    rand = _get(report, "fp_randomness_runway", ALPHA)
    assert (rand.status, rand.value) == (Status.OK, 71000 - 1247)
    voting = _get(report, "fp_voting", ALPHA)
    assert (voting.status, voting.value) == (Status.OK, 4) and "voted at 1244" in voting.reason
    assert _get(report, "fp_voting_power", ALPHA).value == 250_000_000
    for status in ("SUBMITTED", "CONFIRMED", "FINALIZED"):
        age = _get(report, "checkpoint_age", status)
        assert age.status is Status.OK and age.value is not None and age.value < 120
    assert not [c for c in report.checks if c.check.startswith("delegation")]  # not asked for


def test_runways_running_out(srv: MonitorServer) -> None:
    routes = babylon_rest(pub_rand_last=1300, voters=[BRAVO], missed={ALPHA: 45}, ckpt_age=20_000)
    report = _poll(_target(srv, routes=routes))
    jail = _get(report, "fp_jail_runway", ALPHA)
    assert (jail.status, jail.value) == (Status.CRIT, 5)  # 5 blocks x 10 s <= 60 s
    rand = _get(report, "fp_randomness_runway", ALPHA)
    assert (rand.status, rand.value) == (Status.CRIT, 53)  # 530 s <= 7200 s
    voting = _get(report, "fp_voting", ALPHA)
    assert voting.status is Status.WARN and "no vote at 1244" in voting.reason
    assert _get(report, "fp_voting", BRAVO).status is Status.OK
    assert _get(report, "checkpoint_age", "SUBMITTED").status is Status.CRIT  # > 4 h
    assert _get(report, "checkpoint_age", "CONFIRMED").status is Status.WARN  # > 3 h
    assert _get(report, "checkpoint_age", "FINALIZED").status is Status.OK  # < 24 h


def test_never_committed_and_watch_list(srv: MonitorServer) -> None:
    routes = babylon_rest()
    empty = load("babylon-rest/finality_pub_rand_commit_list_empty.json")
    routes[f"/babylon/finality/v1/finality_providers/{CHARLIE}/pub_rand_commit_list"] = jroute(
        empty
    )
    report = _poll(_target(srv, routes=routes, finality_providers=[CHARLIE]))
    rand = _get(report, "fp_randomness_runway", CHARLIE)
    assert rand.status is Status.CRIT and "never committed" in rand.reason
    assert {c.subject for c in report.checks if c.check.startswith("fp_")} == {CHARLIE}


@pytest.mark.parametrize(
    ("path", "route", "check", "reason"),
    [
        (
            f"/babylon/finality/v1/finality_providers/{ALPHA}/pub_rand_commit_list",
            jroute({"pub_rand_commit_map": {"1001": {"num_pub_rand": "lots"}}}),
            "fp_randomness_runway",
            "unexpected response shape",
        ),
        (
            "/babylon/checkpointing/v1/raw_checkpoints",
            Route(b"{not json"),
            "checkpoint_age",
            "malformed JSON",
        ),
        (
            "/babylon/checkpointing/v1/raw_checkpoints",
            jroute({"raw_checkpoints": [{"ckpt": {}, "status": "X"}]}),
            "checkpoint_age",
            "raw_checkpoints.0.ckpt.epoch_num",
        ),
        (
            "/babylon/btcstaking/v1/btc_delegations/PENDING",
            Route(b'{"code":13,"message":"boom","details":[]}', status=500),
            "delegations",
            "HTTP 500: boom",
        ),
    ],
)
def test_malformed_answers_cost_only_their_check(
    srv: MonitorServer, path: str, route: Route, check: str, reason: str
) -> None:
    routes = babylon_rest()
    routes[path] = route
    target = _target(srv, routes=routes, stakers=["bbn1nobody"], covenant_pks=[COVENANT])
    report = _poll(target)
    bad = [c for c in report.checks if c.check == check and c.subject in ("", ALPHA)]
    assert bad and all(c.status is Status.UNKNOWN for c in bad), bad
    assert any(reason in c.reason for c in bad), [c.reason for c in bad]
    others = [c for c in report.checks if c.check not in (check, "covenant_unsigned")]
    if check == "fp_randomness_runway":  # the other providers' commits still answer
        assert _get(report, check, BRAVO).status is Status.OK
    assert all(c.status is not Status.UNKNOWN for c in others), [
        (c.check, c.reason) for c in others if c.status is Status.UNKNOWN
    ]


def _two_polls(srv: MonitorServer, target: dict[str, Any], blocks: int) -> list[CycleReport]:
    """Two cycles of one poller; the BTC light client advances ``blocks`` in between."""
    fleet = fleet_mod.parse({"targets": [target]})

    async def run() -> list[CycleReport]:
        poller = Poller(fleet)
        try:
            first = await poller.cycle()
            srv.add(target["name"], babylon_rest(lightclient=736 + blocks))
            return [first, await poller.cycle()]
        finally:
            await poller.aclose()

    return asyncio.run(run())


def test_delegation_lifecycle_chain_wide(srv: MonitorServer) -> None:
    staker = load("babylon-rest/btc_delegations_pending.json")["btc_delegations"][0]["staker_addr"]
    target = _target(srv, delegation_fps=[ALPHA], stakers=[staker], covenant_pks=[COVENANT])
    first, second = _two_polls(srv, target, blocks=10)
    counts = {c.subject: c.value for c in first.checks if c.check == "delegations"}
    assert counts == {"PENDING": 1, "VERIFIED": 1, "ACTIVE": 2, "UNBONDED": 0, "EXPIRED": 0}
    assert _get(first, "delegation_stuck", PENDING_TXID).status is Status.OK  # just seen
    pending = _get(second, "delegation_stuck", PENDING_TXID)
    assert (pending.status, pending.value) == (Status.CRIT, 10)  # 10 BTC blocks, no quorum
    verified = _get(second, "delegation_stuck", VERIFIED_TXID)
    assert (verified.status, verified.value) == (Status.OK, 10)  # < 40 blocks
    unsigned = _get(second, "covenant_unsigned", COVENANT)
    assert (unsigned.status, unsigned.value) == (Status.CRIT, 1)
    other = "ab" * 32
    report = _poll(_target(srv, "bbn2", covenant_pks=[other]))
    assert _get(report, "covenant_unsigned", other).value == 1  # nobody signed the pending one


def _stakes_db(tmp_path: Path, states: dict[str, str], unbonding_confs: int = -1) -> Path:
    from l2kit.staking.states import State
    from l2kit.staking.tracker import NewStake, Tracker

    path = tmp_path / "stakes.db"
    with Tracker(path) as tracker:
        for n, (txid, state) in enumerate(states.items()):
            new = NewStake(
                fingerprint=f"fp{n}",
                network="regtest",
                params_version=0,
                staker_pk="11" * 32,
                fp_pks=(ALPHA,),
                covenant_pks=(COVENANT,),
                covenant_quorum=1,
                staking_time=1000,
                unbonding_time=5,
                unbonding_fee=1000,
                value=100_000,
                staking_vout=0,
                start_height=0,
            )
            stake = tracker.add_stake(new, txid, "00")
            if state != "CREATED":
                tracker.move_to(stake.id, State(state), "test", 1)
            if state == "UNBONDING":
                tracker.put_tx(stake.id, "unbonding", "cd" * 32, "00")
                tracker.note_seen(stake.id, "unbonding", unbonding_confs, None)
    return path


def test_local_stakes_follow_babylon(srv: MonitorServer, tmp_path: Path) -> None:
    unknown = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    gone = "ee" * 32  # unbonding requested; the unbonding tx is not on Bitcoin
    db = _stakes_db(tmp_path, {VERIFIED_TXID: "CREATED", unknown: "CONFIRMED", gone: "UNBONDING"})
    before = db.read_bytes()
    routes = babylon_rest()
    routes[f"/babylon/btcstaking/v1/btc_delegation/{unknown}"] = Route(
        (FIXTURES / "error_btc_delegation_not_found.json").read_bytes(), status=500
    )
    active = load("babylon-rest/btc_delegations_active.json")["btc_delegations"][0]
    routes[f"/babylon/btcstaking/v1/btc_delegation/{gone}"] = jroute({"btc_delegation": active})
    target = _target(srv, routes=routes, stakes_db=str(db))
    target["thresholds"] = {
        **DEVNET_BABYLON_THRESHOLDS,
        "verified_blocks_warn": 3,
        "verified_blocks_crit": 50,
    }
    first, second = _two_polls_local(srv, target, routes)
    counts = {c.subject: c.value for c in first.checks if c.check == "delegations"}
    assert counts["VERIFIED"] == 1 and counts["ACTIVE"] == 1
    assert _get(second, "delegation_stuck", VERIFIED_TXID).status is Status.WARN  # 4 blocks
    not_reg = _get(second, "delegation_stuck", unknown)
    assert not_reg.status is Status.WARN and "not on Babylon" in not_reg.reason
    unseen = _get(second, "unbonding_unseen", gone)
    assert (unseen.status, unseen.value) == (Status.WARN, 4)
    assert db.read_bytes() == before  # read only


def _two_polls_local(
    srv: MonitorServer, target: dict[str, Any], routes: dict[str, Route]
) -> list[CycleReport]:
    fleet = fleet_mod.parse({"targets": [target]})

    async def run() -> list[CycleReport]:
        poller = Poller(fleet)
        try:
            first = await poller.cycle()
            tip = load("babylon-rest/btclightclient_tip.json")
            tip["header"]["height"] = 740
            srv.add(target["name"], {**routes, "/babylon/btclightclient/v1/tip": jroute(tip)})
            return [first, await poller.cycle()]
        finally:
            await poller.aclose()

    return asyncio.run(run())


def test_missing_stakes_db_is_unknown_not_a_crash(srv: MonitorServer, tmp_path: Path) -> None:
    report = _poll(_target(srv, stakes_db=str(tmp_path / "nope.db")))
    got = _get(report, "delegations")
    assert got.status is Status.UNKNOWN and "no such file" in got.reason


def test_dashboard_shows_the_runways_and_the_lifecycle() -> None:
    from l2kit.monitor import rules

    exprs = " ".join(expr for _, expr in rules.dashboard_exprs(rules.load_dashboard()))
    for check in (
        "fp_jail_runway",
        "fp_randomness_runway",
        "fp_voting",
        "fp_voting_power",
        "checkpoint_age",
        "delegations",
        "delegation_stuck",
        "unbonding_unseen",
        "covenant_unsigned",
        "wallet_balance",
    ):
        assert f'check="{check}"' in exprs, check


def test_manifest_names_existing_fixtures_and_the_new_shapes_parse() -> None:
    manifest = json.loads((FIXTURES.parent / "manifest.json").read_text())
    models: dict[str, Any] = {
        "finality_pub_rand_commit_list.json": babylon_runway.PubRandCommitList,
        "finality_pub_rand_commit_list_empty.json": babylon_runway.PubRandCommitList,
        "btc_delegations_pending.json": delegations.DelegationList,
        "btc_delegations_verified.json": delegations.DelegationList,
        "btc_delegation_verified.json": delegations.OneDelegation,
        "fp_delegations.json": delegations.FpDelegations,
        "raw_checkpoints.json": babylon_runway.RawCheckpoints,
        "votes_at_height.json": babylon_runway.VotesAtHeight,
    }
    seen = set()
    for route in manifest["routes"]:
        path = FIXTURES.parent / route["file"]
        assert path.is_file(), route["file"]
        if route["content_type"] == "application/json":
            body = json.loads(path.read_text())
            name = path.name
            if name in models and route["status"] == 200:
                models[name].model_validate(body)
                seen.add(name)
    assert seen == set(models)
