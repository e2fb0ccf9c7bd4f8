"""find_bitcoind's search order and install()'s error mapping, with stand-in executables."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from l2kit import resources
from l2kit.errors import BuildError, InputError
from l2kit.regtest import build


def fake_bitcoind(path: Path, version: str = "v29.0.0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho 'Bitcoin Core daemon version {version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No bitcoind anywhere: empty PATH dir, empty cache, no $L2KIT_BITCOIND."""
    monkeypatch.delenv("L2KIT_BITCOIND", raising=False)
    monkeypatch.setenv("L2KIT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "path").mkdir()
    monkeypatch.setenv("PATH", f"{tmp_path / 'path'}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return tmp_path


def test_core_version_matches_the_script() -> None:
    script = (resources.regtest_dir() / "build-bitcoind.sh").read_text()
    sdist = re.search(r'^SDIST_VERSION="([^"]+)"', script, re.M)
    assert sdist is not None
    assert build.CORE_VERSION.endswith(f"-pbk{sdist.group(1)}")
    assert 'CORE_VERSION="31.99.0-pbk${SDIST_VERSION}"' in script


def test_nothing_found_says_how_to_build(isolated: Path) -> None:
    with pytest.raises(BuildError, match="l2kit regtest install"):
        build.find_bitcoind(None)


def test_explicit_then_env(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = fake_bitcoind(isolated / "x" / "bitcoind")
    env = fake_bitcoind(isolated / "e" / "bitcoind")
    monkeypatch.setenv("L2KIT_BITCOIND", str(env))
    assert build.find_bitcoind(explicit) == explicit.resolve()
    assert build.find_bitcoind(None) == env.resolve()


def test_bad_explicit_path_is_input_error(isolated: Path) -> None:
    with pytest.raises(InputError) as info:
        build.find_bitcoind(isolated / "missing")
    assert info.value.field == "--bitcoind"
    plain = isolated / "plain"
    plain.write_text("not executable")
    with pytest.raises(InputError):
        build.find_bitcoind(plain)


def test_path_needs_version_28(isolated: Path) -> None:
    fake_bitcoind(isolated / "path" / "bitcoind", "v27.1.0")
    with pytest.raises(BuildError):
        build.find_bitcoind(None)
    fake_bitcoind(isolated / "path" / "bitcoind", "v28.0.0")
    assert build.find_bitcoind(None) == (isolated / "path" / "bitcoind").resolve()


def test_cache_used_only_when_complete(isolated: Path) -> None:
    bin_dir = build.cached_bin_dir()
    assert str(bin_dir).startswith(str(isolated / "cache"))
    fake_bitcoind(bin_dir / "bitcoind")
    fake_bitcoind(bin_dir / "bitcoin-cli")
    with pytest.raises(BuildError):
        build.find_bitcoind(None)  # no .complete stamp: a half-finished build
    (bin_dir.parent / ".complete").touch()
    assert build.find_bitcoind(None) == bin_dir / "bitcoind"
    assert build.bitcoin_cli(bin_dir / "bitcoind") == bin_dir / "bitcoin-cli"


def test_bitcoin_cli_missing(isolated: Path) -> None:
    lone = fake_bitcoind(isolated / "lone" / "bitcoind")
    with pytest.raises(BuildError, match="bitcoin-cli"):
        build.bitcoin_cli(lone)


def test_unreadable_version(isolated: Path) -> None:
    weird = fake_bitcoind(isolated / "w" / "bitcoind", "unknown")
    with pytest.raises(BuildError, match="unrecognised"):
        build.bitcoind_version(weird)


def test_failed_build_maps_to_build_error_with_tail(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = isolated / "regtest"
    scripts.mkdir()
    (scripts / "build-bitcoind.sh").write_text(
        'for i in $(seq 1 50); do echo "[bitcoind-build] line $i" >&2; done\n'
        "echo 'error: cmake configure failed' >&2\nexit 5\n"
    )
    monkeypatch.setattr(resources, "regtest_dir", lambda: scripts)
    with pytest.raises(BuildError) as info:
        build.install(progress=True)
    message = str(info.value)
    assert "exit 5" in message and "cmake configure failed" in message
    assert "line 50" in message and "line 1\n" not in message  # only the tail
    assert "line 1" in capsys.readouterr().err  # progress was streamed


def test_real_script_rejects_a_tampered_download(isolated: Path) -> None:
    # The shipped script, up to its checksum step: a wrong tarball is refused and removed.
    dl = isolated / "cache" / "build" / build.CORE_VERSION / "dl"
    dl.mkdir(parents=True)
    tarball = dl / "py_bitcoinkernel-0.1.0a5.tar.gz"
    tarball.write_bytes(b"not the sdist")
    with pytest.raises(BuildError) as info:
        build.install(progress=False)
    assert "exit 4" in str(info.value) and "sha256 mismatch" in str(info.value)
    assert not tarball.exists()
