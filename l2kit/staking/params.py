"""Babylon staking parameters: phase-1 global-params files and phase-2 ``x/btcstaking`` Params.

Both phases load into one shape (``StakingParams``) with the phase-1 field names; phase-2 chain
names (``min_staking_value_sat``, ``unbonding_time_blocks`` …) are mapped on input and kept as
read-only aliases. Phase-1 files have no slashing fields (lock-only staking); phase-2 ones have
no tag/cap. A version is chosen by BTC height: the last one with ``activation_height <= h``.

Every violated bound raises ``ParamsError(version=…, field=…)`` naming the version and field.

This module reads params documents (files, bundled, regtest) and holds the one resolver of
where a command's params come from (``resolve``); the model, the version set and the checks
live in ``params_model`` and are re-exported here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from l2kit import paths
from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.network import Network
from l2kit.btc.script import Script
from l2kit.errors import InputError, ParamsError
from l2kit.fsutil import write_atomic
from l2kit.inputfiles import BadDocument, load_json, read_text
from l2kit.staking.bundled import bundled_json, bundled_name
from l2kit.staking.params_model import (
    ParamsSet,
    Phase1Params,
    Phase2Params,
    StakingParams,
    build_params,
    check_slashing,
    check_stake,
    check_unbonding,
    parse_slashing_rate,
)

__all__ = [
    "BABYLON_BURN_SCRIPT",
    "ParamsSet",
    "Phase1Params",
    "Phase2Params",
    "StakingParams",
    "bundled_params",
    "candidates",
    "check_params_match",
    "check_slashing",
    "check_stake",
    "check_unbonding",
    "default_params",
    "load_global_params",
    "params_from_json",
    "parse_slashing_rate",
    "pick",
    "regtest_params",
    "resolve",
    "write_regtest_params",
]

BABYLON_BURN_SCRIPT = Script(bytes.fromhex("6a07626162796c6f6e"))
"""``OP_RETURN "babylon"``: mainnet's slashing pkScript (slashed coins are burnt)."""


def params_from_json(data: Any, source: str = "") -> ParamsSet:
    """Parse any supported params document:

    - phase-1 ``{"versions": [...]}`` (global-params.json; also ``ParamsSet.to_json()``, whose
      entries carry ``"phase"``);
    - phase-2 list of Params (the extracted upgrade JSON), versions numbered from 0;
    - phase-2 REST ``{"params": [{"version": n, "params": {...}}, ...]}`` (params_versions)
      or ``{"params": {...}, "version": n}`` (one version).
    """
    if isinstance(data, dict) and "versions" in data:
        raw = data["versions"]
        if not isinstance(raw, list):
            raise ParamsError("versions must be a list", field="versions")
        items: list[StakingParams] = []
        for i, v in enumerate(raw):
            if not isinstance(v, dict):
                raise ParamsError("must be an object", field=f"versions[{i}]")
            fields = {k: x for k, x in v.items() if k != "phase"}  # l2kit's own to_json form
            cls: type[StakingParams] = Phase2Params if v.get("phase") == 2 else Phase1Params
            items.append(build_params(cls, fields, v.get("version")))
        return ParamsSet(items, source)
    if isinstance(data, list):
        return ParamsSet(
            [Phase2Params.from_chain(_obj(v, i), i) for i, v in enumerate(data)], source
        )
    if isinstance(data, dict) and isinstance(data.get("params"), list):
        out = []
        for i, item in enumerate(data["params"]):
            item = _obj(item, i)
            out.append(
                Phase2Params.from_chain(_obj(item.get("params"), i), int(item.get("version", i)))
            )
        return ParamsSet(out, source)
    if isinstance(data, dict) and isinstance(data.get("params"), dict):
        return ParamsSet([Phase2Params.from_chain(data["params"], int(data.get("version", 0)))])
    raise ParamsError(
        "not a phase-1 global-params or phase-2 btcstaking params document", field="params"
    )


