"""The phase-1 V0 OP_RETURN of a staking transaction: its layout and its builder.

V0 OP_RETURN pkScript (73 bytes; Go ``identifiable_staking.go``, TS ``buildDataEmbedScript``)::

    6a 47 | tag (4) | version 0x00 (1) | staker x-only (32) | fp x-only (32) | staking_time BE (2)

Recognising one in a transaction is ``l2kit.staking.identifiable``'s job. The builder has its own
module so that ``stake conformance`` loads no parsing code (issue #14: start-up time).
"""

from __future__ import annotations

from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.script import OP_RETURN, Script
from l2kit.errors import InputError
from l2kit.staking.scripts import check_timelock

__all__ = ["V0_OP_RETURN_SIZE", "V0_VERSION", "build_v0_op_return"]

V0_OP_RETURN_SIZE = 73
V0_VERSION = 0


def build_v0_op_return(
    tag: bytes, staker: XOnlyPubKey, fp: XOnlyPubKey, staking_time: int
) -> Script:
    """``6a 47 ‖ tag ‖ 00 ‖ staker ‖ fp ‖ staking_time (uint16 BE)`` — exactly 73 bytes."""
    if len(tag) != 4:
        raise InputError("must be 4 bytes", field="tag")
    if len(staker) != 32 or len(fp) != 32:
        raise InputError("keys must be 32-byte x-only", field="staker")
    check_timelock(staking_time, "staking_time")
    data = tag + bytes([V0_VERSION]) + staker + fp + staking_time.to_bytes(2, "big")
    return Script(bytes([OP_RETURN, len(data)]) + data)
