"""Babylon REST queries behind the runway checks: public randomness, votes, checkpoint lifecycle.

Endpoints and shapes at babylonlabs-io/babylon@v4.2.7 (eba038b7fa2e), same on v4.3.1:

* ``GET /babylon/finality/v1/finality_providers/{fp_btc_pk_hex}/pub_rand_commit_list``
  (``proto/babylon/finality/v1/query.proto`` ListPubRandCommit): ``pub_rand_commit_map`` maps the
  start height (uint64 map key: a JSON string) to ``{num_pub_rand, commitment, epoch_num}``;
  the store is keyed by big-endian start height, so ``pagination.reverse=true`` +
  ``pagination.limit=1`` is the last commit (``x/finality/keeper/grpc_query.go``). A commit is
  usable only once BTC-timestamped: ``epoch_num <= last finalized epoch``
  (``x/finality/keeper/public_randomness.go`` GetTimestampedPubRandCommitForHeight).
* ``GET /babylon/finality/v1/votes/{height}``: ``btc_pks`` of the voters (map order: unstable).
* ``GET /babylon/checkpointing/v1/raw_checkpoints?pagination.reverse=true&pagination.limit=N``:
  newest checkpoints with ``lifecycle[] {state, block_height, block_time}``; the time a checkpoint
  reached SUBMITTED / CONFIRMED / FINALIZED is the ``block_time`` of that lifecycle entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from l2kit.monitor.http import Session
from l2kit.monitor.rest import Lenient, Paged

CHECKPOINT_STATUSES = ("SUBMITTED", "CONFIRMED", "FINALIZED")
CHECKPOINT_WINDOW = 20  # newest checkpoints read per poll


class PubRandCommitBody(Lenient):
    num_pub_rand: int
    epoch_num: int


class PubRandCommitList(Paged):
    pub_rand_commit_map: dict[int, PubRandCommitBody]


class VotesAtHeight(Lenient):
    btc_pks: list[str]


class LifecycleEntry(Lenient):
    state: str
    block_height: int
    block_time: datetime


class CheckpointEpoch(Lenient):
    epoch_num: int


class CheckpointWithMeta(Lenient):
    ckpt: CheckpointEpoch
    status: str
    lifecycle: list[LifecycleEntry] = Field(default_factory=list)


class RawCheckpoints(Paged):
    raw_checkpoints: list[CheckpointWithMeta]


@dataclass(frozen=True)
class PubRand:
    """The last public-randomness commit of a provider: heights ``start .. last``."""

    start: int
    count: int
    epoch: int

    @property
    def last(self) -> int:
        return self.start + self.count - 1


@dataclass(frozen=True)
class CheckpointTimes:
    """Per status: (epoch, unix time it reached the status) of the newest such checkpoint."""

    reached: dict[str, tuple[int, float]]
    window_full: bool  # CHECKPOINT_WINDOW checkpoints were read (a missing status is old)


async def last_pub_rand(session: Session, rest: str, pk: str) -> PubRand | None:
    """The provider's newest commit; None when it never committed."""
    body = await session.get_model(
        PubRandCommitList,
        f"{rest}/finality/v1/finality_providers/{pk}/pub_rand_commit_list",
        {"pagination.reverse": "true", "pagination.limit": "1"},
    )
    return newest(body)


def newest(body: PubRandCommitList) -> PubRand | None:
    """The commit with the highest start height (the map's order is not to be trusted)."""
    if not body.pub_rand_commit_map:
        return None
    start = max(body.pub_rand_commit_map)
    commit = body.pub_rand_commit_map[start]
    return PubRand(start, commit.num_pub_rand, commit.epoch_num)


async def voters(session: Session, rest: str, height: int) -> frozenset[str]:
    body = await session.get_model(VotesAtHeight, f"{rest}/finality/v1/votes/{height}")
    return frozenset(body.btc_pks)


async def checkpoint_times(session: Session, rest: str) -> CheckpointTimes:
    body = await session.get_model(
        RawCheckpoints,
        f"{rest}/checkpointing/v1/raw_checkpoints",
        {"pagination.reverse": "true", "pagination.limit": str(CHECKPOINT_WINDOW)},
    )
    reached: dict[str, tuple[int, float]] = {}
    for ckpt in body.raw_checkpoints:
        for entry in ckpt.lifecycle:
            status = entry.state.removeprefix("CKPT_STATUS_")
            when = entry.block_time.timestamp()
            if status in CHECKPOINT_STATUSES and when > reached.get(status, (0, 0.0))[1]:
                reached[status] = (ckpt.ckpt.epoch_num, when)
    return CheckpointTimes(reached, len(body.raw_checkpoints) >= CHECKPOINT_WINDOW)
