"""The model-free reading of the bundled params' covenant committee (``l2kit.staking.bundled``,
what ``stake address`` uses so it starts without pydantic) agrees with the params model on every
bundled file, version and activation height, and declines (None) whatever it cannot answer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.btc.network import Network
from l2kit.cli.app import cli
from l2kit.errors import ParamsError
from l2kit.staking.bundled import BUNDLED, bundled_committee, bundled_json, committee
from l2kit.staking.params import ParamsSet, bundled_params, default_params

STAKER = "024000bd2c8b975d351c5f3a42618aca31e07e2b253fcd571e9630540a3cb6eafd"
FP = "0246542ccdcbde8a8c147c8d00f14d47f0d5c13c684d27497fc4610c7a4def15e5"


def _model(pset: ParamsSet, version: int | None, height: int | None) -> Any:
    if version is not None:
        p = pset.by_version(version)
    elif height is not None:
        p = pset.for_height(height)
    else:
        p = pset.latest
    return (p.covenant_pks, p.covenant_quorum)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_version_and_height_reads_as_the_model_does(name: str) -> None:
    pset, data = bundled_params(name), bundled_json(name)
    assert committee(data) == _model(pset, None, None)
    heights = {h + d for p in pset for h in (p.activation_height,) for d in (-1, 0, 1)}
    for p in pset:
        assert committee(data, version=p.version) == _model(pset, p.version, None)
        assert committee(data, version=p.version, height=0) == _model(pset, p.version, None)
    for h in sorted(heights):
        got = committee(data, height=h)
        if h < pset.versions[0].activation_height:
            assert got is None  # the model names the error
            with pytest.raises(ParamsError):
                pset.for_height(h)
        else:
            assert got == _model(pset, None, h), h
    missing = pset.latest.version + 1
    assert committee(data, version=missing) is None
    with pytest.raises(ParamsError):
        pset.by_version(missing)


@pytest.mark.parametrize("net", list(Network))
def test_bundled_committee_of_each_network_is_default_params_latest(net: Network) -> None:
    try:
        expected = _model(default_params(net), None, None)
    except ParamsError:
        expected = None
    assert bundled_committee(net) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values, st.none() | st.integers(-2, 5), st.none() | st.integers(-1, 10**6))
def test_any_document_reads_to_a_committee_or_none(data: Any, version: Any, height: Any) -> None:
    got = committee(data, version, height)
    assert got is None or (0 < got[1] <= len(got[0]) and all(len(k) == 32 for k in got[0]))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(BUNDLED)),
    st.sampled_from(["covenant_pks", "covenant_quorum"]),
    json_values,
)
def test_a_damaged_entry_reads_to_none_or_what_it_says(name: str, field: str, value: Any) -> None:
    """Never a committee the document does not state: a bad key or quorum makes it decline."""
    data = copy.deepcopy(bundled_json(name))
    entries = data["versions"] if isinstance(data, dict) else data
    entries[-1][field] = value
    got = committee(data)
    if got is not None:
        keys, quorum = entries[-1]["covenant_pks"], entries[-1]["covenant_quorum"]
        assert quorum == got[1] and len(keys) == len(got[0])


def _address(*extra: str) -> Any:
    args = [
        "stake",
        "address",
        "--staker",
        STAKER,
        "--fp",
        FP,
        "--staking-time",
        "64000",
        "--network",
        "mainnet",
        "--json",
        *extra,
    ]
    result = CliRunner().invoke(cli, args)
    return json.loads(result.stdout) if result.exit_code == 0 else result.exception


@pytest.mark.parametrize("pick", [[], ["--params-version", "0"], ["--height", "900000"]])
def test_address_with_bundled_committee_equals_the_explicit_committee(pick: list[str]) -> None:
    pset = default_params(Network.MAINNET)
    version = int(pick[1]) if pick[:1] == ["--params-version"] else None
    height = int(pick[1]) if pick[:1] == ["--height"] else None
    keys, quorum = _model(pset, version, height)
    explicit = [a for k in keys for a in ("--covenant", k.hex())] + ["--quorum", str(quorum)]
    assert _address(*pick) == _address(*explicit) == _address(*pick, *explicit)


def test_address_errors_come_from_the_params_model() -> None:
    exc = _address("--params-version", "99")
    assert isinstance(exc, ParamsError) and exc.field == "version"
    exc = _address("--height", "1")
    assert isinstance(exc, ParamsError) and exc.field == "activation_height"
