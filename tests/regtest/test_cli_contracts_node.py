"""CLI contracts against a real node: human `stake status` never prints None, `--watch` shows
progress on stderr, bad input is one `error:` line with exit 2 and leaves the DB unchanged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from support.cli import run_process
from support.lifecycle_helpers import Env


def _db_dump(path: Path) -> list[Any]:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [(t, sorted(con.execute(f"SELECT * FROM {t}").fetchall())) for t in sorted(tables)]
    finally:
        con.close()


def _one_error(result: Any, *needles: str) -> None:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(n in lines[0] for n in needles), result.stderr


def test_status_human_watch_and_bad_input(env: Env) -> None:
    created = env.cli(
        "create", "--fp", env.fp.hex(), "--amount", "100000", "--time", "10", "--json"
    )
    assert created.returncode == 0, created.stderr
    assert "funding, checking and broadcasting the staking tx…" in created.stderr  # progress
    txid = json.loads(created.stdout)["staking_txid"]

    human = env.cli("status", txid)
    assert human.returncode == 0, human.stderr
    assert "None" not in human.stdout
    assert "withdrawable in" in human.stdout and "10 blocks" in human.stdout
    assert "100000 sat" in human.stdout

    # not a terminal: one progress line per change on stderr, the result on stdout
    watched = env.cli("status", txid, "--watch", "--interval", "0.1", "--timeout", "0.3")
    assert watched.returncode == 0, watched.stderr
    assert f"watching {txid[:16]}" in watched.stderr and "BROADCAST" in watched.stderr
    assert "None" not in watched.stderr + watched.stdout

    db = env.data_dir / "stakes.db"
    before = _db_dump(db)
    for argv, needles in [
        (("status", "ab" * 32), ("txid",)),
        (("unbond", "ab" * 32), ("txid",)),
        (("withdraw", txid), ("timelock", "blocks remaining")),
        (("withdraw", txid, "--fee-rate", "nan"), ("--fee-rate", "positive")),
        (("status", txid, "--watch", "--interval", "-1"), ("--interval",)),
        (("create", "--fp", env.fp.hex(), "--amount", "5", "--time", "10"), ("staking_value",)),
    ]:
        result = env.cli(*argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert "Traceback" not in result.stderr
        _one_error(result, *needles)
        assert _db_dump(db) == before, argv
    # an unknown --wallet is an input error before anything is funded (was bitcoind's -18, exit 1)
    for argv in [
        ("create", "--fp", env.fp.hex(), "--amount", "100000", "--time", "12"),
        ("withdraw", txid),
    ]:
        result = _cli_wallet(env, "no-such-wallet", *argv)
        assert result.returncode == 2, (argv, result.stderr)
        _one_error(result, "wallet", "'no-such-wallet' is not loaded")
        assert _db_dump(db) == before, argv


def _cli_wallet(env: Env, wallet: str, *args: str) -> subprocess.CompletedProcess[str]:
    """env.cli with another --wallet (env.cli appends its own)."""
    return run_process(
        "stake",
        *args,
        "--datadir",
        str(env.node.datadir),
        "--wallet",
        wallet,
        env={"L2KIT_DATA_DIR": str(env.data_dir), "L2KIT_TEST_CRASH_AT": None},
    )


def test_rejected_commands_leave_no_db_on_a_fresh_data_dir(env: Env) -> None:
    db = env.data_dir / "stakes.db"
    assert not db.exists()
    for argv in [
        ("create", "--fp", env.fp.hex(), "--amount", "5", "--time", "10"),
        ("status", "ab" * 32),
        ("unbond", "ab" * 32),
        ("withdraw", "ab" * 32),
    ]:
        result = env.cli(*argv)
        assert result.returncode == 2, (argv, result.stderr)
        _one_error(result)
        assert not db.exists(), argv
    listed = env.cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [] and not db.exists()
