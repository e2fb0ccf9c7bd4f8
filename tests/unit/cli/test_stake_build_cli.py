"""`l2kit stake scripts|address|build-*|inspect` (offline, --json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import click_invoke

from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network, p2tr_address
from l2kit.btc.taproot import verify_control_block
from l2kit.btc.tx import OutPoint, parse, serialize, set_witness
from l2kit.errors import InputError, ParamsError
from l2kit.staking.params import ParamsSet, regtest_params
from l2kit.staking.scripts import staking_info, unbonding_info
from l2kit.staking.transactions import build_unbonding_tx

STAKER, FP, C1, C2, C3 = (xonly_of(bytes([i]) * 32) for i in range(1, 6))
KEYS = [
    "--staker",
    "02" + STAKER.hex(),
    "--fp",
    FP.hex(),
    "--covenant",
    C1.hex(),
    "--covenant",
    C2.hex(),
    "--covenant",
    C3.hex(),
    "--quorum",
    "2",
]
MAINNET_STAKER = "024000bd2c8b975d351c5f3a42618aca31e07e2b253fcd571e9630540a3cb6eafd"
MAINNET_FP = "0246542ccdcbde8a8c147c8d00f14d47f0d5c13c684d27497fc4610c7a4def15e5"
TXID = "ab" * 32
DEST = p2tr_address(STAKER, Network.REGTEST)


def invoke(*args: str, input: str | None = None) -> dict[str, Any]:
    result = click_invoke(["stake", *args, "--json"], input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_scripts_and_address() -> None:
    out = invoke("scripts", *KEYS, "--staking-time", "100", "--unbonding-time", "5")
    si = staking_info(STAKER, [FP], [C1, C2, C3], 2, 100, 1, Network.REGTEST)
    so = out["staking_output"]
    assert so["script_pubkey"] == si.script_pubkey.hex() and so["address"] == si.address
    for name, leaf in so["leaves"].items():
        assert verify_control_block(
            si.output.output_key,
            bytes.fromhex(leaf["script_hex"]),
            bytes.fromhex(leaf["control_block"]),
        ), name
    assert set(out) == {"staking_output", "unbonding_output", "slashing_change_output"}
    assert (
        len(bytes.fromhex(out["slashing_change_output"]["leaves"]["timelock"]["control_block"]))
        == 33
    )
    addr = invoke("address", *KEYS, "--staking-time", "100")
    assert addr["address"] == si.address and addr["address"].startswith("bcrt1p")


def test_mainnet_defaults_come_from_bundled_params() -> None:
    out = invoke(
        "address",
        "--staker",
        MAINNET_STAKER,
        "--fp",
        MAINNET_FP,
        "--staking-time",
        "64000",
        "--network",
        "mainnet",
    )
    assert out["address"].startswith("bc1p")


def test_build_unbonding_checks_params() -> None:
    out = invoke(
        "build-unbonding",
        "--staker",
        MAINNET_STAKER,
        "--fp",
        MAINNET_FP,
        "--network",
        "mainnet",
        "--params-version",
        "0",
        "--staking-outpoint",
        f"{TXID}:0",
        "--value",
        "1000000",
    )
    assert out["unbonding_value"] == 1_000_000 - 64_000
    tx = parse(out["tx_hex"])
    assert tx.vin[0].nSequence == 0xFFFFFFFF and tx.nVersion == 2
    result = click_invoke(
        [
            "stake",
            "build-unbonding",
            "--staker",
            MAINNET_STAKER,
            "--fp",
            MAINNET_FP,
            "--network",
            "mainnet",
            "--staking-outpoint",
            f"{TXID}:0",
            "--value",
            "1000000",
            "--unbonding-fee",
            "1000",
        ]
    )
    assert isinstance(result.exception, ParamsError)
    assert result.exception.field == "unbonding_fee"


def test_build_staking_slashing_withdrawal() -> None:
    utxo = f"{'11' * 32}:0:200000:0014{'07' * 20}"
    st = invoke(
        "build-staking",
        *KEYS,
        "--staking-time",
        "100",
        "--value",
        "100000",
        "--utxo",
        utxo,
        "--change-address",
        DEST,
        "--fee-rate",
        "2",
        "--op-return",
        "--tag",
        "6c326b74",
    )
    tx = parse(st["tx_hex"])
    assert [len(o.scriptPubKey) for o in tx.vout] == [34, 73, 34]
    sl = invoke(
        "build-slashing",
        *KEYS,
        "--from",
        "staking",
        "--outpoint",
        f"{st['txid']}:0",
        "--value",
        "100000",
        "--slashing-script",
        "6a07626162796c6f6e",
        "--slashing-rate",
        "0.1",
        "--slashing-fee",
        "1000",
        "--unbonding-time",
        "5",
    )
    assert (sl["slashed"], sl["change"]) == (10_000, 89_000)
    wd = invoke(
        "build-withdrawal",
        *KEYS,
        "--from",
        "staking",
        "--outpoint",
        f"{st['txid']}:0",
        "--value",
        "100000",
        "--staking-time",
        "100",
        "--dest-address",
        DEST,
        "--fee-rate",
        "1",
    )
    assert wd["sequence"] == 100 and parse(wd["tx_hex"]).vin[0].nSequence == 100
    wd2 = invoke(
        "build-withdrawal",
        "--staker",
        STAKER.hex(),
        "--from",
        "slashing",
        "--outpoint",
        f"{sl['txid']}:1",
        "--value",
        "89000",
        "--unbonding-time",
        "5",
        "--dest-address",
        DEST,
        "--fee-rate",
        "1",
    )
    assert wd2["sequence"] == 5 and len(bytes.fromhex(wd2["control_block"])) == 33


def test_errors_are_typed() -> None:
    result = click_invoke(
        [
            "stake",
            "address",
            "--staker",
            "04" + "00" * 32,
            "--fp",
            FP.hex(),
            "--covenant",
            C1.hex(),
            "--quorum",
            "1",
            "--staking-time",
            "10",
        ]
    )
    assert isinstance(result.exception, InputError)
    assert result.exception.field == "--staker"
    result = click_invoke(
        ["stake", "address", "--staker", STAKER.hex(), "--fp", FP.hex(), "--staking-time", "10"]
    )
    assert isinstance(result.exception, InputError)  # regtest: no covenant committee given


# --- inspect -----------------------------------------------------------------------------------


def test_inspect_unsigned_and_signed_unbonding(tmp_path: Any) -> None:
    params = regtest_params([C1, C2, C3], 2)
    si = staking_info(STAKER, [FP], [C1, C2, C3], 2, 100, 100_000, Network.REGTEST)
    ui = unbonding_info(STAKER, [FP], [C1, C2, C3], 2, 5, 99_000, Network.REGTEST)
    tx = build_unbonding_tx(OutPoint(TXID, 0), 100_000, ui)
    pfile = tmp_path / "params.json"
    pfile.write_text(json.dumps(ParamsSet([params]).to_json()))
    out = invoke("inspect", serialize(tx).hex(), "--params", str(pfile), "--input-value", "100000")
    assert (out["kind"], out["probable"], out["params_versions"]) == ("unbonding", True, [0])
    leaf = si.unbonding_script
    signed = set_witness(
        tx, 0, [b"", b"\x01" * 64, b"\x02" * 64, b"\x03" * 64, leaf, si.control_block(leaf)]
    )
    out = invoke("inspect", serialize(signed).hex(), "--params", str(pfile))
    assert (out["kind"], out["probable"]) == ("unbonding", False)
    assert out["revealed_leaf"]["kind"] == "unbonding"
    assert out["revealed_leaf"]["covenant_quorum"] == 2
    assert out["params_versions"] == [0]
    assert out["signed"] is True


def test_inspect_mainnet_phase1_staking_tx_uses_bundled_params() -> None:
    from l2kit.staking.identifiable import build_v0_op_return
    from l2kit.staking.params import bundled_params
    from l2kit.staking.transactions import Utxo, build_staking_tx

    p = bundled_params("bbn-1-phase1").by_version(2)
    si = staking_info(
        STAKER, [FP], p.covenant_pks, p.covenant_quorum, 64000, 1_000_000, Network.MAINNET
    )
    op_return = build_v0_op_return(b"bbn1", STAKER, FP, 64000)
    utxo = Utxo(OutPoint(TXID, 3), 2_000_000, b"\x00\x14" + bytes(20))
    tx = build_staking_tx([utxo], si, b"\x00\x14" + bytes(20), 3, op_return)
    out = invoke("inspect", serialize(tx).hex(), "--network", "mainnet")
    assert (out["kind"], out["probable"]) == ("staking", False)
    assert out["params_versions"] == [0, 1, 2]
    assert out["params_source"] == "bundled:bbn-1-phase1"
    assert out["outputs"][0]["address"] == si.address


@pytest.mark.parametrize("garbage", ["zz", "00", ""])
def test_inspect_rejects_garbage(garbage: str) -> None:
    result = click_invoke(["stake", "inspect", garbage or "-"], input="")
    assert isinstance(result.exception, InputError)


def test_build_slashing_with_mainnet_phase2_defaults() -> None:
    out = invoke(
        "build-slashing",
        "--staker",
        MAINNET_STAKER,
        "--fp",
        MAINNET_FP,
        "--network",
        "mainnet",
        "--from",
        "staking",
        "--outpoint",
        f"{TXID}:0",
        "--value",
        "1000000",
    )
    # v3: rate 0.001, min fee 100000, OP_RETURN "babylon"
    assert (out["slashed"], out["change"]) == (1_000, 1_000_000 - 1_000 - 100_000)
    tx = parse(out["tx_hex"])
    assert bytes(tx.vout[0].scriptPubKey).hex() == "6a07626162796c6f6e"
    result = click_invoke(
        [
            "stake",
            "build-slashing",
            "--staker",
            MAINNET_STAKER,
            "--fp",
            MAINNET_FP,
            "--network",
            "mainnet",
            "--from",
            "staking",
            "--outpoint",
            f"{TXID}:0",
            "--value",
            "1000000",
            "--slashing-fee",
            "5000",
        ]
    )
    assert isinstance(result.exception, ParamsError)
    assert result.exception.field == "slashing_fee"


def test_inspect_signed_slashing_and_withdrawal(tmp_path: Path) -> None:
    from l2kit.staking.scripts import slashing_change_info
    from l2kit.staking.transactions import build_slashing_tx, build_withdrawal_tx

    params = regtest_params([C1, C2, C3], 2)
    si = staking_info(STAKER, [FP], [C1, C2, C3], 2, 100, 100_000, Network.REGTEST)
    change = slashing_change_info(STAKER, params.unbonding_time, net=Network.REGTEST)
    slash = build_slashing_tx(
        OutPoint(TXID, 0), 100_000, params.slashing_pk_script or b"", "0.1", 1000, change
    )
    leaf = si.slashing_script
    signed = set_witness(
        slash,
        0,
        [b"", b"\x01" * 64, b"\x02" * 64, b"\x03" * 64, b"\x04" * 64, leaf, si.control_block(leaf)],
    )
    with_params = ["--network", "regtest", "--input-value", "100000"]
    pfile = tmp_path / "params.json"
    pfile.write_text(json.dumps(ParamsSet([params]).to_json()))
    pfile_args = ["--params", str(pfile)]
    out = invoke("inspect", serialize(signed).hex(), *with_params, *pfile_args)
    assert (out["kind"], out["probable"], out["params_versions"]) == ("slashing", False, [0])
    assert out["revealed_leaf"]["finality_providers"] == [FP.hex()]
    wd = build_withdrawal_tx(OutPoint(TXID, 1), 89_000, 5, b"\x00\x14" + bytes(20), 1)
    leaf = change.timelock_script
    signed_wd = set_witness(wd, 0, [b"\x01" * 64, leaf, change.control_block()])
    out = invoke("inspect", serialize(signed_wd).hex(), *pfile_args)
    assert (out["kind"], out["probable"], out["params_versions"]) == ("withdrawal", False, [0])
    assert out["revealed_leaf"]["timelock"] == 5
