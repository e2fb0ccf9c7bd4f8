"""Say what a transaction is (staking / unbonding / slashing / withdrawal) and which params
versions it satisfies. Pure: bytes and params in, a JSON-ready dict out.

A signed spend is identified by the leaf its witness reveals (``witness[-2]``, checked against
the control block ``witness[-1]`` and the spent output's key when known); an unsigned one by
its shape (inputs, sequences, outputs), which is reported as ``"probable": true``.
"""

from __future__ import annotations

from typing import Any

from l2kit.btc.network import Network, script_to_address
from l2kit.btc.script import is_p2tr, is_p2wpkh, to_asm
from l2kit.btc.taproot import LEAF_VERSION
from l2kit.btc.tx import (
    SEQUENCE_FINAL,
    CTransaction,
    input_outpoint,
    outputs,
    serialize,
    txid_hex,
    vsize,
    weight,
    witness,
)
from l2kit.errors import L2kitError, TxRejected
from l2kit.staking.identifiable import V0_OP_RETURN_SIZE, parse_staking_tx, parse_v0_op_return
from l2kit.staking.params import ParamsSet, StakingParams, check_stake
from l2kit.staking.scripts import (
    LeafKind,
    ParsedLeaf,
    parse_leaf,
    slashing_change_info,
)
from l2kit.staking.transactions import check_slashing_tx

__all__ = ["inspect_tx"]


def _revealed(tx: CTransaction, index: int) -> tuple[ParsedLeaf, bytes] | None:
    stack = witness(tx, index)
    if len(stack) < 2:
        return None
    cb = stack[-1]
    if len(cb) < 33 or (len(cb) - 33) % 32 or cb[0] & 0xFE != LEAF_VERSION:
        return None
    leaf = parse_leaf(stack[-2])
    return (leaf, stack[-2]) if leaf is not None else None


def _output_type(spk: bytes) -> str:
    if spk[:1] == b"\x6a":
        return "op_return"
    if is_p2tr(spk):
        return "p2tr"
    if is_p2wpkh(spk):
        return "p2wpkh"
    if len(spk) == 34 and spk[:2] == b"\x00\x20":
        return "p2wsh"
    return "other"


def _leaf_json(leaf: ParsedLeaf, script: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": leaf.kind.value,
        "staker": leaf.staker.hex(),
        "script_hex": script.hex(),
        "asm": to_asm(script),
    }
    if leaf.timelock is not None:
        out["timelock"] = leaf.timelock
    if leaf.fps:
        out["finality_providers"] = [k.hex() for k in leaf.fps]
    if leaf.covenants:
        out["covenants"] = sorted(k.hex() for k in leaf.covenants)
        out["covenant_quorum"] = leaf.quorum
    return out


def _same_committee(leaf: ParsedLeaf, p: StakingParams) -> bool:
    return set(leaf.covenants) == set(p.covenant_pks) and leaf.quorum == p.covenant_quorum


def inspect_tx(
    tx: CTransaction,
    net: Network,
    params: ParamsSet | None = None,
    input_value: int | None = None,
) -> dict[str, Any]:
    """Describe ``tx``; ``input_value`` (value of the spent output) enables fee checks."""
    outs: list[tuple[bytes, int]] = [(bytes(s), v) for s, v in outputs(tx)]
    info: dict[str, Any] = {
        "txid": txid_hex(tx),
        "version": tx.nVersion,
        "locktime": tx.nLockTime,
        "size": len(serialize(tx)),
        "vsize": vsize(tx),
        "weight": weight(tx),
        "signed": bool(not tx.wit.is_null()),
        "inputs": [
            {
                "outpoint": str(input_outpoint(tx, i)),
                "sequence": tx.vin[i].nSequence,
                "witness_items": len(witness(tx, i)),
            }
            for i in range(len(tx.vin))
        ],
        "outputs": [
            {
                "value": v,
                "script_pubkey": spk.hex(),
                "type": _output_type(spk),
                "address": script_to_address(spk, net),
            }
            for spk, v in outs
        ],
    }
    kind, probable, leaf_info, versions = _classify(tx, outs, net, params, input_value)
    info["kind"] = kind
    info["probable"] = probable
    if leaf_info is not None:
        info["revealed_leaf"] = leaf_info
    if params is not None:
        info["params_source"] = params.source
        info["params_versions"] = versions
    return info


