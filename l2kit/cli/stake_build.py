"""`l2kit stake scripts|build-*|inspect`: offline builders (no node, no I/O beyond reading
arguments, files and stdin). ``conformance`` and ``address`` have modules of their own (they run
without click); the options these share are declared in ``stake_args``.

Keys are 33-byte compressed or 32-byte x-only hex. The covenant committee, quorum, unbonding
time/fee and slashing fields default to a params version (``--params FILE`` or the bundled
params of ``--network``; ``--params-version``/``--height`` pick the version, default latest);
explicit flags override them, and builders then check the values against that version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from l2kit.btc.keys import parse_pubkey
from l2kit.btc.network import Network, address_to_script
from l2kit.btc.script import to_asm
from l2kit.btc.taproot import TaprootOutput, tap_leaf_hash
from l2kit.btc.tx import CTransaction, OutPoint, parse, serialize, txid_hex, vsize
from l2kit.cli.argspec import Opt, click_options
from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.cli.paramtypes import FiniteFloat
from l2kit.cli.stake_args import KEYS, NETWORK, PARAMS, STAKING_TIME, stake_ctx, stake_params
from l2kit.errors import InputError
from l2kit.inputfiles import tx_text
from l2kit.staking import build_terms as terms
from l2kit.staking.scripts import (
    slashing_change_info,
    staking_info,
    unbonding_info,
)
from l2kit.staking.transactions import (
    Utxo,
    build_slashing_tx,
    build_staking_tx,
    build_unbonding_tx,
    build_withdrawal_tx,
)

if TYPE_CHECKING:
    from l2kit.staking.params import ParamsSet

network_opt = click_options(NETWORK)
params_opts = click_options(*PARAMS)
key_opts = click_options(*KEYS)
staking_time_opt = click_options(STAKING_TIME)


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


def _tx_json(tx: CTransaction, **extra: Any) -> dict[str, Any]:
    return {
        "tx_hex": serialize(tx, witness=False).hex(),
        "txid": txid_hex(tx),
        "vsize_unsigned": vsize(tx),
        **extra,
    }


# --- commands ---------------------------------------------------------------------------------


@click.command("scripts")
@key_opts
@staking_time_opt
@click.option("--unbonding-time", type=int, help="Unbonding timelock (default: the params').")
@click.option("--value", type=int, default=1, show_default=True, help="Staking value (sats).")
@network_opt
@params_opts
@json_option
def scripts_cmd(
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    staking_time: int,
    unbonding_time: int | None,
    value: int,
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    as_json: bool,
) -> None:
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
                for name, s in (
                    ("timelock", si.timelock_script),
                    ("unbonding", si.unbonding_script),
                    ("slashing", si.slashing_script),
                )
            },
        }
    }
    ut = (
        unbonding_time
        if unbonding_time is not None
        else (terms.from_params(c.params, "unbonding_time"))
    )
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


def _utxo(text: str, i: int) -> Utxo:
    parts = text.split(":")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
        raise InputError("must be TXID:VOUT:VALUE:SCRIPTPUBKEY_HEX", field=f"--utxo[{i}]")
    try:
        spk = bytes.fromhex(parts[3])
    except ValueError:
        raise InputError("scriptPubKey must be hex", field=f"--utxo[{i}]") from None
    return Utxo(OutPoint(parts[0], int(parts[1])), int(parts[2]), spk)


@click.command("build-staking")
@key_opts
@staking_time_opt
@click.option("--value", type=int, required=True, help="Stake (sats).")
@click.option(
    "--utxo",
    "utxos",
    multiple=True,
    required=True,
    help="Funding UTXO TXID:VOUT:VALUE:SCRIPTPUBKEY_HEX (P2WPKH/P2TR; repeat).",
)
@click.option("--change-address", required=True, help="Where the change goes.")
@click.option("--fee-rate", type=FiniteFloat(), required=True, help="sat/vB.")
@click.option(
    "--op-return/--no-op-return",
    default=False,
    help="Add the phase-1 V0 OP_RETURN (needs one --fp and a tag).",
)
@click.option("--tag", help="4-byte OP_RETURN tag hex (default: the params').")
@network_opt
@params_opts
@json_option
def build_staking_cmd(
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    staking_time: int,
    value: int,
    utxos: tuple[str, ...],
    change_address: str,
    fee_rate: float,
    op_return: bool,
    tag: str | None,
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    as_json: bool,
) -> None:
    """An unsigned staking transaction (staking output first, OP_RETURN second, change last)."""
    c = stake_ctx(network, params_file, params_version, height, staker, fps, covenants, quorum)
    if c.params is not None:
        from l2kit.staking.params import check_stake

        check_stake(c.params, value, staking_time)
    si = staking_info(c.staker, c.fps, c.covenants, c.quorum, staking_time, value, c.net)
    data = terms.v0_op_return(c.params, tag, c.staker, c.fps, staking_time) if op_return else None
    change = address_to_script(change_address, c.net, field="--change-address")
    tx = build_staking_tx([_utxo(u, i) for i, u in enumerate(utxos)], si, change, fee_rate, data)
    emit(
        _tx_json(
            tx,
            staking_output_index=0,
            address=si.address,
            params_version=c.params.version if c.params else None,
        ),
        as_json,
    )


unbonding_opts = click_options(
    Opt(
        ("--unbonding-time",), "unbonding_time", "Unbonding timelock (default: the params').", "int"
    ),
    Opt(("--unbonding-fee",), "unbonding_fee", "Unbonding fee (default: the params').", "int"),
)


@click.command("build-unbonding")
@key_opts
@click.option("--staking-outpoint", required=True, help="TXID:VOUT of the staking output.")
@click.option("--value", type=int, required=True, help="Stake (sats).")
@unbonding_opts
@network_opt
@params_opts
@json_option
def build_unbonding_cmd(
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    staking_outpoint: str,
    value: int,
    unbonding_time: int | None,
    unbonding_fee: int | None,
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    as_json: bool,
) -> None:
    """The unsigned unbonding transaction (v2, seq ffffffff, value = stake - unbonding fee)."""
    c = stake_ctx(network, params_file, params_version, height, staker, fps, covenants, quorum)
    ut, fee = terms.unbonding_terms(c.params, unbonding_time, unbonding_fee)
    ui = unbonding_info(c.staker, c.fps, c.covenants, c.quorum, ut, value - fee, c.net)
    tx = build_unbonding_tx(OutPoint.parse(staking_outpoint, "--staking-outpoint"), value, ui)
    emit(_tx_json(tx, unbonding_value=ui.value, address=ui.address), as_json)


@click.command("build-slashing")
@key_opts
@click.option(
    "--from",
    "source",
    type=click.Choice(["staking", "unbonding"]),
    required=True,
    help="Spend the staking output or unbonding output 0.",
)
@click.option("--outpoint", required=True, help="TXID:VOUT of the spent output.")
@click.option("--value", type=int, required=True, help="Value of the spent output (sats).")
@click.option("--slashing-script", help="Slashing pkScript hex (default: the params').")
@click.option("--slashing-rate", help="Slashing rate, e.g. 0.1 (default: the params').")
@click.option("--slashing-fee", type=int, help="Fee (default: the params' minimum).")
@click.option("--unbonding-time", type=int, help="Change timelock (default: the params').")
@network_opt
@params_opts
@json_option
def build_slashing_cmd(
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    source: str,
    outpoint: str,
    value: int,
    slashing_script: str | None,
    slashing_rate: str | None,
    slashing_fee: int | None,
    unbonding_time: int | None,
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    as_json: bool,
) -> None:
    """An unsigned slashing transaction (out[0] slashed, out[1] timelocked change)."""
    c = stake_ctx(network, params_file, params_version, height, staker, fps, covenants, quorum)
    t = terms.slashing_terms(c.params, slashing_script, slashing_rate, slashing_fee, unbonding_time)
    change = slashing_change_info(c.staker, t.change_time, net=c.net)
    min_fee = c.params.min_slashing_tx_fee_sat if c.params else None
    tx = build_slashing_tx(
        OutPoint.parse(outpoint, "--outpoint"),
        value,
        t.pk_script,
        t.rate,
        t.fee,
        change,
        min_fee=min_fee,
    )
    emit(
        _tx_json(
            tx,
            source=source,
            slashed=tx.vout[0].nValue,
            change=tx.vout[1].nValue,
            change_address=change.address,
        ),
        as_json,
    )


@click.command("build-withdrawal")
@click.option("--staker", required=True, help="Staker public key (hex).")
@click.option("--fp", "fps", multiple=True, help="Finality provider key (staking/unbonding).")
@click.option("--covenant", "covenants", multiple=True, help="Covenant key (repeat).")
@click.option("--quorum", type=int, help="Covenant quorum.")
@click.option(
    "--from",
    "source",
    type=click.Choice(["staking", "unbonding", "slashing"]),
    required=True,
    help="Which output's timelock leaf is spent.",
)
@click.option("--outpoint", required=True, help="TXID:VOUT of the spent output.")
@click.option("--value", type=int, required=True, help="Value of the spent output (sats).")
@click.option("--staking-time", type=int, help="Timelock of the staking output.")
@click.option("--unbonding-time", type=int, help="Timelock of unbonding/slashing-change outputs.")
@click.option("--dest-address", required=True, help="Where the funds go.")
@click.option("--fee-rate", type=FiniteFloat(), required=True, help="sat/vB.")
@network_opt
@params_opts
@json_option
def build_withdrawal_cmd(
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    source: str,
    outpoint: str,
    value: int,
    staking_time: int | None,
    unbonding_time: int | None,
    dest_address: str,
    fee_rate: float,
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    as_json: bool,
) -> None:
    """An unsigned withdrawal via the timelock leaf (nSequence = the timelock)."""
    if source == "slashing":
        net = Network.parse(network)
        p = stake_params(net, params_file, params_version, height)
        ut = terms.unbonding_time(p, unbonding_time)
        ch = slashing_change_info(parse_pubkey(staker, "--staker"), ut, net=net)
        output, leaf, seq = ch.output, ch.timelock_script, ut
    else:
        c = stake_ctx(network, params_file, params_version, height, staker, fps, covenants, quorum)
        net = c.net
        if source == "staking":
            if staking_time is None:
                raise InputError("needed for --from staking", field="--staking-time")
            si = staking_info(c.staker, c.fps, c.covenants, c.quorum, staking_time, value, net)
            output, leaf, seq = si.output, si.timelock_script, staking_time
        else:
            ut = terms.unbonding_time(c.params, unbonding_time)
            ui = unbonding_info(c.staker, c.fps, c.covenants, c.quorum, ut, value, net)
            output, leaf, seq = ui.output, ui.timelock_script, ut
    dest = address_to_script(dest_address, net, field="--dest-address")
    cb = output.control_block(leaf)
    tx = build_withdrawal_tx(
        OutPoint.parse(outpoint, "--outpoint"),
        value,
        seq,
        dest,
        fee_rate,
        leaf_script=leaf,
        control_block=cb,
    )
    emit(
        _tx_json(
            tx,
            sequence=seq,
            fee=value - tx.vout[0].nValue,
            leaf_script=leaf.hex(),
            control_block=cb.hex(),
        ),
        as_json,
    )


@click.command("inspect")
@click.argument("txhex")
@click.option("--input-value", type=int, help="Value of the spent output (enables fee checks).")
@network_opt
@click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False),
    help="Params file (default: the bundled params of --network, if any).",
)
@json_option
def inspect_cmd(
    txhex: str, input_value: int | None, network: str, params_file: str | None, as_json: bool
) -> None:
    """Decode a transaction (hex, a file holding it, or - for stdin) and say what it is and
    which params versions it satisfies."""
    tx = parse(tx_text(txhex, "TXHEX"), field="TXHEX")
    from l2kit.staking.inspect import inspect_tx
    from l2kit.staking.params import candidates

    net = Network.parse(network)
    found: list[ParamsSet | None] = [*candidates(net, params_file or None)]
    results = [inspect_tx(tx, net, p, input_value) for p in found or [None]]
    best = next((r for r in results if r.get("params_versions")), results[-1])
    emit(best, as_json)


COMMANDS: list[click.Command] = [
    scripts_cmd,
    build_staking_cmd,
    build_unbonding_cmd,
    build_slashing_cmd,
    build_withdrawal_cmd,
    inspect_cmd,
]
