"""Slashing and unbonding txs, and the stake builders, held to Babylon Go's validity rules
(``validateSlashingTx``, ``CheckPreSignedUnbondingTxSanity``, the params' tag and timelocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bitcoin.core import CMutableTransaction, CTransaction
from bitcoin.core.script import CScript
from click.testing import Result
from support.cli import click_invoke

from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.errors import InputError, ParamsError, TxRejected
from l2kit.staking.inspect import inspect_tx
from l2kit.staking.params import ParamsSet, regtest_params
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.transactions import build_slashing_tx, build_unbonding_tx, check_slashing_tx

NET = Network.REGTEST
COV = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
STAKER, FP = xonly_of(b"\x0b" * 32), xonly_of(b"\x07" * 32)

# --- slashing / unbonding validity (Go validateSlashingTx, CheckPreSignedUnbondingTxSanity) ---


P2 = regtest_params(COV, 2, max_staking_time=1_000)  # rate 0.1, min fee 1000, burn script
STAKE = 100_000
SINFO = staking_info(STAKER, [FP], COV, 2, 100, STAKE, NET)
CHANGE = slashing_change_info(STAKER, P2.unbonding_time, net=NET)
OUTPOINT = btx.OutPoint("33" * 32, 0)


def _slash(**edit: object) -> CMutableTransaction:
    assert P2.slashing_pk_script is not None and P2.slashing_rate is not None
    tx = CMutableTransaction.from_tx(
        build_slashing_tx(OUTPOINT, STAKE, P2.slashing_pk_script, P2.slashing_rate, 2_000, CHANGE)
    )
    if "version" in edit:
        tx.nVersion = int(edit["version"])  # type: ignore[call-overload]
    if "sequence" in edit:
        tx.vin[0].nSequence = int(edit["sequence"])  # type: ignore[call-overload]
    if "locktime" in edit:
        tx.nLockTime = int(edit["locktime"])  # type: ignore[call-overload]
    if "change" in edit:
        tx.vout[1].nValue = int(edit["change"])  # type: ignore[call-overload]
    return tx


def _check(tx: CTransaction, value: int = STAKE) -> None:
    assert P2.slashing_pk_script is not None and P2.slashing_rate is not None
    check_slashing_tx(
        tx,
        P2.slashing_pk_script,
        P2.slashing_rate,
        P2.min_slashing_tx_fee_sat or 0,
        value,
        CHANGE.script_pubkey,
    )


def _signed(tx: CTransaction, leaf: bytes) -> CTransaction:
    stack = [b"\x01" * 64] * 3 + [leaf, SINFO.control_block(leaf)]
    return btx.set_witness(tx, 0, stack)


@pytest.mark.parametrize(
    ("edit", "field", "rule"),
    [
        ({"version": 3}, "version", "1..2"),
        ({"sequence": 0xFFFFFFFE}, "sequence", "ffffffff"),
        ({"locktime": 1}, "locktime", "0"),
        ({"change": 329}, "slashing_change", "dust"),
        ({"change": STAKE - 10_000 - 500}, "slashing_fee", "min_slashing_tx_fee_sat"),
        ({"change": STAKE - 10_000}, "slashing_fee", "more than"),
    ],
)
def test_slashing_tx_rules_name_the_field(edit: dict[str, int], field: str, rule: str) -> None:
    _check(_slash())
    bad = _slash(**edit)
    with pytest.raises(TxRejected) as exc:
        _check(bad)
    assert exc.value.field == field and rule in str(exc.value)
    # inspect no longer reports a params version for a slashing tx Babylon would refuse
    report = inspect_tx(_signed(bad, SINFO.slashing_script), NET, ParamsSet([P2]), STAKE)
    assert report["kind"] == "slashing" and report["params_versions"] == []
    good = inspect_tx(_signed(_slash(), SINFO.slashing_script), NET, ParamsSet([P2]), STAKE)
    assert good["params_versions"] == [0]


def test_slashing_tx_wrong_slashed_amount_and_scripts() -> None:
    tx = _slash()
    tx.vout[0].nValue -= 1
    tx.vout[1].nValue += 1
    with pytest.raises(TxRejected, match="slashing_rate") as exc:
        _check(tx)
    assert exc.value.field == "slashing_rate"
    tx = _slash()
    tx.vout[1].scriptPubKey = CScript(b"\x51\x20" + b"\x05" * 32)
    with pytest.raises(TxRejected) as exc:
        _check(tx)
    assert exc.value.field == "slashing_change"


def test_unbonding_version_1_does_not_fit_params() -> None:
    unb = unbonding_info(STAKER, [FP], COV, 2, P2.unbonding_time, STAKE - P2.unbonding_fee, NET)
    tx = CMutableTransaction.from_tx(build_unbonding_tx(OUTPOINT, STAKE, unb))
    good = inspect_tx(_signed(tx, SINFO.unbonding_script), NET, ParamsSet([P2]), STAKE)
    assert good["kind"] == "unbonding" and good["params_versions"] == [0]
    tx.nVersion = 1
    bad = inspect_tx(_signed(tx, SINFO.unbonding_script), NET, ParamsSet([P2]), STAKE)
    assert bad["kind"] == "unbonding" and bad["params_versions"] == []


# --- build-slashing CLI ------------------------------------------------------------------------


def _build_slashing(tmp_path: Path, *extra: str) -> Result:
    params = tmp_path / "params.json"
    params.write_text(json.dumps(ParamsSet([P2]).to_json()))
    args = [
        "stake",
        "build-slashing",
        "--staker",
        STAKER.hex(),
        "--fp",
        FP.hex(),
        "--from",
        "staking",
        "--outpoint",
        "11" * 32 + ":0",
        "--value",
        "100000",
        "--params",
        str(params),
        "--network",
        "regtest",
        "--json",
        *extra,
    ]
    return click_invoke(args)


def test_build_slashing_change_timelock_must_be_the_params_unbonding_time(
    tmp_path: Path,
) -> None:
    """validateSlashingTx rebuilds the change output with the params' unbonding_time."""
    assert _build_slashing(tmp_path).exit_code == 0
    result = _build_slashing(tmp_path, "--unbonding-time", str(P2.unbonding_time + 1))
    assert result.exit_code != 0
    assert isinstance(result.exception, ParamsError)
    assert result.exception.field == "unbonding_time"


