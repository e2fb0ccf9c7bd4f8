"""The poll engine: every target once per cycle, at most ``concurrency`` at a time, each within
``target_timeout``; then judge all samples together (Babylon's light client needs bitcoind's tip).

A target's timeout starts when it gets its slot, not when the cycle starts, so a queue behind
slow targets never times healthy ones out. One bad target never affects another: every failure
becomes that target's results. ``Poller`` keeps the memory between cycles (previous heights,
counters) that "advancing" and "rose since last poll" checks need.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from l2kit import log
from l2kit.errors import L2kitError, ProbeError, TargetUnreachable
from l2kit.monitor import babylon, bitcoind, checks, checks_metrics, gadget, kube, metrics
from l2kit.monitor.fleet import (
    BabylonTarget,
    BitcoindTarget,
    Fleet,
    GadgetTarget,
    KubernetesTarget,
    MetricsTarget,
    effective,
)
from l2kit.monitor.http import Session, keepalive_fits, new_client
from l2kit.monitor.results import CheckResult, CycleReport, TargetReport

_log = log.get(__name__)

AnyTarget = BitcoindTarget | BabylonTarget | GadgetTarget | MetricsTarget | KubernetesTarget


@dataclass(frozen=True)
class Failure:
    """Why a target gave nothing usable; ``answered``: it did answer, but unusably."""

    reason: str
    answered: bool


Sample = (
    bitcoind.BitcoindSample
    | babylon.BabylonSample
    | gadget.GadgetSample
    | metrics.Scrape
    | kube.KubeSample
    | Failure
)


def kind_of(target: AnyTarget) -> str:
    return "kubernetes" if isinstance(target, KubernetesTarget) else target.kind


class Poller:
    """Polls one fleet, cycle after cycle, remembering what the checks need from the last one."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        clock: Callable[[], float] = time.time,
        kube_loader: kube.Loader | None = None,
    ) -> None:
        self.fleet = fleet
        self.clock = clock
        self.kube_loader = kube_loader
        self.memory: dict[str, checks.Memory] = {}
        self.errors: Counter[str] = Counter()
        self.last_success: dict[str, float] = {}
        self.cycles = 0
        self._client: aiohttp.ClientSession | None = None
        self._rpc_clients = bitcoind.Clients()

    @property
    def targets(self) -> list[AnyTarget]:
        found: list[AnyTarget] = list(self.fleet.targets)
        if self.fleet.kubernetes is not None:
            found.append(self.fleet.kubernetes)
        return found

    async def aclose(self) -> None:
        await self._rpc_clients.aclose()
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def cycle(self) -> CycleReport:
        """Poll every target once and judge the results."""
        settings = self.fleet.settings
        if self._client is None:
            self._client = self._new_client()
        started_wall, started = self.clock(), time.monotonic()
        slots = asyncio.Semaphore(settings.concurrency)
        runs = [self._run(t, slots) for t in self.targets]
        samples = await asyncio.gather(*runs)
        now = self.clock()
        tips = self._btc_tips(samples)
        reports = [
            self._judge(target, sample, duration, now, tips)
            for target, (sample, duration) in zip(self.targets, samples, strict=True)
        ]
        self.cycles += 1
        return CycleReport(
            targets=tuple(reports),
            started_at=started_wall,
            duration=time.monotonic() - started,
            errors=dict(self.errors),
        )

    def _new_client(self) -> aiohttp.ClientSession:
        settings, targets = self.fleet.settings, self.targets
        # a target has at most two HTTP origins (Babylon: REST and CometBFT)
        keep = keepalive_fits(2 * len(targets), settings.concurrency)
        if not keep:
            _log.info(
                "connections not kept alive between polls: ulimit -n too low", targets=len(targets)
            )
        tls = any(str(v).startswith("https:") for t in targets for v in vars(t).values())
        return new_client(settings.concurrency, settings.request_timeout, keep_alive=keep, tls=tls)

    async def _run(self, target: AnyTarget, slots: asyncio.Semaphore) -> tuple[Sample, float]:
        settings = self.fleet.settings
        async with slots:
            started = time.monotonic()
            try:
                async with asyncio.timeout(settings.target_timeout):  # no extra task per target
                    sample = await self._probe(target)
            except TimeoutError:
                sample = Failure(f"no answer within {settings.target_timeout:g}s", False)
            except TargetUnreachable as exc:
                sample = Failure(exc.reason, False)
            except ProbeError as exc:
                sample = Failure(exc.reason, True)
            except L2kitError as exc:
                sample = Failure(str(exc), True)
            except Exception as exc:  # a bug in one probe must not take the fleet's poll down
                # The type only: the message or the locals may quote a response or a secret.
                _log.error("probe crashed", target=target.name, error=type(exc).__name__)
                _log.debug("probe traceback", target=target.name, exc_info=True)
                sample = Failure(f"internal error: {type(exc).__name__}", True)
            return sample, time.monotonic() - started

    async def _probe(self, target: AnyTarget) -> Sample:
        assert self._client is not None
        session = Session(self._client, self.fleet.settings.request_timeout)
        if isinstance(target, BitcoindTarget):
            return await bitcoind.probe(
                target, self.fleet.settings.request_timeout, self._rpc_clients
            )
        if isinstance(target, BabylonTarget):
            return await babylon.probe(target, session)
        if isinstance(target, GadgetTarget):
            return await gadget.probe(target, session)
        if isinstance(target, MetricsTarget):
            return await metrics.probe(target, session, checks_metrics.READS)
        return await kube.probe(target, self.kube_loader)

    def _btc_tips(self, samples: list[tuple[Sample, float]]) -> dict[str, int | str]:
        tips: dict[str, int | str] = {}
        for target, (sample, _) in zip(self.targets, samples, strict=True):
            if isinstance(target, BitcoindTarget):
                if isinstance(sample, bitcoind.BitcoindSample) and sample.chain is not None:
                    tips[target.name] = sample.chain.blocks
                else:
                    tips[target.name] = f"bitcoind target {target.name} gave no height"
        return tips

    def _judge(
        self,
        target: AnyTarget,
        sample: Sample,
        duration: float,
        now: float,
        tips: dict[str, int | str],
    ) -> TargetReport:
        kind = kind_of(target)
        memory = self.memory.get(target.name, {})
        results, up, error = self._evaluate(target, sample, memory, now, tips)
        if up:
            self.last_success[target.name] = now
        else:
            self.errors[target.name] += 1
        return TargetReport(
            target=target.name,
            kind=kind,
            up=up,
            duration=duration,
            checks=tuple(results),
            finished_at=now,
            error=error,
        )

    def _evaluate(
        self,
        target: AnyTarget,
        sample: Sample,
        memory: checks.Memory,
        now: float,
        tips: dict[str, int | str],
    ) -> tuple[list[CheckResult], bool, str | None]:
        kind = kind_of(target)
        th = self.fleet.thresholds
        if isinstance(sample, Failure):
            role = target.role if isinstance(target, MetricsTarget) else None
            failed = checks.failed(
                target.name, kind, sample.reason, answered=sample.answered, role=role
            )
            return failed, False, sample.reason
        if isinstance(target, BitcoindTarget) and isinstance(sample, bitcoind.BitcoindSample):
            bt = effective(th.bitcoind, target.thresholds)
            return checks.bitcoind(target, bt, sample, now), True, None
        if isinstance(target, BabylonTarget) and isinstance(sample, babylon.BabylonSample):
            if not sample.any_data:
                reason = "; ".join(sorted(set(sample.errors.values()))) or "no data"
                failed = checks.failed(target.name, kind, reason, answered=not sample.unreachable)
                return failed, False, reason
            tip = self._tip_for(target, tips)
            results, mem = checks.babylon(
                target.name,
                effective(th.babylon, target.thresholds),
                sample,
                memory,
                now,
                tip,
                target.finality_providers,
                covenant_pks=target.covenant_pks,
                default_block_time=target.block_time,
            )
            self.memory[target.name] = mem
            return results, True, None
        if isinstance(target, GadgetTarget) and isinstance(sample, gadget.GadgetSample):
            if not sample.answered:
                reason = sample.errors.get("health") or sample.errors.get("sync", "no answer")
                return checks.failed(target.name, kind, reason, answered=False), False, reason
            gt = effective(th.gadget, target.thresholds)
            return checks.gadget(target, gt, sample), True, None
        if isinstance(target, MetricsTarget) and isinstance(sample, metrics.Scrape):
            role, inferred = sample.role, target.role is None
            mt = effective(th.metrics, target.thresholds)
            results, mem = checks_metrics.metrics(target.name, role, inferred, mt, sample, memory)
            self.memory[target.name] = mem
            return results, True, None
        if isinstance(target, KubernetesTarget) and isinstance(sample, kube.KubeSample):
            kt = effective(th.kubernetes, target.thresholds)
            return kube.evaluate(target.name, kt, sample), True, None
        raise AssertionError(f"no judge for {kind} sample {type(sample).__name__}")

    def _tip_for(self, target: BabylonTarget, tips: dict[str, int | str]) -> int | str | None:
        if target.bitcoind is not None:
            return tips.get(target.bitcoind)
        if not tips:
            return None
        heights = [v for v in tips.values() if isinstance(v, int)]
        return max(heights) if heights else next(iter(tips.values()))


async def poll_once(fleet: Fleet, *, kube_loader: kube.Loader | None = None) -> CycleReport:
    """One cycle with a fresh poller (``l2kit monitor check``)."""
    poller = Poller(fleet, kube_loader=kube_loader)
    try:
        return await poller.cycle()
    finally:
        await poller.aclose()
