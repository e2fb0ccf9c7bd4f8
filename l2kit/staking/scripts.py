"""Babylon staking leaf scripts and the three taproot outputs built from them.

Every key is a 32-byte x-only key pushed as ``20 <key>`` (33 bytes). Leaves (tapscript, 0xc0):

    timelock   <Staker> OP_CHECKSIGVERIFY <T> OP_CHECKSEQUENCEVERIFY        36..39 bytes
    unbonding  <Staker> OP_CHECKSIGVERIFY ‖ Multisig(covenants, quorum, verify=False)
    slashing   <Staker> OP_CHECKSIGVERIFY ‖ Multisig(fps, 1, verify=True)
                                          ‖ Multisig(covenants, quorum, verify=False)

Outputs (internal key = BIP341 NUMS; shapes below are data, see ``*_TREE``):

    staking         Branch(Branch(timelock(staking_time), unbonding), slashing)
    unbonding       Branch(timelock(unbonding_time), slashing)
    slashing change timelock(unbonding_time)  (single leaf)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from l2kit.btc.keys import XOnlyPubKey, check_unique
from l2kit.btc.network import Network, p2tr_address
from l2kit.btc.script import (
    OP_CHECKSEQUENCEVERIFY,
    OP_CHECKSIG,
    OP_CHECKSIGADD,
    OP_CHECKSIGVERIFY,
    OP_NUMEQUAL,
    OP_NUMEQUALVERIFY,
    Script,
    decode,
    push_bytes,
    push_int,
    small_int,
)
from l2kit.btc.taproot import TaprootOutput, Tree, taproot_output
from l2kit.errors import BadKey, ScriptError
from l2kit.frozen import frozen

__all__ = [
    "MAX_TIMELOCK",
    "STAKING_TREE",
    "UNBONDING_TREE",
    "LeafKind",
    "ParsedLeaf",
    "SlashingChangeInfo",
    "StakingInfo",
    "UnbondingInfo",
    "check_quorum",
    "check_timelock",
    "multisig_script",
    "parse_leaf",
    "slashing_change_info",
    "slashing_script",
    "staking_info",
    "timelock_script",
    "unbonding_info",
    "unbonding_script",
]

MAX_TIMELOCK = 0xFFFF
"""Timelocks are BIP68 block counts: 1..65535."""

STAKING_TREE = (("timelock", "unbonding"), "slashing")
"""btcd ``AssembleTaprootScriptTree([timelock, unbonding, slashing])``."""

UNBONDING_TREE = ("timelock", "slashing")


def _shape(shape: object, leaves: dict[str, Script]) -> Tree:
    if isinstance(shape, str):
        return leaves[shape]
    assert isinstance(shape, tuple) and len(shape) == 2  # our own constants only
    return (_shape(shape[0], leaves), _shape(shape[1], leaves))


def check_timelock(blocks: int, field: str) -> int:
    """1 ≤ blocks ≤ 65535 (BIP68 block-based relative lock), else ``ScriptError`` naming field."""
    if isinstance(blocks, bool) or not isinstance(blocks, int) or not 0 < blocks <= MAX_TIMELOCK:
        raise ScriptError(f"must be an integer in 1..{MAX_TIMELOCK}, got {blocks!r}", field=field)
    return blocks


def check_quorum(k: int, n: int, field: str = "covenant_quorum") -> int:
    """1 ≤ k ≤ n, else ``ScriptError``."""
    if isinstance(k, bool) or not isinstance(k, int) or not 0 < k <= n:
        raise ScriptError(f"must be an integer in 1..{n} (number of keys), got {k!r}", field=field)
    return k


def _key(key: bytes, field: str) -> bytes:
    if not isinstance(key, bytes) or len(key) != 32:
        raise BadKey("must be a 32-byte x-only key", field=field)
    return push_bytes(key)


def _staker_verify(staker: XOnlyPubKey) -> bytes:
    """``<Staker> OP_CHECKSIGVERIFY``, the 34-byte head of every staking leaf."""
    return _key(staker, "staker") + bytes([OP_CHECKSIGVERIFY])


def multisig_script(
    keys: Sequence[XOnlyPubKey], k: int, verify: bool, field: str = "keys"
) -> Script:
    """k-of-n tapscript multisig (Go ``buildMultiSigScript``, TS ``buildMultiKeyScript``).

    1 key:   ``<PK> OP_CHECKSIG[VERIFY]``                                  34 bytes; k not encoded
    n ≥ 2:   ``<PK1> OP_CHECKSIG <PK2> OP_CHECKSIGADD … <PKn> OP_CHECKSIGADD <k>
              OP_NUMEQUAL[VERIFY]``, keys sorted ascending by x-only bytes  34·n + len(push k) + 1
    """
    if not keys:
        raise ScriptError("no keys", field=field)
    check_quorum(k, len(keys), field=f"{field}_quorum" if field != "keys" else "quorum")
    if len(set(keys)) != len(keys):
        raise BadKey("duplicate key", field=field)
    if len(keys) == 1:
        return Script(_key(keys[0], field) + bytes([OP_CHECKSIGVERIFY if verify else OP_CHECKSIG]))
    ordered = sorted(keys)
    out = bytearray(_key(ordered[0], field) + bytes([OP_CHECKSIG]))
    for key in ordered[1:]:
        out += _key(key, field) + bytes([OP_CHECKSIGADD])
    out += push_int(k) + bytes([OP_NUMEQUALVERIFY if verify else OP_NUMEQUAL])
    return Script(bytes(out))


def timelock_script(staker: XOnlyPubKey, blocks: int, field: str = "staking_time") -> Script:
    """``<Staker> OP_CHECKSIGVERIFY <blocks> OP_CHECKSEQUENCEVERIFY``

    staker: 32-byte x-only key (pushed as 33 bytes); blocks 1..65535. Length 36 (1..16 as
    OP_n), 37 (17..127), 38 (128..32767, e.g. 1000 → ``02e803``) or 39 (32768..65535, e.g.
    64000 → ``0300fa00``) bytes.
    """
    check_timelock(blocks, field)
    return Script(_staker_verify(staker) + push_int(blocks) + bytes([OP_CHECKSEQUENCEVERIFY]))


def unbonding_script(staker: XOnlyPubKey, covenants: Sequence[XOnlyPubKey], quorum: int) -> Script:
    """``<Staker> OP_CHECKSIGVERIFY ‖ Multisig(covenants, quorum)`` — 34 + multisig bytes."""
    return Script(
        _staker_verify(staker) + multisig_script(covenants, quorum, verify=False, field="covenants")
    )


def slashing_script(
    staker: XOnlyPubKey,
    fps: Sequence[XOnlyPubKey],
    covenants: Sequence[XOnlyPubKey],
    quorum: int,
) -> Script:
    """``<Staker> OP_CHECKSIGVERIFY ‖ Multisig(fps, 1, verify) ‖ Multisig(covenants, quorum)``

    One FP: ``<FP> OP_CHECKSIGVERIFY`` (34 bytes); several: sorted 1-of-n ending ``51 9d``.
    """
    if not fps:
        raise ScriptError("at least one key is needed", field="finality_providers")
    return Script(
        _staker_verify(staker)
        + multisig_script(fps, 1, verify=True, field="finality_providers")
        + multisig_script(covenants, quorum, verify=False, field="covenants")
    )


class _Output:
    """What each output offers a spender: its scriptPubKey, address and control blocks."""

    output: TaprootOutput
    net: Network

    @property
    def script_pubkey(self) -> Script:
        return self.output.script_pubkey

    @property
    def address(self) -> str:
        return p2tr_address(self.output.output_key, self.net)

    def control_block(self, script: bytes) -> bytes:
        return self.output.control_block(script)


@frozen
class StakingInfo(_Output):
    """The staking output: its three leaves, the taproot output and the address."""

    staker: XOnlyPubKey
    fps: tuple[XOnlyPubKey, ...]
    covenants: tuple[XOnlyPubKey, ...]
    quorum: int
    staking_time: int
    value: int
    net: Network
    timelock_script: Script
    unbonding_script: Script
    slashing_script: Script
    output: TaprootOutput


@frozen
class UnbondingInfo(_Output):
    """The unbonding output: timelock(unbonding_time) and slashing leaves."""

    staker: XOnlyPubKey
    fps: tuple[XOnlyPubKey, ...]
    covenants: tuple[XOnlyPubKey, ...]
    quorum: int
    unbonding_time: int
    value: int
    net: Network
    timelock_script: Script
    slashing_script: Script
    output: TaprootOutput


@frozen
class SlashingChangeInfo(_Output):
    """The staker's change output of a slashing tx: a single timelock(unbonding_time) leaf."""

    staker: XOnlyPubKey
    unbonding_time: int
    value: int
    net: Network
    timelock_script: Script
    output: TaprootOutput

    def control_block(self, script: bytes | None = None) -> bytes:
        return self.output.control_block(script if script is not None else self.timelock_script)


