"""1,000 loopback targets in one cycle: outcomes per target, and the concurrency bound as the
server saw it (requests in flight), not wall time."""

from __future__ import annotations

import asyncio
from collections import Counter

from support.monitor_server import MonitorServer, dead_url, faulty, metrics, wait_until

from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.poll import poll_once
from l2kit.monitor.results import Status

BOUND = 50
HUNG, SLOW, DEAD, HEALTHY = 25, 100, 25, 850


def test_thousand_targets_bounded() -> None:
    with MonitorServer() as srv:
        page = metrics("vigilante-monitor.prom")
        hung = srv.add("hung", faulty(page, delay=60))
        slow = srv.add("slow", faulty(page, delay=0.2))
        ok = srv.add("ok", page)
        dead = dead_url()
        # slow and hung first, so they hold the first slots together
        urls = (
            [("hung", hung)] * HUNG
            + [("slow", slow)] * SLOW
            + [("dead", dead)] * DEAD
            + [("ok", ok)] * HEALTHY
        )
        targets = [
            {"name": f"{kind}-{i}", "kind": "metrics", "url": f"{url}/metrics"}
            for i, (kind, url) in enumerate(urls)
        ]
        settings = {"concurrency": BOUND, "target_timeout": 5.0, "request_timeout": 5.0}
        fleet = fleet_mod.parse({"settings": settings, "targets": targets})
        report = asyncio.run(poll_once(fleet))
        stats = srv.stats
        assert wait_until(lambda: stats.hangups == HUNG and stats.in_flight == 0)

    assert len(report.targets) == 1000
    outcome: Counter[tuple[str, Status]] = Counter()
    for check in report.checks:
        if check.check == "scrape":
            outcome[(check.target.split("-")[0], check.status)] += 1
    assert outcome == {
        ("hung", Status.UNKNOWN): HUNG,
        ("slow", Status.OK): SLOW,
        ("dead", Status.UNKNOWN): DEAD,
        ("ok", Status.OK): HEALTHY,
    }
    reasons = {c.target.split("-")[0]: c.reason for c in report.checks if c.check == "scrape"}
    assert reasons["hung"] == "no answer within 5s"
    assert "connection refused" in reasons["dead"]
    assert sum(t.up for t in report.targets) == SLOW + HEALTHY
    # the server never saw more requests at once than the bound, and did see real concurrency
    assert BOUND // 2 <= stats.max_in_flight <= BOUND, stats
    assert stats.requests == HUNG + SLOW + HEALTHY
    assert stats.hangups == HUNG
