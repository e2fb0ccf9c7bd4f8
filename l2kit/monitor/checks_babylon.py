"""Pure judgement of what sees trouble coming on Babylon: runways, checkpoint ages, delegations.

* ``fp_jail_runway``: blocks a provider may still miss before it is jailed,
  ``signed_blocks_window - round(min_signed_per_window x window) - missed_blocks_counter``; the
  chain jails at ``missed > window - min_signed`` (babylonlabs-io/babylon@v4.2.7
  ``x/finality/keeper/liveness.go`` HandleFinalityProviderLiveness, ``x/finality/types/params.go``
  MinSignedPerWindowInt: RoundInt64, half away from zero). Judged as time at the block time.
* ``fp_randomness_runway``: last committed height - tip (blocks it can still vote for), as time.
* ``fp_voting``: tip - highest voted height, and whether it voted at the height liveness judges
  next (tip - finality_sig_timeout).
* ``checkpoint_age``: seconds since the newest checkpoint reached SUBMITTED / CONFIRMED /
  FINALIZED (lifecycle block time).
* ``delegations``, ``delegation_stuck``, ``unbonding_unseen``, ``covenant_unsigned``: the
  delegation lifecycle; ages in BTC blocks (Babylon's light-client tip) since a poll first saw
  the state, remembered in the target's ``Memory`` under ``seen/<state>/<txid>``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from l2kit.monitor.babylon import BabylonSample, FinalityParamsBody
from l2kit.monitor.babylon_runway import CHECKPOINT_STATUSES
from l2kit.monitor.delegations import NOT_REGISTERED, STATUSES
from l2kit.monitor.fleet import BabylonThresholds
from l2kit.monitor.judge import Memory, Out, age, below, level
from l2kit.monitor.results import Status


def jail_limit(params: FinalityParamsBody) -> int:
    """Missed blocks a provider may have in the window without being jailed."""
    window = params.signed_blocks_window
    min_signed = (params.min_signed_per_window * window).quantize(Decimal(1), ROUND_HALF_UP)
    return max(0, window - int(min_signed))


def block_time(
    height: int, when: float, memory: Memory, mem: Memory, default: float
) -> tuple[float, bool]:
    """(seconds per block, measured?) between polls; the base moves every 1,000 blocks."""
    base_h, base_t = memory.get("bt_height"), memory.get("bt_time")
    if base_h is None or base_t is None or height < base_h or height - base_h > 1000:
        mem.update(bt_height=height, bt_time=when)
        return default, False
    mem.update(bt_height=base_h, bt_time=base_t)
    if height == base_h or when <= base_t:
        return default, False
    return (when - base_t) / (height - base_h), True


def runways(
    out: Out, th: BabylonThresholds, s: BabylonSample, watch: list[str], seconds_per_block: float
) -> None:
    wanted = set(watch)
    benched = {fp.pk for fp in s.providers or () if fp.jailed or fp.slashed}
    tip = s.comet.latest_block_height if s.comet else None
    pace = f"{seconds_per_block:.1f}s/block"

    if s.missed is None or s.params is None:
        out.unknown("fp_jail_runway", s.errors.get("signing_infos") or s.errors.get("params", "?"))
    else:
        limit = jail_limit(s.params)
        for pk, missed in sorted(s.missed.items()):
            if (wanted and pk not in wanted) or pk in benched:
                continue  # jailed/slashed: fp_status says so
            left = limit - missed
            seconds = max(0, left) * seconds_per_block
            status = below(seconds, th.fp_jail_runway_warn, th.fp_jail_runway_crit)
            why = f"{left} more missed blocks before jail (~{age(seconds)} at {pace}); "
            out.add("fp_jail_runway", status, why + f"{missed} of {limit} missed", left, pk)

    if tip is None:
        out.unknown("fp_randomness_runway", s.errors.get("cometbft", "?"))
    else:
        for key, reason in sorted(s.errors.items()):
            if key.startswith("pub_rand/"):
                out.unknown("fp_randomness_runway", reason, key.removeprefix("pub_rand/"))
        for pk, commit in sorted(s.pub_rand.items()):
            if commit is None:
                out.add("fp_randomness_runway", Status.CRIT, "never committed randomness", 0, pk)
                continue
            left = commit.last - tip
            seconds = max(0, left) * seconds_per_block
            status = below(seconds, th.fp_randomness_runway_warn, th.fp_randomness_runway_crit)
            why = f"committed up to {commit.last}, tip {tip}: {left} blocks (~{age(seconds)})"
            if s.finalized_epoch is not None and commit.epoch > s.finalized_epoch:
                why += f"; last commit (epoch {commit.epoch}) not BTC-timestamped yet"
            out.add("fp_randomness_runway", status, why, left, pk)

    if tip is None or s.power is None:
        out.unknown("fp_voting", s.errors.get("active_set") or s.errors.get("cometbft", "?"))
        return
    for pk, power in sorted(s.power.items()):
        if wanted and pk not in wanted:
            continue
        out.add(
            "fp_voting_power", Status.OK, f"{power} sat" if power else "no voting power", power, pk
        )
        if power <= 0:
            continue
        lag = tip - s.highest_voted.get(pk, 0)
        status = level(lag, th.fp_vote_lag_warn, th.fp_vote_lag_crit)
        why = f"highest voted {s.highest_voted.get(pk, 0)}, tip {tip}"
        if s.voters is not None and s.vote_height is not None:
            if pk in s.voters:
                why += f"; voted at {s.vote_height}"
            else:
                status = max(status, Status.WARN)
                why += f"; no vote at {s.vote_height} (counts as missed)"
        out.add("fp_voting", status, why, lag, pk)


def checkpoint_ages(out: Out, th: BabylonThresholds, s: BabylonSample, now: float) -> None:
    if s.checkpoints is None:
        out.unknown("checkpoint_age", s.errors.get("checkpoint_lifecycle", "?"))
        return
    limits = {
        "SUBMITTED": (th.checkpoint_submitted_age_warn, th.checkpoint_submitted_age_crit),
        "CONFIRMED": (th.checkpoint_confirmed_age_warn, th.checkpoint_confirmed_age_crit),
        "FINALIZED": (th.checkpoint_finalized_age_warn, th.checkpoint_finalized_age_crit),
    }
    for status in CHECKPOINT_STATUSES:
        reached = s.checkpoints.reached.get(status)
        if reached is None:
            verdict = Status.CRIT if s.checkpoints.window_full else Status.WARN
            out.add("checkpoint_age", verdict, "no recent checkpoint reached it", None, status)
            continue
        epoch, when = reached
        seconds = max(0.0, now - when)
        warn, crit = limits[status]
        why = f"epoch {epoch} reached {status} {age(seconds)} ago"
        out.add("checkpoint_age", level(seconds, warn, crit), why, round(seconds, 3), status)


def _seen(key: str, height: int, memory: Memory, mem: Memory) -> int:
    """BTC blocks since a poll first saw ``key``; records it for the next poll."""
    first = memory.get(key, height)
    mem[key] = first
    return max(0, height - int(first))


def lifecycle(
    out: Out,
    th: BabylonThresholds,
    s: BabylonSample,
    memory: Memory,
    mem: Memory,
    btc_height: int | None,
    covenant_pks: list[str],
) -> None:
    d = s.delegations
    if d is None:
        return
    why = "; ".join(sorted(set(d.errors.values())))
    scope = {txid: dl.status_desc for txid, dl in d.watched.items()}
    confirmed_local = set()
    for stake in d.local or ():
        if stake.babylon_status is not None:
            scope.setdefault(stake.txid, stake.babylon_status)
        if stake.state in ("CONFIRMED", "UNBONDING"):
            confirmed_local.add(stake.txid)
    if why and not scope and d.pending is None:
        out.unknown("delegations", why)
        return
    counts = dict.fromkeys(STATUSES, 0)
    for status in scope.values():
        if status in counts:
            counts[status] += 1
    for status, n in counts.items():
        out.add("delegations", Status.OK, f"{n} {status}" + (f" ({why})" if why else ""), n, status)
    if btc_height is None:
        if scope or d.pending:
            out.unknown("delegation_stuck", "no BTC height (light client and bitcoind unknown)")
        return

    for txid, status in sorted(scope.items()):
        if status == "PENDING":
            warn, crit, what = th.pending_blocks_warn, th.pending_blocks_crit, "no covenant quorum"
        elif status == "VERIFIED":
            warn, crit, what = (
                th.verified_blocks_warn,
                th.verified_blocks_crit,
                "VERIFIED, not ACTIVE",
            )
        elif status == NOT_REGISTERED and txid in confirmed_local:
            warn, crit, what = (
                th.verified_blocks_warn,
                th.verified_blocks_crit,
                "on Bitcoin, not on Babylon",
            )
        else:
            continue
        blocks = _seen(f"seen/{status}/{txid}", btc_height, memory, mem)
        out.add(
            "delegation_stuck",
            level(blocks, warn, crit),
            f"{what} for {blocks} BTC blocks",
            blocks,
            txid,
        )

    for stake in d.local or ():
        on_btc = stake.unbonding_confirmations is not None and stake.unbonding_confirmations > 0
        if stake.state != "UNBONDING" or on_btc or stake.babylon_status == "UNBONDED":
            continue
        blocks = _seen(f"seen/unbonding/{stake.txid}", btc_height, memory, mem)
        verdict = level(blocks, th.unbonding_unseen_blocks_warn, th.unbonding_unseen_blocks_crit)
        text = f"unbonding tx not on Bitcoin {blocks} BTC blocks after the request"
        out.add("unbonding_unseen", verdict, text, blocks, stake.txid)

    if not covenant_pks:
        return
    if d.pending is None:
        out.unknown("covenant_unsigned", d.errors.get("pending", "?"))
        return
    for pk in covenant_pks:
        unsigned = [dl for dl in d.pending if pk not in dl.signers]
        oldest = max(
            (_seen(f"seen/PENDING/{dl.txid}", btc_height, memory, mem) for dl in unsigned),
            default=0,
        )
        verdict = level(oldest, th.covenant_unsigned_blocks_warn, th.covenant_unsigned_blocks_crit)
        text = f"{len(unsigned)} PENDING delegations lack its signature"
        if unsigned:
            text += f", oldest seen {oldest} BTC blocks ago"
        out.add("covenant_unsigned", verdict, text, len(unsigned), pk)
