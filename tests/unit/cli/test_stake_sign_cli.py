"""`l2kit stake sign`: raw and PSBT modes, adaptor signatures, refusals with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_main
from support.keys import seckey

from l2kit.btc import adaptor
from l2kit.btc import psbt as P
from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.btc.sign import schnorr_verify
from l2kit.btc.taproot import tap_leaf_hash
from l2kit.staking import signing
from l2kit.staking.scripts import staking_info
from l2kit.staking.witness import check_witness, signature_slots

STAKER, FP = seckey("cli-staker"), seckey("cli-fp")
COVS = [seckey(f"cli-cov{i}") for i in range(3)]
INFO = staking_info(
    xonly_of(STAKER), [xonly_of(FP)], [xonly_of(k) for k in COVS], 2, 10, 50_000, Network.REGTEST
)
TX = btx.new_tx(
    2, [(btx.OutPoint("cd" * 32, 0), 0xFFFFFFFF)], [(b"\x51\x20" + b"\x02" * 32, 48_000)]
)
PREVOUT = f"{INFO.value}:{bytes(INFO.script_pubkey).hex()}"


def _key(tmp_path: Path, sk: bytes, name: str = "k") -> Path:
    path = tmp_path / name
    path.write_text(sk.hex() + "\n")
    return path


def _sign_args(key_file: Path, leaf: bytes, *extra: str) -> list[str]:
    """``stake sign`` args: TX spending ``leaf`` of INFO, key from ``key_file``, then ``extra``."""
    return [
        "stake",
        "sign",
        btx.serialize(TX).hex(),
        "--key-file",
        str(key_file),
        "--prevout",
        PREVOUT,
        "--leaf",
        leaf.hex(),
        *extra,
    ]


def _control_block(leaf: bytes) -> tuple[str, str]:
    return "--control-block", INFO.control_block(leaf).hex()


def test_raw_sign_staker_and_covenant_adaptor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = INFO.unbonding_script
    code, out, _ = run_main(
        _sign_args(_key(tmp_path, STAKER), leaf, *_control_block(leaf), "--json"),
        capsys,
    )
    assert code == 0
    result = json.loads(out)
    sighash = signing.leaf_sighash(TX, INFO, leaf)
    assert result["sighash"] == sighash.hex() and result["role"] == "staker"
    assert result["leaf_kind"] == "unbonding"
    assert schnorr_verify(INFO.staker, sighash, bytes.fromhex(result["signature"]))
    assert STAKER.hex() not in out

    slashing = INFO.slashing_script
    encrypt_for = ("--encrypt-for", xonly_of(FP).hex())
    code, out, _ = run_main(
        _sign_args(_key(tmp_path, COVS[1]), slashing, *encrypt_for, "--json"), capsys
    )
    assert code == 0
    result = json.loads(out)
    assert result["role"] == "covenant"
    sig = result["adaptor_signatures"][0]
    sighash = signing.leaf_sighash(TX, INFO, slashing)
    enc = adaptor.encryption_key_from_xonly(xonly_of(FP))
    assert adaptor.encrypted_verify(
        xonly_of(COVS[1]), enc, sighash, bytes.fromhex(sig["adaptor_sig"])
    )


def test_psbt_round_trip_to_full_witness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = INFO.unbonding_script
    psbt_file = tmp_path / "ub.psbt"
    staker_args = _sign_args(_key(tmp_path, STAKER), leaf, *_control_block(leaf))
    code, _, _ = run_main([*staker_args, "--psbt-out", str(psbt_file)], capsys)
    assert code == 0
    for i in (0, 2):  # two covenant members sign the same PSBT in turn
        code, out, _ = run_main(
            [
                "stake",
                "sign",
                "--psbt",
                str(psbt_file),
                "--key-file",
                str(_key(tmp_path, COVS[i], f"c{i}")),
                "--psbt-out",
                str(psbt_file),
                "--json",
            ],
            capsys,
        )
        assert code == 0 and json.loads(out)["signed"][0]["role"] == "covenant"
    psbt = P.from_psbt(psbt_file.read_text())
    leaf_hash = tap_leaf_hash(leaf)
    sigs = {k: s for (k, h), s in psbt.inputs[0].tap_script_sigs.items() if h == leaf_hash}
    assert len(sigs) == 3
    stack = [sigs.get(k, b"") for _, k in signature_slots(leaf)] + [leaf, INFO.control_block(leaf)]
    check_witness(stack, signing.leaf_sighash(TX, INFO, leaf), INFO.output, expected_leaf=leaf)
    code, out, _ = run_main(
        ["stake", "sign", "--psbt", str(psbt_file), "--finalize", "--json"], capsys
    )
    assert code == 0
    final = btx.parse(json.loads(out)["tx"])
    assert btx.witness(final, 0) == stack
    assert json.loads(out)["txid"] == btx.txid_hex(TX)


def test_finalize_refuses_too_few(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = INFO.unbonding_script
    psbt_file = tmp_path / "few.psbt"
    staker_args = _sign_args(_key(tmp_path, STAKER), leaf, *_control_block(leaf))
    code, _, _ = run_main([*staker_args, "--psbt-out", str(psbt_file)], capsys)
    assert code == 0
    code, _, err = run_main(["stake", "sign", "--psbt", str(psbt_file), "--finalize"], capsys)
    assert code == 2 and "only 0 covenant signature" in err


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda a: a, "does not appear in this unbonding leaf"),
        (lambda a: [*a[:-1], INFO.control_block(INFO.slashing_script).hex()], "control block"),
        (lambda a: [x if x != PREVOUT else "12:zz" for x in a], "prevout"),
    ],
)
def test_refusals_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate, match: str
) -> None:  # type: ignore[no-untyped-def]
    leaf = INFO.unbonding_script
    args = _sign_args(_key(tmp_path, FP), leaf, *_control_block(leaf))
    code, _, err = run_main(mutate(args), capsys)
    assert code == 2 and match in err


def test_bad_key_file_is_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad"
    bad.write_text("ab" * 31 + "\n")
    code, _, err = run_main(["stake", "sign", "--psbt", "x", "--key-file", str(bad)], capsys)
    assert code == 2 and "key-file" in err and "ab" * 31 not in err