def test_build_slashing_bad_script_hex_is_an_input_error(tmp_path: Path) -> None:
    result = _build_slashing(tmp_path, "--slashing-script", "zz")
    assert isinstance(result.exception, InputError)
    assert result.exception.field == "--slashing-script"


def test_build_staking_tag_is_hex_and_the_params_tag(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps(ParamsSet([P2]).to_json()))
    base = [
        "stake",
        "build-staking",
        "--staker",
        STAKER.hex(),
        "--fp",
        FP.hex(),
        "--staking-time",
        "100",
        "--value",
        "50000",
        "--op-return",
        "--utxo",
        "22" * 32 + ":0:100000:0014" + "33" * 20,
        "--change-address",
        "bcrt1pvtq2q3k6en5xmhgrg0rd8378ns3q3wsdnjw0yjndq3kjr5sljrmszv6fk6",
        "--fee-rate",
        "2",
        "--params",
        str(params),
        "--network",
        "regtest",
        "--json",
    ]
    ok = click_invoke(base)
    assert ok.exit_code == 0, ok.output
    assert P2.tag is not None and P2.tag.hex() in json.loads(ok.output)["tx_hex"]
    bad_hex = click_invoke([*base, "--tag", "zz"])
    assert isinstance(bad_hex.exception, InputError) and bad_hex.exception.field == "--tag"
    other = click_invoke([*base, "--tag", "01020304"])
    assert isinstance(other.exception, ParamsError) and other.exception.field == "tag"
