"""`l2kit stake sign`: sign a staking-protocol spend (unbonding / slashing / withdrawal leaf).

Offline: no node. The secret key comes only from ``--key-file`` (a file holding 64 hex
characters), never from the command line or the environment, and is never printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from l2kit.btc import adaptor
from l2kit.btc import psbt as P
from l2kit.btc.keys import XOnlyPubKey, parse_pubkey
from l2kit.btc.sign import schnorr_sign, tapleaf_hash, taproot_script_sighash, xonly_pubkey
from l2kit.btc.taproot import verify_control_block
from l2kit.btc.tx import CTransaction, parse, serialize, set_witness, txid_hex
from l2kit.cli.output import emit, json_option
from l2kit.errors import BadKey, InputError, TxRejected
from l2kit.fsutil import write_atomic
from l2kit.inputfiles import BadDocument, read_text
from l2kit.redact import read_secret_file
from l2kit.staking.scripts import ParsedLeaf, parse_leaf
from l2kit.staking.witness import witness_from_signatures

__all__ = ["COMMANDS", "sign_cmd"]


def read_key_file(path: Path) -> bytes:
    """A 32-byte secret key from a file of 64 hex characters (contents never echoed)."""
    text = read_secret_file(path, "key-file", max_bytes=1024)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise InputError(f"{path} does not hold a hex secret key", field="key-file") from None
    if len(raw) != 32:
        raise InputError(f"{path} must hold 32 bytes (64 hex characters)", field="key-file")
    xonly_pubkey(raw)  # range check (BadKey names the field, not the value)
    return raw


PSBT_MAX_BYTES = 16 * 1024 * 1024  # base64 of the largest standard transactions, with room


def _read_text(value: str, field: str) -> str:
    """``-`` → stdin; an existing file path → its contents; otherwise the value itself."""
    if value == "-":
        text = sys.stdin.read(PSBT_MAX_BYTES + 1)
        if len(text) > PSBT_MAX_BYTES:
            raise InputError(f"larger than {PSBT_MAX_BYTES} bytes", field=field)
        return text.strip()
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        try:
            return read_text(path, PSBT_MAX_BYTES).strip()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}", field=field) from None
        except BadDocument as exc:
            raise InputError(f"{path}: {exc}", field=field) from None
    if "/" in value and not value.startswith("cHNidP"):  # a path (base64 PSBTs start cHNidP)
        raise InputError(f"{value}: no such file (nor a base64/hex value)", field=field)
    return value.strip()


def _hex(value: str, field: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InputError("not hex", field=field) from None


def _prevout(text: str, i: int) -> tuple[int, bytes]:
    value, sep, spk = text.partition(":")
    if not sep or not value.isdigit():
        raise InputError("must be VALUE_SATS:SCRIPTPUBKEY_HEX", field=f"prevout[{i}]")
    return int(value), _hex(spk, f"prevout[{i}]")


def _role(leaf: ParsedLeaf, key: XOnlyPubKey) -> str:
    if key == leaf.staker:
        return "staker"
    if key in leaf.fps:
        return "finality-provider"
    if key in leaf.covenants:
        return "covenant"
    raise BadKey(
        f"key {key.hex()} does not appear in this {leaf.kind.value} leaf", field="key-file"
    )


def _check_leaf(
    leaf_script: bytes, control_block: bytes | None, spk: bytes, field: str
) -> ParsedLeaf:
    leaf = parse_leaf(leaf_script)
    if leaf is None:
        raise InputError("not a Babylon staking leaf script", field=field)
    if control_block is not None:
        if len(spk) != 34 or spk[:2] != b"\x51\x20":
            raise TxRejected("the spent output is not P2TR", field="prevout")
        if not verify_control_block(spk[2:], leaf_script, control_block):
            raise TxRejected(
                "control block does not commit this leaf to the spent output", field="control-block"
            )
    return leaf


def _sign_raw(
    tx: CTransaction,
    seckey: bytes,
    prevouts: list[tuple[int, bytes]],
    input_index: int,
    leaf_script: bytes,
    control_block: bytes | None,
    encrypt_for: tuple[str, ...],
) -> dict[str, Any]:
    if not 0 <= input_index < len(tx.vin):
        raise InputError(f"tx has {len(tx.vin)} input(s)", field="input-index")
    leaf = _check_leaf(leaf_script, control_block, prevouts[input_index][1], "leaf")
    signer = XOnlyPubKey(xonly_pubkey(seckey))
    role = _role(leaf, signer)
    sighash = taproot_script_sighash(tx, input_index, prevouts, leaf_script)
    out: dict[str, Any] = {
        "input_index": input_index,
        "leaf_kind": leaf.kind.value,
        "leaf_hash": tapleaf_hash(leaf_script).hex(),
        "sighash": sighash.hex(),
        "signer": signer.hex(),
        "role": role,
    }
    if encrypt_for:
        if role != "covenant" or leaf.kind.value != "slashing":
            raise InputError(
                "adaptor signatures are for covenant keys on the slashing leaf", field="encrypt-for"
            )
        sigs = []
        for i, fp_text in enumerate(encrypt_for):
            fp = parse_pubkey(fp_text, field=f"encrypt-for[{i}]")
            if fp not in leaf.fps:
                raise BadKey("not a finality provider of this leaf", field=f"encrypt-for[{i}]")
            enc = adaptor.encryption_key_from_xonly(fp)
            sigs.append(
                {
                    "fp": fp.hex(),
                    "adaptor_sig": adaptor.encrypted_sign(seckey, enc, sighash).serialize().hex(),
                }
            )
        out["adaptor_signatures"] = sigs
    else:
        out["signature"] = schnorr_sign(seckey, sighash).hex()
    return out


def _sign_psbt(psbt: P.Psbt, seckey: bytes) -> list[dict[str, Any]]:
    """Add TAP_SCRIPT_SIG for every input leaf the key appears in; the inputs signed."""
    prevouts = psbt.prevouts()
    signer = XOnlyPubKey(xonly_pubkey(seckey))
    signed = []
    for i, psbt_in in enumerate(psbt.inputs):
        for cb, (leaf_script, version) in sorted(psbt_in.tap_leaf_scripts.items()):
            if version != 0xC0:
                continue
            leaf = _check_leaf(leaf_script, cb, prevouts[i][1], f"input[{i}].tap_leaf_script")
            try:
                role = _role(leaf, signer)
            except BadKey:
                continue
            if psbt_in.sighash_type not in (None, 0):
                raise TxRejected(
                    f"input {i} asks for sighash type {psbt_in.sighash_type:#x}; staking "
                    "spends are signed with SIGHASH_DEFAULT only",
                    field="psbt",
                )
            sighash = taproot_script_sighash(psbt.tx, i, prevouts, leaf_script)
            leaf_hash = tapleaf_hash(leaf_script)
            psbt_in.tap_script_sigs[(signer, leaf_hash)] = schnorr_sign(seckey, sighash)
            signed.append(
                {
                    "input_index": i,
                    "leaf_kind": leaf.kind.value,
                    "role": role,
                    "leaf_hash": leaf_hash.hex(),
                    "sighash": sighash.hex(),
                }
            )
    if not signed:
        raise BadKey(
            f"key {signer.hex()} appears in no tapscript leaf of this PSBT", field="key-file"
        )
    return signed


def _finalize(psbt: P.Psbt) -> CTransaction:
    """Turn each input's TAP_SCRIPT_SIGs into a checked witness; the broadcastable tx."""
    prevouts = psbt.prevouts()
    tx: CTransaction = psbt.tx
    for i, psbt_in in enumerate(psbt.inputs):
        if psbt_in.final_script_witness:
            tx = set_witness(tx, i, psbt_in.final_script_witness)
            continue
        problems = []
        for cb, (leaf_script, version) in sorted(psbt_in.tap_leaf_scripts.items()):
            if version != 0xC0:
                continue
            _check_leaf(leaf_script, cb, prevouts[i][1], f"input[{i}].tap_leaf_script")
            leaf_hash = tapleaf_hash(leaf_script)
            sigs = {
                XOnlyPubKey(k): s for (k, h), s in psbt_in.tap_script_sigs.items() if h == leaf_hash
            }
            sighash = taproot_script_sighash(psbt.tx, i, prevouts, leaf_script)
            try:
                stack = witness_from_signatures(leaf_script, cb, sigs, sighash)
            except TxRejected as exc:
                problems.append(str(exc))
                continue
            psbt_in.final_script_witness = stack
            tx = set_witness(tx, i, stack)
            break
        else:
            detail = "; ".join(problems) or "no tapscript leaf"
            raise TxRejected(f"input {i} cannot be finalized: {detail}", field="psbt")
        # BIP174 finalizer: drop what the final witness replaces
        psbt_in.tap_script_sigs.clear()
        psbt_in.tap_leaf_scripts.clear()
        psbt_in.tap_bip32.clear()
        psbt_in.tap_internal_key = psbt_in.tap_merkle_root = None
    return tx


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
    seckey = read_key_file(key_file) if key_file is not None else None
    if psbt_in is not None:
        if tx is not None or prevouts or leaf or control_block or encrypt_for:
            raise click.UsageError(
                "--psbt takes no TX, --prevout, --leaf, --control-block or --encrypt-for"
            )
        psbt = P.from_psbt(_read_text(psbt_in, "psbt"))
        result: dict[str, Any] = {}
        if seckey is not None:
            result["signed"] = _sign_psbt(psbt, seckey)
            result["signer"] = xonly_pubkey(seckey).hex()
        if finalize:
            final_tx = _finalize(psbt)
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
    unsigned = parse(_read_text(tx, "tx"))
    spent = [_prevout(p, i) for i, p in enumerate(prevouts)]
    if len(spent) != len(unsigned.vin):
        raise InputError(
            f"{len(spent)} --prevout for {len(unsigned.vin)} input(s)", field="prevout"
        )
    leaf_script = _hex(leaf, "leaf")
    cb = _hex(control_block, "control-block") if control_block is not None else None
    assert seckey is not None  # checked above: only --psbt --finalize runs without a key
    result = _sign_raw(unsigned, seckey, spent, input_index, leaf_script, cb, encrypt_for)
    if psbt_out is not None:
        if cb is None or "signature" not in result:
            raise click.UsageError(
                "--psbt-out in raw mode needs --control-block and a plain "
                "signature (no --encrypt-for)"
            )
        sigs = {
            (bytes.fromhex(result["signer"]), tapleaf_hash(leaf_script)): bytes.fromhex(
                result["signature"]
            )
        }
        text = P.to_psbt(
            unsigned, spent, leaf_script, cb, input_index=input_index, tap_script_sigs=sigs
        )
        write_atomic(psbt_out, text + "\n", 0o600)
        result["psbt_file"] = str(psbt_out)
    emit(result, as_json)


COMMANDS: list[click.Command] = [sign_cmd]
