"""`l2kit stake sign`: sign a staking-protocol spend (unbonding / slashing / withdrawal leaf).

Offline: no node. The secret key comes only from ``--key-file`` (a file holding 64 hex
characters), never from the command line or the environment, and is never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from l2kit.btc import psbt as P
from l2kit.btc.keys import read_seckey_file, xonly_of
from l2kit.btc.tx import parse, serialize, txid_hex
from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.errors import InputError
from l2kit.fsutil import write_atomic
from l2kit.inputfiles import tx_text
from l2kit.staking.psbt_signing import (
    finalize_psbt,
    parse_prevouts,
    sign_psbt,
    sign_spend,
    signed_spend_psbt,
)

__all__ = ["COMMANDS", "sign_cmd"]


def _hex(value: str, field: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InputError("not hex", field=field) from None


@click.command("sign")
@click.argument("tx", required=False)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the 32-byte secret key as hex (never a CLI arg).",
)
@click.option(
    "--prevout",
    "prevouts",
    multiple=True,
    metavar="SATS:SPK_HEX",
    help="Value and scriptPubKey of each spent output, one per input, in input order.",
)
@click.option("--leaf", help="The revealed leaf script (hex).")
@click.option("--control-block", help="Its control block (hex); checked against the prevout.")
@click.option("--input-index", type=int, default=0, show_default=True, help="Input to sign.")
@click.option(
    "--encrypt-for",
    multiple=True,
    metavar="FP_PK",
    help="Covenant on a slashing tx: adaptor-sign, encrypted under this FP key (repeat).",
)
@click.option(
    "--psbt",
    "psbt_in",
    metavar="PSBT",
    help="Sign a PSBT instead (base64/hex text, a file, or - for stdin): adds a "
    "TAP_SCRIPT_SIG for each TAP_LEAF_SCRIPT the key appears in.",
)
@click.option(
    "--psbt-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the (signed) PSBT here instead of printing it; with TX, export TX, "
    "its prevouts, leaf, control block and the new signature as a PSBT.",
)
@click.option(
    "--finalize",
    is_flag=True,
    help="PSBT mode: after signing (key file optional), assemble every input's witness "
    "from its TAP_SCRIPT_SIGs (exact quorum, descending covenant order, every signature "
    "verified) and print the broadcastable tx.",
)
@json_option
def sign_cmd(
    tx: str | None,
    key_file: Path | None,
    prevouts: tuple[str, ...],
    leaf: str | None,
    control_block: str | None,
    input_index: int,
    encrypt_for: tuple[str, ...],
    psbt_in: str | None,
    psbt_out: Path | None,
    finalize: bool,
    as_json: bool,
) -> None:
    """Sign a staking spend: unbonding, slashing or withdrawal (BIP341 script path, BIP340).

    \b
    Raw mode:  l2kit stake sign TX --key-file K --prevout SATS:SPK [--prevout ...] \\
                   --leaf SCRIPT [--control-block CB] [--encrypt-for FP_PK ...] [--json]
               TX is hex, a file holding hex, or - for stdin. Prints the 64-byte signature
               (or one 65-byte adaptor signature per --encrypt-for), the sighash and the
               signer's role in the leaf. With --psbt-out, also writes a PSBT (BIP174/BIP371:
               WITNESS_UTXO, TAP_LEAF_SCRIPT, TAP_INTERNAL_KEY, TAP_MERKLE_ROOT, TAP_SCRIPT_SIG).
    PSBT mode: l2kit stake sign --psbt PSBT [--key-file K] [--finalize] [--psbt-out FILE]
               Imports a PSBT (e.g. from walletcreatefundedpsbt or another signer), signs
               every tapscript leaf the key appears in and exports it again; --finalize
               assembles the witnesses (FINAL_SCRIPTWITNESS) and prints the signed tx.

    The key must appear in the leaf (staker, finality provider or covenant), and a given
    control block must commit the leaf to the spent output, else nothing is signed.
    """
    if finalize and psbt_in is None:
        raise click.UsageError("--finalize works on a --psbt")
    if key_file is None and not finalize:
        raise click.UsageError("--key-file is required (except for --psbt --finalize)")
    seckey = read_seckey_file(key_file, "key-file") if key_file is not None else None
    if psbt_in is not None:
        if tx is not None or prevouts or leaf or control_block or encrypt_for:
            raise click.UsageError(
                "--psbt takes no TX, --prevout, --leaf, --control-block or --encrypt-for"
            )
        psbt = P.from_psbt(tx_text(psbt_in, "psbt"))
        result: dict[str, Any] = {}
        if seckey is not None:
            result["signed"] = [s.as_dict() for s in sign_psbt(psbt, seckey)]
            result["signer"] = xonly_of(seckey).hex()
        if finalize:
            final_tx = finalize_psbt(psbt)
            result["tx"] = serialize(final_tx).hex()
            result["txid"] = txid_hex(final_tx)
        text = psbt.to_base64()
        if psbt_out is not None:
            write_atomic(psbt_out, text + "\n", 0o600)
        if psbt_out is None:
            result["psbt"] = text
        else:
            result["psbt_file"] = str(psbt_out)
        emit(result, as_json)
        return
    if tx is None or leaf is None or not prevouts:
        raise click.UsageError("raw mode needs TX, --leaf and one --prevout per input (or --psbt)")
    unsigned = parse(tx_text(tx, "tx"))
    spent = parse_prevouts(prevouts, len(unsigned.vin))
    leaf_script = _hex(leaf, "leaf")
    cb = _hex(control_block, "control-block") if control_block is not None else None
    assert seckey is not None  # checked above: only --psbt --finalize runs without a key
    sig = sign_spend(
        unsigned, seckey, spent, leaf_script, cb, input_index=input_index, encrypt_for=encrypt_for
    )
    result = sig.as_dict()
    if psbt_out is not None:
        if cb is None or sig.signature is None:
            raise click.UsageError(
                "--psbt-out in raw mode needs --control-block and a plain "
                "signature (no --encrypt-for)"
            )
        text = signed_spend_psbt(unsigned, spent, leaf_script, cb, sig)
        write_atomic(psbt_out, text + "\n", 0o600)
        result["psbt_file"] = str(psbt_out)
    emit(result, as_json)


COMMANDS: list[click.Command] = [sign_cmd]
