"""What a stake's spends are built from (pure: no node, no DB).

``stake_outputs`` rebuilds a tracked stake's three output scripts from its public data (the
tracker stores keys and times, not scripts). ``timelock_spend`` picks the output a withdrawal
spends and checks its timelock. ``presign_slashing`` makes both slashing txs, the staker's
signatures on them and the covenant adaptor signatures before the staking tx is sent, so that
a slasher holding an extracted FP key can act later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.network import Network
from l2kit.errors import TxRejected
from l2kit.staking.covenant import CovenantSigner, SpendContext
from l2kit.staking.params import StakingParams
from l2kit.staking.scripts import (
    SlashingChangeInfo,
    StakingInfo,
    UnbondingInfo,
    slashing_change_info,
    staking_info,
    unbonding_info,
)
from l2kit.staking.signing import sign_staker, verify_covenant_adaptor_sigs
from l2kit.staking.states import State
from l2kit.staking.tracker import NewStake, Stake, StoredTx
from l2kit.staking.transactions import build_slashing_tx, build_unbonding_tx

__all__ = ["Outputs", "TimelockSpend", "presign_slashing", "stake_outputs", "timelock_spend"]


@dataclass(frozen=True)
class Outputs:
    """The scripts of a stake, rebuilt from its public data."""

    staking: StakingInfo
    unbonding: UnbondingInfo
    change: SlashingChangeInfo


def stake_outputs(stake: Stake, net: Network) -> Outputs:
    staker = XOnlyPubKey(bytes.fromhex(stake.staker_pk))
    fps = [XOnlyPubKey(bytes.fromhex(k)) for k in stake.fp_pks]
    covs = [XOnlyPubKey(bytes.fromhex(k)) for k in stake.covenant_pks]
    q = stake.covenant_quorum
    info = staking_info(staker, fps, covs, q, stake.staking_time, stake.value, net)
    unb_value = stake.value - stake.unbonding_fee
    unb = unbonding_info(staker, fps, covs, q, stake.unbonding_time, unb_value, net)
    change = slashing_change_info(staker, stake.unbonding_time, 0, net)
    return Outputs(info, unb, change)


@dataclass(frozen=True)
class TimelockSpend:
    """The output a withdrawal spends through its timelock leaf."""

    src: StoredTx  # the tx holding it
    vout: int
    value: int
    lock: int  # blocks (the withdrawal's nSequence)
    info: StakingInfo | UnbondingInfo | SlashingChangeInfo


def timelock_spend(stake: Stake, txs: Mapping[str, StoredTx], outs: Outputs) -> TimelockSpend:
    """Where the stake's coins are now: the slashing change, else the unbonding output, else
    the staking output (the first tx of these the node has). ``TxRejected`` while its
    timelock still runs, or when the staking tx is not on the node."""
    spend: TimelockSpend
    slashed = [
        k for k in ("slashing", "unbonding_slashing") if k in txs and txs[k].confirmations >= 0
    ]
    if slashed:
        src = txs[slashed[0]]
        _, value = btx.output(btx.parse(src.raw_hex), 1)
        spend = TimelockSpend(src, 1, value, stake.unbonding_time, outs.change)
    elif "unbonding" in txs and txs["unbonding"].confirmations >= 0:
        spend = TimelockSpend(
            txs["unbonding"], 0, outs.unbonding.value, stake.unbonding_time, outs.unbonding
        )
    elif txs["staking"].confirmations >= 0:
        spend = TimelockSpend(
            txs["staking"], stake.staking_vout, stake.value, stake.staking_time, outs.staking
        )
    else:
        raise TxRejected("the staking tx is not on the node yet", field="state")
    confs, lock = spend.src.confirmations, spend.lock
    if confs < lock:
        raise TxRejected(
            f"{lock - max(confs, 0)} blocks remaining before the {lock}-block timelock of the "
            f"{spend.src.kind} output ends (it has {max(confs, 0)} confirmations)",
            field="timelock",
        )
    return spend


def presign_slashing(
    new: NewStake,
    txid: str,
    params: StakingParams,
    staker_seckey: bytes,
    committee: CovenantSigner,
    net: Network,
) -> tuple[dict[str, object], dict[str, dict[tuple[str, str], str]]]:
    """Both slashing txs, the staker's signatures on them and the covenant adaptor sigs
    (public data, stored so that a slasher holding an FP key can act later)."""
    if not params.has_slashing:
        return {}, {}
    stake_like = Stake(
        id=0, staking_txid=txid, state=State.CREATED, confirmations=-1, **new.__dict__
    )
    outs = stake_outputs(stake_like, net)
    fee = int(params.min_slashing_tx_fee_sat or 0)
    rate = params.slashing_rate
    pk_script = bytes(params.slashing_pk_script or b"")
    assert rate is not None
    staking_op = btx.OutPoint(txid, new.staking_vout)
    unbonding = build_unbonding_tx(staking_op, new.value, outs.unbonding)
    unb_op = btx.OutPoint(btx.txid_hex(unbonding), 0)
    extra: dict[str, object] = {"slashing_fee": fee}
    sigs: dict[str, dict[tuple[str, str], str]] = {}
    for kind, outpoint, value, info in (
        ("slashing", staking_op, new.value, outs.staking),
        ("unbonding_slashing", unb_op, outs.unbonding.value, outs.unbonding),
    ):
        slash_tx = build_slashing_tx(outpoint, value, pk_script, rate, fee, outs.change)
        staker_sig = sign_staker(staker_seckey, slash_tx, info, info.slashing_script)
        ctx = SpendContext(slash_tx, value, bytes(info.script_pubkey), info.slashing_script)
        adaptor = committee.adaptor_sign_slashing(ctx, info.fps)
        by_cov: dict[XOnlyPubKey, list[bytes]] = {}
        for (cov, fp), sig in adaptor.items():
            by_cov.setdefault(cov, [b""] * len(info.fps))[info.fps.index(fp)] = sig
        for cov, fp_sigs in by_cov.items():
            verify_covenant_adaptor_sigs(cov, fp_sigs, slash_tx, info)
        if len(by_cov) < info.quorum:
            raise TxRejected(f"only {len(by_cov)} covenant members adaptor-signed {kind}")
        extra[f"{kind}_tx"] = btx.serialize(slash_tx).hex()
        extra[f"{kind}_staker_sig"] = staker_sig.hex()
        sigs[kind] = {(c.hex(), f.hex()): s.hex() for (c, f), s in adaptor.items()}
    return extra, sigs
