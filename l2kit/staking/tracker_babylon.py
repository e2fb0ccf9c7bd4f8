"""The stake tracker's Babylon half: which chain a stake is registered with, the delegation
status last seen there, and the Cosmos txs sent for it.

Write discipline (kill -9 safe, never registers twice):
  1. the pre-staking ``MsgCreateBTCDelegation`` is stored with the stake itself
     (``extra["registration"]``, state REGISTRATION_PENDING: ``sync`` never broadcasts it);
  2. each signed Cosmos tx (``purpose`` create | proof) is stored with its hash BEFORE it is
     broadcast (``put_cosmos_tx``); a rerun first asks the chain for the delegation by staking
     txid, then for the recorded tx hash, and only then re-sends the same bytes;
  3. ``state`` is the last status the chain reported (a cache refreshed on every follow or
     status; the chain is the truth).
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

UNREGISTERED = "UNREGISTERED"  # the chain has no delegation for this stake (yet)
PURPOSES = ("create", "proof")


@dataclass(frozen=True)
class BabylonLink:
    chain_id: str
    flow: str  # "pre-staking" | "post-staking"
    state: str  # UNREGISTERED or a delegation status (PENDING … SLASHED)


@dataclass(frozen=True)
class CosmosTx:
    purpose: str
    txhash: str
    raw_hex: str
    sequence: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class BabylonRecords:
    """Mixed into ``Tracker``: every method is one SQLite transaction on its connection."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    @property
    def _rdb(self) -> sqlite3.Connection:
        raise NotImplementedError

    def link_babylon(self, stake_id: int, chain_id: str, flow: str) -> BabylonLink:
        """Record (idempotently) that this stake is registered with ``chain_id``; a stake is
        never registered with two chains."""
        with self._tx() as db:
            row = db.execute(
                "SELECT chain_id FROM babylon WHERE stake_id=?", (stake_id,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO babylon VALUES (?,?,?,?,?)",
                    (stake_id, chain_id, flow, UNREGISTERED, _now()),
                )
            elif row["chain_id"] != chain_id:
                raise ValueError(f"stake {stake_id} is registered with {row['chain_id']}")
        link = self.babylon(stake_id)
        assert link is not None
        return link

    def babylon(self, stake_id: int) -> BabylonLink | None:
        row = self._rdb.execute(
            "SELECT chain_id, flow, state FROM babylon WHERE stake_id = ?", (stake_id,)
        ).fetchone()
        return BabylonLink(*tuple(row)) if row else None

    def set_babylon_state(self, stake_id: int, state: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE babylon SET state = ?, updated_at = ? WHERE stake_id = ?",
                (state, _now(), stake_id),
            )

    def put_cosmos_tx(self, stake_id: int, tx: CosmosTx) -> None:
        """Record a signed Cosmos tx BEFORE broadcasting it (replaces one of the same purpose:
        a tx re-signed after the account's sequence moved on)."""
        if tx.purpose not in PURPOSES:
            raise ValueError(f"unknown cosmos tx purpose {tx.purpose!r}")
        with self._tx() as db:
            db.execute(
                """INSERT INTO cosmos_txs VALUES (?,?,?,?,?,?) ON CONFLICT (stake_id, purpose)
                   DO UPDATE SET txhash=excluded.txhash, raw_hex=excluded.raw_hex,
                   sequence=excluded.sequence""",
                (stake_id, tx.purpose, tx.txhash, tx.raw_hex, tx.sequence, _now()),
            )

    def babylon_status(self, stake_id: int) -> dict[str, Any] | None:
        """The Babylon side for ``stake status`` (as last seen on the chain), or None when the
        stake is not registered."""
        link = self.babylon(stake_id)
        if link is None:
            return None
        txs = {p: c.txhash for p in PURPOSES if (c := self.cosmos_tx(stake_id, p))}
        return {
            "state": link.state,
            "flow": link.flow,
            "chain_id": link.chain_id,
            "cosmos_txs": txs,
        }

    def cosmos_tx(self, stake_id: int, purpose: str) -> CosmosTx | None:
        row = self._rdb.execute(
            "SELECT purpose, txhash, raw_hex, sequence FROM cosmos_txs "
            "WHERE stake_id = ? AND purpose = ?",
            (stake_id, purpose),
        ).fetchone()
        return CosmosTx(*tuple(row)) if row else None
