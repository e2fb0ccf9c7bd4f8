"""Phase-1 "identifiable" staking transactions: the V0 OP_RETURN, when a stake carries one,
and its recognition (every rule about the V0 OP_RETURN lives here).

Eligibility (``v0_op_return_for``): exactly one finality provider, and the params' 4-byte tag
(an explicit tag must equal it, or the indexer would not see the stake).

V0 OP_RETURN pkScript (73 bytes; Go ``identifiable_staking.go``, TS ``buildDataEmbedScript``)::

    6a 47 | tag (4) | version 0x00 (1) | staker x-only (32) | fp x-only (32) | staking_time BE (2)

Recognition (Go ``IsPossibleV0StakingTx`` + ``ParseV0StakingTx``, staking-indexer rules):
≥ 2 outputs; exactly one V0-shaped OP_RETURN with the expected tag; exactly one V0 OP_RETURN
with both keys on the curve among ALL outputs whatever their tag (it must be the tagged one);
exactly one output whose pkScript equals the staking pkScript rebuilt from (staker, [fp],
params covenants and quorum, staking_time). Outputs may be in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from l2kit.btc.keys import XOnlyPubKey, is_on_curve
from l2kit.btc.network import Network
from l2kit.btc.script import OP_RETURN, Script
from l2kit.btc.tx import CTransaction, outputs
from l2kit.errors import InputError, L2kitError, ParamsError
from l2kit.frozen import frozen
from l2kit.staking.scripts import StakingInfo, check_timelock, staking_info

if TYPE_CHECKING:
    from l2kit.staking.params import StakingParams

__all__ = [
    "V0_OP_RETURN_SIZE",
    "ParsedStakingTx",
    "V0OpReturn",
    "build_v0_op_return",
    "has_tagged_v0_op_return",
    "parse_staking_tx",
    "parse_v0_op_return",
    "v0_op_return_for",
    "v0_op_return_head",
]

V0_OP_RETURN_SIZE = 73
_VERSION = 0
_PUSH = bytes([OP_RETURN, V0_OP_RETURN_SIZE - 2])  # OP_RETURN OP_PUSHBYTES_71


def build_v0_op_return(
    tag: bytes, staker: XOnlyPubKey, fp: XOnlyPubKey, staking_time: int
) -> Script:
    """``6a 47 ‖ tag ‖ 00 ‖ staker ‖ fp ‖ staking_time (uint16 BE)`` — exactly 73 bytes."""
    if len(tag) != 4:
        raise InputError("must be 4 bytes", field="tag")
    if len(staker) != 32 or len(fp) != 32:
        raise InputError("keys must be 32-byte x-only", field="staker")
    check_timelock(staking_time, "staking_time")
    data = tag + bytes([_VERSION]) + staker + fp + staking_time.to_bytes(2, "big")
    return Script(_PUSH + data)


def v0_op_return_for(
    params_tag: bytes | None,
    staker: XOnlyPubKey,
    fp_pks: Sequence[XOnlyPubKey],
    staking_time: int,
    *,
    tag: bytes | None = None,
    version: int | None = None,
    tag_field: str = "op-return",
    fp_field: str = "op-return",
) -> Script:
    """The V0 OP_RETURN of a stake that asks for one, if it may carry one: exactly one FP and
    the params' tag (params v``version``); an explicit ``tag`` must equal the params' tag, and
    stands alone only without params. ``*_field``: the caller's names for the error lines."""
    if tag is not None and params_tag is not None and tag != params_tag:
        raise ParamsError(
            f"tag {tag.hex()} != the params' tag {params_tag.hex()} (the indexer "
            "would not see this stake)",
            version=version,
            field="tag",
        )
    chosen = params_tag if tag is None else tag
    if chosen is None:
        no_tag = "give a tag or params with a tag"
        raise InputError(
            no_tag if version is None else f"params v{version} have no tag", field=tag_field
        )
    if len(fp_pks) != 1:
        raise InputError("a V0 OP_RETURN names exactly one FP", field=fp_field)
    return build_v0_op_return(chosen, staker, fp_pks[0], staking_time)


