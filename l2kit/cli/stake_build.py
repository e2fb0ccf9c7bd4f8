"""`l2kit stake scripts|address`: the staking output's leaf scripts, control blocks and address,
offline; and the key and params options (and their resolution into a ``Ctx``) that every
offline stake command shares (``stake_tx``, ``stake_life`` and ``stake_register`` use them).

Keys are 33-byte compressed or 32-byte x-only hex. The covenant committee, quorum, unbonding
time/fee and slashing fields default to a params version (``--params FILE`` or the bundled
params of ``--network``; ``--params-version``/``--height`` pick the version, default latest);
explicit flags override them, and builders then check the values against that version.

Start-up (issue #14): this module imports no transaction code (python-bitcoinlib) and the params
models (pydantic) only where a command reads params; ``address`` reads the bundled committee
without them (``l2kit.staking.bundled``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from l2kit.btc.keys import XOnlyPubKey, parse_pubkey
from l2kit.btc.network import Network
from l2kit.btc.script import to_asm
from l2kit.btc.taproot import TaprootOutput, tap_leaf_hash
from l2kit.cli.output import emit, json_option
from l2kit.errors import InputError, ParamsError
from l2kit.staking.bundled import bundled_committee, bundled_name
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info

if TYPE_CHECKING:
    from l2kit.staking.params import ParamsSet, StakingParams

NETWORKS = ["mainnet", "signet", "testnet", "testnet3", "testnet4", "regtest"]


# --- shared options ---------------------------------------------------------------------------


def option_group(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Several click decorators applied as one (in the order written)."""

    def wrap(f: Any) -> Any:
        for d in reversed(decorators):
            f = d(f)
        return f

    return wrap


network_opt = click.option("--network", type=click.Choice(NETWORKS), default="regtest",
                           show_default=True, help="Bitcoin network.")  # fmt: skip
params_opts = option_group(
    click.option("--params", "params_file", type=click.Path(dir_okay=False),
                 help="Params file: phase-1 global-params.json or phase-2 btcstaking params."),
    click.option("--params-version", type=int, help="Params version (default: latest)."),
    click.option("--height", type=int, help="Pick the params version in force at this BTC height."),
)  # fmt: skip
key_opts = option_group(
    click.option("--staker", required=True, help="Staker public key (hex)."),
    click.option("--fp", "fps", multiple=True, help="Finality provider key (repeat)."),
    click.option("--covenant", "covenants", multiple=True,
                 help="Covenant key (repeat; default: the params' committee)."),
    click.option("--quorum", type=int, help="Covenant quorum (default: the params')."),
)  # fmt: skip


@dataclass(frozen=True)
class Ctx:
    net: Network
    params: StakingParams | None
    staker: XOnlyPubKey
    fps: tuple[XOnlyPubKey, ...]
    covenants: tuple[XOnlyPubKey, ...]
    quorum: int


def pick_params(
    net: Network, params_file: str | None, version: int | None, height: int | None
) -> StakingParams | None:
    """The params version of ``--params FILE`` or of the bundled params of ``net`` (None when
    ``net`` has none and no version or height was asked for)."""
    if not params_file:
        try:
            bundled_name(net)  # none bundled: nothing to read, no params model to import
        except ParamsError:
            if version is not None or height is not None:
                raise
            return None
    from l2kit.staking.params import default_params, load_global_params

    pset: ParamsSet = load_global_params(params_file) if params_file else default_params(net)
    if version is not None:
        chosen: StakingParams = pset.by_version(version)
        return chosen
    if height is not None:
        chosen = pset.for_height(height)
        return chosen
    return pset.latest


def stake_ctx(
    network: str, params_file: str | None, params_version: int | None, height: int | None,
    staker: str, fps: tuple[str, ...], covenants: tuple[str, ...], quorum: int | None,
    need_fps: bool = True, committee_only: bool = False,
) -> Ctx:  # fmt: skip
    """Network, params version, keys and quorum of a command's options.

    ``committee_only``: the command uses nothing of the params but the covenant committee, so
    bundled params are read without the params model (``Ctx.params`` is then None); the model
    still reads ``--params FILE`` and answers whatever the bundled reading cannot.
    """
    net = Network.parse(network)
    params, committee = None, None
    if committee_only and not params_file:
        committee = bundled_committee(net, params_version, height)
    if committee is None:
        params = pick_params(net, params_file, params_version, height)
        if params is not None:
            committee = (params.covenant_pks, params.covenant_quorum)
    covs = tuple(parse_pubkey(k, f"--covenant[{i}]") for i, k in enumerate(covenants))
    if not covs:
        if committee is None:
            raise InputError("give --covenant keys or --params", field="--covenant")
        covs = committee[0]
    q = quorum if quorum is not None else (committee[1] if committee else None)
    if q is None:
        raise InputError("give --quorum or --params", field="--quorum")
    fp_keys = tuple(parse_pubkey(k, f"--fp[{i}]") for i, k in enumerate(fps))
    if need_fps and not fp_keys:
        raise InputError("at least one --fp is needed", field="--fp")
    return Ctx(net, params, parse_pubkey(staker, "--staker"), fp_keys, covs, q)