def _classify(
    tx: CTransaction,
    outs: list[tuple[bytes, int]],
    net: Network,
    params: ParamsSet | None,
    input_value: int | None,
) -> tuple[str, bool, dict[str, Any] | None, list[int]]:
    single_in = len(tx.vin) == 1
    revealed = _revealed(tx, 0) if single_in else None
    if revealed is not None:
        leaf, script = revealed
        kind = {
            LeafKind.UNBONDING: "unbonding",
            LeafKind.SLASHING: "slashing",
            LeafKind.TIMELOCK: "withdrawal",
        }[leaf.kind]
        versions = [p.version for p in params or () if _fits(kind, leaf, tx, outs, p, input_value)]
        return kind, False, _leaf_json(leaf, script), versions

    # staking: a V0 OP_RETURN (verified against params when given)
    if params is not None:
        ok = []
        for p in params:
            parsed = parse_staking_tx(tx, p, net) if p.tag is not None else None
            if parsed is None:
                continue
            try:
                check_stake(p, parsed.staking_value, parsed.staking_time)
            except L2kitError:
                continue
            ok.append(p.version)
        if ok:
            return "staking", False, None, ok
    if any(len(spk) == V0_OP_RETURN_SIZE and parse_v0_op_return(spk) for spk, _ in outs):
        return "staking", True, None, []

    seq = tx.vin[0].nSequence if single_in else None
    if single_in and seq == SEQUENCE_FINAL and len(outs) == 2 and is_p2tr(outs[1][0]):
        versions = [
            p.version
            for p in params or ()
            if p.slashing_pk_script is not None and outs[0][0] == p.slashing_pk_script
        ]
        if versions or outs[0][0][:1] == b"\x6a":
            return "slashing", True, None, versions
    if single_in and len(outs) == 1 and tx.nVersion >= 2 and tx.nLockTime == 0:
        if seq == SEQUENCE_FINAL and is_p2tr(outs[0][0]):
            versions = []
            if input_value is not None:
                fee = input_value - outs[0][1]
                versions = [p.version for p in params or () if p.unbonding_fee == fee]
            return "unbonding", True, None, versions
        if seq is not None and 0 < seq <= 0xFFFF:
            versions = [
                p.version
                for p in params or ()
                if seq == p.unbonding_time or p.min_staking_time <= seq <= p.max_staking_time
            ]
            return "withdrawal", True, None, versions
    return "unknown", True, None, []


def _fits(
    kind: str,
    leaf: ParsedLeaf,
    tx: CTransaction,
    outs: list[tuple[bytes, int]],
    p: StakingParams,
    input_value: int | None,
) -> bool:
    if kind == "withdrawal":
        t = leaf.timelock or 0
        return tx.vin[0].nSequence == t and (
            t == p.unbonding_time or p.min_staking_time <= t <= p.max_staking_time
        )
    if not _same_committee(leaf, p):
        return False
    if kind == "unbonding":  # Go CheckPreSignedUnbondingTxSanity: version exactly 2
        if len(outs) != 1 or tx.vin[0].nSequence != SEQUENCE_FINAL or tx.nLockTime != 0:
            return False
        if tx.nVersion != 2 or len(tx.vin[0].scriptSig) != 0:
            return False
        return input_value is None or input_value - outs[0][1] == p.unbonding_fee
    # slashing
    if not p.has_slashing or p.slashing_pk_script is None or p.slashing_rate is None:
        return False
    change = slashing_change_info(leaf.staker, p.unbonding_time)
    try:
        min_fee = p.min_slashing_tx_fee_sat or 0
        check_slashing_tx(
            tx, p.slashing_pk_script, p.slashing_rate, min_fee, input_value, change.script_pubkey
        )
    except TxRejected:
        return False
    return True