def _obj(value: object, index: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParamsError("must be an object", version=index, field="params")
    return value


PARAMS_MAX_BYTES = 4 * 1024 * 1024  # mainnet's files are ~20 KiB


def load_global_params(path: str | Path) -> ParamsSet:
    """Load a params file (any format ``params_from_json`` accepts)."""
    p = Path(path)
    try:
        data = load_json(read_text(p, PARAMS_MAX_BYTES))
    except OSError as exc:
        raise ParamsError(f"cannot read {p}: {exc.strerror}", field="params") from None
    except BadDocument as exc:
        raise ParamsError(f"{p}: {exc}", field="params") from None
    return params_from_json(data, source=str(p))


def bundled_params(name: str) -> ParamsSet:
    """A params file shipped in ``l2kit/staking/data`` (``bbn-1-phase1``, ``bbn-1-phase2``,
    ``bbn-test-4-phase1``; the table is in ``l2kit.staking.bundled``)."""
    return params_from_json(bundled_json(name), source=f"bundled:{name}")


def default_params(net: Network, phase: Literal[1, 2] = 2) -> ParamsSet:
    """The bundled params of a public network: mainnet phase 1 or 2, signet phase 1."""
    return bundled_params(bundled_name(net, phase))


def regtest_params(
    covenant_pks: Sequence[XOnlyPubKey | str | bytes],
    quorum: int,
    *,
    min_staking_amount: int = 10_000,
    max_staking_amount: int = 100 * 10**8,
    min_staking_time: int = 10,
    max_staking_time: int = 0xFFFF,
    unbonding_time: int = 5,
    unbonding_fee: int = 1_000,
    slashing_pk_script: bytes = BABYLON_BURN_SCRIPT,
    slashing_rate: str = "0.1",
    min_slashing_tx_fee_sat: int = 1_000,
    tag: bytes = b"l2kt",
    confirmation_depth: int = 2,
    activation_height: int = 0,
) -> Phase2Params:
    """Small-time params for regtest demos and tests (version 0, active from height 0).

    Has both the phase-2 slashing fields and a phase-1 ``tag`` (for V0 OP_RETURN indexing).
    """
    data = {
        "version": 0,
        "activation_height": activation_height,
        "covenant_pks": list(covenant_pks),
        "covenant_quorum": quorum,
        "min_staking_amount": min_staking_amount,
        "max_staking_amount": max_staking_amount,
        "min_staking_time": min_staking_time,
        "max_staking_time": max_staking_time,
        "unbonding_time": unbonding_time,
        "unbonding_fee": unbonding_fee,
        "slashing_pk_script": bytes(slashing_pk_script),
        "slashing_rate": slashing_rate,
        "min_slashing_tx_fee_sat": min_slashing_tx_fee_sat,
        "tag": bytes(tag),
        "confirmation_depth": confirmation_depth,
    }
    return build_params(Phase2Params, data, 0)


def write_regtest_params(directory: Path, covenant_pks: Sequence[XOnlyPubKey], quorum: int) -> Path:
    """``<directory>/params.json``: the ``regtest_params`` of a local committee, in the
    global-params format, where ``resolve(committee_dir=directory)`` finds them."""
    doc = regtest_params(covenant_pks, quorum).to_json()
    doc.pop("phase", None)
    path = directory / paths.PARAMS_FILE
    write_atomic(path, json.dumps({"versions": [doc]}, indent=2))
    return path


# what the params used to build must agree on with the chain's version (fields we build with)
_BUILD_FIELDS = (
    "covenant_pks",
    "covenant_quorum",
    "min_staking_amount",
    "max_staking_amount",
    "min_staking_time",
    "max_staking_time",
    "unbonding_time",
    "unbonding_fee",
    "slashing_pk_script",
    "slashing_rate",
    "min_slashing_tx_fee_sat",
)


def check_params_match(local: StakingParams, remote: StakingParams) -> None:
    """``--params`` must say what the chain says for the version in force."""
    for name in _BUILD_FIELDS:
        if getattr(local, name) != getattr(remote, name):
            raise InputError(
                f"{name} differs from the chain's params v{remote.version}", field="params"
            )


@overload
def resolve(
    net: Network | None = ...,
    *,
    params_file: str | Path | None = ...,
    committee_dir: Path | None = ...,
    chain: Callable[[Network], ParamsSet] | None = ...,
    bundled: bool = ...,
    required: Literal[True] = ...,
) -> ParamsSet: ...


@overload
def resolve(
    net: Network | None = ...,
    *,
    params_file: str | Path | None = ...,
    committee_dir: Path | None = ...,
    chain: Callable[[Network], ParamsSet] | None = ...,
    bundled: bool = ...,
    required: bool,
) -> ParamsSet | None: ...


def resolve(
    net: Network | None = None,
    *,
    params_file: str | Path | None = None,
    committee_dir: Path | None = None,
    chain: Callable[[Network], ParamsSet] | None = None,
    bundled: bool = False,
    required: bool = True,
) -> ParamsSet | None:
    """Where a command's staking params come from; the first that applies wins:

    1. ``chain`` (online registration): the Babylon chain's params; a ``params_file`` given
       must say the same for the version in force (``check_params_match``);
    2. ``params_file``;
    3. ``committee_dir``: the regtest params ``covenant init`` wrote there (``params.json``);
    4. ``bundled``: the bundled params of a public ``net`` (``default_params``).

    Nothing found: ``InputError``/``ParamsError`` (field ``params``), or None when not
    ``required``.
    """
    if chain is not None:
        if net is None:
            raise ValueError("the chain's params need the network")
        local = None if params_file is None else load_global_params(params_file)
        remote = chain(net)
        if local is not None:
            check_params_match(local.latest, remote.latest)
        return remote
    if params_file is not None:
        return load_global_params(params_file)
    if committee_dir is not None:
        if (committee_dir / paths.PARAMS_FILE).exists():
            return load_global_params(committee_dir / paths.PARAMS_FILE)
        if required:
            raise InputError(
                f"no params: pass --params or run `l2kit regtest covenant init` ({committee_dir})",
                field="params",
            )
        return None
    if bundled and net is not None:
        try:
            return default_params(net)
        except ParamsError:
            if required:
                raise
            return None
    if required:
        raise InputError("no params: pass --params", field="params")
    return None


def candidates(net: Network, params_file: str | Path | None = None) -> list[ParamsSet]:
    """The params a tx found in the wild may be checked against: ``params_file``, else the
    bundled ones of ``net``, phase 1 (tagged staking txs) then phase 2 (slashing fields)."""
    if params_file is not None:
        return [load_global_params(params_file)]
    found = []
    for phase in (1, 2):
        with contextlib.suppress(ParamsError):
            found.append(default_params(net, phase=phase))
    return found


def pick(pset: ParamsSet, version: int | None = None, height: int | None = None) -> StakingParams:
    """One version of ``pset``: by number, else the one in force at BTC ``height``, else the
    latest."""
    if version is not None:
        chosen: StakingParams = pset.by_version(version)
        return chosen
    if height is not None:
        chosen = pset.for_height(height)
        return chosen
    latest: StakingParams = pset.latest
    return latest
