"""Phase-2 delegations the operator cares about, as Babylon sees them, and the local stakes.

Babylon REST at babylonlabs-io/babylon@v4.2.7 (eba038b7fa2e), ``proto/babylon/btcstaking/v1/``:

* ``GET /babylon/btcstaking/v1/btc_delegations/{status}`` (PENDING, VERIFIED, ...): chain-wide,
  paginated ``btc_delegations[]`` (``BTCDelegationResponse``).
* ``GET /babylon/btcstaking/v1/finality_providers/{fp}/delegations``:
  ``btc_delegator_delegations[] {dels[]}``, every status.
* ``GET /babylon/btcstaking/v1/btc_delegation/{staking_tx_hash_hex}``: ``{btc_delegation}``;
  unknown hash: HTTP 500 ``the BTC delegation is not found`` (``x/btcstaking/types/errors.go``
  code 1102, gRPC Unknown).

Lists are read up to ``rest.MAX_PAGES`` pages (100 entries each, the gateway's default
limit): an FP with more delegators than that is followed only in part. The status is
``status_desc`` (``x/btcstaking/types/query.go`` NewBTCDelegationResponse). The
response carries no creation height, so how long a delegation has been PENDING/VERIFIED is
counted by the checks from when a poll first saw it so (BTC light-client height).

Local stakes come from the ``l2kit stake`` tracker (``stakes.db``), read only. A tracker that
records the Babylon status itself (a ``stakes.babylon_status`` column) is used when
the chain cannot be asked.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from l2kit.errors import ProbeError
from l2kit.monitor.http import Session
from l2kit.monitor.rest import Lenient, Paged, pages

STATUSES = ("PENDING", "VERIFIED", "ACTIVE", "UNBONDED", "EXPIRED")
NOT_REGISTERED = "NOT_REGISTERED"
# Tracker states whose Babylon side still matters (later ones are settled on Bitcoin).
LOCAL_STATES = ("CREATED", "BROADCAST", "CONFIRMED", "UNBONDING")


class CovenantSig(Lenient):
    cov_pk: str


class UnbondingInfo(Lenient):
    spend_stake_tx_hex: str = ""


class Undelegation(Lenient):
    unbonding_tx_hex: str = ""
    delegator_unbonding_info_response: UnbondingInfo | None = None


class Delegation(Lenient):
    staker_addr: str
    btc_pk: str
    fp_btc_pk_list: list[str]
    start_height: int
    end_height: int
    total_sat: int
    staking_tx_hex: str
    covenant_sigs: list[CovenantSig] | None = None
    status_desc: str
    undelegation_response: Undelegation | None = None

    @property
    def txid(self) -> str:
        """Staking txid (display order), the key of ``btc_delegation/{hash}``."""
        raw = bytes.fromhex(self.staking_tx_hex)
        return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1].hex()

    @property
    def signers(self) -> frozenset[str]:
        return frozenset(s.cov_pk for s in self.covenant_sigs or ())


class DelegationList(Paged):
    btc_delegations: list[Delegation]


class DelegatorDelegations(Lenient):
    dels: list[Delegation] = Field(default_factory=list)


class FpDelegations(Paged):
    btc_delegator_delegations: list[DelegatorDelegations]


class OneDelegation(Lenient):
    btc_delegation: Delegation


@dataclass(frozen=True)
class LocalStake:
    """A stake of the local tracker, with what Babylon and Bitcoin say about it."""

    txid: str
    state: str  # tracker state (CREATED, BROADCAST, CONFIRMED, UNBONDING)
    unbonding_confirmations: int | None  # None: no unbonding tx recorded; < 1: not on Bitcoin
    babylon_status: str | None  # from the chain, else the tracker's own record, else None


@dataclass
class DelegationSample:
    """``watched``: txid -> delegation in the operator's scope (FPs, stakers, local stakes)."""

    watched: dict[str, Delegation] = field(default_factory=dict)
    pending: list[Delegation] | None = None  # chain-wide PENDING, for covenant_unsigned
    local: list[LocalStake] | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_local(path: Path) -> list[tuple[str, str, int | None, str | None]]:
    """(txid, state, unbonding confirmations, recorded Babylon status) of the stakes to follow.

    Opened read-only (``mode=ro``): the monitor never migrates or locks the tracker's database
    for writing while ``l2kit stake`` uses it. Columns read: ``stakes.staking_txid``,
    ``stakes.state``, ``txs.confirmations`` of kind ``unbonding`` (``l2kit/staking/tracker.py``,
    schema 1) and ``stakes.babylon_status`` when a later schema has it.
    """
    if not path.is_file():
        raise ProbeError(str(path), f"stakes_db: {path}: no such file")
    marks = ",".join("?" * len(LOCAL_STATES))
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        ) as db:
            db.row_factory = sqlite3.Row
            columns = {row["name"] for row in db.execute("PRAGMA table_info(stakes)")}
            recorded = "s.babylon_status" if "babylon_status" in columns else "NULL"
            rows = db.execute(
                f"SELECT s.staking_txid, s.state, u.confirmations, {recorded} AS babylon_status "
                "FROM stakes s LEFT JOIN txs u ON u.stake_id = s.id AND u.kind = 'unbonding' "
                f"WHERE s.state IN ({marks}) ORDER BY s.id",
                LOCAL_STATES,
            ).fetchall()
    except sqlite3.Error as exc:
        raise ProbeError(str(path), f"stakes_db: {path}: {exc}") from exc
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def _one(session: Session, rest: str, txid: str) -> str:
    try:
        body = await session.get_model(OneDelegation, f"{rest}/btcstaking/v1/btc_delegation/{txid}")
    except ProbeError as exc:
        if "not found" in exc.reason.lower():
            return NOT_REGISTERED
        raise
    return body.btc_delegation.status_desc


async def probe(
    session: Session,
    rest: str,
    *,
    fps: list[str],
    stakers: list[str],
    covenant: bool,
    stakes_db: Path | None,
) -> DelegationSample:
    """Only what the target asks for: nothing configured, no request."""
    out = DelegationSample()

    async def status_list(status: str) -> list[Delegation]:
        url = f"{rest}/btcstaking/v1/btc_delegations/{status}"
        found = await pages(session, url, DelegationList)
        return [d for page in found for d in page.btc_delegations]

    for pk in fps:
        try:
            url = f"{rest}/btcstaking/v1/finality_providers/{pk}/delegations"
            for page in await pages(session, url, FpDelegations):
                for group in page.btc_delegator_delegations:
                    out.watched.update((d.txid, d) for d in group.dels)
        except ProbeError as exc:
            out.errors["fp_delegations"] = exc.reason
    if stakers or covenant:
        try:
            pending = await status_list("PENDING")
            verified = await status_list("VERIFIED") if stakers else []
        except ProbeError as exc:
            out.errors["pending"] = exc.reason
        else:
            out.pending = pending
            wanted = set(stakers)
            for d in pending + verified:
                if d.staker_addr in wanted or d.btc_pk in wanted:
                    out.watched[d.txid] = d
    if stakes_db is not None:
        try:
            rows = read_local(stakes_db)
        except ProbeError as exc:
            out.errors["local"] = exc.reason
            return out
        local = []
        for txid, state, confs, recorded in rows:
            status = out.watched[txid].status_desc if txid in out.watched else None
            if status is None:
                try:
                    status = await _one(session, rest, txid)
                except ProbeError as exc:
                    out.errors["local"] = exc.reason
                    status = recorded
            local.append(LocalStake(txid, state, confs, status))
        out.local = local
    return out
