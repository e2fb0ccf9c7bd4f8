"""Helpers every judgement module shares: levels, ages, and the per-target result collector.

``Memory`` is a flat dict per target that the poller keeps between polls.
"""

from __future__ import annotations

import math

from l2kit.monitor.fleet import Level
from l2kit.monitor.results import CheckResult, Status

Memory = dict[str, float]


def level(value: float, warn: float, crit: float) -> Status:
    """Higher is worse: CRIT at >= crit, WARN at >= warn; NaN is never OK."""
    if math.isnan(value) or value >= crit:
        return Status.CRIT
    if value >= warn:
        return Status.WARN
    return Status.OK


def level_age(value: float, warn: float, crit: float) -> Status:
    """An age or lag a component reports about itself: a negative one is nonsense (a broken
    exporter or clock), judged CRIT rather than "fresh"."""
    return Status.CRIT if value < 0 else level(value, warn, crit)


def below(value: float, warn: float, crit: float) -> Status:
    """Lower is worse: CRIT at <= crit, WARN at <= warn; NaN is never OK."""
    if math.isnan(value) or value <= crit:
        return Status.CRIT
    if value <= warn:
        return Status.WARN
    return Status.OK


def named(level_name: Level) -> Status:
    return Status[level_name]


def age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


class Out:
    """Collects results for one target."""

    def __init__(self, target: str, kind: str) -> None:
        self.target, self.kind = target, kind
        self.items: list[CheckResult] = []

    def add(
        self, check: str, status: Status, reason: str, value: float | None = None, subject: str = ""
    ) -> None:
        if value is not None and not math.isfinite(value):  # never exported, never "OK"
            status, reason = max(status, Status.CRIT), f"not a number ({value}): {reason}"
            value = None
        self.items.append(
            CheckResult(self.target, self.kind, check, status, reason, value, subject)
        )

    def unknown(self, check: str, reason: str, subject: str = "") -> None:
        self.add(check, Status.UNKNOWN, f"not measured: {reason}", None, subject)
