"""Signing policy for staking spends given as a raw tx or a PSBT: which key signs which leaf.

A key signs a tapscript leaf only when the leaf is a Babylon staking leaf (unbonding, slashing,
timelock: ``staking.scripts.parse_leaf``) and the key appears in it, as the staker, a finality
provider or a covenant member. A given control block must commit the leaf to the spent P2TR
output (BIP341), else nothing is signed. Signatures are BIP340 with SIGHASH_DEFAULT only;
a covenant member signs a slashing leaf with one adaptor signature per finality provider,
encrypted under that provider's key (``signing`` explains the roles).

Finalizing turns each input's TAP_SCRIPT_SIGs (BIP371) into a checked witness
(``staking.witness.witness_from_signatures``: exact quorum, every signature verified) and
clears what the final witness replaces (BIP174 finalizer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from l2kit.btc import adaptor
from l2kit.btc import psbt as P
from l2kit.btc.keys import XOnlyPubKey, parse_pubkey, xonly_of
from l2kit.btc.script import is_p2tr
from l2kit.btc.sign import schnorr_sign, taproot_script_sighash
from l2kit.btc.taproot import LEAF_VERSION, tap_leaf_hash, verify_control_block
from l2kit.btc.tx import CTransaction, set_witness
from l2kit.errors import BadKey, InputError, TxRejected
from l2kit.staking.scripts import LeafKind, ParsedLeaf, parse_leaf
from l2kit.staking.witness import witness_from_signatures

__all__ = [
    "LeafSignature",
    "PsbtSignature",
    "Role",
    "check_leaf",
    "finalize_psbt",
    "parse_prevouts",
    "sign_psbt",
    "sign_spend",
    "signed_spend_psbt",
    "signer_role",
]

Role = Literal["staker", "finality-provider", "covenant"]
Prevout = tuple[int, bytes]  # (value in sats, scriptPubKey) of a spent output


def parse_prevouts(texts: Sequence[str], n_inputs: int) -> list[Prevout]:
    """``VALUE_SATS:SCRIPTPUBKEY_HEX`` of each spent output, one per input, in input order."""
    spent = [_prevout(text, i) for i, text in enumerate(texts)]
    if len(spent) != n_inputs:
        raise InputError(f"{len(spent)} --prevout for {n_inputs} input(s)", field="prevout")
    return spent


def _prevout(text: str, i: int) -> Prevout:
    value, sep, spk = text.partition(":")
    if not sep or not value.isdigit():
        raise InputError("must be VALUE_SATS:SCRIPTPUBKEY_HEX", field=f"prevout[{i}]")
    try:
        return int(value), bytes.fromhex(spk)
    except ValueError:
        raise InputError("not hex", field=f"prevout[{i}]") from None


def signer_role(leaf: ParsedLeaf, key: XOnlyPubKey) -> Role:
    """The part ``key`` plays in ``leaf``; ``BadKey`` when it plays none."""
    if key == leaf.staker:
        return "staker"
    if key in leaf.fps:
        return "finality-provider"
    if key in leaf.covenants:
        return "covenant"
    raise BadKey(
        f"key {key.hex()} does not appear in this {leaf.kind.value} leaf", field="key-file"
    )


def check_leaf(
    leaf_script: bytes, control_block: bytes | None, spk: bytes, field: str
) -> ParsedLeaf:
    """Parse a staking leaf; with a control block, check it commits the leaf to ``spk``."""
    leaf = parse_leaf(leaf_script)
    if leaf is None:
        raise InputError("not a Babylon staking leaf script", field=field)
    if control_block is not None:
        if not is_p2tr(spk):
            raise TxRejected("the spent output is not P2TR", field="prevout")
        if not verify_control_block(spk[2:], leaf_script, control_block):
            raise TxRejected(
                "control block does not commit this leaf to the spent output", field="control-block"
            )
    return leaf


@dataclass(frozen=True)
class LeafSignature:
    """One key's signature on one input's leaf: a plain one, or per-FP adaptor signatures."""

    input_index: int
    leaf_kind: LeafKind
    leaf_hash: bytes
    sighash: bytes
    signer: XOnlyPubKey
    role: Role
    signature: bytes | None = None  # 64-byte BIP340 signature
    adaptor_signatures: tuple[tuple[XOnlyPubKey, bytes], ...] = ()  # (FP key, 65-byte sig)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "input_index": self.input_index,
            "leaf_kind": self.leaf_kind.value,
            "leaf_hash": self.leaf_hash.hex(),
            "sighash": self.sighash.hex(),
            "signer": self.signer.hex(),
            "role": self.role,
        }
        if self.signature is None:
            out["adaptor_signatures"] = [
                {"fp": fp.hex(), "adaptor_sig": sig.hex()} for fp, sig in self.adaptor_signatures
            ]
        else:
            out["signature"] = self.signature.hex()
        return out


def sign_spend(
    tx: CTransaction,
    seckey: bytes,
    prevouts: Sequence[Prevout],
    leaf_script: bytes,
    control_block: bytes | None = None,
    *,
    input_index: int = 0,
    encrypt_for: Sequence[str | bytes] = (),
) -> LeafSignature:
    """Sign input ``input_index`` of ``tx`` spending ``leaf_script`` (BIP341 script path).

    ``encrypt_for``: finality-provider keys; a covenant member adaptor-signs the slashing leaf
    once per key instead of signing it plainly.
    """
    if not 0 <= input_index < len(tx.vin):
        raise InputError(f"tx has {len(tx.vin)} input(s)", field="input-index")
    leaf = check_leaf(leaf_script, control_block, prevouts[input_index][1], "leaf")
    signer = xonly_of(seckey)
    role = signer_role(leaf, signer)
    sighash = taproot_script_sighash(tx, input_index, prevouts, leaf_script)
    common = (input_index, leaf.kind, tap_leaf_hash(leaf_script), sighash, signer, role)
    if not encrypt_for:
        return LeafSignature(*common, signature=schnorr_sign(seckey, sighash))
    if role != "covenant" or leaf.kind is not LeafKind.SLASHING:
        raise InputError(
            "adaptor signatures are for covenant keys on the slashing leaf", field="encrypt-for"
        )
    sigs = []
    for i, fp_text in enumerate(encrypt_for):
        fp = parse_pubkey(fp_text, field=f"encrypt-for[{i}]")
        if fp not in leaf.fps:
            raise BadKey("not a finality provider of this leaf", field=f"encrypt-for[{i}]")
        enc = adaptor.encryption_key_from_xonly(fp)
        sigs.append((fp, adaptor.encrypted_sign(seckey, enc, sighash).serialize()))
    return LeafSignature(*common, adaptor_signatures=tuple(sigs))


def signed_spend_psbt(
    tx: CTransaction,
    prevouts: Sequence[Prevout],
    leaf_script: bytes,
    control_block: bytes,
    sig: LeafSignature,
) -> str:
    """Base64 PSBT of ``tx`` with the leaf, its control block and ``sig`` as TAP_SCRIPT_SIG."""
    if sig.signature is None:
        raise InputError("a PSBT carries plain signatures, not adaptor ones", field="psbt-out")
    sigs = {(bytes(sig.signer), sig.leaf_hash): sig.signature}
    return P.to_psbt(
        tx, prevouts, leaf_script, control_block, input_index=sig.input_index, tap_script_sigs=sigs
    )


@dataclass(frozen=True)
class PsbtSignature:
    """A TAP_SCRIPT_SIG added to a PSBT input."""

    input_index: int
    leaf_kind: LeafKind
    role: Role
    leaf_hash: bytes
    sighash: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_index": self.input_index,
            "leaf_kind": self.leaf_kind.value,
            "role": self.role,
            "leaf_hash": self.leaf_hash.hex(),
            "sighash": self.sighash.hex(),
        }


def _tapscript_leaves(psbt_in: P.PsbtInput) -> list[tuple[bytes, bytes]]:
    """(control block, leaf script) of the input's tapscript leaves, in a stable order."""
    return [
        (cb, leaf_script)
        for cb, (leaf_script, version) in sorted(psbt_in.tap_leaf_scripts.items())
        if version == LEAF_VERSION
    ]


