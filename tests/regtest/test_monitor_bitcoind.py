"""`l2kit monitor` against real bitcoind regtest nodes.

The session node (``regtest_node``) is only read. Tests that stop a node or move its clock use
their own ``RegtestNode`` in a tmp dir.
"""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from support.cli import click_invoke

from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.poll import Poller, poll_once
from l2kit.monitor.results import CheckResult, CycleReport, Status
from l2kit.regtest.conf import NodePorts
from l2kit.regtest.node import RegtestNode

pytestmark = pytest.mark.regtest


def _fleet(url: str, auth: dict[str, str], **extra: object) -> fleet_mod.Fleet:
    target = {"name": "btc", "kind": "bitcoind", "url": url, "chain": "regtest", "auth": auth}
    return fleet_mod.parse({"targets": [{**target, **extra}]})


def _by_check(report: CycleReport) -> dict[str, CheckResult]:
    return {c.check: c for c in report.checks}


def _password_file(tmp_path: Path, password: str) -> str:
    path = tmp_path / "rpc-password"
    path.write_text(password + "\n")
    path.chmod(0o600)
    return str(path)


def test_healthy_session_node_is_ok(regtest_node, tmp_path: Path) -> None:
    regtest_node.mine(1)  # a fresh tip: tip_age is a few seconds, not IBD
    auth = {
        "user": regtest_node.rpc_user,
        "password_file": _password_file(tmp_path, regtest_node.rpc_password),
    }
    report = asyncio.run(poll_once(_fleet(regtest_node.rpc_url, auth)))
    checks = _by_check(report)
    assert set(checks) == {
        "rpc",
        "chain",
        "ibd",
        "header_lag",
        "tip_age",
        "peers",
        "mempool_usage",
        "warnings",
        "pruned",
    }
    bad = {c.check: c.reason for c in report.checks if c.status is not Status.OK}
    assert bad == {}
    assert checks["chain"].reason == "chain regtest as expected"
    assert checks["header_lag"].value == 0
    assert checks["tip_age"].value is not None and checks["tip_age"].value < 600
    assert checks["pruned"].value == 0
    assert report.targets[0].up


def test_wrong_chain_is_crit(regtest_node, tmp_path: Path) -> None:
    auth = {
        "user": regtest_node.rpc_user,
        "password_file": _password_file(tmp_path, regtest_node.rpc_password),
    }
    report = asyncio.run(poll_once(_fleet(regtest_node.rpc_url, auth, chain="main")))
    chain = _by_check(report)["chain"]
    assert chain.status is Status.CRIT
    assert "'regtest', expected 'main'" in chain.reason


def test_wrong_credentials_is_an_auth_error_not_down(regtest_node, tmp_path: Path) -> None:
    auth = {"user": regtest_node.rpc_user, "password_file": _password_file(tmp_path, "wrong")}
    report = asyncio.run(poll_once(_fleet(regtest_node.rpc_url, auth)))
    rpc = _by_check(report)["rpc"]
    assert rpc.status is Status.CRIT
    assert "authentication failed (HTTP 401)" in rpc.reason
    assert "unreachable" not in rpc.reason
    assert "wrong" not in json.dumps(report.to_json())  # the secret never shows
    others = [c for c in report.checks if c.check != "rpc"]
    assert others and all(c.status is Status.UNKNOWN for c in others)
    assert not report.targets[0].up


