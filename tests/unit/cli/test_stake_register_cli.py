"""`stake register` input errors that need no node: one line, exit 2, no node contacted, no
key or DB written (the node-backed contract is in tests/regtest/test_register_offline.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import CliResult, run_main

from l2kit.babylon.address import BabylonAddress
from l2kit.btc.keys import xonly_of
from l2kit.cli import main

BBN = BabylonAddress.from_account(b"\x11" * 20).text
FP = xonly_of(b"\x07" * 32).hex()


def _run(capsys: pytest.CaptureFixture[str], tmp: Path, *extra: str) -> CliResult:
    argv = [
        "stake",
        "register",
        "--datadir",
        str(tmp / "no-node"),
        "--db",
        str(tmp / "s.db"),
        "--staker-key-file",
        str(tmp / "k"),
        "--fp",
        FP,
        "--amount",
        "100000",
        "--time",
        "30",
        "--babylon-address",
        BBN,
        "--params",
        str(tmp / "p.json"),
        "--json",
        *extra,
    ]
    return run_main(argv, capsys)


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ((), "error: babylon-rest: needed to register online (or --offline"),
        (("--babylon-rest", "http://127.0.0.1:9"), "error: babylon-key-file: needed"),
        (("--offline", "--babylon-address", BBN[:-2] + "qq"), "error: babylon-address: "),
        (
            ("--offline", "--babylon-address", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
            "error: babylon-address: prefix 'bc' is not 'bbn'",
        ),
        (("--offline", "--fp", FP), "error: fp: Babylon accepts exactly one finality provider"),
        (("--offline", "--fp", "zz"), "error: fp[1]: not hex"),
    ],
)
def test_input_errors_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], line: str
) -> None:
    code, out, err = _run(capsys, tmp_path, *extra)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(line), err
    assert not (tmp_path / "k").exists() and not (tmp_path / "s.db").exists()
    assert not (tmp_path / "no-node").exists()


def _pop(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["stake", "pop", "--babylon-address", BBN, "--network", "regtest", "--json", *argv])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.mark.parametrize("kind", ["bip322", "bip340", "ecdsa"])
def test_pop_sign_then_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    key = tmp_path / "k"
    key.write_text("3b" * 32)
    code, out, err = _pop(capsys, "--staker-key-file", str(key), "--type", kind)
    assert code == 0, err
    made = json.loads(out)
    code, out, err = _pop(capsys, "--verify", made["pop_hex"], "--btc-pk", made["btc_pk"])
    assert code == 0 and json.loads(out)["valid"], err
    other = xonly_of(b"\x07" * 32).hex()
    code, out, err = _pop(capsys, "--verify", made["pop_hex"], "--btc-pk", other)
    assert code == 2 and out == "" and err.startswith("error: pop: ")
    assert len(err.strip().splitlines()) == 1


def test_pop_through_a_psbt(capsys: pytest.CaptureFixture[str]) -> None:
    from l2kit.btc import bip322
    from l2kit.btc import tx as btx
    from l2kit.btc.network import Network
    from l2kit.btc.psbt import from_psbt
    from l2kit.staking.funding import key_path_key
    from l2kit.staking.pop import bip322_address

    seckey = b"\x3b" * 32
    address = bip322_address(seckey, Network.REGTEST)
    code, out, err = _pop(capsys, "--psbt-for", address)
    assert code == 0, err
    psbt = from_psbt(json.loads(out)["psbt"])
    witness = bip322.sign_p2tr(key_path_key(seckey).tweaked_secret, BBN.encode())  # the signer
    signed = btx.serialize(btx.set_witness(psbt.tx, 0, witness)).hex()
    code, out, err = _pop(
        capsys, "--from-psbt", signed, "--address", address, "--btc-pk", xonly_of(seckey).hex()
    )
    assert code == 0 and json.loads(out)["pop_type"] == "bip322", err
    code, _, err = _pop(capsys, "--from-psbt", signed, "--address", address)
    assert code == 2 and err.startswith("error: btc-pk: ")


def test_a_new_stake_needs_fp_amount_and_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "stake",
                "register",
                "--datadir",
                str(tmp_path / "no-node"),
                "--babylon-address",
                BBN,
                "--amount",
                "100000",
                "--time",
                "30",
                "--offline",
            ]
        )
    _, err = capsys.readouterr()
    assert exc.value.code == 2
    assert err.strip() == "error: fp: required for a new stake (or --stake TXID)"
