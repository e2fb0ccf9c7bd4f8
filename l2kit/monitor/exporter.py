"""``l2kit monitor serve``: a Prometheus exporter over the last completed poll.

A background thread polls the fleet every ``interval`` seconds and swaps in an immutable
``Snapshot`` when a cycle completes. A scrape only reads the current snapshot (a custom
``Collector``), so it never waits on a slow target.

Metric contract (alert rules and dashboards depend on it; see l2kit/monitor/catalog.py):
  l2kit_check_status{target,kind,check,subject}   0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN
  l2kit_check_value{target,kind,check,subject}    the measured number, where there is one
  l2kit_target_up{target,kind}                    1: usable data in the last poll
  l2kit_target_poll_duration_seconds{target,kind}
  l2kit_target_last_success_timestamp_seconds{target,kind}
  l2kit_poll_cycles_total, l2kit_poll_cycle_duration_seconds, l2kit_poll_errors_total{target,kind}
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from l2kit import log
from l2kit.errors import InputError
from l2kit.monitor.fleet import Fleet
from l2kit.monitor.httpserve import MetricsServer
from l2kit.monitor.poll import Poller, kind_of
from l2kit.monitor.results import CheckResult, CycleReport

_log = log.get(__name__)

CHECK_LABELS = ["target", "kind", "check", "subject"]
TARGET_LABELS = ["target", "kind"]


@dataclass(frozen=True)
class Snapshot:
    """Everything a scrape shows; replaced whole, never mutated."""

    report: CycleReport | None = None
    cycles: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    last_success: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # target -> kind


def _dedupe(checks: Iterable[CheckResult]) -> list[CheckResult]:
    """One series per label set (the worst result wins), so a scrape is always valid."""
    best: dict[tuple[str, str, str, str], CheckResult] = {}
    for c in checks:
        key = (c.target, c.kind, c.check, c.subject)
        if key not in best or c.status.severity > best[key].status.severity:
            best[key] = c
    return list(best.values())


class SnapshotCollector(Collector):
    def __init__(self, source: Exporter) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        snap = self.source.collecting  # set by the poller thread before it renders
        status = GaugeMetricFamily(
            "l2kit_check_status",
            "Check status: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN",
            labels=CHECK_LABELS,
        )
        value = GaugeMetricFamily(
            "l2kit_check_value", "Measured value of a check (unit per check)", labels=CHECK_LABELS
        )
        up = GaugeMetricFamily(
            "l2kit_target_up",
            "1 if the target answered usable data in the last poll",
            labels=TARGET_LABELS,
        )
        duration = GaugeMetricFamily(
            "l2kit_target_poll_duration_seconds",
            "Time spent polling the target",
            labels=TARGET_LABELS,
        )
        success = GaugeMetricFamily(
            "l2kit_target_last_success_timestamp_seconds",
            "Unix time of the last poll with usable data",
            labels=TARGET_LABELS,
        )
        errors = CounterMetricFamily(
            "l2kit_poll_errors",
            "Polls that got no usable data from the target",
            labels=TARGET_LABELS,
        )
        cycles = CounterMetricFamily("l2kit_poll_cycles", "Completed poll cycles")
        cycle_duration = GaugeMetricFamily(
            "l2kit_poll_cycle_duration_seconds", "Duration of the last completed poll cycle"
        )
        cycles.add_metric([], snap.cycles)
        for target, kind in sorted(snap.kinds.items()):
            errors.add_metric([target, kind], snap.errors.get(target, 0))
            if target in snap.last_success:
                success.add_metric([target, kind], snap.last_success[target])
        if snap.report is not None:
            cycle_duration.add_metric([], snap.report.duration)
            for t in snap.report.targets:
                up.add_metric([t.target, t.kind], 1 if t.up else 0)
                duration.add_metric([t.target, t.kind], t.duration)
            for c in _dedupe(snap.report.checks):
                labels = [c.target, c.kind, c.check, c.subject]
                status.add_metric(labels, int(c.status))
                if c.value is not None:
                    value.add_metric(labels, float(c.value))
        yield from (status, value, up, duration, success, errors, cycles, cycle_duration)


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InputError(f"{listen!r}: expected HOST:PORT", field="--listen")
    return host.strip("[]") or "127.0.0.1", int(port)


class Exporter:
    """Background poller + HTTP endpoint. ``start()``, then ``stop()`` (or use ``with``)."""

    def __init__(self, fleet: Fleet, *, interval: float = 15.0, listen: str = "127.0.0.1:9464"):
        self.fleet = fleet
        self.interval = interval
        self.host, self.port = parse_listen(listen)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SnapshotCollector(self))
        self._publish(Snapshot(kinds={t.name: kind_of(t) for t in Poller(fleet).targets}))
        self.cycle_done = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: MetricsServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._server = MetricsServer(self.host, self.port, lambda: self._published[1])
        self._server.start()
        self.port = self._server.port
        self._thread = threading.Thread(target=self._run, name="l2kit-poller", daemon=True)
        self._thread.start()
        _log.info("exporter listening", url=f"http://{self.host}:{self.port}/metrics")

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(self._poll_forever())

    async def _poll_forever(self) -> None:
        poller = Poller(self.fleet)
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            while not self._stop.is_set():
                report = await poller.cycle()
                self._publish(
                    Snapshot(
                        report=report,
                        cycles=poller.cycles,
                        errors=dict(poller.errors),
                        last_success=dict(poller.last_success),
                        kinds=self.snapshot.kinds,
                    )
                )
                with self.cycle_done:
                    self.cycle_done.notify_all()
                await asyncio.sleep(self.interval)
        finally:
            await poller.aclose()

    def _publish(self, snap: Snapshot) -> None:
        """Render the scrape body once per cycle; snapshot and body swap as one reference, so a
        scrape never pays for rendering and never sees one without the other."""
        self.collecting = snap
        self._published = (snap, generate_latest(self.registry))

    @property
    def snapshot(self) -> Snapshot:
        return self._published[0]

    def wait_cycles(self, n: int, timeout: float = 60.0) -> bool:
        """Block until at least ``n`` cycles completed (tests, ``--once``)."""
        with self.cycle_done:
            return self.cycle_done.wait_for(lambda: self.snapshot.cycles >= n, timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._loop is not None and self._task is not None:
            # a cycle may be waiting on a slow target: do not wait for it
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._task.cancel)
        if self._server is not None:
            self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def __enter__(self) -> Exporter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
