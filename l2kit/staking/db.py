"""SQLite plumbing shared by the stake tracker and the indexer store.

Both keep one autocommit connection in WAL mode, run each write as ``BEGIN IMMEDIATE`` …
``COMMIT`` and record their schema in a one-row ``schema_version`` table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from l2kit.errors import StoreError

__all__ = ["connect", "read_schema_version", "transaction", "write_schema_version"]


def connect(path: Path, *pragmas: str) -> sqlite3.Connection:
    """Open (creating its folder) ``path`` in autocommit + WAL mode, then run ``PRAGMA``s.

    Raises ``sqlite3.Error``; callers map it to a ``StoreError`` naming their database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    for pragma in pragmas:
        db.execute(f"PRAGMA {pragma}")
    return db


@contextmanager
def transaction(db: sqlite3.Connection, path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction, rolled back on any exception; SQLite errors → ``StoreError``."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: {exc}") from exc


def read_schema_version(db: sqlite3.Connection) -> int | None:
    """The stored schema version (creating the table), or None for a new database."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else None


def write_schema_version(db: sqlite3.Connection, stored: int | None, version: int) -> None:
    """Record ``version`` (``stored`` as returned by ``read_schema_version``)."""
    if stored is None:
        db.execute("INSERT INTO schema_version VALUES (?)", (version,))
    else:
        db.execute("UPDATE schema_version SET version = ?", (version,))
