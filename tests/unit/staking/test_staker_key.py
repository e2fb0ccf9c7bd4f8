"""The staker key file rule: default location, created only when kept, exclusive 0600 write,
another process's key wins, and what is used is what the file holds."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from l2kit.errors import InputError
from l2kit.staking import staker_key


def test_a_key_made_meanwhile_wins_and_no_notice_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "staker.key"
    real_exists = Path.exists

    def racing_exists(self: Path) -> bool:  # another process creates the key after our check
        if self == path and not real_exists(self):
            path.write_text("aa" * 32 + "\n")
            return False
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", racing_exists)
    key = staker_key.load_or_generate(path)
    assert key.new
    notices: list[Path] = []
    assert key.keep(notices.append) == bytes.fromhex("aa" * 32)
    assert path.read_text() == "aa" * 32 + "\n"
    assert notices == []


def test_a_new_key_is_written_0600_only_when_kept(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "staker.key"
    key = staker_key.load_or_generate(path)
    assert key.new and key.path == path
    assert not path.parent.exists()  # generating writes nothing
    notices: list[Path] = []
    assert key.keep(notices.append) == key.seckey
    assert notices == [path]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == key.seckey.hex() + "\n"
    again = staker_key.load_or_generate(path)
    assert not again.new and again.seckey == key.seckey
    assert again.keep(notices.append) == key.seckey and notices == [path]


def test_the_default_location_is_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("L2KIT_DATA_DIR", str(tmp_path))
    key = staker_key.load_or_generate(None)
    assert key.path == tmp_path / "staker.key"
    with pytest.raises(InputError) as err:  # reading never creates a key
        staker_key.read(None)
    assert err.value.field == "staker-key-file"
    assert not (tmp_path / "staker.key").exists()
    key.keep(lambda _: None)
    assert staker_key.read(None) == key.seckey
