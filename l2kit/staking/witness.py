"""Witness stacks for the three Babylon script-path spends, checked before they are assembled.

Items are listed bottom → top; the last signature is consumed first, by ``<Staker> CHECKSIGVERIFY``:

    unbonding   [cov sig for each covenant key, DESCENDING x-only order (b"" for non-signers)…,
                 staker_sig, unbonding_script, control_block]
    slashing    [cov sigs (descending)…, fp sigs (descending FP keys)…, staker_sig,
                 slashing_script, control_block]
    withdrawal  [staker_sig, timelock_script, control_block]

``k OP_NUMEQUAL`` means exactly k valid signatures: exactly ``quorum`` covenant signatures are
non-empty, the rest are empty; an extra valid signature fails the script, an invalid non-empty
one aborts it (BIP342). Every signature is 64 bytes (SIGHASH_DEFAULT) and is verified against the
sighash here, so a witness these functions return is one bitcoind accepts (given the timelock).

``check_witness`` verifies an already assembled stack (from a PSBT or another tool) the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.sign import schnorr_verify
from l2kit.btc.taproot import TaprootOutput, verify_control_block
from l2kit.errors import TxRejected
from l2kit.staking.scripts import (
    LeafKind,
    ParsedLeaf,
    SlashingChangeInfo,
    StakingInfo,
    UnbondingInfo,
    parse_leaf,
)

__all__ = [
    "SIG_SIZE",
    "CheckedWitness",
    "check_witness",
    "signature_slots",
    "slashing_witness",
    "unbonding_witness",
    "withdrawal_witness",
    "witness_from_signatures",
]

SIG_SIZE = 64


def _short(key: bytes) -> str:
    return key.hex()[:16] + "…"


@dataclass(frozen=True)
class _Group:
    """Keys of one signature group in SCRIPT order and how many non-empty sigs it needs."""

    name: str
    keys: tuple[XOnlyPubKey, ...]
    need: int


def _groups(leaf: ParsedLeaf) -> list[_Group]:
    """Signature groups in script order (the order they are consumed from the stack top)."""
    groups = [_Group("staker", (leaf.staker,), 1)]
    if leaf.kind is LeafKind.SLASHING:
        groups.append(_Group("finality provider", tuple(sorted(leaf.fps)), 1))
    if leaf.kind in (LeafKind.UNBONDING, LeafKind.SLASHING):
        assert leaf.quorum is not None  # parse_leaf sets it for these kinds
        groups.append(_Group("covenant", tuple(sorted(leaf.covenants)), leaf.quorum))
    return groups


def signature_slots(leaf_script: bytes) -> list[tuple[str, XOnlyPubKey]]:
    """(group, key) for each signature item of the witness, bottom → top."""
    leaf = _parse(leaf_script)
    slots = [(g.name, k) for g in _groups(leaf) for k in g.keys]
    return list(reversed(slots))


def _parse(leaf_script: bytes) -> ParsedLeaf:
    leaf = parse_leaf(leaf_script)
    if leaf is None:
        raise TxRejected("not a Babylon staking leaf script", field="leaf_script")
    return leaf


def _check_sig(group: str, key: bytes, sig: bytes, sighash: bytes) -> None:
    if len(sig) != SIG_SIZE:
        raise TxRejected(
            f"{group} signature for {_short(key)} is {len(sig)} bytes; "
            f"staking spends use {SIG_SIZE}-byte SIGHASH_DEFAULT signatures",
            field="signatures",
        )
    if not schnorr_verify(key, sighash, sig):
        raise TxRejected(f"invalid {group} signature for key {_short(key)}", field="signatures")


def _group_items(group: _Group, sigs: Mapping[XOnlyPubKey, bytes], sighash: bytes) -> list[bytes]:
    """The group's stack items bottom → top (descending key order), after every check."""
    known = set(group.keys)
    for key in sigs:
        if key not in known:
            raise TxRejected(
                f"{group.name} signature from unknown key {_short(bytes(key))}", field="signatures"
            )
    given = {k: s for k, s in sigs.items() if s}
    if len(given) > group.need:
        raise TxRejected(
            f"{len(given)} {group.name} signatures given; the leaf needs exactly {group.need} "
            "(an extra valid signature fails OP_NUMEQUAL)",
            field="signatures",
        )
    if len(given) < group.need:
        raise TxRejected(
            f"only {len(given)} {group.name} signature(s); the leaf needs exactly {group.need}",
            field="signatures",
        )
    for key, sig in given.items():
        _check_sig(group.name, key, sig, sighash)
    return [given.get(k, b"") for k in sorted(group.keys, reverse=True)]


def _assemble(
    leaf_script: bytes,
    control_block: bytes,
    sigs_by_group: Mapping[str, Mapping[XOnlyPubKey, bytes]],
    sighash: bytes,
) -> list[bytes]:
    if len(sighash) != 32:
        raise TxRejected("sighash must be 32 bytes", field="sighash")
    leaf = _parse(leaf_script)
    items: list[bytes] = []
    # Stack bottom holds the LAST group in script order, so walk the groups backwards.
    for group in reversed(_groups(leaf)):
        items += _group_items(group, sigs_by_group.get(group.name, {}), sighash)
    return [*items, bytes(leaf_script), bytes(control_block)]


