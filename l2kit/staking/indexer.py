"""The staking indexer's store and block loop: SQLite (WAL) + the pure rules of
``index_rules.py``.

Each block is applied in ONE SQLite transaction together with its (height, hash) row, so the
stored tip is always a block whose effects are fully recorded. On a reorg (the node's hash at a
stored height differs) every row at or above the fork height is rolled back and the new branch
is indexed.

Blocks are processed only once they have ``confirmation_depth`` confirmations (the inclusion
block counts as 1), as the staking-indexer does.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from l2kit import log
from l2kit.btc.block import Block, parse_block, prevout_key
from l2kit.btc.network import Network
from l2kit.btc.rpc_protocol import Rpc
from l2kit.errors import RpcError, StoreError
from l2kit.staking.db import connect, read_schema_version, transaction, write_schema_version
from l2kit.staking.identifiable import V0_OP_RETURN_SIZE, v0_op_return_head
from l2kit.staking.index_rules import BlockResult, Outpoint, Tracked, classify_txs
from l2kit.staking.params import ParamsSet, StakingParams

_log = log.get(__name__)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, hash TEXT NOT NULL,
    tvl INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stakes (txid TEXT PRIMARY KEY, height INTEGER NOT NULL,
    tx_index INTEGER NOT NULL, vout INTEGER NOT NULL, value INTEGER NOT NULL,
    staker_pk TEXT NOT NULL, fp_pk TEXT NOT NULL, staking_time INTEGER NOT NULL,
    params_version INTEGER NOT NULL, status TEXT NOT NULL,
    unbonding_txid TEXT, unbonding_height INTEGER, unbonding_value INTEGER,
    withdrawal_txid TEXT, withdrawal_height INTEGER);
CREATE INDEX IF NOT EXISTS stakes_height ON stakes(height);
CREATE TABLE IF NOT EXISTS invalid (txid TEXT PRIMARY KEY, height INTEGER NOT NULL,
    reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (spending_txid TEXT NOT NULL, staking_txid TEXT NOT NULL,
    height INTEGER NOT NULL, from_output TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (spending_txid, staking_txid))
"""


_HASHES_PER_BATCH = 100  # getblockhash answers fetched in one request while catching up


