"""Pure judgement: samples + thresholds (+ the previous poll's memory) -> ``CheckResult``s.

Nothing here does I/O or reads the clock: ``now`` (unix seconds) is passed in. ``Memory`` is a
flat dict per target that the poller keeps between polls (heights for "advancing", counters
for "rose since the last poll"). The runway and delegation checks of Babylon live in
``checks_babylon``; the shared helpers in ``judge``.
"""

from __future__ import annotations

from datetime import datetime

from l2kit.monitor import checks_babylon
from l2kit.monitor.babylon import BabylonSample
from l2kit.monitor.bitcoind import BitcoindSample
from l2kit.monitor.fleet import (
    BabylonThresholds,
    BitcoindTarget,
    BitcoindThresholds,
    GadgetTarget,
    GadgetThresholds,
)
from l2kit.monitor.gadget import GadgetSample
from l2kit.monitor.judge import Memory, Out, age, below, level, named
from l2kit.monitor.results import CheckResult, Status

__all__ = [
    "CHECKS",
    "OPTIONAL_CHECKS",
    "REACHABILITY",
    "ROLE_CHECKS",
    "Memory",
    "Out",
    "age",
    "babylon",
    "bitcoind",
    "failed",
    "gadget",
    "level",
    "named",
]

CHECKS: dict[str, tuple[str, ...]] = {
    "bitcoind": (
        "rpc",
        "chain",
        "ibd",
        "header_lag",
        "tip_age",
        "peers",
        "mempool_usage",
        "warnings",
        "pruned",
    ),
    "babylon": (
        "cometbft_sync",
        "height_advancing",
        "finality_lag",
        "fp_status",
        "fp_missed_blocks",
        "fp_jail_runway",
        "fp_randomness_runway",
        "fp_voting",
        "checkpoint_lag",
        "checkpoint_age",
        "btc_lightclient_lag",
    ),
    "gadget": ("gadget_health", "rollup_finality_lag", "rollup_finality_lag_seconds"),
    "metrics": ("scrape",),
    "kubernetes": ("pod_ready", "pod_restarts", "pvc_usage"),
}
# Checks that exist only when the target asks for them (wallets, delegation scope) or that
# count things (voting power): an unreachable target does not report them as UNKNOWN.
OPTIONAL_CHECKS: dict[str, tuple[str, ...]] = {
    "bitcoind": ("wallet_balance",),
    "babylon": (
        "block_time",
        "fp_voting_power",
        "delegations",
        "delegation_stuck",
        "unbonding_unseen",
        "covenant_unsigned",
    ),
}
ROLE_CHECKS: dict[str, tuple[str, ...]] = {
    "fpd": ("fp_vote_age", "fp_randomness_age", "fp_failed_votes"),
    "reporter": ("reporter_staleness", "reporter_failures"),
    "submitter": ("submitter_staleness", "submitter_failures"),
    "covd": ("covenant_signing_lag",),
}
# The check that says "could it be asked at all": CRIT when not, the others UNKNOWN.
REACHABILITY = {
    "bitcoind": "rpc",
    "babylon": "cometbft_sync",
    "gadget": "gadget_health",
    "metrics": "scrape",
    "kubernetes": "pod_ready",
}


def failed(
    target: str, kind: str, reason: str, *, answered: bool, role: str | None = None
) -> list[CheckResult]:
    """A target that gave nothing usable. No answer at all: every check UNKNOWN. An answer that
    refused us (auth, HTTP error, garbage): the reachability check CRIT, the others UNKNOWN."""
    out = Out(target, kind)
    checks = CHECKS[kind] + (ROLE_CHECKS.get(role, ()) if role else ())
    for check in checks:
        if check == "btc_lightclient_lag":
            continue
        if answered and check == REACHABILITY[kind]:
            out.add(check, Status.CRIT, reason, None)
        else:
            out.add(
                check,
                Status.UNKNOWN,
                reason if check == REACHABILITY[kind] else f"not measured: {reason}",
            )
    return out.items


# --- bitcoind -----------------------------------------------------------------------------------


