"""Probes + checks against a real HTTP server on 127.0.0.1 serving the replay fixtures.

Each scenario mutates the served state (jailed provider, stalled finality, ...) or breaks one
target (malformed, truncated, wrong content type, 404/500, slow, dead) and asserts both that
target's verdict and that the rest of the fleet is unaffected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from support.monitor_server import (
    ALPHA,
    BRAVO,
    CHARLIE,
    DEVNET_BABYLON_THRESHOLDS,
    MonitorServer,
    Route,
    babylon_rest,
    cometbft,
    dead_url,
    faulty,
    gadget,
    metrics,
    wait_until,
)

from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.poll import Poller, poll_once
from l2kit.monitor.results import CheckResult, CycleReport, Status


@pytest.fixture
def srv() -> Iterator[MonitorServer]:
    with MonitorServer() as server:
        yield server


def _babylon(srv: MonitorServer, name: str = "bbn", **kw: Any) -> dict[str, Any]:
    comet_kw = {k: kw.pop(k) for k in ("height", "catching_up", "block_age") if k in kw}
    return {
        "name": name,
        "kind": "babylon",
        "rest_url": srv.add(name, babylon_rest(**kw)),
        "cometbft_url": srv.add(name + "-comet", cometbft(**comet_kw)),
        "thresholds": DEVNET_BABYLON_THRESHOLDS,
    }


def _healthy_fleet(srv: MonitorServer) -> list[dict[str, Any]]:
    return [
        _babylon(srv),
        {"name": "opfgd", "kind": "gadget", "url": srv.add("fg", gadget())},
        {"name": "fpd", "kind": "metrics", "url": srv.add("fpd", metrics("fpd.prom")) + "/metrics"},
        {
            "name": "reporter",
            "kind": "metrics",
            "url": srv.add("rep", metrics("vigilante-reporter.prom")) + "/metrics",
        },
    ]


def _poll(targets: list[dict[str, Any]], **settings: Any) -> CycleReport:
    doc: dict[str, Any] = {"targets": targets}
    if settings:
        doc["settings"] = settings
    return asyncio.run(poll_once(fleet_mod.parse(doc)))


def _get(report: CycleReport, target: str, check: str, subject: str = "") -> CheckResult:
    found = [c for c in report.checks if (c.target, c.check, c.subject) == (target, check, subject)]
    assert len(found) == 1, (target, check, subject, report.checks)
    return found[0]


def _statuses(report: CycleReport, target: str) -> set[Status]:
    return {c.status for c in report.checks if c.target == target}


def test_healthy_fleet_all_ok(srv: MonitorServer) -> None:
    report = _poll(_healthy_fleet(srv))
    bad = [(c.target, c.check, c.reason) for c in report.checks if c.status is not Status.OK]
    assert bad == []
    assert _get(report, "bbn", "finality_lag").value == 4  # tip 1247 - finalized 1243
    assert _get(report, "bbn", "checkpoint_lag").value == 4  # epoch 125 - FINALIZED 121
    assert _get(report, "bbn", "fp_missed_blocks", ALPHA).value == 3
    assert _get(report, "opfgd", "rollup_finality_lag").value == 6
    assert _get(report, "opfgd", "rollup_finality_lag_seconds").value == 12.0  # 6 x 2 s
    assert _get(report, "fpd", "fp_vote_age", ALPHA).value == pytest.approx(17.973948)
    assert _get(report, "reporter", "reporter_staleness").value == 11
    assert "role fpd (inferred)" in _get(report, "fpd", "scrape").reason
    assert all(t.up for t in report.targets)


def test_fixture_state_jailed_and_slashed_providers(srv: MonitorServer) -> None:
    report = _poll([_babylon(srv, healthy_fps=False)])
    assert _get(report, "bbn", "fp_status", ALPHA).status is Status.OK
    bravo = _get(report, "bbn", "fp_status", BRAVO)
    charlie = _get(report, "bbn", "fp_status", CHARLIE)
    assert (bravo.status, bravo.value) == (Status.CRIT, 2)
    assert "jailed" in bravo.reason
    assert (charlie.status, charlie.value) == (Status.CRIT, 3)
    assert "slashed" in charlie.reason


def test_jailed_provider_and_watch_list(srv: MonitorServer) -> None:
    target = _babylon(srv, jail=ALPHA, missed={BRAVO: 30})
    target["finality_providers"] = [ALPHA, BRAVO, "ab" * 32]
    report = _poll([target])
    assert _get(report, "bbn", "fp_status", ALPHA).status is Status.CRIT
    assert _get(report, "bbn", "fp_status", BRAVO).status is Status.OK
    missing = _get(report, "bbn", "fp_status", "ab" * 32)
    assert missing.status is Status.CRIT and "not registered" in missing.reason
    # 30 of 50 allowed misses (window 100, min signed 0.5) is past the 0.5 WARN share
    assert _get(report, "bbn", "fp_missed_blocks", BRAVO).status is Status.WARN
    assert not [c for c in report.checks if c.subject == CHARLIE]  # not watched


def test_inactive_provider_is_warn(srv: MonitorServer) -> None:
    routes = babylon_rest()
    at = "/babylon/finality/v1/finality_providers/1243"
    body = b'{"finality_providers": [], "pagination": {"next_key": null, "total": "0"}}'
    routes[at] = Route(body)
    target = {
        "name": "bbn",
        "kind": "babylon",
        "rest_url": srv.add("bbn", routes),
        "cometbft_url": srv.add("c", cometbft()),
    }
    report = _poll([target])
    alpha = _get(report, "bbn", "fp_status", ALPHA)
    assert (alpha.status, alpha.value) == (Status.WARN, 1)


def test_stalled_finality_and_lagging_checkpoints(srv: MonitorServer) -> None:
    report = _poll([_babylon(srv, finalized=1190, finalized_epoch=100)])
    lag = _get(report, "bbn", "finality_lag")
    assert (lag.status, lag.value) == (Status.CRIT, 57)
    ckpt = _get(report, "bbn", "checkpoint_lag")
    assert (ckpt.status, ckpt.value) == (Status.CRIT, 25)
    report = _poll([_babylon(srv, "bbn2", finalized=1230, finalized_epoch=112)])
    assert _get(report, "bbn2", "finality_lag").status is Status.WARN
    assert _get(report, "bbn2", "checkpoint_lag").status is Status.WARN


def test_height_advancing_needs_the_previous_poll(srv: MonitorServer) -> None:
    target = _babylon(srv)
    poller = Poller(fleet_mod.parse({"targets": [target]}))

    async def three() -> list[CycleReport]:
        try:
            first = await poller.cycle()
            srv.add("bbn-comet", cometbft(height=1250))
            second = await poller.cycle()
            srv.add("bbn-comet", cometbft(height=1250, block_age=400))
            third = await poller.cycle()
            srv.add("bbn-comet", cometbft(height=1249))
            fourth = await poller.cycle()
            return [first, second, third, fourth]
        finally:
            await poller.aclose()

    first, second, third, fourth = asyncio.run(three())
    assert "latest block" in _get(first, "bbn", "height_advancing").reason
    adv = _get(second, "bbn", "height_advancing")
    assert (adv.status, adv.value) == (Status.OK, 1250)
    assert "+3 since last poll" in adv.reason
    stalled = _get(third, "bbn", "height_advancing")
    assert stalled.status is Status.CRIT and "no new block" in stalled.reason
    back = _get(fourth, "bbn", "height_advancing")
    assert back.status is Status.WARN and "went back" in back.reason


def test_catching_up_is_warn(srv: MonitorServer) -> None:
    report = _poll([_babylon(srv, catching_up=True)])
    sync = _get(report, "bbn", "cometbft_sync")
    assert (sync.status, sync.value) == (Status.WARN, 1)


def test_gadget_behind_and_empty(srv: MonitorServer) -> None:
    behind = {"name": "g1", "kind": "gadget", "url": srv.add("g1", gadget(finalized=57213))}
    slow_l2 = {
        "name": "g2",
        "kind": "gadget",
        "url": srv.add("g2", gadget(finalized=57913)),
        "block_time": 4,
    }
    empty = {"name": "g3", "kind": "gadget", "url": srv.add("g3", gadget(empty=True))}
    report = _poll([behind, slow_l2, empty])
    lag = _get(report, "g1", "rollup_finality_lag")
    assert (lag.status, lag.value) == (Status.CRIT, 1000)
    assert _get(report, "g1", "rollup_finality_lag_seconds").value == 2000
    assert _get(report, "g2", "rollup_finality_lag").status is Status.WARN  # 300 blocks
    assert _get(report, "g2", "rollup_finality_lag_seconds").value == 1200  # 300 x 4 s
    assert _get(report, "g3", "gadget_health").status is Status.OK
    none_yet = _get(report, "g3", "rollup_finality_lag")
    assert none_yet.status is Status.WARN and "block not found" in none_yet.reason


def test_gadget_seconds_from_l2_block_timestamps(srv: MonitorServer) -> None:
    import json

    # eth_getBlockByNumber answers one fixed block: both heights -> same timestamp -> 0 s
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"timestamp": hex(1795515833)}})
    l2 = srv.add("l2", {"/": Route(body.encode())})
    target = {"name": "g", "kind": "gadget", "url": srv.add("g", gadget()), "l2_rpc_url": l2}
    report = _poll([target])
    seconds = _get(report, "g", "rollup_finality_lag_seconds")
    assert seconds.value == 0 and "from block timestamps" in seconds.reason


def test_openmetrics_and_python_exporter_parse(srv: MonitorServer) -> None:
    om = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    targets = [
        {
            "name": "rep-om",
            "kind": "metrics",
            "url": srv.add("om", metrics("vigilante-reporter.openmetrics.txt", om)) + "/metrics",
        },
        {
            "name": "btc-exp",
            "kind": "metrics",
            "url": srv.add("bx", metrics("bitcoind-exporter.prom", "text/plain")) + "/metrics",
        },
        {
            "name": "sub",
            "kind": "metrics",
            "role": "submitter",
            "url": srv.add("sub", metrics("vigilante-submitter.prom")) + "/metrics",
        },
        {
            "name": "eots",
            "kind": "metrics",
            "url": srv.add("eots", metrics("eotsd.prom")) + "/metrics",
        },
        {
            "name": "bst",
            "kind": "metrics",
            "url": srv.add("bst", metrics("vigilante-bstracker.prom")) + "/metrics",
        },
    ]
    report = _poll(targets)
    assert all(c.status is Status.OK for c in report.checks), report.checks
    assert "role reporter (inferred)" in _get(report, "rep-om", "scrape").reason
    assert (
        _get(report, "rep-om", "reporter_failures").value == 2
    )  # failed_checkpoints, typed unknown
    assert "role exporter (inferred)" in _get(report, "btc-exp", "scrape").reason
    assert "role submitter (configured)" in _get(report, "sub", "scrape").reason
    assert _get(report, "sub", "submitter_staleness").value == 61
    assert "role eotsd" in _get(report, "eots", "scrape").reason
    assert "role bstracker" in _get(report, "bst", "scrape").reason


def test_failed_votes_judged_by_the_rise(srv: MonitorServer) -> None:
    url = srv.add("fpd", metrics("fpd-jailed.prom")) + "/metrics"
    poller = Poller(fleet_mod.parse({"targets": [{"name": "fpd", "kind": "metrics", "url": url}]}))
    text = (srv.prefixes["fpd"]["/metrics"].body).decode()

    async def two() -> list[CycleReport]:
        try:
            first = await poller.cycle()
            series = f'fp_total_failed_votes{{fp_btc_pk_hex="{BRAVO}"}}'
            assert f"{series} 53" in text
            rose = text.replace(f"{series} 53", f"{series} 65")
            srv.add("fpd", {"/metrics": Route(rose.encode(), content_type="text/plain")})
            return [first, await poller.cycle()]
        finally:
            await poller.aclose()

    first, second = asyncio.run(two())
    assert _get(first, "fpd", "fp_failed_votes", BRAVO).status is Status.OK
    rose = _get(second, "fpd", "fp_failed_votes", BRAVO)
    assert (rose.status, rose.value) == (Status.CRIT, 65)  # +12 >= failures_crit 10
    assert "+12" in rose.reason
    vote_age = _get(first, "fpd", "fp_vote_age", BRAVO)
    assert (vote_age.status, vote_age.value) == (Status.CRIT, pytest.approx(818.384308))


BROKEN: list[tuple[str, dict[str, Any], str, Status]] = [
    ("http500", {"status": 500}, "HTTP 500", Status.CRIT),
    ("http404", {"status": 404}, "HTTP 404", Status.CRIT),
    ("html", {"content_type": "text/html"}, "content-type 'text/html'", Status.CRIT),
    ("garbage", {"body": b"<html>oops</html>"}, "malformed metrics text", Status.CRIT),
    ("empty", {"body": b""}, "empty metrics page", Status.CRIT),
    ("truncated", {"truncate": True}, "truncated", Status.CRIT),
    ("slow", {"delay": 30}, "no answer within 3s", Status.UNKNOWN),
]


@pytest.mark.parametrize(("name", "fault", "reason", "status"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_metrics_target_is_isolated(
    srv: MonitorServer, name: str, fault: dict[str, Any], reason: str, status: Status
) -> None:
    fleet = _healthy_fleet(srv)
    url = srv.add("broken", faulty(metrics("fpd.prom"), **fault)) + "/metrics"
    fleet.append({"name": "broken", "kind": "metrics", "role": "fpd", "url": url})
    report = _poll(fleet, target_timeout=3, request_timeout=3)
    scrape = _get(report, "broken", "scrape")
    assert scrape.status is status and reason in scrape.reason, scrape
    others = {c.check: c.status for c in report.checks if c.target == "broken"}
    assert others == {
        "scrape": status,
        "fp_vote_age": Status.UNKNOWN,
        "fp_randomness_age": Status.UNKNOWN,
        "fp_failed_votes": Status.UNKNOWN,
    }
    assert [t.up for t in report.targets] == [True, True, True, True, False]
    for target in ("bbn", "opfgd", "fpd", "reporter"):
        assert _statuses(report, target) == {Status.OK}, target


BROKEN_JSON: list[tuple[str, dict[str, Any], str]] = [
    ("malformed", {"body": b'{"result": {"sync_info": '}, "malformed JSON"),
    ("wrongshape", {"body": b'{"result": {}}'}, "unexpected response shape: result.sync_info"),
    ("html", {"content_type": "text/html"}, "expected JSON, got content-type 'text/html'"),
    ("http500", {"status": 500, "body": b'{"code":2,"message":"boom"}'}, "HTTP 500: boom"),
    ("truncated", {"truncate": True}, "truncated"),
]


@pytest.mark.parametrize(("name", "fault", "reason"), BROKEN_JSON, ids=[b[0] for b in BROKEN_JSON])
def test_broken_cometbft_costs_only_its_checks(
    srv: MonitorServer, name: str, fault: dict[str, Any], reason: str
) -> None:
    target = _babylon(srv)
    target["cometbft_url"] = srv.add("badcomet", faulty(cometbft(), **fault))
    report = _poll([target])
    sync = _get(report, "bbn", "cometbft_sync")
    assert sync.status is Status.CRIT and reason in sync.reason, sync
    assert _get(report, "bbn", "height_advancing").status is Status.UNKNOWN
    assert _get(report, "bbn", "finality_lag").status is Status.UNKNOWN
    # REST-only checks still judged
    assert _get(report, "bbn", "checkpoint_lag").status is Status.OK
    assert _get(report, "bbn", "fp_status", ALPHA).status is Status.OK


def test_rest_query_error_is_named(srv: MonitorServer) -> None:
    routes = babylon_rest()
    del routes["/babylon/epoching/v1/current_epoch"]  # -> the server's 404 JSON error
    routes["/babylon/btcstaking/v1/finality_providers"] = Route(
        b'{"code":2,"message":"Block is not found","details":[]}', status=500
    )
    target = {
        "name": "bbn",
        "kind": "babylon",
        "rest_url": srv.add("bbn", routes),
        "cometbft_url": srv.add("c", cometbft()),
    }
    report = _poll([target])
    ckpt = _get(report, "bbn", "checkpoint_lag")
    assert ckpt.status is Status.UNKNOWN
    assert "/babylon/epoching/v1/current_epoch: HTTP 404" in ckpt.reason
    fp = _get(report, "bbn", "fp_status")
    assert fp.status is Status.UNKNOWN and "HTTP 500: Block is not found" in fp.reason
    assert _get(report, "bbn", "finality_lag").status is Status.OK


def test_dead_and_slow_targets(srv: MonitorServer) -> None:
    dead = dead_url()
    targets = [
        {"name": "dead-bbn", "kind": "babylon", "rest_url": dead, "cometbft_url": dead},
        {"name": "dead-g", "kind": "gadget", "url": dead},
        {"name": "slow-g", "kind": "gadget", "url": srv.add("sg", faulty(gadget(), delay=30))},
        {"name": "ok-g", "kind": "gadget", "url": srv.add("g", gadget())},
    ]
    report = _poll(targets, target_timeout=3)
    for name in ("dead-bbn", "dead-g", "slow-g"):
        assert _statuses(report, name) == {Status.UNKNOWN}, name
    assert "connection refused" in _get(report, "dead-g", "gadget_health").reason
    assert "connection refused" in _get(report, "dead-bbn", "cometbft_sync").reason
    assert "no answer within 3s" in _get(report, "slow-g", "gadget_health").reason
    assert _statuses(report, "ok-g") == {Status.OK}
    assert wait_until(lambda: srv.stats.hangups >= 1)  # the client abandoned the slow reply


def test_gadget_health_down_but_sync_answers(srv: MonitorServer) -> None:
    routes = gadget()
    routes["/health"] = Route(b"db closed\n", status=500, content_type="text/plain")
    report = _poll([{"name": "g", "kind": "gadget", "url": srv.add("g", routes)}])
    health = _get(report, "g", "gadget_health")
    assert health.status is Status.CRIT and "HTTP 500: db closed" in health.reason
    assert _get(report, "g", "rollup_finality_lag").status is Status.OK
