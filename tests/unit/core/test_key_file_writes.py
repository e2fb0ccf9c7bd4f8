"""Key files: mode 0600 before the secret is written, and never replacing an existing key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from support.cli import click_invoke

from l2kit.fsutil import write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_never_lands_in_a_wider_mode_file(tmp_path: Path) -> None:
    path = tmp_path / "staker.key"
    stale = tmp_path / f".{path.name}.{os.getpid()}.tmp"  # left by a crashed earlier run
    stale.write_text("junk")
    stale.chmod(0o644)
    write_atomic(path, "secret\n", mode=0o600)
    assert path.read_text() == "secret\n"
    assert _mode(path) == 0o600
    assert not stale.exists()


def test_exclusive_write_keeps_an_existing_key(tmp_path: Path) -> None:
    path = tmp_path / "staker.key"
    write_atomic(path, "first\n", mode=0o600, exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(path, "second\n", mode=0o600, exclusive=True)
    assert path.read_text() == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["staker.key"]  # no temp file left


def test_withdraw_refuses_a_fee_rate_above_the_cap_before_anything(tmp_path: Path) -> None:

    from l2kit.errors import InputError

    key = tmp_path / "staker.key"
    key.write_text("11" * 32 + "\n")
    result = click_invoke(
        [
            "stake",
            "withdraw",
            "ab" * 32,
            "--staker-key-file",
            str(key),
            "--fee-rate",
            "500",
            "--datadir",
            str(tmp_path / "no-node"),
        ]
    )
    assert isinstance(result.exception, InputError), result.output
    assert result.exception.field == "fee-rate"
    assert not (tmp_path / "no-node").exists()
