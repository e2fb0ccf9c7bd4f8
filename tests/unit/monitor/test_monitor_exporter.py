"""`l2kit monitor serve`'s exporter: metric names/labels per the contract, and a scrape that
never waits on a slow target (it serves the last completed poll)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.monitor_server import MonitorServer, dead_url, faulty, gadget, metrics

from l2kit.errors import InputError
from l2kit.monitor import catalog
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.exporter import Exporter, parse_listen

CONTRACT = {
    "l2kit_check_status": {"target", "kind", "check", "subject"},
    "l2kit_check_value": {"target", "kind", "check", "subject"},
    "l2kit_target_up": {"target", "kind"},
    "l2kit_target_poll_duration_seconds": {"target", "kind"},
    "l2kit_target_last_success_timestamp_seconds": {"target", "kind"},
    "l2kit_poll_cycles_total": set(),
    "l2kit_poll_cycle_duration_seconds": set(),
    "l2kit_poll_errors_total": {"target", "kind"},
}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(exporter: Exporter) -> tuple[Samples, dict[str, set[str]]]:
    text = httpx.get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=10).text
    samples: Samples = {}
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
            labels.setdefault(s.name, set()).update(s.labels)
    return samples, labels


def _wait(condition: Callable[[], bool], what: str, limit: float = 60) -> None:
    """Wait for a state change (not a timing assertion: the limit only bounds a hang)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def _key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (name, tuple(sorted(labels.items())))


def test_contract_matches_the_alert_rules_catalog() -> None:
    assert {n: set(labels) for n, (_, labels) in catalog.EXPORTER_METRICS.items()} == CONTRACT


def test_metrics_per_contract_and_scrape_never_waits() -> None:
    with MonitorServer() as srv:
        fpd_url = srv.add("fpd", metrics("fpd.prom")) + "/metrics"
        targets = [
            {"name": "fg", "kind": "gadget", "url": srv.add("fg", gadget())},
            {"name": "slowpoke", "kind": "gadget", "url": srv.add("slow", gadget())},
            {"name": "gone", "kind": "gadget", "url": dead_url()},
            {"name": "fpd", "kind": "metrics", "url": fpd_url},
        ]
        fleet = fleet_mod.parse(
            {"settings": {"target_timeout": 30, "request_timeout": 30}, "targets": targets}
        )
        with Exporter(fleet, interval=0.05, listen="127.0.0.1:0") as exporter:
            assert exporter.wait_cycles(1)
            samples, labels = _scrape(exporter)
            names = {n for n in labels if n.startswith("l2kit_")}
            assert names == set(CONTRACT)
            for name, expected in CONTRACT.items():
                assert labels[name] == expected, name

            check = {
                "target": "fg",
                "kind": "gadget",
                "check": "rollup_finality_lag",
                "subject": "",
            }
            assert samples[_key("l2kit_check_status", **check)] == 0
            assert samples[_key("l2kit_check_value", **check)] == 6
            assert samples[_key("l2kit_target_up", target="fg", kind="gadget")] == 1
            assert samples[_key("l2kit_target_up", target="gone", kind="gadget")] == 0
            gone = {"target": "gone", "kind": "gadget", "check": "gadget_health", "subject": ""}
            assert samples[_key("l2kit_check_status", **gone)] == 3
            assert _key("l2kit_check_value", **gone) not in samples  # no number to report
            assert samples[_key("l2kit_poll_errors_total", target="gone", kind="gadget")] >= 1
            assert samples[_key("l2kit_poll_errors_total", target="fg", kind="gadget")] == 0
            fp = "c3ce3b1d68f29b40f86906f7fcd8ecc46c682f1b19cc6645640935421a87325d"
            vote = {"target": "fpd", "kind": "metrics", "check": "fp_vote_age", "subject": fp}
            assert samples[_key("l2kit_check_value", **vote)] == pytest.approx(17.973948)
            assert (
                _key("l2kit_target_last_success_timestamp_seconds", target="fg", kind="gadget")
                in samples
            )
            assert (
                _key("l2kit_target_last_success_timestamp_seconds", target="gone", kind="gadget")
                not in samples
            )

            # make one target hang: the next cycle waits on it, scrapes must not
            srv.add("slow", faulty(gadget(), delay=120))
            _wait(lambda: srv.stats.in_flight >= 1, "the slow request to arrive")
            cycles = exporter.snapshot.cycles
            samples, _ = _scrape(exporter)
            assert srv.stats.in_flight >= 1  # the slow target was still being asked
            assert exporter.snapshot.cycles == cycles  # no cycle completed meanwhile
            assert samples[_key("l2kit_poll_cycles_total")] == cycles
            assert samples[_key("l2kit_check_status", **check)] == 0  # last completed results
            # stop() did not wait for the hung request (the poll task is cancelled); the
            # server notices the hang-up on its next poll of the socket
        _wait(lambda: srv.stats.hangups >= 1, "the hung request to be dropped")


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:80") == ("::1", 80)
    assert parse_listen(":9464") == ("127.0.0.1", 9464)
    for bad in ("9464", "host:", "h:99999", "h:x"):
        with pytest.raises(InputError):
            parse_listen(bad)


def test_serve_command_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`l2kit monitor serve` as a real process: it listens, polls, and stops on Ctrl-C."""
    import signal
    import subprocess
    import sys

    import yaml

    with MonitorServer() as srv:
        fleet = tmp_path / "fleet.yaml"
        target = {"name": "fg", "kind": "gadget", "url": srv.add("fg", gadget())}
        fleet.write_text(yaml.safe_dump({"targets": [target]}))
        argv = [
            sys.executable,
            "-m",
            "l2kit",
            "monitor",
            "serve",
            str(fleet),
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "0.2",
        ]
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            line = ""
            while "serving http://" not in line:
                line = proc.stderr.readline()
                assert line, "serve exited before listening"
            url = line.split("serving ")[1].split()[0]
            status = (
                'l2kit_check_status{check="gadget_health",kind="gadget",subject="",target="fg"}'
            )

            def scraped() -> bool:
                return f"{status} 0.0" in httpx.get(url, timeout=10).text

            _wait(scraped, "a completed poll in the scrape")
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()


def test_check_names_match_the_contract() -> None:
    from l2kit.monitor import checks

    mine = {kind: set(names) for kind, names in checks.CHECKS.items()}
    for names in checks.ROLE_CHECKS.values():
        mine["metrics"] |= set(names)
    for kind, names in checks.OPTIONAL_CHECKS.items():
        mine[kind] |= set(names)
    assert mine == {kind: set(names) for kind, names in catalog.EXPORTER_CHECKS.items()}
