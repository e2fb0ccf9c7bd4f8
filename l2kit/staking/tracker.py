"""Crash-safe stake tracker: one SQLite file (WAL) holding each stake, its transactions and the
state machine of ``states.py``.

Write discipline (what makes ``kill -9`` at any point safe): a transaction's raw hex is committed
(``put_tx``) BEFORE it is broadcast, and the state is committed after. ``sync`` (in
``staking/lifecycle.py``) recomputes every state from the chain, so the DB never has to be
"right" about the chain, only never lose an intent.

The DB holds public data only: public keys, raw transactions, covenant signatures (adaptor
signatures are public). Secret keys live in 0600 key files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from l2kit.errors import StoreError
from l2kit.staking.db import connect, read_schema_version, transaction, write_schema_version
from l2kit.staking.states import State, allowed, path
from l2kit.staking.tracker_babylon import BabylonRecords

SCHEMA_VERSION = 3

# Each entry upgrades from version i to i+1; append, never edit.
_MIGRATIONS: list[str] = [
    """
    CREATE TABLE stakes (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        staking_txid TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        confirmations INTEGER NOT NULL DEFAULT -1,
        network TEXT NOT NULL,
        params_version INTEGER NOT NULL,
        staker_pk TEXT NOT NULL,
        fp_pks TEXT NOT NULL,
        covenant_pks TEXT NOT NULL,
        covenant_quorum INTEGER NOT NULL,
        staking_time INTEGER NOT NULL,
        unbonding_time INTEGER NOT NULL,
        unbonding_fee INTEGER NOT NULL,
        value INTEGER NOT NULL,
        staking_vout INTEGER NOT NULL,
        start_height INTEGER NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE txs (
        stake_id INTEGER NOT NULL REFERENCES stakes(id),
        kind TEXT NOT NULL,
        txid TEXT NOT NULL,
        raw_hex TEXT NOT NULL,
        block_hash TEXT,
        confirmations INTEGER NOT NULL DEFAULT -1,
        broadcast_attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        PRIMARY KEY (stake_id, kind)
    );
    CREATE TABLE covenant_sigs (
        stake_id INTEGER NOT NULL REFERENCES stakes(id),
        kind TEXT NOT NULL,
        covenant_pk TEXT NOT NULL,
        fp_pk TEXT NOT NULL DEFAULT '',
        sig TEXT NOT NULL,
        PRIMARY KEY (stake_id, kind, covenant_pk, fp_pk)
    );
    CREATE TABLE transitions (
        stake_id INTEGER NOT NULL REFERENCES stakes(id),
        at TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    """,
    # 2: the Babylon side of a stake (phase-2 registration), see tracker_babylon.py
    """
    CREATE TABLE babylon (
        stake_id INTEGER PRIMARY KEY REFERENCES stakes(id),
        chain_id TEXT NOT NULL,
        flow TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE cosmos_txs (
        stake_id INTEGER NOT NULL REFERENCES stakes(id),
        purpose TEXT NOT NULL,
        txhash TEXT NOT NULL,
        raw_hex TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (stake_id, purpose)
    );
    """,
    # 3: coins locked in the wallet for a request, recorded before they are locked, so a
    # crash never leaves a lock nobody can find (pid: the process that took it).
    """
    CREATE TABLE wallet_locks (
        outpoint TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        pid INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
]

TX_KINDS = ("staking", "unbonding", "slashing", "unbonding_slashing", "withdrawal")
SIG_KINDS = ("unbonding", "slashing", "unbonding_slashing")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, kw_only=True)
class NewStake:
    """A stake about to be recorded: everything needed to rebuild the scripts of every spend."""

    fingerprint: str
    network: str
    params_version: int
    staker_pk: str
    fp_pks: tuple[str, ...]
    covenant_pks: tuple[str, ...]
    covenant_quorum: int
    staking_time: int
    unbonding_time: int
    unbonding_fee: int
    value: int
    staking_vout: int
    start_height: int
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Stake(NewStake):
    """One row of ``stakes``: the recorded stake, its staking txid and where it stands."""

    id: int
    staking_txid: str
    state: State
    confirmations: int


@dataclass(frozen=True)
class StoredTx:
    kind: str
    txid: str
    raw_hex: str
    block_hash: str | None
    confirmations: int
    broadcast_attempts: int


class Tracker(BabylonRecords):
    """The stake store. Every public method is one SQLite transaction."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        # An absent file stays absent until the first write: reads see an empty in-memory
        # store, so a command rejected before recording anything leaves no stakes.db behind.
        self._on_disk = db_path.exists()
        self._db = self._open(db_path if self._on_disk else None)

    def _open(self, path: Path | None) -> sqlite3.Connection:
        try:
            if path is None:
                db = sqlite3.connect(":memory:", isolation_level=None)
                db.execute("PRAGMA foreign_keys=ON")
            else:
                # synchronous=FULL: an intent must survive a power cut
                db = connect(path, "synchronous=FULL", "foreign_keys=ON")
            db.row_factory = sqlite3.Row
            self._migrate(db)
            return db
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the stake database: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _to_disk(self) -> None:
        self._db.close()
        self._db = self._open(self.path)
        self._on_disk = True

    @property
    def _rdb(self) -> sqlite3.Connection:
        """The connection for reads."""
        if not self._on_disk and self.path.exists():  # another process created it meanwhile
            self._to_disk()
        return self._db

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        if not self._on_disk:  # first write: create the file now (the in-memory one is empty)
            self._to_disk()
        return transaction(self._db, self.path)

    def _migrate(self, db: sqlite3.Connection) -> None:
        with transaction(db, self.path) as conn:
            stored = read_schema_version(conn)
            current = stored or 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {current} is newer than this l2kit "
                    f"({SCHEMA_VERSION}); upgrade l2kit"
                )
            for script in _MIGRATIONS[current:]:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            write_schema_version(conn, stored, SCHEMA_VERSION)

    def schema_version(self) -> int:
        row = self._rdb.execute("SELECT version FROM schema_version").fetchone()
        return int(row["version"])

    # --- stakes ---------------------------------------------------------------------------------

    def add_stake(
        self,
        new: NewStake,
        staking_txid: str,
        staking_raw_hex: str,
        sigs: dict[str, dict[tuple[str, str], str]] | None = None,
        state: State = State.CREATED,
    ) -> Stake:
        """Record a signed staking tx (state CREATED, or REGISTRATION_PENDING for a stake held
        back until its Babylon registration is verified) and the covenant signatures obtained
        for it, in one DB transaction, before it is broadcast."""
        now = _now()
        with self._tx() as db:
            cur = db.execute(
                """INSERT INTO stakes (fingerprint, staking_txid, state, network, params_version,
                   staker_pk, fp_pks, covenant_pks, covenant_quorum, staking_time, unbonding_time,
                   unbonding_fee, value, staking_vout, start_height, extra, created_at, updated_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    new.fingerprint,
                    staking_txid,
                    state.value,
                    new.network,
                    new.params_version,
                    new.staker_pk,
                    json.dumps(list(new.fp_pks)),
                    json.dumps(list(new.covenant_pks)),
                    new.covenant_quorum,
                    new.staking_time,
                    new.unbonding_time,
                    new.unbonding_fee,
                    new.value,
                    new.staking_vout,
                    new.start_height,
                    json.dumps(new.extra),
                    now,
                    now,
                ),
            )
            stake_id = int(cur.lastrowid or 0)
            db.execute(
                "INSERT INTO txs (stake_id, kind, txid, raw_hex, created_at) VALUES (?,?,?,?,?)",
                (stake_id, "staking", staking_txid, staking_raw_hex, now),
            )
            for kind, by_key in (sigs or {}).items():
                if kind not in SIG_KINDS:
                    raise StoreError(f"unknown signature kind {kind!r}")
                for (cov, fp), sig in by_key.items():
                    db.execute(
                        "INSERT INTO covenant_sigs VALUES (?,?,?,?,?)",
                        (stake_id, kind, cov, fp, sig),
                    )
        return self.get(stake_id)

    @staticmethod
    def _row_to_stake(row: sqlite3.Row) -> Stake:
        return Stake(
            id=row["id"],
            fingerprint=row["fingerprint"],
            staking_txid=row["staking_txid"],
            state=State(row["state"]),
            confirmations=row["confirmations"],
            network=row["network"],
            params_version=row["params_version"],
            staker_pk=row["staker_pk"],
            fp_pks=tuple(json.loads(row["fp_pks"])),
            covenant_pks=tuple(json.loads(row["covenant_pks"])),
            covenant_quorum=row["covenant_quorum"],
            staking_time=row["staking_time"],
            unbonding_time=row["unbonding_time"],
            unbonding_fee=row["unbonding_fee"],
            value=row["value"],
            staking_vout=row["staking_vout"],
            start_height=row["start_height"],
            extra=json.loads(row["extra"]),
        )

    def get(self, stake_id: int) -> Stake:
        row = self._rdb.execute("SELECT * FROM stakes WHERE id = ?", (stake_id,)).fetchone()
        if row is None:
            raise StoreError(f"no stake with id {stake_id}")
        return self._row_to_stake(row)

    def find(self, staking_txid: str) -> Stake | None:
        row = self._rdb.execute(
            "SELECT * FROM stakes WHERE staking_txid = ?", (staking_txid.lower(),)
        ).fetchone()
        return self._row_to_stake(row) if row else None

    def find_by_fingerprint(self, fingerprint: str) -> Stake | None:
        row = self._rdb.execute(
            "SELECT * FROM stakes WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return self._row_to_stake(row) if row else None

    def all(self) -> list[Stake]:
        rows = self._rdb.execute("SELECT * FROM stakes ORDER BY id").fetchall()
        return [self._row_to_stake(r) for r in rows]

    def abandon_fingerprint(self, stake_id: int) -> None:
        """Free an abandoned stake's request fingerprint: the same request may be made again."""
        with self._tx() as db:
            db.execute(
                "UPDATE stakes SET fingerprint = fingerprint || '#abandoned:' || staking_txid "
                "WHERE id = ? AND fingerprint NOT LIKE '%#abandoned:%'",
                (stake_id,),
            )

    # --- wallet locks ---------------------------------------------------------------------------

    def add_locks(self, fingerprint: str, outpoints: Sequence[str], pid: int) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO wallet_locks VALUES (?, ?, ?, ?)",
                [(op, fingerprint, pid, _now()) for op in outpoints],
            )

    def locks(self) -> dict[str, tuple[list[str], set[int]]]:
        """fingerprint -> (outpoints, pids that took them)."""
        out: dict[str, tuple[list[str], set[int]]] = {}
        for row in self._rdb.execute("SELECT * FROM wallet_locks ORDER BY outpoint"):
            ops, pids = out.setdefault(row["fingerprint"], ([], set()))
            ops.append(row["outpoint"])
            pids.add(int(row["pid"]))
        return out

    def drop_locks(self, fingerprint: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM wallet_locks WHERE fingerprint = ?", (fingerprint,))

    # --- state machine --------------------------------------------------------------------------

    def transition(self, stake_id: int, to: State, reason: str, confirmations: int) -> Stake:
        """Move to ``to`` by one allowed edge; raises ``StoreError`` for any other move."""
        with self._tx() as db:
            cur = State(
                db.execute("SELECT state FROM stakes WHERE id=?", (stake_id,)).fetchone()[0]
            )
            if cur != to and not allowed(cur, to):
                raise StoreError(f"stake {stake_id}: transition {cur} -> {to} is not allowed")
            self._set_state(db, stake_id, cur, to, reason, confirmations)
        return self.get(stake_id)

    def move_to(self, stake_id: int, to: State, reason: str, confirmations: int) -> Stake:
        """Walk the shortest allowed path to ``to`` in one DB transaction, recording each step
        (used by sync: a tracker that was down may have missed several steps)."""
        with self._tx() as db:
            cur = State(
                db.execute("SELECT state FROM stakes WHERE id=?", (stake_id,)).fetchone()[0]
            )
            steps = path(cur, to)
            for step in steps:
                self._set_state(db, stake_id, cur, step, reason, confirmations)
                cur = step
            if not steps:
                db.execute(
                    "UPDATE stakes SET confirmations=? WHERE id=?", (confirmations, stake_id)
                )
        return self.get(stake_id)

    @staticmethod
    def _set_state(
        db: sqlite3.Connection, stake_id: int, cur: State, to: State, reason: str, confs: int
    ) -> None:
        now = _now()
        db.execute(
            "UPDATE stakes SET state=?, confirmations=?, updated_at=? WHERE id=?",
            (to.value, confs, now, stake_id),
        )
        if cur != to:
            db.execute(
                "INSERT INTO transitions VALUES (?,?,?,?,?)",
                (stake_id, now, cur.value, to.value, reason),
            )

    def history(self, stake_id: int) -> list[tuple[State, State, str]]:
        rows = self._rdb.execute(
            "SELECT from_state, to_state, reason FROM transitions WHERE stake_id=? ORDER BY rowid",
            (stake_id,),
        ).fetchall()
        return [(State(r[0]), State(r[1]), r[2]) for r in rows]

    # --- transactions ---------------------------------------------------------------------------

    def put_tx(self, stake_id: int, kind: str, txid: str, raw_hex: str) -> None:
        """Record the intent to send ``raw_hex`` (call BEFORE broadcasting). Replacing a kind is
        allowed only while the old one was never seen by the node."""
        if kind not in TX_KINDS:
            raise StoreError(f"unknown transaction kind {kind!r}")
        with self._tx() as db:
            old = db.execute(
                "SELECT txid, confirmations FROM txs WHERE stake_id=? AND kind=?", (stake_id, kind)
            ).fetchone()
            if old is not None and old["txid"] != txid and old["confirmations"] >= 0:
                raise StoreError(
                    f"stake {stake_id}: a {kind} tx {old['txid']} is already on the node"
                )
            db.execute(
                """INSERT INTO txs (stake_id, kind, txid, raw_hex, created_at) VALUES (?,?,?,?,?)
                   ON CONFLICT (stake_id, kind) DO UPDATE SET txid=excluded.txid,
                   raw_hex=excluded.raw_hex, block_hash=NULL, confirmations=-1""",
                (stake_id, kind, txid, raw_hex, _now()),
            )

    def txs(self, stake_id: int) -> dict[str, StoredTx]:
        rows = self._rdb.execute(
            "SELECT kind, txid, raw_hex, block_hash, confirmations, broadcast_attempts "
            "FROM txs WHERE stake_id=?",
            (stake_id,),
        ).fetchall()
        return {r["kind"]: StoredTx(*tuple(r)) for r in rows}

    def note_seen(
        self, stake_id: int, kind: str, confirmations: int, block_hash: str | None
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE txs SET confirmations=?, block_hash=? WHERE stake_id=? AND kind=?",
                (confirmations, block_hash, stake_id, kind),
            )

    def note_broadcast_attempt(self, stake_id: int, kind: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE txs SET broadcast_attempts = broadcast_attempts + 1 "
                "WHERE stake_id=? AND kind=?",
                (stake_id, kind),
            )

    # --- covenant signatures (public) -----------------------------------------------------------

    def put_sigs(self, stake_id: int, kind: str, sigs: dict[tuple[str, str], str]) -> None:
        """``sigs`` maps (covenant_pk, fp_pk or '') to a hex signature / adaptor signature."""
        if kind not in SIG_KINDS:
            raise StoreError(f"unknown signature kind {kind!r}")
        with self._tx() as db:
            for (cov, fp), sig in sigs.items():
                db.execute(
                    "INSERT OR REPLACE INTO covenant_sigs VALUES (?,?,?,?,?)",
                    (stake_id, kind, cov, fp, sig),
                )

    def sigs(self, stake_id: int, kind: str) -> dict[tuple[str, str], str]:
        rows = self._rdb.execute(
            "SELECT covenant_pk, fp_pk, sig FROM covenant_sigs WHERE stake_id=? AND kind=?",
            (stake_id, kind),
        ).fetchall()
        return {(r[0], r[1]): r[2] for r in rows}
