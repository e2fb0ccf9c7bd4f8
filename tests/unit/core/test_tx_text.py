"""One capped reader for a transaction or PSBT on the command line (``-``, a file, or the
value itself), used by `stake sign` and `stake inspect`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.cli import run_process

from l2kit.errors import InputError
from l2kit.inputfiles import TX_MAX_BYTES, tx_text

_TX = "0200000001" + "00" * 36 + "00" + "ffffffff" + "01" + "00" * 8 + "00" + "00000000"


def test_value_file_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert tx_text(f" {_TX}\n", "tx") == _TX
    path = tmp_path / "tx.hex"
    path.write_text(_TX + "\n")
    assert tx_text(str(path), "tx") == _TX
    monkeypatch.setattr("sys.stdin", io.StringIO(_TX + "\n"))
    assert tx_text("-", "tx") == _TX


def test_refusals_name_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="no such file") as err:
        tx_text(str(tmp_path / "missing.psbt"), "psbt")
    assert err.value.field == "psbt"
    big = tmp_path / "big"
    big.write_text("0" * (TX_MAX_BYTES + 1))
    with pytest.raises(InputError, match=f"larger than {TX_MAX_BYTES} bytes"):
        tx_text(str(big), "tx")
    monkeypatch.setattr("sys.stdin", io.StringIO("0" * (TX_MAX_BYTES + 1)))
    with pytest.raises(InputError, match=f"larger than {TX_MAX_BYTES} bytes") as err:
        tx_text("-", "TXHEX")
    assert err.value.field == "TXHEX"


def test_inspect_caps_stdin() -> None:
    out = run_process("stake", "inspect", "-", input="00" * (TX_MAX_BYTES // 2 + 1))
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == f"error: TXHEX: larger than {TX_MAX_BYTES} bytes"


def test_a_long_value_is_no_file_name() -> None:
    long_tx = _TX + "00" * 200  # one path component longer than NAME_MAX
    assert tx_text(long_tx, "tx") == long_tx
