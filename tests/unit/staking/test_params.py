"""Staking params: bundled phase-1/phase-2 files, version choice by height, bound checks."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import paths

from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.errors import ParamsError
from l2kit.staking.params import (
    BABYLON_BURN_SCRIPT,
    ParamsSet,
    bundled_params,
    check_slashing,
    check_stake,
    check_unbonding,
    default_params,
    load_global_params,
    params_from_json,
    regtest_params,
)

DATA = paths.ROOT / "l2kit" / "staking" / "data"
SHARED = paths.SHARED / "vectors"
MAINNET_COVENANTS_SORTED = [
    "23b29f89",
    "4b15848e",
    "82426407",
    "cbdd028c",
    "d3c79b99",
    "d45c70d2",
    "de13fc96",
    "e36200aa",
    "f178fcce",
]


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.name)
def test_bundled_files_are_verbatim_copies(path: Path) -> None:
    shared = SHARED / path.name
    if shared.exists():
        assert shared.read_bytes() == path.read_bytes()


def test_mainnet_phase1_versions() -> None:
    ps = bundled_params("bbn-1-phase1")
    assert [p.version for p in ps] == [0, 1, 2]
    assert [p.activation_height for p in ps] == [857910, 864790, 874088]
    v0, v1, v2 = ps
    assert v0.staking_cap == 100_000_000_000 and v0.cap_height is None
    assert (v1.cap_height, v2.cap_height) == (864799, 875087)
    assert [p.unbonding_fee for p in ps] == [64000, 32000, 32000]
    assert [p.max_staking_amount for p in ps] == [5_000_000, 50_000_000_000, 500_000_000_000]
    for p in ps:
        assert p.tag == b"bbn1" and p.covenant_quorum == 6 and p.unbonding_time == 1008
        assert p.min_staking_time == p.max_staking_time == 64000
        assert p.confirmation_depth == 10 and not p.has_slashing
        assert [k.hex()[:8] for k in sorted(p.covenant_pks)] == MAINNET_COVENANTS_SORTED


def test_mainnet_phase2_versions() -> None:
    ps = bundled_params("bbn-1-phase2")
    assert [p.activation_height for p in ps] == [857910, 864790, 874088, 891425]
    for p in ps:
        assert p.slashing_pk_script == BABYLON_BURN_SCRIPT
        assert p.slashing_rate == Decimal("0.001")
        assert p.min_slashing_tx_fee_sat == 100_000 and p.unbonding_time_blocks == 1008
        assert p.has_slashing and p.tag is None
    assert ps.by_version(0).unbonding_fee_sat == 64000
    assert ps.by_version(3).unbonding_fee == 32000


def test_signet_phase1() -> None:
    ps = default_params(Network.SIGNET, phase=1)
    assert len(ps) == 5 and ps.latest.tag == bytes.fromhex("62627434")


@pytest.mark.parametrize(
    ("height", "version"),
    [
        (857910, 0),
        (864789, 0),
        (864790, 1),
        (874087, 1),
        (874088, 2),
        (891424, 2),
        (891425, 3),
        (10**7, 3),
    ],
)
def test_version_by_height(height: int, version: int) -> None:
    assert default_params(Network.MAINNET).for_height(height).version == version


def test_height_before_first_activation() -> None:
    with pytest.raises(ParamsError) as err:
        default_params(Network.MAINNET).for_height(857909)
    assert err.value.version == 0 and err.value.field == "activation_height"


def test_check_stake_names_version_and_bound() -> None:
    v0 = bundled_params("bbn-1-phase1").by_version(0)
    check_stake(v0, 500_000, 64000)
    with pytest.raises(ParamsError) as err:
        check_stake(v0, 5_000_001, 64000)
    assert (err.value.version, err.value.field) == (0, "staking_value")
    assert "params v0" in str(err.value) and "max_staking_amount" in str(err.value)
    with pytest.raises(ParamsError) as err:
        check_stake(v0, 500_000, 63999)
    assert err.value.field == "staking_time"


def test_check_unbonding_and_slashing() -> None:
    p = bundled_params("bbn-1-phase2").by_version(1)
    check_unbonding(p, 1008, 32000)
    with pytest.raises(ParamsError, match="unbonding_fee 32000") as err:
        check_unbonding(p, 1008, 64000)
    assert (err.value.version, err.value.field) == (1, "unbonding_fee")
    with pytest.raises(ParamsError) as err:
        check_unbonding(p, 1000, 32000)
    assert err.value.field == "unbonding_time"
    check_slashing(p, BABYLON_BURN_SCRIPT, Decimal("0.001"), 100_000)
    with pytest.raises(ParamsError) as err:
        check_slashing(p, BABYLON_BURN_SCRIPT, Decimal("0.001"), 99_999)
    assert err.value.field == "slashing_fee"
    with pytest.raises(ParamsError):
        check_slashing(
            bundled_params("bbn-1-phase1").latest, BABYLON_BURN_SCRIPT, Decimal("0.001"), 100_000
        )


def _phase1() -> dict[str, Any]:
    return json.loads((DATA / "bbn-1-phase1-global-params.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("version_index", "change", "field"),
    [
        (0, {"covenant_quorum": 10}, "covenant_quorum"),
        (0, {"covenant_quorum": 0}, "covenant_quorum"),
        (0, {"min_staking_amount": 6_000_000}, "min_staking_amount"),
        (0, {"max_staking_time": 70000}, "min_staking_time"),
        (0, {"tag": "626262"}, "tag"),
        (0, {"staking_cap": 1000}, "staking_cap"),
        (0, {"confirmation_depth": 1}, "confirmation_depth"),
        (0, {"covenant_pks": ["04" + "00" * 32]}, "covenant_pks"),
        (0, {"unknown_field": 1}, "unknown_field"),
        (1, {"version": 5}, "version"),
        (1, {"activation_height": 857910}, "activation_height"),
    ],
)
def test_invalid_phase1_files(version_index: int, change: dict[str, Any], field: str) -> None:
    doc = _phase1()
    doc["versions"][version_index].update(change)
    with pytest.raises(ParamsError) as err:
        params_from_json(doc)
    assert err.value.field == field
    assert err.value.version is not None


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="cannot read"):
        load_global_params(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ParamsError, match="not JSON"):
        load_global_params(bad)
    bad.write_text('{"something": 1}')
    with pytest.raises(ParamsError, match="not a phase-1"):
        load_global_params(bad)


def test_phase2_rest_forms_and_unknown_chain_fields() -> None:
    chain = json.loads(
        (DATA / "bbn-1-phase2-btcstaking-params.v1-upgrade.extracted.json").read_text()
    )[0]
    chain = {**chain, "min_staking_value_sat": "500000", "max_finality_providers": 1}
    ps = params_from_json({"params": [{"version": 7, "params": chain}]})
    assert ps.latest.version == 7 and ps.latest.min_staking_amount == 500_000
    single = params_from_json({"params": chain, "version": 2})
    assert single.latest.version == 2
    bad = {**chain, "slashing_pk_script": "!!"}
    with pytest.raises(ParamsError) as err:
        params_from_json([bad])
    assert err.value.field == "slashing_pk_script"


def test_regtest_params() -> None:
    keys = [xonly_of(bytes([i]) * 32) for i in range(1, 4)]
    p = regtest_params(keys, 2)
    assert p.covenant_pks == tuple(keys) and p.covenant_quorum == 2
    assert p.has_slashing and p.slashing_rate == Decimal("0.1") and p.tag is not None
    assert p.min_staking_time == 10 and p.unbonding_time == 5
    check_stake(p, 50_000, 10)
    with pytest.raises(ParamsError) as err:
        regtest_params(keys, 4)
    assert err.value.field == "covenant_quorum"
    with pytest.raises(ParamsError) as err:
        regtest_params(keys, 2, slashing_rate="0.00001")
    assert err.value.field == "slashing_rate"
    assert p.to_json()["slashing_pk_script"] == BABYLON_BURN_SCRIPT.hex()


@pytest.mark.parametrize("name", ["bbn-1-phase1", "bbn-1-phase2", "bbn-test-4-phase1"])
def test_to_json_roundtrip(name: str) -> None:
    ps = bundled_params(name)
    back = params_from_json(json.loads(json.dumps(ps.to_json())))
    assert back.versions == ps.versions
    assert [type(p) for p in back] == [type(p) for p in ps]
    keys = [xonly_of(bytes([i]) * 32) for i in range(1, 4)]
    reg = ParamsSet([regtest_params(keys, 2)])
    assert params_from_json(reg.to_json()).versions == reg.versions