def sign_psbt(psbt: P.Psbt, seckey: bytes) -> list[PsbtSignature]:
    """Add a TAP_SCRIPT_SIG for every input leaf the key appears in (``psbt`` is updated)."""
    prevouts = psbt.prevouts()
    signer = xonly_of(seckey)
    signed = []
    for i, psbt_in in enumerate(psbt.inputs):
        for cb, leaf_script in _tapscript_leaves(psbt_in):
            leaf = check_leaf(leaf_script, cb, prevouts[i][1], f"input[{i}].tap_leaf_script")
            try:
                role = signer_role(leaf, signer)
            except BadKey:
                continue
            if psbt_in.sighash_type not in (None, 0):
                raise TxRejected(
                    f"input {i} asks for sighash type {psbt_in.sighash_type:#x}; staking "
                    "spends are signed with SIGHASH_DEFAULT only",
                    field="psbt",
                )
            sighash = taproot_script_sighash(psbt.tx, i, prevouts, leaf_script)
            leaf_hash = tap_leaf_hash(leaf_script)
            psbt_in.tap_script_sigs[(signer, leaf_hash)] = schnorr_sign(seckey, sighash)
            signed.append(PsbtSignature(i, leaf.kind, role, leaf_hash, sighash))
    if not signed:
        raise BadKey(
            f"key {signer.hex()} appears in no tapscript leaf of this PSBT", field="key-file"
        )
    return signed


def finalize_psbt(psbt: P.Psbt) -> CTransaction:
    """Turn each input's TAP_SCRIPT_SIGs into a checked witness; the broadcastable tx."""
    prevouts = psbt.prevouts()
    tx: CTransaction = psbt.tx
    for i, psbt_in in enumerate(psbt.inputs):
        if psbt_in.final_script_witness:
            tx = set_witness(tx, i, psbt_in.final_script_witness)
            continue
        problems = []
        for cb, leaf_script in _tapscript_leaves(psbt_in):
            check_leaf(leaf_script, cb, prevouts[i][1], f"input[{i}].tap_leaf_script")
            leaf_hash = tap_leaf_hash(leaf_script)
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
