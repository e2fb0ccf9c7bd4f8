"""Hostile targets (#12): huge, compressed-bomb, deep, NaN, reflecting, redirecting and slow
answers against every monitor kind. Each poll stays within bounded memory, every reason is one
line, nothing is judged OK, and no credential is printed anywhere."""

from __future__ import annotations

import asyncio
import base64
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import run_process
from support.hostile_server import HostileServer

from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor import poll
from l2kit.monitor.results import Status

MODES = ("huge", "huge-declared", "bomb", "deep", "nan", "reflect", "redirect")
PASSWORD = "s3cret-Pa55word-xyz"
MEMORY_BOUND = 96 << 20  # 8 MiB cap per body, plus decoding and the poll's own objects


@pytest.fixture(scope="module")
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def _targets(srv: HostileServer, mode: str, pw: Path) -> list[dict[str, object]]:
    return [
        {
            "name": "btc",
            "kind": "bitcoind",
            "url": srv.url(mode),
            "auth": {"user": "mon", "password_file": str(pw)},
        },
        {
            "name": "bbn",
            "kind": "babylon",
            "rest_url": srv.url(mode),
            "cometbft_url": srv.url(mode),
        },
        {"name": "fg", "kind": "gadget", "url": srv.url(mode)},
        {"name": "fpd", "kind": "metrics", "role": "fpd", "url": srv.url(mode, "/metrics")},
    ]


def _poll(targets: list[dict[str, object]], timeout: float = 10) -> poll.CycleReport:
    fleet = fleet_mod.parse(
        {"settings": {"target_timeout": timeout, "request_timeout": 5}, "targets": targets}
    )
    return asyncio.run(poll.poll_once(fleet))


@pytest.fixture
def pw(tmp_path: Path) -> Path:
    path = tmp_path / "pw"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.mark.parametrize("mode", MODES)
def test_hostile_answers_bounded_one_line_never_ok(srv: HostileServer, pw: Path, mode: str) -> None:
    tracemalloc.start()
    try:
        report = _poll(_targets(srv, mode, pw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"{mode}: peak {peak >> 20} MiB"
    basic = base64.b64encode(f"mon:{PASSWORD}".encode()).decode()
    for check in report.checks:
        assert "\n" not in check.reason
        assert PASSWORD not in check.reason and basic not in check.reason
        assert "Traceback" not in check.reason
    # No hostile target passes as healthy (a gadget's /health may say 200, its sync may not).
    for name in ("btc", "bbn", "fg", "fpd"):
        statuses = {c.status for c in report.checks if c.target == name}
        assert statuses - {Status.OK}, (mode, name)


def test_slow_drip_is_cut_by_the_target_budget(srv: HostileServer, pw: Path) -> None:
    report = _poll([{"name": "fg", "kind": "gadget", "url": srv.url("slow")}], timeout=1.0)
    reasons = [c.reason for c in report.checks]
    assert any("no answer within 1s" in r or "timed out" in r for r in reasons), reasons


def test_nan_and_negative_metrics_are_not_ok(srv: HostileServer) -> None:
    report = _poll(
        [{"name": "fpd", "kind": "metrics", "role": "fpd", "url": srv.url("nan", "/metrics")}]
    )
    votes = {c.subject: c for c in report.checks if c.check == "fp_vote_age"}
    assert votes["aa"].status is Status.CRIT and votes["aa"].value is None  # NaN
    assert votes["bb"].status is Status.CRIT  # -5 seconds since the last vote
    rand = [c for c in report.checks if c.check == "fp_randomness_age"]
    assert rand and all(c.status is Status.CRIT and c.value is None for c in rand)  # +Inf


@pytest.mark.parametrize(
    "settings",
    [
        {"target_timeout": float("inf")},
        {"target_timeout": float("nan")},
        {"target_timeout": 1e9},
        {"concurrency": True},
        {"request_timeout": "5"},
    ],
)
def test_fleet_settings_refuse_nonsense(settings: dict[str, object]) -> None:
    with pytest.raises(fleet_mod.SpecError):
        fleet_mod.parse({"settings": settings, "targets": []})


def test_nan_threshold_is_refused() -> None:
    with pytest.raises(fleet_mod.SpecError, match="finite"):
        fleet_mod.parse({"thresholds": {"bitcoind": {"tip_age_warn": float("nan")}}})


@pytest.mark.parametrize("log_json", [False, True])
def test_non_utf8_password_file_never_printed(tmp_path: Path, log_json: bool) -> None:
    pw = tmp_path / "pw"
    pw.write_bytes(b"Secret-\xff-tail")
    flags = ["--log-json"] if log_json else []
    out = run_process(
        *flags,
        "monitor",
        "check",
        "--bitcoind",
        "http://127.0.0.1:9",
        "--rpc-user",
        "u",
        "--rpc-password-file",
        str(pw),
        "--json",
    )
    assert "Secret" not in out.stdout + out.stderr
    assert "tail" not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    reasons = [c["reason"] for c in json.loads(out.stdout)["checks"]]
    assert any("not valid UTF-8" in r and str(pw) in r for r in reasons), reasons


def test_reflected_authorization_is_scrubbed_from_cli_output(srv: HostileServer, pw: Path) -> None:
    out = run_process(
        "--log-json",
        "monitor",
        "check",
        "--bitcoind",
        srv.url("reflect"),
        "--rpc-user",
        "mon",
        "--rpc-password-file",
        str(pw),
        "--json",
    )
    basic = base64.b64encode(f"mon:{PASSWORD}".encode()).decode()
    assert PASSWORD not in out.stdout + out.stderr
    assert basic not in out.stdout + out.stderr
    assert "Basic ***" in out.stdout or "***" in out.stdout
