"""End to end with real parts: a real regtest bitcoind and the fixture server polled by
``l2kit monitor serve`` (a subprocess), scraped by a real Prometheus (Debian's ``prometheus``)
that evaluates the shipped rules; assertions go through Prometheus' HTTP API (/api/v1/alerts).

Only the test's copy of the rules has ``for:`` shortened. Waits poll a state with a deadline;
nothing asserts how long anything took.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.monitor_server import ALPHA, MonitorServer, babylon_rest, cometbft, wait_until
from support.paths import ROOT

from l2kit.monitor import rules
from l2kit.regtest.conf import NodePorts
from l2kit.regtest.node import RegtestNode

pytestmark = pytest.mark.regtest

FOR = "2s"  # every alert's `for:` in the test's copy of the rules
LIMIT = 90.0  # bound of each wait (a hang, not a timing, fails the test)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@dataclass
class Stack:
    prometheus: str  # base URL
    srv: MonitorServer
    node: RegtestNode
    fleet_path: Path
    exporter: subprocess.Popen[str]
    exporter_port: int

    def alerts(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = _get(self.prometheus + "/api/v1/alerts")["data"]["alerts"]
        return found

    def state(self, alert: str, **labels: str) -> str | None:
        """'pending', 'firing', or None (inactive) for the alert with these labels."""
        for a in self.alerts():
            got = a["labels"]
            if got["alertname"] == alert and all(got.get(k) == v for k, v in labels.items()):
                return str(a["state"])
        return None

    def wait_state(self, alert: str, want: str | None, **labels: str) -> None:
        seen: set[str | None] = set()

        def reached() -> bool:
            now = self.state(alert, **labels)
            seen.add(now)
            return now == want

        ok = wait_until(reached, LIMIT)
        names = sorted({(a["labels"]["alertname"], a["state"]) for a in self.alerts()})
        assert ok, f"{alert}{labels} never became {want}; states seen {seen}; active {names}"

    def wait_fires_then_resolves(self, alert: str, clear: Any, **labels: str) -> None:
        self.wait_state(alert, "firing", **labels)
        clear()
        self.wait_state(alert, None, **labels)

    def cycles(self) -> float:
        result = _get(self.prometheus + "/api/v1/query?query=l2kit_poll_cycles_total")
        values = result["data"]["result"]
        return float(values[0]["value"][1]) if values else 0.0


def _rules_copy(path: Path) -> Path:
    doc = rules.load_rules()
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule["for"] = FOR
    out = path / "alerts.rules.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def _start_exporter(fleet_path: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "l2kit",
        "monitor",
        "serve",
        str(fleet_path),
        "--listen",
        f"127.0.0.1:{port}",
        "--interval",
        "1",
    ]
    with (fleet_path.parent / "exporter.log").open("a") as log:  # the child keeps its own fd
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _write_fleet(path: Path, node: RegtestNode, srv: MonitorServer) -> None:
    state = node.state()
    assert state is not None
    fleet = {
        "settings": {"request_timeout": 2, "target_timeout": 4},
        "targets": [
            {
                "name": "btc",
                "kind": "bitcoind",
                "url": state.rpc_url,
                "auth": {"rpc_json_file": str(node.datadir / "rpc.json")},
            },
            {
                "name": "bbn",
                "kind": "babylon",
                "bitcoind": "btc",
                "rest_url": srv.url("bbn"),
                "cometbft_url": srv.url("comet"),
            },
        ],
    }
    path.write_text(yaml.safe_dump(fleet))


@pytest.fixture
def stack(own_node: RegtestNode, tmp_path: Path) -> Iterator[Stack]:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.fail(
            "prometheus is not installed: run `make promtool` (Debian package "
            "'prometheus' ships the server beside promtool)",
            pytrace=False,
        )
    with MonitorServer() as srv:
        srv.add("bbn", babylon_rest(window=10_000))
        srv.add("comet", cometbft())
        fleet_path = tmp_path / "fleet.yaml"
        _write_fleet(fleet_path, own_node, srv)
        exporter_port, prom_port = _free_port(), _free_port()
        exporter = _start_exporter(fleet_path, exporter_port)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(_rules_copy(tmp_path))],
            "scrape_configs": [
                {
                    "job_name": "l2kit",
                    "scrape_interval": "1s",
                    "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
                }
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        with (tmp_path / "prometheus.log").open("w") as log:
            server = subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        stack = Stack(
            f"http://127.0.0.1:{prom_port}", srv, own_node, fleet_path, exporter, exporter_port
        )
        try:
            ready = wait_until(lambda: _ready(stack), LIMIT)
            assert ready, (tmp_path / "prometheus.log").read_text()[-2000:]
            yield stack
        finally:
            _stop(server)
            _stop(stack.exporter, signal.SIGINT)


def _ready(stack: Stack) -> bool:
    """Prometheus answers and has scraped at least three completed poll cycles."""
    try:
        return stack.cycles() >= 3
    except OSError:
        return False


def test_alerts_fire_and_resolve_in_a_real_prometheus(stack: Stack) -> None:
    # healthy start: none of the alerts under test is active
    for alert in (
        "BitcoindTipAgeCritical",
        "BitcoindDown",
        "FinalityProviderJailed",
        "BabylonCheckpointStale",
    ):
        assert stack.state(alert) is None, stack.alerts()
    assert stack.state("BitcoindNoPeers") is None  # the node says regtest: 0 peers is fine

    # 1. tip aged: drop back to genesis and mine under a mocktime 5 h in the past
    rpc = stack.node.rpc()
    address = stack.node.wallet_rpc().getnewaddress()
    rpc.call("invalidateblock", rpc.call("getblockhash", 1))
    rpc.call("setmocktime", int(time.time()) - 5 * 3600)
    rpc.generatetoaddress(1, address)
    stack.wait_state("BitcoindTipAgeCritical", "pending", target="btc")

    def fresh_tip() -> None:
        rpc.call("setmocktime", 0)
        rpc.generatetoaddress(1, address)

    stack.wait_fires_then_resolves("BitcoindTipAgeCritical", fresh_tip, target="btc")

    # 2. FP jailed and checkpoints stale (fixture mutated), then healthy again
    stack.srv.add("bbn", babylon_rest(window=10_000, jail=ALPHA, ckpt_age=20_000))
    stack.wait_state("FinalityProviderJailed", "firing", target="bbn", subject=ALPHA)
    stack.wait_state("BabylonCheckpointStale", "firing", target="bbn", subject="SUBMITTED")
    stack.srv.add("bbn", babylon_rest(window=10_000))
    stack.wait_state("FinalityProviderJailed", None, target="bbn", subject=ALPHA)
    stack.wait_state("BabylonCheckpointStale", None, target="bbn", subject="SUBMITTED")

    # 3. node stopped, then started again
    state = stack.node.state()
    assert state is not None
    stack.node.down()
    stack.wait_state("BitcoindDown", "firing", target="btc")
    again = RegtestNode(
        stack.node.datadir, preferred_ports=NodePorts(state.rpc_port, state.p2p_port, 0, 0)
    )
    again.up()
    again.close()
    restarted = stack.node.state()
    assert restarted is not None
    if restarted.rpc_url != state.rpc_url:  # a port was taken meanwhile: follow the node
        _stop(stack.exporter, signal.SIGINT)
        _write_fleet(stack.fleet_path, stack.node, stack.srv)
        stack.exporter = _start_exporter(stack.fleet_path, stack.exporter_port)
    stack.wait_state("BitcoindDown", None, target="btc")
