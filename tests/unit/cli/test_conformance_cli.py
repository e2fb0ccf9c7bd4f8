"""The `l2kit stake conformance` contract: JSON in, expected fields out; errors are one line
on stderr naming the field and the rule, exit 2, nothing on stdout; --jsonl keeps going."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from support import paths
from support.cli import run_process

from l2kit.cli import main

VECTORS = json.loads((paths.VECTORS / "babylon-btcstaking-testvectors.json").read_text())["vectors"]
BASE: dict[str, Any] = VECTORS[1]["parameters"]  # 1 FP, 3/5 covenants
SLASHING = {
    "slashing_pk_script": "6a07626162796c6f6e",
    "slashing_rate": "0.1",
    "slashing_fee": 1000,
}
EXPECTED_FIELDS = list(VECTORS[0]["expected"])


def run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_process("stake", "conformance", *args, input=stdin)


def test_valid_input_one_object_expected_fields_in_order() -> None:
    res = run(json.dumps(BASE))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert list(out) == EXPECTED_FIELDS
    assert out == VECTORS[1]["expected"]
    assert res.stderr == ""


def test_slashing_fields_add_two_transactions() -> None:
    res = run(json.dumps({**BASE, **SLASHING, "slashing_rate": "0.100000000000000000"}))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert list(out) == [
        *EXPECTED_FIELDS,
        "slashing_transaction_hex",
        "unbonding_slashing_transaction_hex",
    ]
    from l2kit.btc.tx import output, parse, serialize, txid_hex
    from l2kit.staking.params import BABYLON_BURN_SCRIPT

    slash = parse(out["slashing_transaction_hex"])
    unbond = parse(out["unbonding_transaction_hex"])
    unbond_slash = parse(out["unbonding_slashing_transaction_hex"])
    value, fee = BASE["staking_value"], BASE["unbonding_fee"]
    assert slash.nVersion == 2 and not slash.has_witness()
    assert str(slash.vin[0].prevout.n) == str(BASE["staking_output_index"])
    assert txid_hex(slash) != txid_hex(unbond_slash)
    assert output(slash, 0) == (BABYLON_BURN_SCRIPT, round(value * 0.1))
    assert output(slash, 1)[1] == value - round(value * 0.1) - 1000
    # the unbonding slashing tx spends output 0 of the unbonding tx
    prev = unbond_slash.vin[0].prevout
    assert (prev.n, bytes(prev.hash)) == (0, unbond.GetTxid())
    assert output(unbond_slash, 0)[1] == round((value - fee) * 0.1)
    # both change outputs pay the same single-leaf timelock output
    assert output(slash, 1)[0] == output(unbond_slash, 1)[0]
    assert serialize(slash, witness=False).hex() == out["slashing_transaction_hex"]


def test_op_return_empty_with_several_fps() -> None:
    res = run(json.dumps(VECTORS[2]["parameters"]))
    assert res.returncode == 0
    assert json.loads(res.stdout)["op_return_script_hex"] == ""


def _with(**change: Any) -> dict[str, Any]:
    return {**BASE, **change}


def _slash(**change: Any) -> dict[str, Any]:
    return {**BASE, **SLASHING, **change}


def _without(name: str) -> dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != name}


BAD_KEY_PREFIX = "04" + BASE["staker_public_key"][2:]
OFF_CURVE = "02" + "00" * 32

ERRORS: list[tuple[str, str, str]] = [
    ("{not json", "input", "JSON"),
    ("", "input", "JSON"),
    ("[" * 100_000, "input", "JSON"),
    ("[1, 2]", "input", "object"),
    (json.dumps(_without("staking_time")), "staking_time", "missing"),
    (json.dumps(_with(extra_field=1)), "extra_field", "unknown"),
    (json.dumps(_with(staking_time="1000")), "staking_time", "integer"),
    (json.dumps(_with(staking_time=1000.5)), "staking_time", "integer"),
    (json.dumps(_with(staking_value=True)), "staking_value", "integer"),
    (json.dumps(_with(staking_time=0)), "staking_time", "1..65535"),
    (json.dumps(_with(unbonding_time=65536)), "unbonding_time", "1..65535"),
    (json.dumps(_with(covenant_quorum=6)), "covenant_quorum", "1..5"),
    (json.dumps(_with(covenant_quorum=0)), "covenant_quorum", "1..5"),
    (json.dumps(_with(staking_value=0)), "staking_value", "1.."),
    (json.dumps(_with(unbonding_fee=BASE["staking_value"])), "unbonding_fee", "below"),
    (json.dumps(_with(staking_output_index=-1)), "staking_output_index", "0.."),
    (json.dumps(_with(unbonding_tx_version=1)), "unbonding_tx_version", "must be 2"),
    (json.dumps(_with(staking_tx_hash="00" * 31)), "staking_tx_hash", "32 bytes"),
    (json.dumps(_with(staking_tx_hash="zz" * 32)), "staking_tx_hash", "hex"),
    (json.dumps(_with(tag="0102")), "tag", "4 bytes"),
    (json.dumps(_with(network="moonnet")), "network", "one of"),
    (json.dumps(_with(staker_public_key=BAD_KEY_PREFIX)), "staker_public_key", "prefix"),
    (json.dumps(_with(staker_public_key=OFF_CURVE)), "staker_public_key", "curve"),
    (
        json.dumps(_with(covenant_public_keys=[*BASE["covenant_public_keys"][:4], OFF_CURVE])),
        "covenant_public_keys[4]",
        "curve",
    ),
    (json.dumps(_with(covenant_public_keys="02ab")), "covenant_public_keys", "array"),
    (json.dumps(_with(finality_provider_public_keys=[])), "finality_provider_public_keys", "empty"),
    (
        json.dumps(_with(finality_provider_public_keys=[BASE["staker_public_key"]])),
        "finality_provider_public_keys[0]",
        "duplicate",
    ),
    (
        json.dumps(
            _with(
                covenant_public_keys=[
                    *BASE["covenant_public_keys"][:4],
                    BASE["covenant_public_keys"][0],
                ]
            )
        ),
        "covenant_public_keys[4]",
        "duplicate",
    ),
    (json.dumps(_with(slashing_rate="0.1")), "slashing_pk_script", "together"),
    (json.dumps(_slash(slashing_rate="0.00001")), "slashing_rate", "4 decimal"),
    (json.dumps(_slash(slashing_rate="1")), "slashing_rate", "between 0 and 1"),
    (json.dumps(_slash(slashing_rate=0.1)), "slashing_rate", "string"),
    (json.dumps(_slash(slashing_fee=0)), "slashing_fee", "1.."),
    (json.dumps(_slash(slashing_pk_script="")), "slashing_pk_script", "empty"),
    (
        json.dumps(_slash(staking_value=4, unbonding_fee=1, slashing_fee=1)),
        "slashing_rate",
        "rounds to 0",
    ),
    (json.dumps(_slash(slashing_fee=BASE["staking_value"])), "slashing_fee", "no change"),
    (json.dumps(_slash(slashing_fee=899_800)), "slashing_fee", "dust"),
]


@pytest.mark.parametrize(("stdin", "field", "rule"), ERRORS, ids=[f"{e[1]}-{e[2]}" for e in ERRORS])
def test_invalid_input_exit_2_one_line_naming_field(
    stdin: str,
    field: str,
    rule: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # in-process through l2kit.cli.main (the same path as the executable, much faster)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    with pytest.raises(SystemExit) as exit_:
        main(["stake", "conformance"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert f"{field}: " in lines[0]
    assert rule in lines[0]


def test_jsonl_one_answer_per_line_and_errors_inline() -> None:
    lines = [
        json.dumps(VECTORS[0]["parameters"]),
        "{broken",
        json.dumps(_with(tag="01")),
        "",
        json.dumps({**BASE, **SLASHING}),
    ]
    res = run("\n".join(lines) + "\n", "--jsonl")
    assert res.returncode == 0
    answers = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(answers) == 4  # the blank line is skipped
    assert answers[0] == VECTORS[0]["expected"]
    assert list(answers[1]) == ["error"] and "input" in answers[1]["error"]
    assert answers[2] == {"error": answers[2]["error"]} and answers[2]["error"].startswith("tag: ")
    assert "slashing_transaction_hex" in answers[3]
    assert res.stderr == ""


def test_non_utf8_input() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "l2kit", "stake", "conformance"],
        input=b"\xff\xfe{",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2 and res.stdout == b""
    assert res.stderr.decode().splitlines() == ["error: input: not UTF-8"]


def test_executable_error_contract() -> None:
    res = run(json.dumps(_with(covenant_quorum=9)))
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.splitlines() == ["error: covenant_quorum: must be in 1..5, got 9"]


def test_json_flag_accepted() -> None:
    res = run(json.dumps(BASE), "--json")
    assert res.returncode == 0 and json.loads(res.stdout) == VECTORS[1]["expected"]
