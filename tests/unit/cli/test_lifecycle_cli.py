"""CLI pieces of the lifecycle part that need no node: covenant init/show, funding address,
index stats on an empty DB, bad input exits 2."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from support.cli import run_main

from l2kit.staking.params import load_global_params


def test_covenant_init_show_and_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "cov"
    code, out, _ = run_main(
        [
            "regtest",
            "covenant",
            "init",
            "--members",
            "4",
            "--quorum",
            "3",
            "--dir",
            str(d),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["quorum"] == 3 and len(doc["public_keys"]) == 4
    assert stat.S_IMODE(os.stat(d / "committee.json").st_mode) == 0o600
    secrets = json.loads((d / "committee.json").read_text())["secret_keys"]
    assert len(secrets) == 4 and not any(sk in out for sk in secrets)
    params = load_global_params(d / "params.json").versions[0]
    assert sorted(k.hex() for k in params.covenant_pks) == doc["public_keys"]
    assert params.covenant_quorum == 3 and params.has_slashing

    code, out, _ = run_main(["regtest", "covenant", "show", "--dir", str(d), "--json"], capsys)
    assert code == 0 and json.loads(out)["public_keys"] == doc["public_keys"]

    code, _, err = run_main(["regtest", "covenant", "init", "--dir", str(d)], capsys)
    assert code == 2 and "exists" in err
    code, _, err = run_main(
        [
            "regtest",
            "covenant",
            "init",
            "--members",
            "2",
            "--quorum",
            "3",
            "--dir",
            str(tmp_path / "other"),
        ],
        capsys,
    )
    assert code == 2 and "quorum" in err


def test_funding_address_and_bad_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k"
    key.write_text("2a" * 32)
    code, out, _ = run_main(["stake", "funding-address", "--key-file", str(key), "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["address"].startswith("bcrt1p") and doc["descriptor"].startswith("tr(")
    key.write_text("zz" * 32)  # not hex (and not words that error lines use: it is scrubbed)
    code, _, err = run_main(["stake", "funding-address", "--key-file", str(key)], capsys)
    assert code == 2 and "key-file" in err


def test_index_stats_on_empty_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prom = tmp_path / "m.prom"
    code, out, _ = run_main(
        ["index", "stats", "--db", str(tmp_path / "i.db"), "--json", "--textfile", str(prom)],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["height"] == -1
    assert "l2kit_index_active_tvl_sat 0.0" in prom.read_text()
    assert not (tmp_path / "i.db").exists()  # reading an absent index creates nothing
    code, out, _ = run_main(["index", "stakes", "--db", str(tmp_path / "i.db"), "--json"], capsys)
    assert code == 0 and json.loads(out) == [] and not (tmp_path / "i.db").exists()