def from_params(params: StakingParams | None, attr: str) -> int | None:
    """A default from the params version (None without params; 0 stays 0, so it is checked)."""
    return None if params is None else int(getattr(params, attr))


def _tree_json(output: TaprootOutput) -> dict[str, Any]:
    return {
        "script_pubkey": output.script_pubkey.hex(),
        "output_key": output.output_key.hex(),
        "parity": output.parity,
        "internal_key": output.internal_key.hex(),
        "merkle_root": output.merkle_root.hex(),
    }


def _leaf_json(output: TaprootOutput, script: bytes) -> dict[str, Any]:
    return {
        "script_hex": script.hex(),
        "asm": to_asm(script),
        "size": len(script),
        "leaf_hash": tap_leaf_hash(script).hex(),
        "control_block": output.control_block(script).hex(),
    }


# --- commands ---------------------------------------------------------------------------------


@click.command("scripts")
@key_opts
@click.option("--staking-time", type=int, required=True, help="Staking timelock (blocks).")
@click.option("--unbonding-time", type=int, help="Unbonding timelock (default: the params').")
@click.option("--value", type=int, default=1, show_default=True, help="Staking value (sats).")
@network_opt
@params_opts
@json_option
def scripts_cmd(staker: str, fps: tuple[str, ...], covenants: tuple[str, ...],
                quorum: int | None, staking_time: int, unbonding_time: int | None, value: int,
                network: str, params_file: str | None, params_version: int | None,
                height: int | None, as_json: bool) -> None:  # fmt: skip
    """Leaf scripts, leaf hashes, control blocks and output keys of the staking output (and
    the unbonding output when an unbonding time is known)."""
    c = stake_ctx(network, params_file, params_version, height, staker, fps, covenants, quorum)
    si = staking_info(c.staker, c.fps, c.covenants, c.quorum, staking_time, value, c.net)
    out: dict[str, Any] = {
        "staking_output": {
            **_tree_json(si.output),
            "address": si.address,
            "leaves": {
                name: _leaf_json(si.output, s)
                for name, s in (("timelock", si.timelock_script),
                                ("unbonding", si.unbonding_script),
                                ("slashing", si.slashing_script))
            },
        }
    }  # fmt: skip
    ut = unbonding_time if unbonding_time is not None else from_params(c.params, "unbonding_time")
    if ut is not None:  # 0 is refused by the builder, not silently skipped
        ui = unbonding_info(c.staker, c.fps, c.covenants, c.quorum, ut, value, c.net)
        out["unbonding_output"] = {
            **_tree_json(ui.output),
            "address": ui.address,
            "leaves": {
                "timelock": _leaf_json(ui.output, ui.timelock_script),
                "slashing": _leaf_json(ui.output, ui.slashing_script),
            },
        }
        ch = slashing_change_info(c.staker, ut, net=c.net)
        out["slashing_change_output"] = {
            **_tree_json(ch.output),
            "address": ch.address,
            "leaves": {"timelock": _leaf_json(ch.output, ch.timelock_script)},
        }
    emit(out, as_json)


@click.command("address")
@key_opts
@click.option("--staking-time", type=int, required=True, help="Staking timelock (blocks).")
@network_opt
@params_opts
@json_option
def address_cmd(staker: str, fps: tuple[str, ...], covenants: tuple[str, ...],
                quorum: int | None, staking_time: int, network: str, params_file: str | None,
                params_version: int | None, height: int | None, as_json: bool) -> None:  # fmt: skip
    """The P2TR address (bech32m) and scriptPubKey of the staking output."""
    c = stake_ctx(network, params_file, params_version, height, staker, fps, covenants, quorum,
                  committee_only=True)
    si = staking_info(c.staker, c.fps, c.covenants, c.quorum, staking_time, 1, c.net)
    emit({"address": si.address, "script_pubkey": si.script_pubkey.hex(),
          "output_key": si.output.output_key.hex(), "network": c.net.value}, as_json)  # fmt: skip


COMMANDS: list[click.Command] = [scripts_cmd, address_cmd]
