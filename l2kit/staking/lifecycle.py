"""The staker's lifecycle against a node: create, sync, unbond, withdraw, slash.

Order of every step that sends a tx (what makes a crash at any point harmless):
    build → sign → check (testmempoolaccept) → record the raw tx in the DB (intent) →
    broadcast → recompute the state from the chain (``sync``).
A restart runs ``sync``, which re-sends any recorded tx the node does not know (after the same
check) and walks the state machine to what the chain shows, reorgs included.

``create`` is idempotent: the request's fingerprint is stored with the intent, and a second
``create`` with the same request returns the existing stake instead of staking twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from l2kit import log
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, check_unique, xonly_of
from l2kit.btc.network import Network, address_to_script
from l2kit.btc.rpc_protocol import Rpc
from l2kit.btc.sign import schnorr_verify
from l2kit.errors import InputError, StoreError, TxRejected
from l2kit.procs import pid_alive
from l2kit.staking import chain
from l2kit.staking.covenant import CovenantSigner, SpendContext
from l2kit.staking.funding import Funded, KeyPathKey, fund_from_key, fund_from_wallet, unlock
from l2kit.staking.identifiable import build_v0_op_return
from l2kit.staking.params import ParamsSet, StakingParams, check_stake
from l2kit.staking.scripts import (
    SlashingChangeInfo,
    StakingInfo,
    UnbondingInfo,
    slashing_change_info,
    staking_info,
    unbonding_info,
)
from l2kit.staking.signing import (
    leaf_sighash,
    select_quorum,
    sign_staker,
    signed_slashing_tx,
    signed_unbonding_tx,
    signed_withdrawal_tx,
    verify_covenant_adaptor_sigs,
)
from l2kit.staking.states import ChainView, State, TxSeen, blocks_until_withdrawable, derive
from l2kit.staking.tracker import NewStake, Stake, Tracker
from l2kit.staking.transactions import (
    build_slashing_tx,
    build_unbonding_tx,
    build_withdrawal_tx,
)

_log = log.get(__name__)

HELD = frozenset({State.REGISTRATION_PENDING, State.ABANDONED})  # staking tx never (re)sent by sync


@dataclass(frozen=True)
class StakeRequest:
    staker_pk: XOnlyPubKey
    fp_pks: tuple[XOnlyPubKey, ...]
    value: int
    staking_time: int
    op_return: bool
    funding: str  # "wallet:<name>" or "key:<internal key hex>"
    nonce: str = ""

    def fingerprint(self, net: Network) -> str:
        doc = {
            "network": net.value,
            "staker": self.staker_pk.hex(),
            "fps": sorted(k.hex() for k in self.fp_pks),
            "value": self.value,
            "staking_time": self.staking_time,
            "op_return": self.op_return,
            "funding": self.funding,
            "nonce": self.nonce,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Outputs:
    """The scripts of a stake, rebuilt from its public data."""

    staking: StakingInfo
    unbonding: UnbondingInfo
    change: SlashingChangeInfo


class Lifecycle:
    def __init__(
        self,
        rpc: Rpc,
        tracker: Tracker,
        params: ParamsSet,
        net: Network,
        committee: CovenantSigner | None = None,
        wallet: Rpc | None = None,
    ) -> None:
        self.rpc, self.tracker, self.params, self.net = rpc, tracker, params, net
        self.committee, self.wallet = committee, wallet

    # --- helpers --------------------------------------------------------------------------------

    def _params(self, stake: Stake) -> StakingParams:
        p: StakingParams = self.params.by_version(stake.params_version)
        return p

    def outputs(self, stake: Stake) -> Outputs:
        staker = XOnlyPubKey(bytes.fromhex(stake.staker_pk))
        fps = [XOnlyPubKey(bytes.fromhex(k)) for k in stake.fp_pks]
        covs = [XOnlyPubKey(bytes.fromhex(k)) for k in stake.covenant_pks]
        q = stake.covenant_quorum
        info = staking_info(staker, fps, covs, q, stake.staking_time, stake.value, self.net)
        unb_value = stake.value - stake.unbonding_fee
        unb = unbonding_info(staker, fps, covs, q, stake.unbonding_time, unb_value, self.net)
        change = slashing_change_info(staker, stake.unbonding_time, 0, self.net)
        return Outputs(info, unb, change)

    def get(self, txid: str) -> Stake:
        stake = self.tracker.find(txid)
        if stake is None:
            raise InputError(f"no tracked stake with staking txid {txid}", field="txid")
        return stake

    # --- create ---------------------------------------------------------------------------------

    def create(
        self,
        req: StakeRequest,
        staker_seckey: bytes,
        fee_rate: Decimal,
        max_fee_rate: Decimal,
        funding_key: KeyPathKey | None = None,
    ) -> tuple[Stake, bool]:
        """Stake (or find the stake made by the same request). Returns (stake, existed)."""
        if xonly_of(staker_seckey) != req.staker_pk:
            raise InputError("the staker key does not match the request", field="staker-key-file")
        fingerprint = req.fingerprint(self.net)
        self.reconcile_locks()
        existing = self.tracker.find_by_fingerprint(fingerprint)
        if existing is not None:
            _log.info("same request already recorded", txid=existing.staking_txid)
            synced = self.sync_one(existing)
            if synced.state is not State.ABANDONED:
                return synced, True
            _log.warning("recorded stake was abandoned: staking anew", txid=synced.staking_txid)
        if fee_rate > max_fee_rate:
            raise InputError(f"{fee_rate} > --max-fee-rate {max_fee_rate}", field="fee-rate")
        height = int(self.rpc.call("getblockcount"))
        params: StakingParams = self.params.for_height(height + 1)
        check_stake(params, req.value, req.staking_time)
        covs = tuple(params.covenant_pks)
        check_unique(req.staker_pk, req.fp_pks, covs)
        committee = self._committee_for(params)
        info = staking_info(
            req.staker_pk, req.fp_pks, covs, params.covenant_quorum, req.staking_time,
            req.value, self.net,
        )  # fmt: skip
        wanted: list[tuple[bytes, int]] = [(bytes(info.script_pubkey), req.value)]
        if req.op_return:
            if params.tag is None:
                raise InputError(f"params v{params.version} have no tag", field="op-return")
            if len(req.fp_pks) != 1:
                raise InputError("a V0 OP_RETURN names exactly one FP", field="op-return")
            op = build_v0_op_return(params.tag, req.staker_pk, req.fp_pks[0], req.staking_time)
            wanted.append((bytes(op), 0))
        try:
            funded = self._fund(wanted, fee_rate, max_fee_rate, funding_key, fingerprint)
            chain.crash_point("after-fund")
        except BaseException:
            self.tracker.drop_locks(fingerprint)  # fund_from_wallet released the coins
            raise
        try:
            return self._record_and_broadcast(req, params, info, funded, staker_seckey, committee)
        except BaseException:
            if funding_key is None and self.wallet is not None and not self._recorded(funded):
                unlock(self.wallet, funded.inputs)
                self.tracker.drop_locks(fingerprint)
            raise

    def _recorded(self, funded: Funded) -> bool:
        return self.tracker.find(funded.txid) is not None

    def _record_and_broadcast(
        self,
        req: StakeRequest,
        params: StakingParams,
        info: StakingInfo,
        funded: Funded,
        staker_seckey: bytes,
        committee: CovenantSigner,
    ) -> tuple[Stake, bool]:
        height = int(self.rpc.call("getblockcount"))
        tx = btx.parse(funded.raw_hex)
        vout = [bytes(spk) for spk, _ in btx.outputs(tx)].index(bytes(info.script_pubkey))
        new = NewStake(
            fingerprint=req.fingerprint(self.net),
            network=self.net.value,
            params_version=params.version,
            staker_pk=req.staker_pk.hex(),
            fp_pks=tuple(k.hex() for k in req.fp_pks),
            covenant_pks=tuple(k.hex() for k in params.covenant_pks),
            covenant_quorum=params.covenant_quorum,
            staking_time=req.staking_time,
            unbonding_time=params.unbonding_time,
            unbonding_fee=params.unbonding_fee,
            value=req.value,
            staking_vout=vout,
            start_height=height,
            extra={"fee": funded.fee, "vsize": funded.vsize, "funding": req.funding},
        )
        extra, sigs = self._presign_slashing(new, funded.txid, params, staker_seckey, committee)
        new = NewStake(**{**new.__dict__, "extra": {**new.extra, **extra}})
        chain.check_accept(self.rpc, funded.raw_hex)
        stake = self.tracker.add_stake(new, funded.txid, funded.raw_hex, sigs)
        chain.crash_point("before-broadcast")
        self._send(stake, "staking", funded.txid, funded.raw_hex)
        chain.crash_point("after-broadcast")
        self.reconcile_locks()  # sent: its coins need no lock any more
        return self.sync_one(stake), False

    def reconcile_locks(self) -> None:
        """Release the wallet locks no live request needs: those of a crashed funding (no stake
        was recorded) and those of stakes already sent or abandoned. A recorded but unsent
        stake keeps its persistent lock, so a node restart cannot spend its coins elsewhere."""
        if self.wallet is None:
            return
        for fingerprint, (outpoints, pids) in self.tracker.locks().items():
            stake = self.tracker.find_by_fingerprint(fingerprint)
            if stake is None and any(pid_alive(pid) for pid in pids):
                continue  # another l2kit is between funding and recording right now
            if stake is not None and stake.state is State.CREATED:
                continue
            unlock(self.wallet, outpoints)
            self.tracker.drop_locks(fingerprint)

    def _committee_for(self, params: StakingParams) -> CovenantSigner:
        if self.committee is None:
            raise InputError("no covenant committee configured", field="covenant-dir")
        if set(self.committee.public_keys()) != set(params.covenant_pks) or (
            self.committee.quorum != params.covenant_quorum
        ):
            raise InputError(
                f"the covenant committee's keys/quorum differ from params v{params.version}",
                field="covenant-dir",
            )
        return self.committee

    def _fund(
        self,
        wanted: Sequence[tuple[bytes, int]],
        fee_rate: Decimal,
        max_fee_rate: Decimal,
        key: KeyPathKey | None,
        fingerprint: str,
    ) -> Funded:
        if key is not None:
            return fund_from_key(self.rpc, key, wanted, self.net, fee_rate, max_fee_rate)
        if self.wallet is None:
            raise InputError("no wallet and no --key-file to fund the stake", field="wallet")
        return fund_from_wallet(
            self.wallet, wanted, self.net, fee_rate, max_fee_rate,
            before_lock=lambda ops: self.tracker.add_locks(fingerprint, ops, os.getpid()),
        )  # fmt: skip

    def _presign_slashing(
        self,
        new: NewStake,
        txid: str,
        params: StakingParams,
        staker_seckey: bytes,
        committee: CovenantSigner,
    ) -> tuple[dict[str, object], dict[str, dict[tuple[str, str], str]]]:
        """Both slashing txs, the staker's signatures on them and the covenant adaptor sigs
        (public data, stored so that a slasher holding an FP key can act later)."""
        if not params.has_slashing:
            return {}, {}
        stake_like = Stake(id=0, staking_txid=txid, state=State.CREATED, confirmations=-1,
                           **new.__dict__)  # fmt: skip
        outs = self.outputs(stake_like)
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

    # --- chain sync -----------------------------------------------------------------------------

    def _send(self, stake: Stake, kind: str, txid: str, raw_hex: str) -> chain.Seen:
        self.tracker.note_broadcast_attempt(stake.id, kind)
        seen = chain.broadcast(self.rpc, txid, raw_hex)
        self.tracker.note_seen(stake.id, kind, seen.confirmations, seen.block_hash)
        return seen

    def view(self, stake: Stake, rebroadcast: bool = True) -> ChainView:
        seen: dict[str, TxSeen] = {}
        held = stake.state in HELD  # sent only once Babylon verified it (or never)
        recorded = self.tracker.txs(stake.id)
        observed = chain.observe_many(self.rpc, [stored.txid for stored in recorded.values()])
        for (kind, stored), where in zip(recorded.items(), observed, strict=True):
            if where.confirmations < 0 and rebroadcast and not (held and kind == "staking"):
                try:
                    where = chain.broadcast(self.rpc, stored.txid, stored.raw_hex)
                    _log.info("re-sent recorded tx", kind=kind, txid=stored.txid)
                except TxRejected as exc:
                    _log.warning("recorded tx not accepted", kind=kind, reason=str(exc))
            self.tracker.note_seen(stake.id, kind, where.confirmations, where.block_hash)
            seen[kind] = TxSeen(where.confirmations)
        unseen = TxSeen(-1)
        slashing = max(
            seen.get("slashing", unseen), seen.get("unbonding_slashing", unseen),
            key=lambda s: s.confirmations,
        )  # fmt: skip
        staking = seen.get("staking", unseen)
        conflict = None
        if not staking.accepted:
            stored = self.tracker.txs(stake.id)["staking"]
            conflict = chain.input_conflict(self.rpc, stored.raw_hex, stake.start_height)
        return ChainView(
            staking=staking,
            unbonding=seen.get("unbonding", unseen),
            slashing=slashing,
            withdrawal=seen.get("withdrawal", unseen),
            staking_conflict=conflict,
        )

    def sync_one(self, stake: Stake, rebroadcast: bool = True) -> Stake:
        if stake.state is State.ABANDONED:
            return stake  # final unless a reorg brings the conflict back: `stake status` says so
        view = self.view(stake, rebroadcast)
        state = derive(view, staking_time=stake.staking_time, unbonding_time=stake.unbonding_time)
        if stake.state in HELD and state is State.CREATED:
            state = stake.state  # still held back (or abandoned), not sent
        if state != stake.state:
            _log.info("state", txid=stake.staking_txid, old=stake.state.value, new=state.value)
        reason = "sync"
        if state is State.ABANDONED:
            reason = f"an input was spent by {view.staking_conflict}"
            self.tracker.abandon_fingerprint(stake.id)
        moved = self.tracker.move_to(stake.id, state, reason, view.staking.confirmations)
        if state is State.ABANDONED:
            self.reconcile_locks()
        return moved

    def sync(self, rebroadcast: bool = True) -> list[Stake]:
        self.reconcile_locks()
        return [self.sync_one(s, rebroadcast) for s in self.tracker.all()]

    def status(self, stake: Stake, sync: bool = True) -> dict[str, Any]:
        if sync:
            stake = self.sync_one(stake)
        view = self.view(stake, rebroadcast=False)
        txs = self.tracker.txs(stake.id)
        return {
            "staking_txid": stake.staking_txid,
            "state": stake.state.value,
            "confirmations": max(stake.confirmations, 0),
            "blocks_until_withdrawable": blocks_until_withdrawable(
                view, staking_time=stake.staking_time, unbonding_time=stake.unbonding_time
            ),
            "value": stake.value,
            "staking_time": stake.staking_time,
            "unbonding_time": stake.unbonding_time,
            "params_version": stake.params_version,
            "staker_pk": stake.staker_pk,
            "fp_pks": list(stake.fp_pks),
            "txs": {k: {"txid": t.txid, "confirmations": t.confirmations} for k, t in txs.items()},
            "babylon": self._babylon_status(stake),
        }

    def _babylon_status(self, stake: Stake) -> dict[str, Any] | None:
        """The Babylon side (status as last seen on the chain), or None when unregistered."""
        link = self.tracker.babylon(stake.id)
        if link is None:
            return None
        txs = {
            p: c.txhash for p in ("create", "proof") if (c := self.tracker.cosmos_tx(stake.id, p))
        }
        return {"state": link.state, "flow": link.flow, "chain_id": link.chain_id,
                "cosmos_txs": txs}  # fmt: skip

    # --- unbond ---------------------------------------------------------------------------------

    def unbond(
        self,
        stake: Stake,
        staker_seckey: bytes,
        chain_sigs: Mapping[XOnlyPubKey, bytes] | None = None,
    ) -> Stake:
        """``chain_sigs``: the covenant unbonding signatures the Babylon chain holds for a
        registered stake (else the local committee signs: regtest-only stakes). Either way
        only valid signatures of committee keys count, exactly ``quorum`` of them."""
        stake = self.sync_one(stake)
        if "unbonding" in self.tracker.txs(stake.id) and stake.state in (
            State.UNBONDING, State.UNBONDED, State.WITHDRAWABLE, State.WITHDRAWN,
        ):  # fmt: skip
            return stake  # already done: idempotent
        if stake.state not in (State.CONFIRMED, State.EXPIRED):
            raise TxRejected(
                f"stake is {stake.state.value}; unbonding needs a confirmed, unspent staking "
                "output",
                field="state",
            )
        outs = self.outputs(stake)
        info = outs.staking
        tx = build_unbonding_tx(
            btx.OutPoint(stake.staking_txid, stake.staking_vout), stake.value, outs.unbonding
        )
        staker_sig = sign_staker(staker_seckey, tx, info, info.unbonding_script)
        if chain_sigs is None:
            committee = self._committee_for(self._params(stake))
            ctx = SpendContext(tx, stake.value, bytes(info.script_pubkey), info.unbonding_script)
            chain_sigs = committee.sign_unbonding(ctx)
        sighash = leaf_sighash(tx, info, info.unbonding_script)
        valid = {  # foreign keys and bad signatures are dropped, not fatal
            pk: sig
            for pk, sig in chain_sigs.items()
            if pk in info.covenants and len(sig) == 64 and schnorr_verify(pk, sighash, sig)
        }
        signed = signed_unbonding_tx(tx, info, staker_sig, select_quorum(valid, info.quorum))
        return self._record_and_send(stake, "unbonding", signed, "unbond")

    def _record_and_send(self, stake: Stake, kind: str, signed: Any, point: str) -> Stake:
        raw = btx.serialize(signed).hex()
        txid = btx.txid_hex(signed)
        chain.check_accept(self.rpc, raw)
        self.tracker.put_tx(stake.id, kind, txid, raw)
        chain.crash_point(f"before-{point}-broadcast")
        self._send(stake, kind, txid, raw)
        chain.crash_point(f"after-{point}-broadcast")
        return self.sync_one(stake)

    # --- withdraw -------------------------------------------------------------------------------

    def withdraw(
        self, stake: Stake, dest_address: str, staker_seckey: bytes, fee_rate: Decimal
    ) -> Stake:
        dest = address_to_script(dest_address, self.net, field="to")
        stake = self.sync_one(stake)
        if stake.state == State.WITHDRAWN:
            return stake
        txs = self.tracker.txs(stake.id)
        outs = self.outputs(stake)
        spent: StakingInfo | UnbondingInfo | SlashingChangeInfo
        slashed = [k for k in ("slashing", "unbonding_slashing") if k in txs
                   and txs[k].confirmations >= 0]  # fmt: skip
        if slashed:
            src = txs[slashed[0]]
            _, value = btx.output(btx.parse(src.raw_hex), 1)
            spent, vout, lock = outs.change, 1, stake.unbonding_time
        elif "unbonding" in txs and txs["unbonding"].confirmations >= 0:
            src, spent, vout, lock = txs["unbonding"], outs.unbonding, 0, stake.unbonding_time
            value = outs.unbonding.value
        elif txs["staking"].confirmations >= 0:
            src, spent, vout, lock = (
                txs["staking"],
                outs.staking,
                stake.staking_vout,
                stake.staking_time,
            )
            value = stake.value
        else:
            raise TxRejected("the staking tx is not on the node yet", field="state")
        confs = src.confirmations
        if confs < lock:
            remaining = lock - max(confs, 0)
            raise TxRejected(
                f"{remaining} blocks remaining before the {lock}-block timelock of the "
                f"{src.kind} output ends (it has {max(confs, 0)} confirmations)",
                field="timelock",
            )
        leaf = spent.timelock_script
        tx = build_withdrawal_tx(
            btx.OutPoint(src.txid, vout), value, lock, dest, fee_rate,
            leaf_script=leaf, control_block=spent.control_block(leaf),
        )  # fmt: skip
        signed = signed_withdrawal_tx(tx, spent, staker_seckey, value=value)
        return self._record_and_send(stake, "withdrawal", signed, "withdraw")

    # --- slash ----------------------------------------------------------------------------------

    def slash(self, stake: Stake, fp_seckey: bytes, source: str) -> Stake:
        if source not in ("staking", "unbonding"):
            raise InputError("must be staking or unbonding", field="from")
        kind = "slashing" if source == "staking" else "unbonding_slashing"
        stake = self.sync_one(stake)
        txs = self.tracker.txs(stake.id)
        if kind in txs and txs[kind].confirmations >= 0:
            return stake  # already sent
        fp = xonly_of(fp_seckey)
        if fp.hex() not in stake.fp_pks:
            raise InputError("this key is not a finality provider of the stake", field="fp-secret")
        tx_hex = stake.extra.get(f"{kind}_tx")
        sig_hex = stake.extra.get(f"{kind}_staker_sig")
        if not isinstance(tx_hex, str) or not isinstance(sig_hex, str):
            raise StoreError(f"stake has no pre-signed {kind} tx (params without slashing?)")
        need = "staking" if source == "staking" else "unbonding"
        if need not in txs or txs[need].confirmations <= 0:
            raise TxRejected(f"the {need} tx is not confirmed; nothing to slash yet", field="from")
        outs = self.outputs(stake)
        info = outs.staking if source == "staking" else outs.unbonding
        adaptor = {
            XOnlyPubKey(bytes.fromhex(cov)): bytes.fromhex(sig)
            for (cov, fp_hex), sig in self.tracker.sigs(stake.id, kind).items()
            if fp_hex == fp.hex()
        }
        slash_tx = btx.parse(tx_hex)
        signed = signed_slashing_tx(slash_tx, info, bytes.fromhex(sig_hex), adaptor, fp_seckey)
        return self._record_and_send(stake, kind, signed, "slash")
