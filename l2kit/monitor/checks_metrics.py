"""Judgement of the components' own metrics (fpd, vigilante reporter/submitter, covd).

Gauges are judged as they are; counters by their rise since the previous poll (a first sample
only records the baseline), as the components' docs advise ("alert on a rising
fp_total_failed_votes"; vigilante: failed_* > 0 since last time).
"""

from __future__ import annotations

from l2kit.monitor.fleet import MetricsThresholds, Role
from l2kit.monitor.judge import Memory, Out, age, level, level_age
from l2kit.monitor.metrics import Scrape
from l2kit.monitor.results import CheckResult, Status

# The metric families each role's checks read (prefixes): all a probe parses of a page.
READS: dict[Role, tuple[str, ...]] = {
    "fpd": (
        "fp_seconds_since_last_vote",
        "fp_seconds_since_last_randomness",
        "fp_total_failed_votes",
    ),
    "reporter": ("vigilante_reporter_since_last_header_seconds", "vigilante_reporter_failed_"),
    "submitter": (
        "vigilante_submitter_since_last_checkpoint_seconds",
        "vigilante_submitter_failed_",
    ),
    "covd": ("ce_sign_delegation_lag_seconds",),
}


def metrics(
    name: str,
    role: Role | None,
    inferred: bool,
    th: MetricsThresholds,
    scrape: Scrape,
    memory: Memory,
) -> tuple[list[CheckResult], Memory]:
    out = Out(name, "metrics")
    mem: Memory = {}
    how = "inferred" if inferred else "configured"
    out.add("scrape", Status.OK, f"{scrape.series} series, role {role} ({how})", 1)
    if role == "fpd":
        _fpd(out, th, scrape, memory, mem)
    elif role == "reporter":
        _gauge(
            out,
            "reporter_staleness",
            scrape,
            "vigilante_reporter_since_last_header_seconds",
            th.reporter_staleness_warn,
            th.reporter_staleness_crit,
            "since the last BTC header",
        )
        _counter(
            out,
            "reporter_failures",
            "",
            th,
            memory,
            mem,
            scrape.total(
                "vigilante_reporter_failed_headers", "vigilante_reporter_failed_checkpoints"
            ),
            "failed header/checkpoint reports",
        )
    elif role == "submitter":
        _gauge(
            out,
            "submitter_staleness",
            scrape,
            "vigilante_submitter_since_last_checkpoint_seconds",
            th.submitter_staleness_warn,
            th.submitter_staleness_crit,
            "since the last checkpoint",
        )
        _counter(
            out,
            "submitter_failures",
            "",
            th,
            memory,
            mem,
            scrape.total(
                "vigilante_submitter_failed_checkpoints",
                "vigilante_submitter_failed_resent_checkpoints",
            ),
            "failed checkpoint submissions",
        )
    elif role == "covd":
        _covd(out, th, scrape, memory, mem)
    return out.items, mem


def _gauge(
    out: Out, check: str, scrape: Scrape, metric: str, warn: float, crit: float, what: str
) -> None:
    value = scrape.one(metric)
    if value is None:
        out.add(check, Status.WARN, f"{metric} is not exported")
        return
    out.add(check, level_age(value, warn, crit), f"{age(value)} {what}", value)


def _counter(
    out: Out,
    check: str,
    subject: str,
    th: MetricsThresholds,
    memory: Memory,
    mem: Memory,
    total: float | None,
    what: str,
) -> None:
    if total is None:
        out.add(check, Status.OK, f"no {what} counter exported yet", None, subject)
        return
    key = f"{check}/{subject}"
    mem[key] = total
    prev = memory.get(key)
    if prev is None:
        reason = f"{total:.0f} {what} in total (first sample: judged by the rise)"
        out.add(check, Status.OK, reason, total, subject)
    elif total < prev:
        out.add(check, Status.OK, f"{total:.0f} {what} (counter reset)", total, subject)
    else:
        rise = total - prev
        status = level(rise, th.failures_warn, th.failures_crit)
        out.add(check, status, f"+{rise:.0f} {what} since last poll ({total:.0f})", total, subject)


def _fpd(out: Out, th: MetricsThresholds, scrape: Scrape, memory: Memory, mem: Memory) -> None:
    label = "fp_btc_pk_hex"
    votes = scrape.by_label("fp_seconds_since_last_vote", label)
    if not votes:
        out.add("fp_vote_age", Status.WARN, "fp_seconds_since_last_vote is not exported")
    for pk, value in sorted(votes.items()):
        status = level_age(value, th.fp_vote_age_warn, th.fp_vote_age_crit)
        out.add("fp_vote_age", status, f"last vote {age(value)} ago", value, pk)
    rand = scrape.by_label("fp_seconds_since_last_randomness", label)
    for pk, value in sorted(rand.items()):
        status = level_age(value, th.fp_randomness_age_warn, th.fp_randomness_age_crit)
        out.add("fp_randomness_age", status, f"last randomness commit {age(value)} ago", value, pk)
    failed = scrape.by_label("fp_total_failed_votes", label)
    for pk, value in sorted(failed.items()):
        _counter(out, "fp_failed_votes", pk, th, memory, mem, value, "failed votes")


def _covd(out: Out, th: MetricsThresholds, scrape: Scrape, memory: Memory, mem: Memory) -> None:
    metric = "ce_sign_delegation_lag_seconds"
    total, count = scrape.one(metric + "_sum"), scrape.one(metric + "_count")
    if total is not None and count is not None:  # a histogram: mean over the last poll interval
        mem.update(lag_sum=total, lag_count=count)
        d_sum, d_count = total - memory.get("lag_sum", 0.0), count - memory.get("lag_count", 0.0)
        if d_count <= 0 or d_sum < 0:
            if count == 0:
                out.add("covenant_signing_lag", Status.OK, "no delegation signed yet", 0.0)
                return
            d_sum, d_count = total, count  # nothing new: report the lifetime mean
        value = d_sum / d_count
        out.add(
            "covenant_signing_lag",
            level_age(value, th.covenant_signing_lag_warn, th.covenant_signing_lag_crit),
            f"mean signing lag {value:.1f}s over {d_count:.0f} delegations",
            value,
        )
        return
    _gauge(
        out,
        "covenant_signing_lag",
        scrape,
        metric,
        th.covenant_signing_lag_warn,
        th.covenant_signing_lag_crit,
        "signing lag",
    )
