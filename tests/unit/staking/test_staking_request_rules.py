"""The staking rules the library holds for every caller (not only the CLI): where params come
from (``params.resolve``), the fee cap and request bounds (``staking.request``) and when a
stake carries the V0 OP_RETURN (``identifiable.v0_op_return_for``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit import paths
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.errors import InputError, L2kitError, ParamsError
from l2kit.staking.funding import key_path_key
from l2kit.staking.identifiable import (
    build_v0_op_return,
    parse_v0_op_return,
    v0_op_return_for,
    v0_op_return_head,
)
from l2kit.staking.params import ParamsSet, candidates, pick, regtest_params, resolve
from l2kit.staking.request import (
    DEFAULT_MAX_FEE_RATE,
    StakeRequest,
    check_fee_rate,
    check_stake_request,
    funding_source,
)

COVS = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
STAKER, FP, FP2 = (xonly_of(bytes([i]) * 32) for i in (11, 12, 13))


def _write(path: Path, **kw: Any) -> Path:
    doc = regtest_params(COVS, 2, **kw).to_json()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"versions": [doc]}))
    return path


# --- params.resolve ---------------------------------------------------------------------------


def test_resolve_prefers_the_file_then_the_committee_params(tmp_path: Path) -> None:
    committee = tmp_path / "covenant"
    _write(committee / paths.PARAMS_FILE, unbonding_time=7)
    given_file = _write(tmp_path / "p.json", unbonding_time=9)
    assert resolve(committee_dir=committee).latest.unbonding_time == 7
    both = resolve(params_file=given_file, committee_dir=committee)
    assert both.latest.unbonding_time == 9


def test_resolve_without_params_names_the_committee_dir(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="covenant init") as exc:
        resolve(Network.REGTEST, committee_dir=tmp_path / "none")
    assert exc.value.field == "params" and str(tmp_path / "none") in str(exc.value)
    assert resolve(committee_dir=tmp_path / "none", required=False) is None


def test_resolve_chain_params_win_and_a_given_file_must_match(tmp_path: Path) -> None:
    chain = ParamsSet([regtest_params(COVS, 2)], source="chain")
    asked: list[Network] = []

    def from_chain(net: Network) -> ParamsSet:
        asked.append(net)
        return chain

    committee = tmp_path / "covenant"
    _write(committee / paths.PARAMS_FILE, unbonding_time=7)  # ignored: the chain decides
    got = resolve(Network.REGTEST, committee_dir=committee, chain=from_chain)
    assert got is chain and asked == [Network.REGTEST]
    same = _write(tmp_path / "same.json")
    assert resolve(Network.REGTEST, params_file=same, chain=from_chain) is chain
    other = _write(tmp_path / "other.json", unbonding_time=9)
    with pytest.raises(InputError, match="unbonding_time differs") as exc:
        resolve(Network.REGTEST, params_file=other, chain=from_chain)
    assert exc.value.field == "params"


def test_resolve_bundled_only_for_public_networks() -> None:
    mainnet = resolve(Network.MAINNET, bundled=True)
    assert mainnet.source == "bundled:bbn-1-phase2"
    assert resolve(Network.REGTEST, bundled=True, required=False) is None
    with pytest.raises(ParamsError, match="no bundled phase-2 params for regtest"):
        resolve(Network.REGTEST, bundled=True)


def test_pick_and_candidates(tmp_path: Path) -> None:
    pset = resolve(Network.MAINNET, bundled=True)
    assert pick(pset) == pset.latest
    assert pick(pset, version=0).version == 0
    assert pick(pset, height=10**9) == pset.for_height(10**9)
    assert [p.source for p in candidates(Network.MAINNET)] == [
        "bundled:bbn-1-phase1",
        "bundled:bbn-1-phase2",
    ]
    assert candidates(Network.REGTEST) == []
    file = _write(tmp_path / "p.json")
    assert [p.source for p in candidates(Network.REGTEST, file)] == [str(file)]


# --- staking.request --------------------------------------------------------------------------


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3))
def test_fee_cap(rate: Decimal) -> None:
    if rate <= DEFAULT_MAX_FEE_RATE:
        check_fee_rate(rate)
    else:
        with pytest.raises(InputError, match="max-fee-rate") as exc:
            check_fee_rate(rate)
        assert exc.value.field == "fee-rate"
    check_fee_rate(rate, rate)  # the cap itself is allowed


def test_stake_request_bounds_and_distinct_keys() -> None:
    p = regtest_params(COVS, 2)
    check_stake_request(p, STAKER, (FP,), 100_000, 20)
    with pytest.raises(ParamsError, match="staking value"):
        check_stake_request(p, STAKER, (FP,), 1_000, 20)
    with pytest.raises(ParamsError, match="staking time"):
        check_stake_request(p, STAKER, (FP,), 100_000, 5)
    with pytest.raises(L2kitError):
        check_stake_request(p, STAKER, (COVS[0],), 100_000, 20)  # an FP that is a covenant


def test_fingerprint_names_the_request() -> None:
    req = StakeRequest(STAKER, (FP, FP2), 100_000, 20, False, "wallet:w")
    swapped = StakeRequest(STAKER, (FP2, FP), 100_000, 20, False, "wallet:w")
    assert req.fingerprint(Network.REGTEST) == swapped.fingerprint(Network.REGTEST)
    assert req.fingerprint(Network.REGTEST) != req.fingerprint(Network.SIGNET)
    other = StakeRequest(STAKER, (FP, FP2), 100_000, 20, False, "wallet:w", nonce="2")
    assert other.fingerprint(Network.REGTEST) != req.fingerprint(Network.REGTEST)


def test_funding_source_names_what_pays() -> None:
    key = key_path_key(bytes.fromhex("2a" * 32))
    assert funding_source("w") == "wallet:w"
    assert funding_source("w", key) == f"key:{key.internal.hex()}"  # the key wins
    with pytest.raises(InputError) as exc:
        funding_source()
    assert exc.value.field == "wallet"


# --- identifiable.v0_op_return_for ------------------------------------------------------------


def test_v0_op_return_needs_one_fp_and_the_params_tag() -> None:
    tag = b"l2kt"
    op = v0_op_return_for(tag, STAKER, (FP,), 20, version=0)
    assert op == build_v0_op_return(tag, STAKER, FP, 20)
    parsed = parse_v0_op_return(bytes(op), tag)
    assert parsed is not None and parsed.fp_pk == FP and parsed.staking_time == 20
    assert bytes(op)[:7] == v0_op_return_head(regtest_params(COVS, 2, tag=tag))
    assert v0_op_return_for(None, STAKER, (FP,), 20, tag=tag) == op  # a tag without params
    with pytest.raises(InputError, match="exactly one FP") as exc:
        v0_op_return_for(tag, STAKER, (FP, FP2), 20, version=0, fp_field="--fp")
    assert exc.value.field == "--fp"
    with pytest.raises(InputError, match="params v3 have no tag") as exc:
        v0_op_return_for(None, STAKER, (FP,), 20, version=3)
    assert exc.value.field == "op-return"
    with pytest.raises(InputError, match="give a tag"):
        v0_op_return_for(None, STAKER, (FP,), 20, tag_field="--tag")
    with pytest.raises(ParamsError, match="indexer would not see") as perr:
        v0_op_return_for(tag, STAKER, (FP,), 20, tag=b"othr", version=0)
    assert perr.value.field == "tag"