def _check_committee(
    info: StakingInfo | UnbondingInfo,
    covenants: Sequence[XOnlyPubKey] | None,
    quorum: int | None,
) -> None:
    if covenants is not None and set(covenants) != set(info.covenants):
        raise TxRejected("covenant keys differ from the output's", field="covenants")
    if quorum is not None and quorum != info.quorum:
        raise TxRejected(f"quorum {quorum} differs from the output's {info.quorum}", field="quorum")


def unbonding_witness(
    covenant_sigs: Mapping[XOnlyPubKey, bytes],
    staker_sig: bytes,
    info: StakingInfo,
    covenants: Sequence[XOnlyPubKey] | None = None,
    quorum: int | None = None,
    *,
    sighash: bytes,
) -> list[bytes]:
    """Witness spending the staking output's unbonding leaf (see module doc).

    ``covenant_sigs`` maps covenant x-only key → 64-byte signature (absent or b"" = not
    signing); exactly ``quorum`` must be given. Raises ``TxRejected`` naming the problem.
    """
    _check_committee(info, covenants, quorum)
    leaf = info.unbonding_script
    return _assemble(
        leaf,
        info.control_block(leaf),
        {"covenant": covenant_sigs, "staker": {info.staker: staker_sig}},
        sighash,
    )


def slashing_witness(
    covenant_sigs: Mapping[XOnlyPubKey, bytes],
    fp_sigs: Mapping[XOnlyPubKey, bytes],
    staker_sig: bytes,
    info: StakingInfo | UnbondingInfo,
    covenants: Sequence[XOnlyPubKey] | None = None,
    quorum: int | None = None,
    *,
    sighash: bytes,
) -> list[bytes]:
    """Witness spending the slashing leaf of a staking or unbonding output.

    ``covenant_sigs`` are the decrypted covenant adaptor signatures (exactly ``quorum``);
    ``fp_sigs`` holds exactly one FP signature (the slashed FP).
    """
    _check_committee(info, covenants, quorum)
    leaf = info.slashing_script
    return _assemble(
        leaf,
        info.control_block(leaf),
        {
            "covenant": covenant_sigs,
            "finality provider": fp_sigs,
            "staker": {info.staker: staker_sig},
        },
        sighash,
    )


def withdrawal_witness(
    staker_sig: bytes,
    info: StakingInfo | UnbondingInfo | SlashingChangeInfo,
    *,
    sighash: bytes,
) -> list[bytes]:
    """Witness spending the timelock leaf (staking, unbonding or slashing-change output)."""
    leaf = info.timelock_script
    return _assemble(leaf, info.control_block(leaf), {"staker": {info.staker: staker_sig}}, sighash)


def witness_from_signatures(
    leaf_script: bytes,
    control_block: bytes,
    sigs: Mapping[XOnlyPubKey, bytes],
    sighash: bytes,
) -> list[bytes]:
    """Assemble a stack from whatever signatures were collected (e.g. a PSBT's TAP_SCRIPT_SIGs).

    Per group, exactly the needed number is used (lowest keys first when more were given);
    too few, or an invalid chosen signature, raises ``TxRejected``.
    """
    leaf = _parse(leaf_script)
    by_group: dict[str, Mapping[XOnlyPubKey, bytes]] = {}
    for group in _groups(leaf):
        have = sorted(k for k in group.keys if sigs.get(k))
        by_group[group.name] = {k: sigs[k] for k in have[: group.need]}
    return _assemble(leaf_script, control_block, by_group, sighash)


@dataclass(frozen=True)
class CheckedWitness:
    """What ``check_witness`` found: the revealed leaf and its parsed form."""

    leaf_script: bytes
    leaf: ParsedLeaf


def check_witness(
    stack: Sequence[bytes],
    sighash: bytes,
    output: TaprootOutput | None = None,
    *,
    expected_leaf: bytes | None = None,
) -> CheckedWitness:
    """Verify an assembled script-path stack: leaf, control block, order, counts, signatures.

    ``output`` (when given) must be committed to by the control block (a leaf of another
    output is refused); ``expected_leaf`` pins the leaf (e.g. unbonding must reveal the
    unbonding leaf). Signature items are matched to keys by position, so a wrongly ordered
    stack fails on the first misplaced signature.
    """
    if len(stack) < 3:
        raise TxRejected(f"script-path witness has {len(stack)} items, need ≥ 3", field="witness")
    leaf_script, control_block = bytes(stack[-2]), bytes(stack[-1])
    if expected_leaf is not None and leaf_script != expected_leaf:
        raise TxRejected("witness reveals the wrong leaf for this transaction", field="witness")
    if output is not None and not verify_control_block(
        output.output_key, leaf_script, control_block
    ):
        raise TxRejected(
            "control block does not commit this leaf to the spent output", field="witness"
        )
    leaf = _parse(leaf_script)
    slots = signature_slots(leaf_script)
    items = list(stack[:-2])
    if len(items) != len(slots):
        raise TxRejected(
            f"{len(items)} signature items; this {leaf.kind.value} leaf takes {len(slots)}",
            field="witness",
        )
    counts: dict[str, int] = {}
    for (name, key), item in zip(slots, items, strict=True):
        if item:
            _check_sig(name, key, bytes(item), sighash)
            counts[name] = counts.get(name, 0) + 1
    for group in _groups(leaf):
        got = counts.get(group.name, 0)
        if got != group.need:
            raise TxRejected(
                f"{got} {group.name} signature(s); the leaf needs exactly {group.need}",
                field="witness",
            )
    return CheckedWitness(leaf_script, leaf)
