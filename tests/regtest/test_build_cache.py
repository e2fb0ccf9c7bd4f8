"""A complete bitcoind install is never rebuilt: the script and install() return "cached"."""

from __future__ import annotations

import json
import subprocess

import pytest
from support.cli import run_process

from l2kit import resources
from l2kit.errors import L2kitError
from l2kit.regtest import build

pytestmark = pytest.mark.regtest


@pytest.fixture
def complete_install() -> build.Install:
    try:
        bitcoind = build.find_bitcoind(None)
    except L2kitError as exc:  # the fixture must fail, not skip
        pytest.fail(f"needs the built bitcoind: {exc}", pytrace=False)
    if bitcoind.parent != build.cached_bin_dir():
        pytest.fail(f"expected the cached install, found {bitcoind}", pytrace=False)
    return build.Install(bitcoind.parent, bitcoind, bitcoind.parent / "bitcoin-cli", True)


def test_install_does_not_rebuild(complete_install: build.Install) -> None:
    stamp = complete_install.bin_dir.parent / ".complete"
    before = (complete_install.bitcoind.stat().st_mtime_ns, stamp.stat().st_mtime_ns)
    result = build.install(progress=False)
    assert result.cached is True
    assert result.bitcoind == complete_install.bitcoind
    assert result.bitcoin_cli.is_file()
    after = (complete_install.bitcoind.stat().st_mtime_ns, stamp.stat().st_mtime_ns)
    assert after == before


def test_script_reports_cached(complete_install: build.Install) -> None:
    before = complete_install.bitcoind.stat().st_mtime_ns
    proc = subprocess.run(
        ["bash", str(resources.regtest_dir() / "build-bitcoind.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "cached" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(complete_install.bin_dir)
    assert complete_install.bitcoind.stat().st_mtime_ns == before


def test_cli_install_reports_cached(complete_install: build.Install) -> None:
    proc = run_process("regtest", "install", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["cached"] is True
    assert data["bitcoind"] == str(complete_install.bitcoind)


def test_cached_bitcoind_is_recent_enough(complete_install: build.Install) -> None:
    major, _minor = build.bitcoind_version(complete_install.bitcoind)
    assert major >= build.MIN_MAJOR
    assert build.bitcoin_cli(complete_install.bitcoind) == complete_install.bitcoin_cli
