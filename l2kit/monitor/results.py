"""What a poll produces: one ``CheckResult`` per (target, check, subject), grouped per target.

Status values are the exporter contract: ``l2kit_check_status`` = 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN.
UNKNOWN means "the target could not be asked"; it counts as CRIT for exit codes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from l2kit.redact import scrub


class Status(enum.IntEnum):
    OK = 0
    WARN = 1
    CRIT = 2
    UNKNOWN = 3

    @property
    def severity(self) -> int:
        """Rank for "worst of": UNKNOWN is as bad as CRIT."""
        return 2 if self is Status.UNKNOWN else int(self)


KINDS = ("bitcoind", "babylon", "gadget", "metrics", "kubernetes")


@dataclass(frozen=True)
class CheckResult:
    """One verdict. ``value`` is the measured number (unit per check name) or None."""

    target: str
    kind: str
    check: str
    status: Status
    reason: str
    value: float | None = None
    subject: str = ""

    def __post_init__(self) -> None:
        # A reason may quote what a target said; a hostile one echoes our credentials back.
        object.__setattr__(self, "reason", scrub(self.reason))

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "kind": self.kind,
            "check": self.check,
            "subject": self.subject,
            "status": self.status.name,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TargetReport:
    """Everything one target gave in one poll."""

    target: str
    kind: str
    up: bool
    duration: float
    checks: tuple[CheckResult, ...]
    finished_at: float
    error: str | None = None

    def __post_init__(self) -> None:
        if self.error is not None:
            object.__setattr__(self, "error", scrub(self.error))


@dataclass(frozen=True, repr=False)
class CycleReport:
    """One poll of the whole fleet."""

    targets: tuple[TargetReport, ...]
    started_at: float
    duration: float
    errors: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Short: asyncio.run() reprs its finished main task, result included, on the way out
        # (CPython 3.11 signal.getsignal); a full repr of 1,000 targets costs ~0.1 s of CPU.
        return f"CycleReport({len(self.targets)} targets, {self.duration:.3f}s)"

    @property
    def checks(self) -> list[CheckResult]:
        return [c for t in self.targets for c in t.checks]

    def to_json(self) -> dict[str, object]:
        return {"checks": [c.to_json() for c in self.checks], "summary": summary(self.checks)}


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe status (UNKNOWN wins a tie with CRIT)."""
    return max(statuses, key=lambda s: (s.severity, int(s)), default=Status.OK)


def exit_code(checks: Iterable[CheckResult]) -> int:
    """0 all OK, 1 any WARN, 2 any CRIT or UNKNOWN."""
    return max((c.status.severity for c in checks), default=0)


def summary(checks: list[CheckResult]) -> dict[str, object]:
    counts = {s.name: 0 for s in Status}
    for c in checks:
        counts[c.status.name] += 1
    return {
        "total": len(checks),
        **counts,
        "targets": len({c.target for c in checks}),
        "exit_code": exit_code(checks),
    }