def bitcoind(
    target: BitcoindTarget, th: BitcoindThresholds, s: BitcoindSample, now: float
) -> list[CheckResult]:
    out = Out(target.name, "bitcoind")
    ms = s.latency * 1000
    out.add(
        "rpc",
        level(s.latency, th.rpc_latency_warn, th.rpc_latency_crit),
        f"answered in {ms:.0f} ms",
        round(s.latency, 6),
    )
    c = s.chain
    if c is None:
        reason = s.errors.get("getblockchaininfo", "no answer")
        for check in ("chain", "ibd", "header_lag", "tip_age", "pruned"):
            out.unknown(check, reason)
    else:
        if target.chain is None:
            out.add("chain", Status.OK, f"chain {c.chain} (no expected chain set)")
        elif c.chain == target.chain:
            out.add("chain", Status.OK, f"chain {c.chain} as expected")
        else:
            out.add("chain", Status.CRIT, f"chain is {c.chain!r}, expected {target.chain!r}")
        progress = float(c.verificationprogress)
        if c.initialblockdownload:
            out.add(
                "ibd", Status.WARN, f"in initial block download ({progress:.2%} verified)", progress
            )
        elif progress < th.verification_progress_warn:
            out.add("ibd", Status.WARN, f"verification progress {progress:.4%}", progress)
        else:
            out.add("ibd", Status.OK, f"synced ({progress:.4%} verified)", progress)
        lag = c.headers - c.blocks
        out.add(
            "header_lag",
            level(lag, th.header_lag_warn, th.header_lag_crit),
            f"{c.blocks} blocks, {c.headers} headers",
            lag,
        )
        if c.time is None:
            out.unknown("tip_age", "getblockchaininfo has no 'time' (bitcoind < 23?)")
        else:
            # Regtest blocks mined in a burst carry times a little ahead of the clock: clamp.
            tip_age = max(0.0, now - c.time)
            out.add(
                "tip_age",
                level(tip_age, th.tip_age_warn, th.tip_age_crit),
                f"tip {c.blocks} is {age(tip_age)} old",
                round(tip_age, 3),
            )
        if c.pruned:
            out.add("pruned", named(th.pruned), "node is pruned", 1)
        else:
            out.add("pruned", Status.OK, "not pruned", 0)
    n = s.net
    if n is None:
        out.unknown("peers", s.errors.get("getnetworkinfo", "no answer"))
    else:
        observed = c.chain if c is not None else None
        _peers(out, target, th, n.connections, n.connections_in, n.connections_out, observed)
    m = s.mempool
    if m is None:
        out.unknown("mempool_usage", s.errors.get("getmempoolinfo", "no answer"))
    else:
        ratio = m.usage / m.maxmempool if m.maxmempool else 0.0
        out.add(
            "mempool_usage",
            level(ratio, th.mempool_usage_warn, th.mempool_usage_crit),
            f"{m.usage} of {m.maxmempool} bytes ({m.size} txs)",
            round(ratio, 6),
        )
    for wallet in target.wallets:
        if wallet not in s.balances:
            out.unknown("wallet_balance", s.errors.get(f"wallet/{wallet}", "?"), wallet)
            continue
        btc = s.balances[wallet]
        status = below(btc, th.wallet_balance_warn, th.wallet_balance_crit)
        out.add("wallet_balance", status, f"{btc:.8f} BTC", btc, wallet)
    if c is None and n is None:
        out.unknown("warnings", s.errors.get("getblockchaininfo", "no answer"))
    else:
        texts = sorted(set((c.warnings if c else ()) + (n.warnings if n else ())))
        real = [t for t in texts if not any(i.lower() in t.lower() for i in th.ignore_warnings)]
        if real:
            out.add("warnings", named(th.warnings), "; ".join(real)[:300], len(real))
        elif texts:
            out.add("warnings", Status.OK, f"ignored: {texts[0][:60]}", 0)
        else:
            out.add("warnings", Status.OK, "no warnings", 0)
    return out.items


def _peers(
    out: Out,
    target: BitcoindTarget,
    th: BitcoindThresholds,
    total: int,
    inbound: int | None,
    outbound: int | None,
    observed: str | None,
) -> None:
    # Judge by what the node says: with no expected chain set, a node reporting regtest is one.
    regtest = (target.chain or observed) == "regtest"
    warn_below = th.peers_warn_below if th.peers_warn_below is not None else (0 if regtest else 2)
    crit_below = th.peers_crit_below if th.peers_crit_below is not None else (0 if regtest else 1)
    split = f" ({inbound} in, {outbound} out)" if inbound is not None else ""
    reason = f"{total} peers{split}"
    if total < crit_below:
        status = Status.CRIT
    elif total < warn_below:
        status = Status.WARN
    elif outbound == 0 and total > 0 and not regtest:
        status, reason = Status.WARN, reason + ": no outbound peers"
    else:
        status = Status.OK
    out.add("peers", status, reason, total)


