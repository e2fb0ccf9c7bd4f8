"""What the offline stake builders' shared options mean: their declarations (``argspec``, read by
click and by the fast lane) and ``stake_ctx``, which turns them into keys, a covenant committee
and a params version. No click here: ``stake address`` uses it from the fast lane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from l2kit.btc.keys import XOnlyPubKey, parse_pubkey
from l2kit.btc.network import Network, by_kind
from l2kit.cli.argspec import Opt
from l2kit.errors import InputError, ParamsError
from l2kit.frozen import frozen
from l2kit.staking import build_terms as terms
from l2kit.staking.bundled import bundled_committee, bundled_name

if TYPE_CHECKING:
    from l2kit.staking.params import StakingParams

# The params models (pydantic) are imported where a command reads params, so that builders
# given explicit keys start fast, and `address` reads the bundled committee without them.

NETWORK_CHOICES = tuple(name for r in by_kind() for name in r.names)

NETWORK = Opt(
    ("--network",),
    "network",
    "Bitcoin network.",
    choices=NETWORK_CHOICES,
    default="regtest",
    show_default=True,
)
PARAMS = (
    Opt(
        ("--params",),
        "params_file",
        "Params file: phase-1 global-params.json or phase-2 btcstaking params.",
        kind="file",
    ),
    Opt(("--params-version",), "params_version", "Params version (default: latest).", "int"),
    Opt(("--height",), "height", "Pick the params version in force at this BTC height.", "int"),
)
KEYS = (
    Opt(("--staker",), "staker", "Staker public key (hex).", required=True),
    Opt(("--fp",), "fps", "Finality provider key (repeat).", multiple=True),
    Opt(
        ("--covenant",),
        "covenants",
        "Covenant key (repeat; default: the params' committee).",
        multiple=True,
    ),
    Opt(("--quorum",), "quorum", "Covenant quorum (default: the params').", "int"),
)
STAKING_TIME = Opt(
    ("--staking-time",), "staking_time", "Staking timelock (blocks).", "int", required=True
)


@frozen
class Ctx:
    """The network, keys, covenant committee and params version a builder command works with."""

    net: Network
    params: StakingParams | None
    staker: XOnlyPubKey
    fps: tuple[XOnlyPubKey, ...]
    covenants: tuple[XOnlyPubKey, ...]
    quorum: int


def stake_params(
    net: Network, params_file: str | None, version: int | None, height: int | None
) -> StakingParams | None:
    """The version picked from ``--params`` or the bundled params of the network; builders
    given every value explicitly need none (unless a version or height is asked for)."""
    required = version is not None or height is not None
    if not params_file and not required:
        try:
            bundled_name(net)  # none bundled: nothing to read, no params model to import
        except ParamsError:
            return None
    from l2kit.staking.params import pick, resolve

    pset = resolve(net, params_file=params_file or None, bundled=True, required=required)
    return None if pset is None else pick(pset, version, height)


def stake_ctx(
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    need_fps: bool = True,
    committee_only: bool = False,
) -> Ctx:
    """``committee_only``: the command uses nothing of the params but the covenant committee,
    so bundled params are read without the params model (``Ctx.params`` is then None); the
    model still reads ``--params FILE`` and answers whatever that reading cannot."""
    net = Network.parse(network)
    given = tuple(parse_pubkey(k, f"--covenant[{i}]") for i, k in enumerate(covenants))
    light = None
    if committee_only and not params_file:
        light = bundled_committee(net, params_version, height)
    params = None if light else stake_params(net, params_file, params_version, height)
    if light:
        covs, q = given or light[0], (quorum if quorum is not None else light[1])
    else:
        covs, q = terms.committee(params, given, quorum)
    fp_keys = tuple(parse_pubkey(k, f"--fp[{i}]") for i, k in enumerate(fps))
    if need_fps and not fp_keys:
        raise InputError("at least one --fp is needed", field="--fp")
    return Ctx(net, params, parse_pubkey(staker, "--staker"), fp_keys, covs, q)