def _check_value(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 21_000_000 * 10**8:
        raise ScriptError(f"must be an amount in sats, 1..{21_000_000 * 10**8}", field=field)
    return value


def _check_inputs(
    staker: XOnlyPubKey,
    fps: Sequence[XOnlyPubKey],
    covenants: Sequence[XOnlyPubKey],
    quorum: int,
    value: int,
    value_field: str,
) -> None:
    """What the staking and unbonding outputs both require: distinct keys, quorum, amount."""
    check_unique(staker, fps, covenants)
    check_quorum(quorum, len(covenants))
    _check_value(value, value_field)


def staking_info(
    staker: XOnlyPubKey,
    fps: Sequence[XOnlyPubKey],
    covenants: Sequence[XOnlyPubKey],
    quorum: int,
    staking_time: int,
    value: int,
    net: Network,
) -> StakingInfo:
    """Build the staking output (Go ``BuildStakingInfo``); keys must be distinct."""
    _check_inputs(staker, fps, covenants, quorum, value, "staking_value")
    leaves = {
        "timelock": timelock_script(staker, staking_time, "staking_time"),
        "unbonding": unbonding_script(staker, covenants, quorum),
        "slashing": slashing_script(staker, fps, covenants, quorum),
    }
    return StakingInfo(
        staker=staker,
        fps=tuple(fps),
        covenants=tuple(covenants),
        quorum=quorum,
        staking_time=staking_time,
        value=value,
        net=Network.parse(net),
        timelock_script=leaves["timelock"],
        unbonding_script=leaves["unbonding"],
        slashing_script=leaves["slashing"],
        output=taproot_output(_shape(STAKING_TREE, leaves)),
    )


def unbonding_info(
    staker: XOnlyPubKey,
    fps: Sequence[XOnlyPubKey],
    covenants: Sequence[XOnlyPubKey],
    quorum: int,
    unbonding_time: int,
    value: int,
    net: Network,
) -> UnbondingInfo:
    """Build the unbonding output (Go ``BuildUnbondingInfo``); ``value`` = stake - unbonding fee."""
    _check_inputs(staker, fps, covenants, quorum, value, "unbonding_value")
    leaves = {
        "timelock": timelock_script(staker, unbonding_time, "unbonding_time"),
        "slashing": slashing_script(staker, fps, covenants, quorum),
    }
    return UnbondingInfo(
        staker=staker,
        fps=tuple(fps),
        covenants=tuple(covenants),
        quorum=quorum,
        unbonding_time=unbonding_time,
        value=value,
        net=Network.parse(net),
        timelock_script=leaves["timelock"],
        slashing_script=leaves["slashing"],
        output=taproot_output(_shape(UNBONDING_TREE, leaves)),
    )


def slashing_change_info(
    staker: XOnlyPubKey, unbonding_time: int, value: int = 0, net: Network = Network.MAINNET
) -> SlashingChangeInfo:
    """The slashing tx's change output; ``value`` is informational (0 = not yet known)."""
    leaf = timelock_script(staker, unbonding_time, "unbonding_time")
    return SlashingChangeInfo(
        staker=staker,
        unbonding_time=unbonding_time,
        value=value,
        net=Network.parse(net),
        timelock_script=leaf,
        output=taproot_output(leaf),
    )


# --- recognising a revealed leaf (inspect, indexer) ----------------------------------------


class LeafKind(StrEnum):
    TIMELOCK = "timelock"
    UNBONDING = "unbonding"
    SLASHING = "slashing"


@frozen
class ParsedLeaf:
    """What a leaf script says: its kind, staker, and (by kind) timelock / FPs / covenants."""

    kind: LeafKind
    staker: XOnlyPubKey
    timelock: int | None = None
    fps: tuple[XOnlyPubKey, ...] = ()
    covenants: tuple[XOnlyPubKey, ...] = ()
    quorum: int | None = None


def _parse_multisig(ops: list[object], verify: bool) -> tuple[tuple[XOnlyPubKey, ...], int, int]:
    """Parse a multisig at the head of ``ops``; returns (keys, k, ops consumed)."""
    single = OP_CHECKSIGVERIFY if verify else OP_CHECKSIG
    head_is_key = len(ops) >= 2 and isinstance(ops[0], bytes) and len(ops[0]) == 32
    continues = len(ops) > 2 and isinstance(ops[2], bytes) and ops[1] == OP_CHECKSIG
    if head_is_key and ops[1] == single and not continues:
        return (XOnlyPubKey(ops[0]),), 1, 2  # type: ignore[arg-type]
    keys: list[XOnlyPubKey] = []
    i = 0
    while i + 1 < len(ops) and isinstance(ops[i], bytes) and len(ops[i]) == 32:  # type: ignore[arg-type]
        want = OP_CHECKSIG if i == 0 else OP_CHECKSIGADD
        if ops[i + 1] != want:
            break
        keys.append(XOnlyPubKey(ops[i]))  # type: ignore[arg-type]
        i += 2
    if len(keys) < 2 or i + 1 >= len(ops):
        raise ValueError("not a multisig")
    k = small_int(ops[i])  # type: ignore[arg-type]
    if k is None or ops[i + 1] != (OP_NUMEQUALVERIFY if verify else OP_NUMEQUAL):
        raise ValueError("not a multisig")
    return tuple(keys), k, i + 2


def parse_leaf(script: bytes) -> ParsedLeaf | None:
    """Recognise a staking leaf script (exact re-encoding required), or None."""
    try:
        ops: list[object] = list(decode(script))
    except ScriptError:
        return None
    if len(ops) < 3 or not (isinstance(ops[0], bytes) and len(ops[0]) == 32):
        return None
    if ops[1] != OP_CHECKSIGVERIFY:
        return None
    staker = XOnlyPubKey(ops[0])
    rest = ops[2:]
    parsed: ParsedLeaf | None = None
    try:
        if len(rest) == 2 and rest[1] == OP_CHECKSEQUENCEVERIFY:
            t = small_int(rest[0])  # type: ignore[arg-type]
            if t is not None:
                parsed = ParsedLeaf(LeafKind.TIMELOCK, staker, timelock=t)
                rebuilt = timelock_script(staker, t)
        else:
            try:
                covs, q, used = _parse_multisig(rest, verify=False)
                if used == len(rest):
                    parsed = ParsedLeaf(LeafKind.UNBONDING, staker, covenants=covs, quorum=q)
                    rebuilt = unbonding_script(staker, covs, q)
            except ValueError:
                pass
            if parsed is None:
                fps, one, used = _parse_multisig(rest, verify=True)
                covs, q, used2 = _parse_multisig(rest[used:], verify=False)
                if one == 1 and used + used2 == len(rest):
                    parsed = ParsedLeaf(
                        LeafKind.SLASHING, staker, fps=fps, covenants=covs, quorum=q
                    )
                    rebuilt = slashing_script(staker, fps, covs, q)
    except (ValueError, ScriptError, BadKey):
        return None
    if parsed is None or rebuilt != script:
        return None
    return parsed