# --- babylon ------------------------------------------------------------------------------------


def _unix(t: datetime) -> float:
    return t.timestamp()


def babylon(
    name: str,
    th: BabylonThresholds,
    s: BabylonSample,
    memory: Memory,
    now: float,
    btc_tip: int | str | None,
    watch: list[str],
    *,
    covenant_pks: list[str] | None = None,
    default_block_time: float = 10.0,
) -> tuple[list[CheckResult], Memory]:
    """``btc_tip``: the fleet's bitcoind height, a reason string, or None (no bitcoind)."""
    out = Out(name, "babylon")
    mem: Memory = {}
    comet = s.comet
    if comet is None:
        mem.update(memory)  # keep the last height for the next poll's "advancing"
        reason = s.errors.get("cometbft", "no answer")
        out.add("cometbft_sync", Status.CRIT, reason)
        out.unknown("height_advancing", reason)
    else:
        if comet.catching_up:
            out.add("cometbft_sync", named(th.catching_up), "catching up", 1)
        else:
            out.add("cometbft_sync", Status.OK, f"in sync ({s.network or 'chain'})", 0)
        _advancing(
            out, th, comet.latest_block_height, _unix(comet.latest_block_time), memory, mem, now
        )

    if comet is None or (s.finalized_height is None and s.any_finalized):
        out.unknown("finality_lag", s.errors.get("finality") or s.errors.get("cometbft", "?"))
    else:
        if s.finalized_height is None:  # nothing finalized yet: lag since activation
            base = s.params.finality_activation_height if s.params else 0
            text = f"no block finalized yet (tip {comet.latest_block_height})"
        else:
            base = s.finalized_height
            text = f"tip {comet.latest_block_height}, last finalized {s.finalized_height}"
        lag = comet.latest_block_height - base
        out.add("finality_lag", level(lag, th.finality_lag_warn, th.finality_lag_crit), text, lag)

    _providers(out, th, s, watch)
    seconds_per_block = default_block_time
    if comet is not None:
        seconds_per_block, measured = checks_babylon.block_time(
            comet.latest_block_height,
            _unix(comet.latest_block_time),
            memory,
            mem,
            default_block_time,
        )
        how = "measured between polls" if measured else "the target's block_time (not measured)"
        out.add(
            "block_time",
            Status.OK,
            f"{seconds_per_block:.2f} s per block, {how}",
            round(seconds_per_block, 3),
        )
    checks_babylon.runways(out, th, s, watch, seconds_per_block)
    checks_babylon.checkpoint_ages(out, th, s, now)

    if s.current_epoch is None or s.finalized_epoch is None:
        out.unknown(
            "checkpoint_lag", s.errors.get("epoching") or s.errors.get("checkpointing", "?")
        )
    else:
        lag = s.current_epoch - s.finalized_epoch
        out.add(
            "checkpoint_lag",
            level(lag, th.checkpoint_lag_warn, th.checkpoint_lag_crit),
            f"epoch {s.current_epoch}, last FINALIZED checkpoint {s.finalized_epoch}",
            lag,
        )

    if btc_tip is not None:
        if s.lightclient_height is None:
            out.unknown("btc_lightclient_lag", s.errors.get("btclightclient", "?"))
        elif isinstance(btc_tip, str):
            out.unknown("btc_lightclient_lag", btc_tip)
        else:
            lag = btc_tip - s.lightclient_height
            out.add(
                "btc_lightclient_lag",
                level(lag, th.btc_lightclient_lag_warn, th.btc_lightclient_lag_crit),
                f"light client at {s.lightclient_height}, bitcoind at {btc_tip}",
                lag,
            )
    btc_height = s.lightclient_height
    if btc_height is None and isinstance(btc_tip, int):
        btc_height = btc_tip
    checks_babylon.lifecycle(out, th, s, memory, mem, btc_height, covenant_pks or [])
    return out.items, mem


