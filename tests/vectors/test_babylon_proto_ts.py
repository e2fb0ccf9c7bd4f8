"""l2kit's protobuf bytes equal those of Babylon's own generated code (babylon-proto-ts 1.14.0,
see data/README.md), and decode back to the same fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from l2kit.babylon.proto import (
    AddInclusionProof,
    BtcSigType,
    CreateDelegation,
    InclusionProof,
    Pop,
    decode_add_inclusion_proof,
    decode_create_delegation,
    encode_add_inclusion_proof,
    encode_create_delegation,
)

DOC = json.loads((Path(__file__).parent / "data" / "babylon-proto-ts-messages.json").read_text())


def _proof(p: dict[str, Any] | None) -> InclusionProof | None:
    if p is None:
        return None
    return InclusionProof(p["index"], bytes.fromhex(p["hash"]), bytes.fromhex(p["proof"]))


def _create(f: dict[str, Any]) -> CreateDelegation:
    b = bytes.fromhex
    return CreateDelegation(
        staker_addr=f["staker_addr"],
        pop=Pop(BtcSigType(f["pop"]["btc_sig_type"]), b(f["pop"]["btc_sig"])),
        btc_pk=b(f["btc_pk"]),
        fp_btc_pk_list=tuple(b(k) for k in f["fp_btc_pk_list"]),
        staking_time=f["staking_time"],
        staking_value=f["staking_value"],
        staking_tx=b(f["staking_tx"]),
        staking_tx_inclusion_proof=_proof(f["staking_tx_inclusion_proof"]),
        slashing_tx=b(f["slashing_tx"]),
        delegator_slashing_sig=b(f["delegator_slashing_sig"]),
        unbonding_time=f["unbonding_time"],
        unbonding_tx=b(f["unbonding_tx"]),
        unbonding_value=f["unbonding_value"],
        unbonding_slashing_tx=b(f["unbonding_slashing_tx"]),
        delegator_unbonding_slashing_sig=b(f["delegator_unbonding_slashing_sig"]),
    )


@pytest.mark.parametrize("case", DOC["create"], ids=lambda c: c["name"])
def test_create_delegation_bytes_match_babylons_generated_code(case: dict[str, Any]) -> None:
    msg = _create(case["fields"])
    assert encode_create_delegation(msg).hex() == case["hex"]
    assert decode_create_delegation(bytes.fromhex(case["hex"])) == msg


def test_add_inclusion_proof_bytes_match() -> None:
    f = DOC["add_proof"]["fields"]
    msg = AddInclusionProof(f["signer"], f["staking_tx_hash"], _proof(f["proof"]))  # type: ignore[arg-type]
    assert encode_add_inclusion_proof(msg).hex() == DOC["add_proof"]["hex"]
    assert decode_add_inclusion_proof(bytes.fromhex(DOC["add_proof"]["hex"])) == msg