@dataclass(frozen=True)
class Stats:
    height: int  # last indexed height (-1: none)
    tip_hash: str | None
    stakes_active: int
    stakes_overflow: int
    stakes_unbonded: int
    stakes_withdrawn: int
    invalid: int
    alarms: int
    active_tvl_sat: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class IndexStore:
    def __init__(self, db_path: Path, *, create: bool = True) -> None:
        """``create=False`` (read-only commands): an absent file reads as an empty index and
        is not created."""
        self.path = db_path
        try:
            if create or db_path.exists():
                # synchronous=NORMAL (WAL): a power cut may lose the last blocks' commits but
                # never half a block (tip and effects commit together), and a lost block is
                # simply indexed again from the node; FULL would fsync every block
                self._db = connect(db_path, "synchronous=NORMAL")
            else:
                self._db = sqlite3.connect(":memory:", isolation_level=None)
            with self._tx() as db:
                for statement in _SCHEMA.split(";"):
                    db.execute(statement)
                stored = read_schema_version(db)
                if stored is None:
                    write_schema_version(db, stored, SCHEMA_VERSION)
                elif stored > SCHEMA_VERSION:
                    raise StoreError(f"{db_path}: index schema {stored} is newer than l2kit's")
        except sqlite3.Error as exc:
            raise StoreError(f"{db_path}: cannot open the index database: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self.path)

    # --- reads ----------------------------------------------------------------------------------

    def first_height(self) -> int | None:
        """The height indexing started at (fixed by the first ``Indexer`` on this DB)."""
        row = self._db.execute("SELECT value FROM meta WHERE key='start_height'").fetchone()
        return int(row[0]) if row else None

    def set_first_height(self, height: int) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('start_height', ?)", (str(height),))

    def tip(self) -> tuple[int, str] | None:
        row = self._db.execute(
            "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def hash_at(self, height: int) -> str | None:
        row = self._db.execute("SELECT hash FROM blocks WHERE height=?", (height,)).fetchone()
        return str(row[0]) if row else None

    def tvl(self) -> int:
        row = self._db.execute("SELECT tvl FROM blocks ORDER BY height DESC LIMIT 1").fetchone()
        return int(row[0]) if row else 0

    def tracked(self) -> dict[Outpoint, Tracked]:
        """Unspent staking outputs and unspent unbonding outputs."""
        out: dict[Outpoint, Tracked] = {}
        rows = self._db.execute(
            "SELECT txid, vout, value, staker_pk, fp_pk, staking_time, params_version, status,"
            " unbonding_txid, unbonding_value, withdrawal_txid FROM stakes"
            " WHERE withdrawal_txid IS NULL"
        ).fetchall()
        for txid, vout, value, staker, fp, stime, ver, status, unb, unb_value, _ in rows:
            active = status == "active"
            if unb is None:
                out[prevout_key(txid, vout)] = Tracked(
                    txid, "staking", staker, fp, stime, value, ver, active
                )
            else:
                out[prevout_key(unb, 0)] = Tracked(
                    txid, "unbonding", staker, fp, stime, unb_value, ver, active
                )
        return out

    def stakes(self) -> list[dict[str, object]]:
        cur = self._db.execute("SELECT * FROM stakes ORDER BY height, tx_index")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def invalid(self) -> list[dict[str, object]]:
        rows = self._db.execute("SELECT txid, height, reason FROM invalid ORDER BY height")
        return [{"txid": t, "height": h, "reason": r} for t, h, r in rows.fetchall()]

    def alarms(self) -> list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT spending_txid, staking_txid, height, from_output, reason FROM alarms"
            " ORDER BY height"
        )
        keys = ("spending_txid", "staking_txid", "height", "from_output", "reason")
        return [dict(zip(keys, r, strict=True)) for r in rows.fetchall()]

    def stats(self) -> Stats:
        tip = self.tip()

        def count(where: str) -> int:
            return int(self._db.execute(f"SELECT count(*) FROM stakes WHERE {where}").fetchone()[0])

        return Stats(
            height=tip[0] if tip else -1,
            tip_hash=tip[1] if tip else None,
            stakes_active=count(
                "status='active' AND unbonding_txid IS NULL AND withdrawal_txid IS NULL"
            ),
            stakes_overflow=count("status='overflow'"),
            stakes_unbonded=count("unbonding_txid IS NOT NULL"),
            stakes_withdrawn=count("withdrawal_txid IS NOT NULL"),
            invalid=int(self._db.execute("SELECT count(*) FROM invalid").fetchone()[0]),
            alarms=int(self._db.execute("SELECT count(*) FROM alarms").fetchone()[0]),
            active_tvl_sat=self.tvl(),
        )

    # --- writes ---------------------------------------------------------------------------------

    def apply(self, height: int, block_hash: str, result: BlockResult) -> None:
        with self._tx() as db:
            for s in result.stakes:
                db.execute(
                    "INSERT OR REPLACE INTO stakes (txid, height, tx_index, vout, value, staker_pk,"
                    " fp_pk, staking_time, params_version, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        s.txid,
                        height,
                        s.tx_index,
                        s.vout,
                        s.value,
                        s.staker_pk,
                        s.fp_pk,
                        s.staking_time,
                        s.params_version,
                        s.status,
                    ),
                )
            for txid, reason in result.invalid:
                db.execute("INSERT OR REPLACE INTO invalid VALUES (?,?,?)", (txid, height, reason))
            for sp in result.spends:
                if sp.kind == "unbonding":
                    db.execute(
                        "UPDATE stakes SET unbonding_txid=?, unbonding_height=?,"
                        " unbonding_value=? WHERE txid=?",
                        (sp.spending_txid, height, sp.value, sp.staking_txid),
                    )
                elif sp.kind == "withdrawal":
                    db.execute(
                        "UPDATE stakes SET withdrawal_txid=?, withdrawal_height=? WHERE txid=?",
                        (sp.spending_txid, height, sp.staking_txid),
                    )
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO alarms VALUES (?,?,?,?,?)",
                        (sp.spending_txid, sp.staking_txid, height, sp.from_output, sp.reason),
                    )
                    # the output is gone either way: stop tracking it
                    db.execute(
                        "UPDATE stakes SET withdrawal_txid=?, withdrawal_height=? WHERE txid=?",
                        (sp.spending_txid, height, sp.staking_txid),
                    )
            db.execute(
                "INSERT OR REPLACE INTO blocks VALUES (?,?,?)",
                (height, block_hash, result.tvl_after),
            )

    def rollback(self, from_height: int) -> None:
        """Forget everything at or above ``from_height`` (reorg)."""
        with self._tx() as db:
            db.execute("DELETE FROM stakes WHERE height >= ?", (from_height,))
            db.execute("DELETE FROM invalid WHERE height >= ?", (from_height,))
            db.execute("DELETE FROM alarms WHERE height >= ?", (from_height,))
            db.execute(
                "UPDATE stakes SET unbonding_txid=NULL, unbonding_height=NULL,"
                " unbonding_value=NULL WHERE unbonding_height >= ?",
                (from_height,),
            )
            db.execute(
                "UPDATE stakes SET withdrawal_txid=NULL, withdrawal_height=NULL"
                " WHERE withdrawal_height >= ?",
                (from_height,),
            )
            db.execute("DELETE FROM blocks WHERE height >= ?", (from_height,))