def _advancing(
    out: Out,
    th: BabylonThresholds,
    height: int,
    block_time: float,
    memory: Memory,
    mem: Memory,
    now: float,
) -> None:
    prev = memory.get("height")
    seen_since = memory.get("height_since", now)
    block_age = now - block_time
    if prev is None:
        stalled, note = block_age, f"latest block {age(block_age)} old"
        mem["height_since"] = now
    elif height > prev:
        stalled, note = 0.0, f"+{height - prev:.0f} since last poll"
        mem["height_since"] = now
    elif height < prev:
        out.add(
            "height_advancing", Status.WARN, f"height went back from {prev:.0f} (reset?)", height
        )
        mem.update(height=height, height_since=now)
        return
    else:
        stalled = max(block_age, now - seen_since)
        note = f"no new block for {age(stalled)}"
        mem["height_since"] = seen_since
    mem["height"] = height
    status = level(stalled, th.stall_warn, th.stall_crit)
    out.add("height_advancing", status, f"height {height}: {note}", height)


def _providers(out: Out, th: BabylonThresholds, s: BabylonSample, watch: list[str]) -> None:
    wanted = set(watch)
    if s.providers is None:
        out.unknown("fp_status", s.errors.get("providers", "?"))
    else:
        seen = set()
        for fp in s.providers:
            if wanted and fp.pk not in wanted:
                continue
            seen.add(fp.pk)
            who = f"{fp.moniker or fp.pk[:12]}"
            if fp.slashed:
                out.add("fp_status", named(th.fp_slashed), f"{who} slashed", 3, fp.pk)
            elif fp.jailed:
                out.add("fp_status", named(th.fp_jailed), f"{who} jailed", 2, fp.pk)
            elif fp.active is None:
                why = s.errors.get("active_set", "?")
                out.unknown("fp_status", f"{who}: active set unavailable: {why}", fp.pk)
            elif fp.active:
                out.add("fp_status", Status.OK, f"{who} active", 0, fp.pk)
            else:
                out.add("fp_status", named(th.fp_inactive), f"{who} inactive (no power)", 1, fp.pk)
        for pk in sorted(wanted - seen):
            out.add("fp_status", Status.CRIT, "not registered on this chain", None, pk)

    if s.missed is None or s.params is None:
        out.unknown(
            "fp_missed_blocks", s.errors.get("signing_infos") or s.errors.get("params", "?")
        )
        return
    window = s.params.signed_blocks_window
    limit = max(1, checks_babylon.jail_limit(s.params))  # jailed when missed > limit
    for pk, missed in sorted(s.missed.items()):
        if wanted and pk not in wanted:
            continue
        share = missed / limit
        out.add(
            "fp_missed_blocks",
            level(share, th.fp_missed_warn, th.fp_missed_crit),
            f"{missed} missed of {limit} allowed in a {window}-block window",
            missed,
            pk,
        )


# --- gadget -------------------------------------------------------------------------------------


def gadget(target: GadgetTarget, th: GadgetThresholds, s: GadgetSample) -> list[CheckResult]:
    out = Out(target.name, "gadget")
    if s.healthy:
        out.add("gadget_health", Status.OK, s.health_text or "healthy", 1)
    else:
        out.add("gadget_health", Status.CRIT, s.errors.get("health", "unhealthy"), 0)
    if s.empty_db:
        why = "gadget has no BTC-finalized block yet (chainSyncStatus: block not found)"
        out.add("rollup_finality_lag", Status.WARN, why)
        out.add("rollup_finality_lag_seconds", Status.WARN, why)
        return out.items
    if s.sync is None:
        reason = s.errors.get("sync", "no answer")
        out.unknown("rollup_finality_lag", reason)
        out.unknown("rollup_finality_lag_seconds", reason)
        return out.items
    latest, final = s.sync.latest_block, s.sync.latest_btc_finalized_block
    lag = latest - final
    out.add(
        "rollup_finality_lag",
        level(lag, th.lag_blocks_warn, th.lag_blocks_crit),
        f"latest {latest}, BTC-finalized {final}",
        lag,
    )
    if s.timestamps is not None:
        seconds = float(s.timestamps[0] - s.timestamps[1])
        how = "from block timestamps"
    else:
        seconds = lag * target.block_time
        how = f"{lag} blocks x {target.block_time:g}s"
        if "l2_rpc" in s.errors:
            how += f" (L2 RPC failed: {s.errors['l2_rpc']})"
    out.add(
        "rollup_finality_lag_seconds",
        level(seconds, th.lag_seconds_warn, th.lag_seconds_crit),
        f"{age(seconds)} behind ({how})",
        seconds,
    )
    return out.items
