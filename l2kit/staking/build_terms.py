"""The terms of an unsigned staking-protocol tx: what a builder takes from a params version
when the caller gives no value, and the rules that tie given values to that version.

``params`` is the version in force (``None``: no params known, every value must be given).
Errors name the builder's option (``--unbonding-time``), since that is what the caller must
change. The params checks (pydantic models) load only when params are given, so builders
given explicit keys and terms start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from l2kit.btc.keys import XOnlyPubKey
from l2kit.errors import InputError, ParamsError
from l2kit.frozen import frozen
from l2kit.staking.identifiable import v0_op_return_for
from l2kit.staking.slashing_rate import parse_slashing_rate

if TYPE_CHECKING:
    from decimal import Decimal

    from l2kit.staking.params import StakingParams

__all__ = [
    "SlashingTerms",
    "committee",
    "from_params",
    "slashing_terms",
    "unbonding_terms",
    "unbonding_time",
    "v0_op_return",
]


def from_params(params: StakingParams | None, attr: str) -> int | None:
    """A default from the params version (None without params; 0 stays 0, so it is checked)."""
    return None if params is None else int(getattr(params, attr))


def committee(
    params: StakingParams | None, covenants: tuple[XOnlyPubKey, ...], quorum: int | None
) -> tuple[tuple[XOnlyPubKey, ...], int]:
    """The covenant keys and quorum: the given ones, else the params'."""
    if not covenants:
        if params is None:
            raise InputError("give --covenant keys or --params", field="--covenant")
        covenants = params.covenant_pks
    q = quorum if quorum is not None else (params.covenant_quorum if params else None)
    if q is None:
        raise InputError("give --quorum or --params", field="--quorum")
    return covenants, q


def unbonding_time(params: StakingParams | None, given: int | None) -> int:
    """The unbonding (and slashing-change) timelock: the given one, else the params'."""
    ut = given if given is not None else from_params(params, "unbonding_time")
    if ut is None:
        raise InputError("give --unbonding-time or --params", field="--unbonding-time")
    return ut


def unbonding_terms(
    params: StakingParams | None, time: int | None, fee: int | None
) -> tuple[int, int]:
    """(unbonding time, unbonding fee); with params both must equal the version's."""
    ut = time if time is not None else from_params(params, "unbonding_time")
    fee = fee if fee is not None else from_params(params, "unbonding_fee")
    if ut is None:
        raise InputError("give --unbonding-time or --params", field="--unbonding-time")
    if fee is None:
        raise InputError("give --unbonding-fee or --params", field="--unbonding-fee")
    if params is not None:
        from l2kit.staking.params import check_unbonding

        check_unbonding(params, ut, fee)
    return ut, fee


@frozen
class SlashingTerms:
    pk_script: bytes  # where the slashed share goes
    rate: Decimal  # the share slashed
    fee: int  # sats
    change_time: int  # timelock of the staker's change output


def slashing_terms(
    params: StakingParams | None,
    pk_script_hex: str | None,
    rate: str | None,
    fee: int | None,
    change_time: int | None,
) -> SlashingTerms:
    """Slashing pkScript, rate, fee and change timelock: the given ones, else the params'.

    With phase-2 params the pkScript and rate must be the version's, the fee at least its
    minimum, and the change timelock its unbonding time (Babylon rebuilds the change output
    with the params' time, so another one would not match).
    """
    p = params
    spk = p.slashing_pk_script if p else None
    try:
        spk = bytes.fromhex(pk_script_hex) if pk_script_hex else spk
    except ValueError:
        raise InputError("must be hex", field="--slashing-script") from None
    rate_d = parse_slashing_rate(rate) if rate else (p.slashing_rate if p else None)
    fee = fee if fee is not None else (p.min_slashing_tx_fee_sat if p else None)
    ut = change_time if change_time is not None else from_params(p, "unbonding_time")
    if not spk or rate_d is None or not fee or not ut:
        raise InputError(
            "give --slashing-script/--slashing-rate/--slashing-fee/--unbonding-time"
            " or phase-2 --params",
            field="--params",
        )
    if p is not None and p.has_slashing:
        from l2kit.staking.params import check_slashing

        check_slashing(p, spk, rate_d, fee)
        if ut != p.unbonding_time:
            raise ParamsError(
                f"change timelock {ut} != unbonding_time {p.unbonding_time}",
                version=p.version,
                field="unbonding_time",
            )
    return SlashingTerms(spk, rate_d, fee, ut)


def v0_op_return(
    params: StakingParams | None,
    tag: str | None,
    staker: XOnlyPubKey,
    fps: tuple[XOnlyPubKey, ...],
    staking_time: int,
) -> bytes:
    """The phase-1 V0 OP_RETURN output script for ``--tag`` (hex) and ``--fp`` (the rule:
    :func:`l2kit.staking.identifiable.v0_op_return_for`)."""
    try:
        raw_tag = bytes.fromhex(tag) if tag else None
    except ValueError:
        raise InputError("must be 4 bytes of hex", field="--tag") from None
    return v0_op_return_for(
        params.tag if params else None,
        staker,
        fps,
        staking_time,
        tag=raw_tag,
        version=params.version if params else None,
        tag_field="--tag",
        fp_field="--fp",
    )