class Indexer:
    """Drives the store from a node: ``scan`` up to the confirmed tip, handling reorgs."""

    def __init__(
        self, store: IndexStore, rpc: Rpc, params: ParamsSet, net: Network, start_height: int
    ) -> None:
        self.store, self.rpc, self.params, self.net = store, rpc, params, net
        store.set_first_height(start_height)
        self.start_height = store.first_height() or 0
        self._tracked: dict[Outpoint, Tracked] | None = None
        self._watched: Counter[bytes] = Counter()  # txids of the tracked outpoints

    def _params_at(self, height: int) -> StakingParams:
        p: StakingParams = self.params.for_height(height)
        return p

    def _by_version(self, version: int) -> StakingParams:
        p: StakingParams = self.params.by_version(version)
        return p

    def confirmed_tip(self) -> int:
        """Highest height with ``confirmation_depth`` confirmations.

        Ambiguity: staking-indexer takes the depth of ``versions[0]`` for every block; we take
        the version in force at the tip. They differ only if versions change the depth (no
        published network does)."""
        tip = int(self.rpc.call("getblockcount"))
        depth = self._params_at(max(tip, 0)).confirmation_depth or 1
        return tip - depth + 1

    def _fork_height(self) -> int | None:
        """Lowest stored height whose hash the node no longer has there (None: no reorg)."""
        stored = self.store.tip()
        if stored is None:
            return None
        height = stored[0]
        fork: int | None = None
        while height >= self.start_height:
            ours = self.store.hash_at(height)
            if ours is None:
                break
            try:
                theirs = str(self.rpc.call("getblockhash", height))
            except RpcError:  # height above the node's tip after a reorg
                theirs = ""
            if theirs == ours:
                break
            fork = height
            height -= 1
        return fork

    def process(self, height: int, block: Block) -> BlockResult:
        if self._tracked is None:
            self._tracked = self.store.tracked()
            self._watched = Counter(txid for txid, _ in self._tracked)
        params = self._params_at(height)
        # only txs with a tagged V0 OP_RETURN or spending a tracked txid are parsed in full
        txs = block.select(v0_op_return_head(params), V0_OP_RETURN_SIZE, self._watched)
        result, changes = classify_txs(
            height, txs, self._tracked, self.store.tvl(), params, self._by_version, self.net
        )
        self.store.apply(height, block.hash, result)
        for op, tracked in changes.items():
            if tracked is None:
                if self._tracked.pop(op, None) is not None:
                    self._watched[op[0]] -= 1
                    if not self._watched[op[0]]:
                        del self._watched[op[0]]
            else:
                if op not in self._tracked:
                    self._watched[op[0]] += 1
                self._tracked[op] = tracked
        return result

    def scan(
        self, until: int | None = None, on_block: Callable[[int, BlockResult], None] | None = None
    ) -> int:
        """Index every confirmed block not yet indexed; returns the number of blocks applied."""
        fork = self._fork_height()
        if fork is not None:
            _log.warning("reorg: rolling back", from_height=fork)
            self.store.rollback(fork)
            self._tracked = None
        last = self.confirmed_tip() if until is None else min(until, self.confirmed_tip())
        stored = self.store.tip()
        height = stored[0] + 1 if stored else self.start_height
        done = 0
        hashes: list[str] = []
        while height <= last:
            if not hashes:  # one request for the next heights' hashes, not one per block
                upto = min(last, height + _HASHES_PER_BATCH - 1)
                calls = [("getblockhash", [h]) for h in range(height, upto + 1)]
                hashes = [str(h) for h in self.rpc.batch(calls)][::-1]
            block_hash = hashes.pop()
            block = parse_block(bytes.fromhex(self.rpc.call("getblock", block_hash, 0)))
            prev = self.store.hash_at(height - 1)
            if prev is not None and prev != block.prev_hash:
                # the chain moved under us between calls: roll back and start over
                return done + self.scan(until, on_block)
            result = self.process(height, block)
            if on_block is not None:
                on_block(height, result)
            done += 1
            height += 1
        return done
