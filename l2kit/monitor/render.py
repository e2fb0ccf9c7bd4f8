"""Poll results for people: a rich table (``check``, ``watch``)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from l2kit.monitor.results import CycleReport, Status, summary

STYLE = {
    Status.OK: "green",
    Status.WARN: "yellow",
    Status.CRIT: "bold red",
    Status.UNKNOWN: "magenta",
}


def _value(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _subject(subject: str) -> str:
    # 64-hex provider keys: the first and last 6 characters are enough to tell them apart.
    return f"{subject[:6]}…{subject[-6:]}" if len(subject) > 20 else subject


def table(report: CycleReport, *, only_problems: bool = False) -> Table:
    counts = summary(report.checks)
    title = (
        f"{counts['targets']} targets, {counts['total']} checks: "
        f"{counts['OK']} OK, {counts['WARN']} WARN, {counts['CRIT']} CRIT, "
        f"{counts['UNKNOWN']} UNKNOWN ({report.duration:.2f}s)"
    )
    grid = Table(title=title, title_justify="left", expand=False)
    for column in ("target", "kind", "check", "subject", "status", "value"):
        grid.add_column(column, no_wrap=True)
    grid.add_column("reason", overflow="fold")
    for check in report.checks:
        if only_problems and check.status is Status.OK:
            continue
        grid.add_row(
            check.target,
            check.kind,
            check.check,
            _subject(check.subject),
            Text(check.status.name, style=STYLE[check.status]),
            _value(check.value),
            check.reason,
        )
    return grid
