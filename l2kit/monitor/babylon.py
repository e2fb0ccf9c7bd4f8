"""Babylon probe: CometBFT ``/status`` and the REST (gRPC-gateway) queries the checks need.

Encodings (see the fixtures README): int64/uint64 arrive as strings, uint32 as numbers, enums by
name, BIP340 keys as lowercase hex; pydantic's lax mode turns ``"1247"`` and ``1247`` into the same
int. Lists are paginated oldest-first; ``pagination.next_key`` (base64) is followed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from pydantic import Field

from l2kit.errors import ProbeError, TargetUnreachable
from l2kit.monitor import babylon_runway, delegations
from l2kit.monitor.fleet import BabylonTarget
from l2kit.monitor.http import Session
from l2kit.monitor.rest import Lenient as _Lenient
from l2kit.monitor.rest import Paged as _Paged
from l2kit.monitor.rest import pages as _pages


class SyncInfo(_Lenient):
    latest_block_height: int
    latest_block_time: datetime
    catching_up: bool


class NodeInfo(_Lenient):
    network: str = ""


class CometStatusResult(_Lenient):
    node_info: NodeInfo = NodeInfo()
    sync_info: SyncInfo


class CometStatus(_Lenient):
    result: CometStatusResult


class IndexedBlock(_Lenient):
    height: int
    finalized: bool


class BlockList(_Lenient):
    blocks: list[IndexedBlock]


class FinalityParamsBody(_Lenient):
    signed_blocks_window: int
    min_signed_per_window: Decimal
    finality_sig_timeout: int = 3
    finality_activation_height: int = 0


class FinalityParams(_Lenient):
    params: FinalityParamsBody


class FinalityProvider(_Lenient):
    btc_pk: str
    slashed_babylon_height: int = 0
    slashed_btc_height: int = 0
    jailed: bool = False
    soft_deleted: bool = False
    highest_voted_height: int = 0
    description: dict[str, object] = Field(default_factory=dict)


class FinalityProviders(_Paged):
    finality_providers: list[FinalityProvider]


class ActiveProvider(_Lenient):
    btc_pk_hex: str
    voting_power: int = 0


class ActiveProviders(_Paged):
    finality_providers: list[ActiveProvider]


class SigningInfo(_Lenient):
    fp_btc_pk_hex: str
    missed_blocks_counter: int
    jailed_until: datetime | None = None


class SigningInfos(_Paged):
    signing_infos: list[SigningInfo]


class CurrentEpoch(_Lenient):
    current_epoch: int


class RawCheckpoint(_Lenient):
    epoch_num: int


class LastRawCheckpoint(_Lenient):
    raw_checkpoint: RawCheckpoint


class BtcHeader(_Lenient):
    height: int
    hash_hex: str = ""


class LightClientTip(_Lenient):
    header: BtcHeader


@dataclass(frozen=True)
class FpState:
    """One finality provider as the chain sees it."""

    pk: str
    moniker: str
    slashed: bool
    jailed: bool
    active: bool | None  # None: the active set could not be read


@dataclass
class BabylonSample:
    """What one poll of a Babylon node found; ``errors`` says why a part is missing."""

    comet: SyncInfo | None = None
    network: str = ""
    finalized_height: int | None = None
    any_finalized: bool = True
    params: FinalityParamsBody | None = None
    providers: list[FpState] | None = None
    missed: dict[str, int] | None = None
    current_epoch: int | None = None
    finalized_epoch: int | None = None
    lightclient_height: int | None = None
    power: dict[str, int] | None = None  # active set: pk -> voting power (sat)
    highest_voted: dict[str, int] = field(default_factory=dict)
    vote_height: int | None = None  # the height the chain judges liveness at next
    voters: frozenset[str] | None = None
    pub_rand: dict[str, babylon_runway.PubRand | None] = field(default_factory=dict)
    checkpoints: babylon_runway.CheckpointTimes | None = None
    delegations: delegations.DelegationSample | None = None
    errors: dict[str, str] = field(default_factory=dict)
    unreachable: bool = False  # some endpoint gave no HTTP answer at all

    @property
    def any_data(self) -> bool:
        return self.comet is not None or self.params is not None or self.current_epoch is not None


T = TypeVar("T")
PUB_RAND_CONCURRENCY = 8  # one query per provider; the active set can hold ~100


async def _try(s: BabylonSample, name: str, aw: Awaitable[T]) -> T | None:
    try:
        return await aw
    except ProbeError as exc:
        s.errors[name] = exc.reason
        s.unreachable = s.unreachable or isinstance(exc, TargetUnreachable)
        return None


async def probe(target: BabylonTarget, session: Session) -> BabylonSample:
    """Ask everything; a failing query costs only the checks that need it."""
    s = BabylonSample()
    rest = target.rest_url + "/babylon"

    def part(name: str, aw: Awaitable[T]) -> Awaitable[T | None]:
        return _try(s, name, aw)

    status = await part("cometbft", session.get_model(CometStatus, target.cometbft_url + "/status"))
    if status is not None:
        s.comet = status.result.sync_info
        s.network = status.result.node_info.network

    latest = await part(
        "finality",
        session.get_model(
            BlockList,
            rest + "/finality/v1/blocks",
            {"status": "FINALIZED", "pagination.limit": "1", "pagination.reverse": "true"},
        ),
    )
    if latest is not None:
        s.any_finalized = bool(latest.blocks)
        s.finalized_height = latest.blocks[0].height if latest.blocks else None

    params = await part("params", session.get_model(FinalityParams, rest + "/finality/v1/params"))
    if params is not None:
        s.params = params.params

    fps = await part(
        "providers", _pages(session, rest + "/btcstaking/v1/finality_providers", FinalityProviders)
    )
    active: set[str] | None = None
    at = s.finalized_height or (s.comet.latest_block_height if s.comet else None)
    if at is not None:
        pages = await part(
            "active_set",
            _pages(session, f"{rest}/finality/v1/finality_providers/{at}", ActiveProviders),
        )
        if pages is not None:
            s.power = {fp.btc_pk_hex: fp.voting_power for p in pages for fp in p.finality_providers}
            active = {pk for pk, power in s.power.items() if power > 0}
    if fps is not None:
        s.highest_voted = {
            fp.btc_pk: fp.highest_voted_height for p in fps for fp in p.finality_providers
        }
        s.providers = [
            FpState(
                pk=fp.btc_pk,
                moniker=str(fp.description.get("moniker", "")),
                slashed=fp.slashed_babylon_height > 0 or fp.slashed_btc_height > 0,
                jailed=fp.jailed,
                active=None if active is None else fp.btc_pk in active,
            )
            for page in fps
            for fp in page.finality_providers
            if not fp.soft_deleted
        ]

    infos = await part(
        "signing_infos", _pages(session, rest + "/finality/v1/signing_infos", SigningInfos)
    )
    if infos is not None:
        s.missed = {
            i.fp_btc_pk_hex: i.missed_blocks_counter for page in infos for i in page.signing_infos
        }

    epoch = await part(
        "epoching", session.get_model(CurrentEpoch, rest + "/epoching/v1/current_epoch")
    )
    if epoch is not None:
        s.current_epoch = epoch.current_epoch
    ckpt = await part(
        "checkpointing",
        session.get_model(
            LastRawCheckpoint, rest + "/checkpointing/v1/last_raw_checkpoint/CKPT_STATUS_FINALIZED"
        ),
    )
    if ckpt is not None:
        s.finalized_epoch = ckpt.raw_checkpoint.epoch_num
    elif _none_yet(s.errors.get("checkpointing", "")):
        # No checkpoint has reached FINALIZED yet (young chain): the lag is the whole chain.
        del s.errors["checkpointing"]
        s.finalized_epoch = 0

    tip = await part(
        "btclightclient", session.get_model(LightClientTip, rest + "/btclightclient/v1/tip")
    )
    if tip is not None:
        s.lightclient_height = tip.header.height
    await _runways(s, target, session, rest)
    if target.delegation_fps or target.stakers or target.covenant_pks or target.stakes_db:
        s.delegations = await delegations.probe(
            session,
            rest,
            fps=target.delegation_fps,
            stakers=target.stakers,
            covenant=bool(target.covenant_pks),
            stakes_db=target.stakes_db,
        )
    return s


async def _runways(s: BabylonSample, target: BabylonTarget, session: Session, rest: str) -> None:
    """Randomness of the watched providers (else the active set), votes, checkpoint lifecycle."""
    slashed = {fp.pk for fp in s.providers or () if fp.slashed}
    fps = target.finality_providers or sorted(pk for pk, p in (s.power or {}).items() if p > 0)
    slots = asyncio.Semaphore(PUB_RAND_CONCURRENCY)

    async def commit(pk: str) -> None:
        async with slots:
            try:
                s.pub_rand[pk] = await babylon_runway.last_pub_rand(session, rest, pk)
            except ProbeError as exc:
                s.errors[f"pub_rand/{pk}"] = exc.reason
                s.unreachable = s.unreachable or isinstance(exc, TargetUnreachable)

    await asyncio.gather(*(commit(pk) for pk in fps if pk not in slashed))
    if s.comet is not None and s.params is not None:
        height = s.comet.latest_block_height - s.params.finality_sig_timeout
        if height >= s.params.finality_activation_height:
            s.voters = await _try(s, "votes", babylon_runway.voters(session, rest, height))
            s.vote_height = height if s.voters is not None else None
    s.checkpoints = await _try(
        s, "checkpoint_lifecycle", babylon_runway.checkpoint_times(session, rest)
    )


def _none_yet(reason: str) -> bool:
    """The query failed only because no checkpoint is FINALIZED yet."""
    return "HTTP 404" in reason or ("HTTP 500" in reason and "not found" in reason.lower())