def test_password_env_and_cli_regtest_datadir(regtest_node, monkeypatch) -> None:
    regtest_node.mine(1)
    result = click_invoke(
        ["monitor", "check", "--regtest-datadir", str(regtest_node.datadir), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {c["target"] for c in data["checks"]} == {"regtest"}
    assert data["summary"]["exit_code"] == 0
    assert all(c["status"] == "OK" for c in data["checks"])

    monkeypatch.setenv("L2KIT_TEST_RPC_PASSWORD", regtest_node.rpc_password)
    result = click_invoke(
        [
            "monitor",
            "check",
            "--bitcoind",
            regtest_node.rpc_url,
            "--rpc-user",
            regtest_node.rpc_user,
            "--rpc-password-env",
            "L2KIT_TEST_RPC_PASSWORD",
            "--chain",
            "regtest",
        ],
    )
    assert result.exit_code == 0, result.output
    assert regtest_node.rpc_password not in result.output

    # no --chain: the node says regtest, so 0 peers is fine there (was exit 2 on "0 peers")
    result = click_invoke(
        [
            "monitor",
            "check",
            "--bitcoind",
            regtest_node.rpc_url,
            "--json",
            "--rpc-user",
            regtest_node.rpc_user,
            "--rpc-password-env",
            "L2KIT_TEST_RPC_PASSWORD",
        ],
    )
    assert result.exit_code == 0, result.output
    peers = [c for c in json.loads(result.output)["checks"] if c["check"] == "peers"]
    assert peers[0]["status"] == "OK" and peers[0]["value"] == 0


def test_tip_age_follows_mocktime(own_node: RegtestNode) -> None:
    """Blocks mined under setmocktime carry old timestamps: tip_age goes CRIT, WARN, then OK.

    (Block times must rise past the median time past, so the oldest tip comes first.)"""
    fleet = _fleet(own_node.state().rpc_url, {"rpc_json_file": str(own_node.datadir / "rpc.json")})
    rpc = own_node.rpc()
    address = own_node.wallet_rpc().getnewaddress()
    # `up` mined 101 blocks at the real time; later blocks must be newer than their median
    # time past, so drop them and start again from genesis (2011).
    rpc.call("invalidateblock", rpc.call("getblockhash", 1))
    seen = []
    for hours_ago in (5, 3, 0):
        rpc.call("setmocktime", int(time.time()) - hours_ago * 3600 if hours_ago else 0)
        rpc.generatetoaddress(1, address)
        tip_age = _by_check(asyncio.run(poll_once(fleet)))["tip_age"]
        seen.append((hours_ago, tip_age.status, tip_age.value))
    (_, s5, v5), (_, s3, v3), (_, s0, v0) = seen
    assert (s5, s3, s0) == (Status.CRIT, Status.WARN, Status.OK)
    assert v5 is not None and 5 * 3600 - 120 < v5 < 5 * 3600 + 120
    assert v3 is not None and 3 * 3600 - 120 < v3 < 3 * 3600 + 120
    assert v0 is not None and v0 < 120


def test_stopped_node_is_crit_then_recovers(own_node: RegtestNode, tmp_path: Path) -> None:
    state = own_node.state()
    assert state is not None
    auth = {"rpc_json_file": str(own_node.datadir / "rpc.json")}
    poller = Poller(_fleet(state.rpc_url, auth))

    async def cycles() -> list[CycleReport]:
        try:
            first = await poller.cycle()
            own_node.down()
            second = await poller.cycle()
            # same ports on restart if they are free (TIME_WAIT may take one: then follow it)
            ports = NodePorts(state.rpc_port, state.p2p_port, 0, 0)
            again = RegtestNode(own_node.datadir, preferred_ports=ports)
            again.up()
            again.close()
            restarted = own_node.state()
            assert restarted is not None
            if restarted.rpc_url != state.rpc_url:
                poller.fleet = _fleet(restarted.rpc_url, auth)
            third = await poller.cycle()
            return [first, second, third]
        finally:
            await poller.aclose()

    first, down, back = asyncio.run(cycles())
    assert all(c.status is Status.OK for c in first.checks if c.check == "rpc")
    rpc = _by_check(down)["rpc"]
    assert rpc.status is Status.UNKNOWN  # could not be asked: counts as CRIT
    assert "connection refused" in rpc.reason
    assert down.to_json()["summary"]["exit_code"] == 2  # type: ignore[index]
    assert not down.targets[0].up and poller.errors["btc"] == 1
    assert _by_check(back)["rpc"].status is Status.OK
    assert back.targets[0].up

    # the CLI on the stopped node: exit 2 with the reason in the JSON
    own_node.down()
    result = click_invoke(
        ["monitor", "check", "--regtest-datadir", str(own_node.datadir), "--json"]
    )
    assert result.exit_code == 2, result.output
    data = json.loads(result.output)
    rpc_json = next(c for c in data["checks"] if c["check"] == "rpc")
    assert rpc_json["status"] == "UNKNOWN" and "connection refused" in rpc_json["reason"]


@pytest.mark.parametrize(
    ("behind", "status"), [(1, Status.OK), (4, Status.WARN), (10, Status.CRIT)]
)
def test_babylon_light_client_vs_real_bitcoind(
    regtest_node, tmp_path: Path, behind: int, status: Status
) -> None:
    from support.monitor_server import MonitorServer, babylon_rest, cometbft

    regtest_node.mine(1)
    height = regtest_node.rpc.getblockcount()
    auth = {"rpc_json_file": str(regtest_node.datadir / "rpc.json")}
    with MonitorServer() as srv:
        targets = [
            {"name": "btc", "kind": "bitcoind", "url": regtest_node.rpc_url, "auth": auth},
            {
                "name": "bbn",
                "kind": "babylon",
                "bitcoind": "btc",
                "rest_url": srv.add("bbn", babylon_rest(lightclient=height - behind)),
                "cometbft_url": srv.add("comet", cometbft()),
            },
        ]
        report = asyncio.run(poll_once(fleet_mod.parse({"targets": targets})))
    lag = next(c for c in report.checks if c.check == "btc_lightclient_lag")
    assert (lag.status, lag.value) == (status, behind)
    assert f"bitcoind at {height}" in lag.reason


def test_submitter_wallet_balance_from_the_real_wallet(regtest_node, tmp_path: Path) -> None:
    wallet = regtest_node.new_wallet(fund_btc=Decimal("0.03"))
    auth = {"rpc_json_file": str(regtest_node.datadir / "rpc.json")}
    fleet = _fleet(regtest_node.rpc_url, auth, wallets=[wallet.wallet_name, "no-such-wallet"])
    report = asyncio.run(poll_once(fleet))
    found = {c.subject: c for c in report.checks if c.check == "wallet_balance"}
    low = found[wallet.wallet_name]
    assert (low.status, low.value) == (Status.WARN, 0.03)  # below 0.05, above 0.01
    missing = found["no-such-wallet"]
    assert missing.status is Status.UNKNOWN and "-18" in missing.reason  # wallet not loaded
    assert report.targets[0].up  # the node itself is fine

    # spending fees lowers it: after sending most of it away it is CRIT
    wallet.sendtoaddress(regtest_node.wallet.getnewaddress(), Decimal("0.025"))
    report = asyncio.run(poll_once(fleet))
    after = next(c for c in report.checks if c.subject == wallet.wallet_name)
    assert after.status is Status.CRIT and after.value is not None and after.value < 0.005
