"""The stake tracker's Babylon half: a stake's registration intent and its Cosmos txs.

Write discipline (kill -9 safe, never registers twice):
  1. the ``MsgCreateBTCDelegation`` bytes are stored with the stake, in the same DB transaction
     (``Tracker.add_stake(..., registration=...)``), with ``hold_staking`` set for the
     pre-staking flow: ``sync`` then never broadcasts the staking tx (the chain must mark the
     delegation VERIFIED first);
  2. each signed Cosmos tx (``purpose`` create | proof) is stored with its hash BEFORE it is
     broadcast (``put_cosmos_tx``); a rerun first asks the chain for the delegation by staking
     txid, then for the recorded tx hash, and only then re-sends the same bytes;
  3. ``babylon_state`` is the last status the chain reported (a cache, recomputed on every
     follow; the chain is the truth).
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

UNREGISTERED = "UNREGISTERED"  # intent recorded, the chain has no delegation yet
PURPOSES = ("create", "proof")


@dataclass(frozen=True, kw_only=True)
class NewRegistration:
    flow: str  # "pre-staking" | "post-staking"
    chain_id: str
    staker_addr: str
    msg_hex: str
    hold_staking: bool


@dataclass(frozen=True, kw_only=True)
class Registration(NewRegistration):
    stake_id: int
    babylon_state: str


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

    @staticmethod
    def _insert_registration(
        db: sqlite3.Connection, stake_id: int, reg: NewRegistration, now: str
    ) -> None:
        db.execute(
            "INSERT INTO registrations VALUES (?,?,?,?,?,?,?,?,?)",
            (stake_id, reg.flow, reg.chain_id, reg.staker_addr, reg.msg_hex,
             int(reg.hold_staking), UNREGISTERED, now, now),
        )  # fmt: skip

    def add_registration(self, stake_id: int, reg: NewRegistration) -> None:
        """Register an already tracked (confirmed) stake: the post-staking flow."""
        with self._tx() as db:
            self._insert_registration(db, stake_id, reg, _now())

    def registration(self, stake_id: int) -> Registration | None:
        row = self._rdb.execute(
            "SELECT * FROM registrations WHERE stake_id = ?", (stake_id,)
        ).fetchone()
        if row is None:
            return None
        return Registration(
            stake_id=row["stake_id"],
            flow=row["flow"],
            chain_id=row["chain_id"],
            staker_addr=row["staker_addr"],
            msg_hex=row["msg_hex"],
            hold_staking=bool(row["hold_staking"]),
            babylon_state=row["babylon_state"],
        )

    def held(self, stake_id: int) -> bool:
        """Must the staking tx stay unbroadcast (registered, not VERIFIED yet)?"""
        reg = self.registration(stake_id)
        return reg is not None and reg.hold_staking

    def release_staking(self, stake_id: int) -> None:
        """The chain marked the delegation VERIFIED: the staking tx may be broadcast."""
        with self._tx() as db:
            db.execute(
                "UPDATE registrations SET hold_staking = 0, updated_at = ? WHERE stake_id = ?",
                (_now(), stake_id),
            )

    def set_babylon_state(self, stake_id: int, state: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE registrations SET babylon_state = ?, updated_at = ? WHERE stake_id = ?",
                (state, _now(), stake_id),
            )

    def put_cosmos_tx(self, stake_id: int, tx: CosmosTx) -> None:
        """Record a signed Cosmos tx BEFORE broadcasting it (replaces one of the same purpose:
        a re-signed tx after the account's sequence moved on)."""
        if tx.purpose not in PURPOSES:
            raise ValueError(f"unknown cosmos tx purpose {tx.purpose!r}")
        with self._tx() as db:
            db.execute(
                """INSERT INTO cosmos_txs VALUES (?,?,?,?,?,?) ON CONFLICT (stake_id, purpose)
                   DO UPDATE SET txhash=excluded.txhash, raw_hex=excluded.raw_hex,
                   sequence=excluded.sequence""",
                (stake_id, tx.purpose, tx.txhash, tx.raw_hex, tx.sequence, _now()),
            )

    def cosmos_tx(self, stake_id: int, purpose: str) -> CosmosTx | None:
        row = self._rdb.execute(
            "SELECT purpose, txhash, raw_hex, sequence FROM cosmos_txs "
            "WHERE stake_id = ? AND purpose = ?",
            (stake_id, purpose),
        ).fetchone()
        return CosmosTx(*tuple(row)) if row else None
