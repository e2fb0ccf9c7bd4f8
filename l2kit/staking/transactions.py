"""Unsigned Babylon staking transactions: staking, unbonding, slashing, withdrawal.

All amounts are int satoshis; fee rates are sat/vB (int, float or Decimal; fees round up).

    staking     v2; inputs = UTXOs (P2WPKH / P2TR key path);
                out: staking [, V0 OP_RETURN] [, change]
    unbonding   v2; 1 input (staking outpoint, seq ffffffff); 1 output = stake - unbonding_fee
    slashing    v2; 1 input (staking or unbonding output 0, seq ffffffff); out[0] = slashing
                pkScript with round(value x rate), out[1] = change to timelock(unbonding_time)
    withdrawal  v2; 1 input with nSequence = the leaf's timelock; 1 output; fee from the
                real witness size (sig 64 + leaf script + control block)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from l2kit.btc.script import OP_RETURN, is_p2tr, is_p2wpkh
from l2kit.btc.taproot import compact_size
from l2kit.btc.tx import (
    MAX_MONEY,
    SEQUENCE_FINAL,
    CTransaction,
    OutPoint,
    dust_threshold,
    is_dust,
    new_tx,
    weight,
)
from l2kit.errors import InputError, TxRejected
from l2kit.frozen import frozen
from l2kit.staking.scripts import (
    MAX_TIMELOCK,
    SlashingChangeInfo,
    StakingInfo,
    UnbondingInfo,
)
from l2kit.staking.slashing_rate import parse_slashing_rate

if TYPE_CHECKING:  # imported where a fee rate is used: an unbonding tx needs neither (start-up)
    from decimal import Decimal
    from fractions import Fraction

    FeeRate = int | float | Decimal | Fraction

__all__ = [
    "TX_VERSION",
    "Utxo",
    "build_slashing_tx",
    "build_staking_tx",
    "build_unbonding_tx",
    "build_withdrawal_tx",
    "check_slashing_tx",
    "fee_for",
    "input_witness_weight",
    "slashing_amount",
    "slashing_outputs",
    "withdrawal_witness_size",
]

TX_VERSION = 2

# Non-witness bytes of a tx: version 4 + locktime 4 (+ compact sizes of vin/vout counts).
_TX_OVERHEAD = 8
_INPUT_BASE = 32 + 4 + 1 + 4  # outpoint, empty scriptSig, sequence
_SEGWIT_MARKER_WU = 2  # marker + flag, witness bytes (weight 1 each)
# Witness of one input in weight units (= bytes): item count + items.
_P2WPKH_WITNESS = 1 + (1 + 72) + (1 + 33)  # DER sig up to 72 bytes incl. sighash type
_P2TR_KEYPATH_WITNESS = 1 + (1 + 64)  # SIGHASH_DEFAULT Schnorr sig
# Worst case for a timelock-leaf spend when the leaf is not given: 39-byte leaf
# (T >= 32768), control block of depth 2.
_DEFAULT_LEAF, _DEFAULT_CONTROL_BLOCK = 39, 33 + 2 * 32


@frozen
class Utxo:
    """A spendable output: where it is, its value and its scriptPubKey (P2WPKH or P2TR)."""

    outpoint: OutPoint
    value: int
    script_pubkey: bytes


def _rate(fee_rate: FeeRate) -> Fraction:
    from decimal import Decimal
    from fractions import Fraction

    if isinstance(fee_rate, bool) or not isinstance(fee_rate, int | float | Decimal | Fraction):
        raise InputError("must be a number (sat/vB)", field="fee_rate")
    rate = Fraction(str(fee_rate)) if isinstance(fee_rate, float) else Fraction(fee_rate)
    if rate <= 0 or rate > 100_000:
        raise InputError(f"must be in (0, 100000] sat/vB, got {fee_rate}", field="fee_rate")
    return rate


def fee_for(weight: int, fee_rate: FeeRate) -> int:
    """ceil(vsize x fee_rate) with vsize = ceil(weight / 4)."""
    return math.ceil(math.ceil(weight / 4) * _rate(fee_rate))


def input_witness_weight(script_pubkey: bytes) -> int:
    """Estimated witness bytes to spend a P2WPKH (108) or P2TR key-path (66) output."""
    spk = bytes(script_pubkey)
    if is_p2wpkh(spk):
        return _P2WPKH_WITNESS
    if is_p2tr(spk):
        return _P2TR_KEYPATH_WITNESS
    raise TxRejected("only P2WPKH and P2TR (key path) inputs are supported", field="utxos")


def _weight(n_in: int, outs: Sequence[tuple[bytes, int]], witness: int) -> int:
    base = _TX_OVERHEAD + len(compact_size(n_in)) + n_in * _INPUT_BASE
    base += len(compact_size(len(outs)))
    base += sum(8 + len(compact_size(len(spk))) + len(spk) for spk, _ in outs)
    return 4 * base + (_SEGWIT_MARKER_WU + witness if witness else 0)


def _check_amount(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_MONEY:
        raise InputError(f"must be an amount in 1..{MAX_MONEY} sats", field=field)


def _check_not_dust(script_pubkey: bytes, value: int, field: str) -> None:
    if is_dust(script_pubkey, value):
        raise TxRejected(
            f"{value} sat is dust (threshold {dust_threshold(script_pubkey)} sat at 3000 sat/kvB)",
            field=field,
        )


def build_staking_tx(
    utxos: Sequence[Utxo],
    staking_info: StakingInfo,
    change_script: bytes,
    fee_rate: FeeRate,
    op_return: bytes | None = None,
    *,
    select: bool = True,
) -> CTransaction:
    """Staking tx: out[0] staking output, out[1] the OP_RETURN (if any), change last.

    With ``select`` the UTXOs are taken largest-first until value + fee is covered, else all
    are spent. Change below the dust threshold is dropped (it goes to the fee).
    """
    if not utxos:
        raise TxRejected("no UTXOs to fund the staking output", field="utxos")
    outs: list[tuple[bytes, int]] = [(staking_info.script_pubkey, staking_info.value)]
    _check_not_dust(staking_info.script_pubkey, staking_info.value, "staking_value")
    if op_return is not None:
        if not op_return or op_return[0] != OP_RETURN:
            raise InputError("must be an OP_RETURN script", field="op_return")
        outs.append((bytes(op_return), 0))
    for i, u in enumerate(utxos):
        _check_amount(u.value, f"utxos[{i}].value")
        input_witness_weight(u.script_pubkey)
    pool = sorted(utxos, key=lambda u: -u.value) if select else list(utxos)
    chosen: list[Utxo] = []
    for u in pool:
        chosen.append(u)
        if not select:
            continue
        if sum(c.value for c in chosen) >= staking_info.value + _fee(
            chosen, outs, change_script, fee_rate
        ):
            break
    total = sum(u.value for u in chosen)
    fee_with_change = _fee(chosen, outs, change_script, fee_rate)
    change = total - staking_info.value - fee_with_change
    if change >= dust_threshold(change_script):
        outs.append((bytes(change_script), change))
    else:
        fee_without = _fee(chosen, outs, None, fee_rate)
        if total - staking_info.value < fee_without:
            raise TxRejected(
                f"UTXOs hold {total} sat; need {staking_info.value} + fee {fee_without}",
                field="utxos",
            )
    return new_tx(
        TX_VERSION, [(u.outpoint, SEQUENCE_FINAL - 2) for u in chosen], outs, 0
    )  # seq fffffffd: final for locktime 0, signals RBF


def _fee(
    chosen: Sequence[Utxo],
    outs: Sequence[tuple[bytes, int]],
    change: bytes | None,
    fee_rate: FeeRate,
) -> int:
    all_outs = [*outs, (bytes(change), 0)] if change is not None else list(outs)
    witness = sum(input_witness_weight(u.script_pubkey) for u in chosen)
    return fee_for(_weight(len(chosen), all_outs, witness), fee_rate)


def build_unbonding_tx(
    staking_outpoint: OutPoint, staking_value: int, unbonding_info: UnbondingInfo
) -> CTransaction:
    """Unbonding tx: version 2, 1 input (seq ffffffff), 1 output, locktime 0.

    ``unbonding_info.value`` must be ``staking_value - unbonding_fee`` with a positive fee
    (Babylon checks the fee equals the params' ``unbonding_fee`` exactly: ``check_unbonding``).
    """
    _check_amount(staking_value, "staking_value")
    fee = staking_value - unbonding_info.value
    if fee <= 0:
        raise TxRejected(
            f"unbonding value {unbonding_info.value} must be below the stake {staking_value}",
            field="unbonding_fee",
        )
    return new_tx(
        TX_VERSION,
        [(staking_outpoint, SEQUENCE_FINAL)],
        [(unbonding_info.script_pubkey, unbonding_info.value)],
        0,
    )


def slashing_amount(value: int, rate: str | Decimal | float) -> int:
    """``round(value x rate)`` exactly as Go ``btcutil.Amount.MulF64``: the product in float64,
    then ``Amount(f + 0.5)`` (truncation) — round half away from zero for positive values."""
    product = float(value) * float(parse_slashing_rate(rate))
    return int(product + 0.5)


def slashing_outputs(input_value: int, slashing_rate: str | Decimal, fee: int) -> tuple[int, int]:
    """(slashed amount, staker change) for a slashing tx; rejects a zero or negative side."""
    rate = parse_slashing_rate(slashing_rate)
    _check_amount(input_value, "input_value")
    if isinstance(fee, bool) or not isinstance(fee, int) or fee <= 0:
        raise InputError("must be a positive number of sats", field="slashing_fee")
    slashed = slashing_amount(input_value, rate)
    if slashed <= 0:
        raise TxRejected(
            f"slashing amount rounds to {slashed} sat ({input_value} x {rate})",
            field="slashing_rate",
        )
    change = input_value - slashed - fee
    if change <= 0:
        raise TxRejected(
            f"no change left: {input_value} - slashed {slashed} - fee {fee} = {change}",
            field="slashing_fee",
        )
    return slashed, change


def build_slashing_tx(
    outpoint: OutPoint,
    input_value: int,
    slashing_pk_script: bytes,
    slashing_rate: str | Decimal,
    slashing_fee: int,
    change_info: SlashingChangeInfo,
    *,
    min_fee: int | None = None,
) -> CTransaction:
    """Slashing tx spending the staking output or unbonding output 0.

    out[0] = ``slashing_pk_script`` with ``slashing_amount(input_value, rate)`` (> 0),
    out[1] = ``change_info``'s single-leaf output (its ``value`` field is ignored) with
    input - slashed - fee. Non-OP_RETURN outputs must not be dust; fee >= ``min_fee``.
    """
    if not slashing_pk_script:
        raise InputError("must not be empty", field="slashing_pk_script")
    if min_fee is not None and slashing_fee < min_fee:
        raise TxRejected(f"fee {slashing_fee} < minimum {min_fee}", field="slashing_fee")
    slashed, change = slashing_outputs(input_value, slashing_rate, slashing_fee)
    if slashing_pk_script[0] != OP_RETURN:
        _check_not_dust(slashing_pk_script, slashed, "slashing_rate")
    _check_not_dust(change_info.script_pubkey, change, "slashing_change")
    return new_tx(
        TX_VERSION,
        [(outpoint, SEQUENCE_FINAL)],
        [(bytes(slashing_pk_script), slashed), (change_info.script_pubkey, change)],
        0,
    )


MAX_STANDARD_TX_WEIGHT = 400_000


def check_slashing_tx(
    tx: CTransaction,
    slashing_pk_script: bytes,
    slashing_rate: str | Decimal,
    min_fee: int,
    input_value: int | None,
    change_script: bytes,
) -> None:
    """Babylon's checks on a pre-signed slashing tx, in Go's order (``CheckPreSignedTxSanity``
    with versions 1..2, then ``validateSlashingTx``); raises ``TxRejected`` naming the field.

    ``input_value`` (the spent staking/unbonding output) None skips the value and fee rules.
    Dust is btcd ``mempool.IsDust`` at 1000 sat/kvB, i.e. Core's rule at 3000 sat/kvB.
    """

    def bad(field: str, rule: str) -> TxRejected:
        return TxRejected(f"slashing tx: {rule}", field=field)

    if len(tx.vin) != 1 or len(tx.vout) != 2:
        raise bad("tx", f"must have 1 input and 2 outputs, has {len(tx.vin)}/{len(tx.vout)}")
    if tx.nLockTime != 0:
        raise bad("locktime", f"locktime must be 0, is {tx.nLockTime}")
    if not 1 <= tx.nVersion <= 2:
        raise bad("version", f"version must be in 1..2, is {tx.nVersion}")
    if weight(tx) > MAX_STANDARD_TX_WEIGHT:
        raise bad("tx", f"weight must be <= {MAX_STANDARD_TX_WEIGHT}")
    if tx.vin[0].nSequence != SEQUENCE_FINAL:
        raise bad("sequence", f"sequence must be ffffffff, is {tx.vin[0].nSequence:08x}")
    if len(tx.vin[0].scriptSig) != 0:
        raise bad("tx", "scriptSig must be empty")
    (spk0, value0), (spk1, value1) = ((bytes(o.scriptPubKey), int(o.nValue)) for o in tx.vout)
    if input_value is not None:
        need = slashing_amount(input_value, slashing_rate)
        if value0 < need:
            raise bad(
                "slashing_rate",
                f"output 0 pays {value0} sat, below round({input_value} "
                f"x slashing_rate {slashing_rate}) = {need}",
            )
    if spk0 != bytes(slashing_pk_script):
        raise bad("slashing_pk_script", "output 0 must pay to the params' slashing_pk_script")
    if spk1 != bytes(change_script):
        raise bad(
            "slashing_change", "output 1 must be the staker's timelock(unbonding_time) output"
        )
    for field, spk, value in (("slashing_rate", spk0, value0), ("slashing_change", spk1, value1)):
        if spk[:1] != bytes([OP_RETURN]) and is_dust(spk, value):
            raise bad(field, f"{value} sat is dust (threshold {dust_threshold(spk)} sat)")
    if value0 <= 0:
        raise bad("slashing_rate", "output 0 must be more than 0 sat")
    if input_value is None:
        return
    total = value0 + value1
    if input_value <= total:
        raise bad(
            "slashing_fee",
            f"outputs total {total} sat, not less than the spent "
            f"{input_value} sat: the fee must be more than 0",
        )
    if input_value - total < min_fee:
        raise bad(
            "slashing_fee", f"fee {input_value - total} sat below min_slashing_tx_fee_sat {min_fee}"
        )


def withdrawal_witness_size(leaf_script_len: int, control_block_len: int) -> int:
    """Witness bytes of ``[sig64, leaf script, control block]``."""
    return (
        1
        + 1
        + 64
        + len(compact_size(leaf_script_len))
        + leaf_script_len
        + len(compact_size(control_block_len))
        + control_block_len
    )


def build_withdrawal_tx(
    outpoint: OutPoint,
    value: int,
    sequence: int,
    dest_script: bytes,
    fee_rate: FeeRate,
    *,
    leaf_script: bytes | None = None,
    control_block: bytes | None = None,
) -> CTransaction:
    """Withdrawal via the timelock leaf: nSequence = the leaf's timelock (staking_time for
    the staking output, unbonding_time for unbonding/slashing-change outputs), version 2.

    The fee is ``fee_rate`` x the vsize with the real witness (pass ``leaf_script`` and
    ``control_block``; without them a depth-2, 39-byte leaf is assumed).
    """
    _check_amount(value, "value")
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        raise InputError("must be an integer", field="sequence")
    if not 0 < sequence <= MAX_TIMELOCK:
        raise InputError(f"must be a block timelock in 1..{MAX_TIMELOCK}", field="sequence")
    leaf_len = len(leaf_script) if leaf_script is not None else _DEFAULT_LEAF
    cb_len = len(control_block) if control_block is not None else _DEFAULT_CONTROL_BLOCK
    weight = _weight(1, [(bytes(dest_script), 0)], withdrawal_witness_size(leaf_len, cb_len))
    fee = fee_for(weight, fee_rate)
    out_value = value - fee
    if out_value <= 0:
        raise TxRejected(f"value {value} does not cover the fee {fee}", field="fee_rate")
    _check_not_dust(dest_script, out_value, "value")
    return new_tx(TX_VERSION, [(outpoint, sequence)], [(bytes(dest_script), out_value)], 0)
