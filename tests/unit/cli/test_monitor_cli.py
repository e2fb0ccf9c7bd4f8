"""CLI contract of `l2kit monitor check|watch`: exit codes 0/1/2 and the JSON fields."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.cli import CliResult, run_main
from support.monitor_server import (
    ALPHA,
    MonitorServer,
    babylon_rest,
    cometbft,
    dead_url,
    gadget,
    metrics,
)

FIELDS = {"target", "kind", "check", "subject", "status", "value", "reason"}


@pytest.fixture(scope="module")
def srv() -> Iterator[MonitorServer]:
    with MonitorServer() as server:
        server.add("bbn", babylon_rest(window=10_000))
        server.add("bbn-jailed", babylon_rest(jail=ALPHA, window=10_000))
        server.add("comet", cometbft())
        server.add("fg", gadget())
        server.add("fg-behind", gadget(finalized=58213 - 400))
        server.add("fpd", metrics("fpd.prom"))
        yield server


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """``l2kit monitor ARGS`` through ``l2kit.cli.main`` (which maps errors to exit codes)."""
    return lambda *args: run_main(["monitor", *args], capsys)


def _fleet_file(tmp_path: Path, targets: list[dict[str, Any]], **extra: Any) -> str:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"targets": targets, **extra}))
    return str(path)


def _healthy(srv: MonitorServer) -> list[dict[str, Any]]:
    return [
        {
            "name": "bbn",
            "kind": "babylon",
            "rest_url": srv.url("bbn"),
            "cometbft_url": srv.url("comet"),
        },
        {"name": "opfgd", "kind": "gadget", "url": srv.url("fg")},
        {"name": "fpd", "kind": "metrics", "role": "fpd", "url": srv.url("fpd") + "/metrics"},
    ]


def test_all_ok_exit_0_and_json_shape(
    run: Callable[..., CliResult], srv: MonitorServer, tmp_path: Path
) -> None:
    result = run("check", _fleet_file(tmp_path, _healthy(srv)), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"checks", "summary"}
    assert data["checks"] and all(set(c) == FIELDS for c in data["checks"])
    assert {c["status"] for c in data["checks"]} == {"OK"}
    summary = data["summary"]
    assert summary["exit_code"] == 0 and summary["targets"] == 3
    assert summary["total"] == len(data["checks"]) == summary["OK"]
    lag = next(c for c in data["checks"] if c["check"] == "finality_lag")
    assert lag == {
        "target": "bbn",
        "kind": "babylon",
        "check": "finality_lag",
        "subject": "",
        "status": "OK",
        "value": 4,
        "reason": "tip 1247, last finalized 1243",
    }


def test_warn_exit_1(run: Callable[..., CliResult], srv: MonitorServer, tmp_path: Path) -> None:
    targets = _healthy(srv)
    targets[1]["url"] = srv.url("fg-behind")  # 400 blocks behind: WARN (>= 300, < 900)
    result = run("check", _fleet_file(tmp_path, targets), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert {(c["check"], c["status"]) for c in data["checks"] if c["status"] != "OK"} == {
        ("rollup_finality_lag", "WARN"),
        ("rollup_finality_lag_seconds", "WARN"),  # 400 x 2 s = 800 s >= 600
    }


def test_crit_exit_2_and_table(
    run: Callable[..., CliResult], srv: MonitorServer, tmp_path: Path
) -> None:
    targets = _healthy(srv)
    targets[0]["rest_url"] = srv.url("bbn-jailed")
    result = run("check", _fleet_file(tmp_path, targets))
    assert result.exit_code == 2, result.output
    assert "fp_status" in result.output and "CRIT" in result.output and "jailed" in result.output


def test_unknown_counts_as_crit(
    run: Callable[..., CliResult], srv: MonitorServer, tmp_path: Path
) -> None:
    targets = [*_healthy(srv), {"name": "down", "kind": "gadget", "url": dead_url()}]
    result = run("check", _fleet_file(tmp_path, targets), "--json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["summary"]["UNKNOWN"] == 3 and data["summary"]["CRIT"] == 0
    down = [c for c in data["checks"] if c["target"] == "down"]
    assert all(c["status"] == "UNKNOWN" and "connection refused" in c["reason"] for c in down)


def test_adhoc_flags_and_role_inference(run: Callable[..., CliResult], srv: MonitorServer) -> None:
    result = run(
        "check",
        "--json",
        "--babylon-rest",
        srv.url("bbn"),
        "--cometbft",
        srv.url("comet"),
        "--gadget",
        srv.url("fg"),
        "--metrics",
        srv.url("fpd") + "/metrics",
        "--metrics",
        "fpd=" + srv.url("fpd") + "/metrics",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    scrapes = [c for c in data["checks"] if c["check"] == "scrape"]
    assert len(scrapes) == 2
    assert {c["reason"].split("role ")[1] for c in scrapes} == {
        "fpd (inferred)",
        "fpd (configured)",
    }
    assert len({c["target"] for c in data["checks"]}) == 4  # distinct generated names


def test_watch_once(run: Callable[..., CliResult], srv: MonitorServer, tmp_path: Path) -> None:
    result = run("watch", _fleet_file(tmp_path, _healthy(srv)), "--once")
    assert result.exit_code == 0, result.output
    assert "finality_lag" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to check"),
        (("--babylon-rest", "http://x:1317"), "one --cometbft per --babylon-rest"),
        (("--metrics", "nope=http://x/metrics"), "role 'nope'"),
        (("--rpc-user", "u", "--rpc-password-file", "/x"), "without --bitcoind"),
        (("--gadget", "ftp://x"), "must be an http(s) URL"),
        (("--bitcoind", "http://u:p@127.0.0.1:8332"), "must not contain credentials"),
        (("--bitcoind", "http://127.0.0.1:8332", "--rpc-password-file", "/x"), "user is required"),
    ],
)
def test_bad_input_exit_2(
    run: Callable[..., CliResult], args: tuple[str, ...], message: str
) -> None:
    result = run("check", *args)
    assert result.exit_code == 2
    assert message in result.error


def test_inline_password_in_fleet_file_is_rejected(
    run: Callable[..., CliResult], tmp_path: Path
) -> None:
    target = {
        "name": "btc",
        "kind": "bitcoind",
        "url": "http://127.0.0.1:8332",
        "auth": {"user": "u", "password": "hunter2"},
    }
    result = run("check", _fleet_file(tmp_path, [target]))
    assert result.exit_code == 2
    message = result.error
    assert "targets.0.bitcoind.auth" in message and "inline 'password' is not allowed" in message
    assert "hunter2" not in message


def test_help_documents_threshold_defaults(run: Callable[..., CliResult]) -> None:
    for command in ("check", "watch", "serve"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "tip_age_warn = 7200" in result.output
        assert "finality_lag_crit = 50" in result.output


def test_watch_live_polls_until_ctrl_c(srv: MonitorServer, tmp_path: Path) -> None:
    """`watch` as a real process: it keeps polling (the server counts the cycles) and Ctrl-C
    ends it with exit 0 and the last table."""
    import signal
    import subprocess
    import sys

    from support.monitor_server import wait_until

    counter = MonitorServer()
    with counter:
        counter.add("g", gadget())
        fleet = _fleet_file(tmp_path, [{"name": "g", "kind": "gadget", "url": counter.url("g")}])
        argv = [sys.executable, "-m", "l2kit", "monitor", "watch", fleet, "--interval", "0.1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert wait_until(lambda: counter.stats.requests >= 6)  # three cycles at least
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0
    assert "rollup_finality_lag" in out
