"""The Babylon params files shipped in ``l2kit/staking/data``, and the covenant committee of one
of their versions read straight from the JSON.

``l2kit.staking.params`` validates these files into a ``ParamsSet`` (pydantic models). A command
that needs only the committee of the bundled params (``stake address``) reads it here instead:
importing pydantic and building the params models costs more than an offline command's whole
start-up budget (0.12 s). The files are l2kit's own; a test checks that this reading and the
model agree on every bundled version and at every activation height.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from l2kit.btc.keys import XOnlyPubKey, parse_pubkey
from l2kit.btc.network import Network
from l2kit.errors import BadKey, ParamsError

__all__ = ["BUNDLED", "bundled_committee", "bundled_json", "bundled_name", "committee"]

BUNDLED = {
    "bbn-1-phase1": "bbn-1-phase1-global-params.json",
    "bbn-test-4-phase1": "bbn-test-4-phase1-global-params.json",
    "bbn-1-phase2": "bbn-1-phase2-btcstaking-params.v1-upgrade.extracted.json",
}
# os.path, not pathlib or importlib.resources: both would add to every offline start-up.
_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def bundled_name(net: Network, phase: Literal[1, 2] = 2) -> str:
    """The bundled params of a public network: mainnet phase 1 or 2, signet phase 1."""
    if net is Network.MAINNET:
        return "bbn-1-phase2" if phase == 2 else "bbn-1-phase1"
    if net is Network.SIGNET and phase == 1:
        return "bbn-test-4-phase1"
    raise ParamsError(
        f"no bundled phase-{phase} params for {net.value}; pass a params file", field="params"
    )


def bundled_json(name: str) -> Any:
    """The parsed JSON of a bundled params file (``bbn-1-phase1``, ``bbn-1-phase2``,
    ``bbn-test-4-phase1``)."""
    if name not in BUNDLED:
        raise ParamsError(
            f"unknown bundled params {name!r} (one of {', '.join(BUNDLED)})", field="params"
        )
    with open(os.path.join(_DATA, BUNDLED[name]), encoding="utf-8") as handle:
        return json.load(handle)


def _versions(data: Any) -> list[tuple[Any, Any, dict[str, Any]]] | None:
    """(version, activation height, entry) of each version, as ``params_from_json`` numbers
    them: a phase-1 ``{"versions": [...]}`` carries them; a phase-2 list counts from 0."""
    if isinstance(data, dict) and isinstance(data.get("versions"), list):
        entries = data["versions"]
        return [
            (e.get("version"), e.get("activation_height"), e)
            for e in entries
            if isinstance(e, dict)
        ]
    if isinstance(data, list):
        return [
            (i, e.get("btc_activation_height"), e)
            for i, e in enumerate(data)
            if isinstance(e, dict)
        ]
    return None


def committee(
    data: Any, version: int | None = None, height: int | None = None
) -> tuple[tuple[XOnlyPubKey, ...], int] | None:
    """(covenant keys, quorum) of a params document's version ``version``, else the one in force
    at ``height``, else the latest, as ``ParamsSet.by_version``/``for_height``/``latest`` pick
    them.

    None when this reading cannot answer for certain (no such version or height, an entry of an
    unexpected shape): the caller then asks the params model, which gives the answer or the error.
    """
    versions = _versions(data)
    if not versions or any(
        not isinstance(v, int) or not isinstance(h, int) for v, h, _ in versions
    ):
        return None
    if version is not None:
        chosen = [e for v, _, e in versions if v == version]
    elif height is not None:
        chosen = [e for _, h, e in versions if h <= height][-1:]
    else:
        chosen = [versions[-1][2]]
    if not chosen:
        return None
    keys, quorum = chosen[0].get("covenant_pks"), chosen[0].get("covenant_quorum")
    if not isinstance(keys, list) or not keys or isinstance(quorum, bool):
        return None
    if not isinstance(quorum, int) or not 0 < quorum <= len(keys):
        return None
    try:
        return tuple(parse_pubkey(k) for k in keys), quorum
    except BadKey:
        return None


def bundled_committee(
    net: Network, version: int | None = None, height: int | None = None
) -> tuple[tuple[XOnlyPubKey, ...], int] | None:
    """``committee`` of the bundled params of ``net`` (``default_params(net)``'s file); None
    also when ``net`` has none."""
    try:
        data = bundled_json(bundled_name(net))
    except ParamsError:
        return None
    return committee(data, version, height)