def v0_op_return_head(params: StakingParams) -> bytes | None:
    """The first 7 bytes of a 73-byte V0 OP_RETURN script carrying the params tag (None: the
    params have no tag, so no transaction is recognised as a stake)."""
    return _PUSH + params.tag + bytes([_VERSION]) if params.tag else None


def has_tagged_v0_op_return(tx: CTransaction, head: bytes) -> bool:
    """Some output is V0-sized and starts with ``head`` (``v0_op_return_head``)."""
    return any(
        len(out.scriptPubKey) == V0_OP_RETURN_SIZE and out.scriptPubKey[: len(head)] == head
        for out in tx.vout
    )


@frozen
class V0OpReturn:
    tag: bytes
    staker_pk: XOnlyPubKey
    fp_pk: XOnlyPubKey
    staking_time: int


def parse_v0_op_return(script: bytes, tag: bytes | None = None) -> V0OpReturn | None:
    """The fields of a V0 OP_RETURN (matching ``tag`` if given), or None if it is not one."""
    if len(script) != V0_OP_RETURN_SIZE or script[:2] != _PUSH:
        return None
    data = script[2:]
    if data[4] != _VERSION or (tag is not None and data[:4] != tag):
        return None
    staker, fp = data[5:37], data[37:69]
    t = int.from_bytes(data[69:71], "big")
    if not (is_on_curve(staker) and is_on_curve(fp)):
        return None
    return V0OpReturn(data[:4], XOnlyPubKey(staker), XOnlyPubKey(fp), t)


@frozen
class ParsedStakingTx:
    """A recognised phase-1 staking tx (Go ``ParsedV0StakingTx``)."""

    staking_output_index: int
    staking_value: int
    op_return_index: int
    staker_pk: XOnlyPubKey
    fp_pk: XOnlyPubKey
    staking_time: int
    tag: bytes
    info: StakingInfo


def parse_staking_tx(
    tx: CTransaction, params: StakingParams, net: Network
) -> ParsedStakingTx | None:
    """Recognise ``tx`` as a V0 staking tx under ``params`` (tag, covenants, quorum), or None.

    Does not check amount/time bounds (``check_stake`` does); the indexer treats a tagged tx
    that fails here as invalid.
    """
    head = v0_op_return_head(params)
    if head is None:
        return None
    outs = outputs(tx)
    if len(outs) < 2:
        return None
    # Go IsPossibleV0StakingTx: exactly one V0-shaped output with the tag (keys unchecked)
    tagged = [spk for spk, _ in outs if len(spk) == V0_OP_RETURN_SIZE and spk[:7] == head]
    if len(tagged) != 1:
        return None
    # Go ParseV0StakingTx: every V0 OP_RETURN with valid keys counts, WHATEVER its tag (a
    # second one → "multiple op return outputs"); the only one must then carry the tag.
    found: list[tuple[int, V0OpReturn]] = []
    for i, (spk, _) in enumerate(outs):
        parsed = parse_v0_op_return(spk)
        if parsed is not None:
            found.append((i, parsed))
    if len(found) != 1 or found[0][1].tag != params.tag:
        return None
    op_index, data = found[0]
    if data.staking_time == 0:
        return None
    try:
        info = staking_info(
            data.staker_pk,
            [data.fp_pk],
            params.covenant_pks,
            params.covenant_quorum,
            data.staking_time,
            1,
            net,
        )
    except L2kitError:  # duplicate keys etc.: cannot be a valid staking tx
        return None
    matches = [i for i, (spk, _) in enumerate(outs) if spk == info.script_pubkey]
    if len(matches) != 1:
        return None
    index = matches[0]
    value = outs[index][1]
    if value <= 0:
        return None
    return ParsedStakingTx(
        staking_output_index=index,
        staking_value=value,
        op_return_index=op_index,
        staker_pk=data.staker_pk,
        fp_pk=data.fp_pk,
        staking_time=data.staking_time,
        tag=data.tag,
        info=staking_info(
            data.staker_pk,
            [data.fp_pk],
            params.covenant_pks,
            params.covenant_quorum,
            data.staking_time,
            value,
            net,
        ),
    )
