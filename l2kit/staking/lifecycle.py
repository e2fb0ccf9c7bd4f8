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

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from l2kit import log, paths
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network, address_to_script
from l2kit.btc.rpc import RpcClient
from l2kit.btc.rpc_protocol import Rpc
from l2kit.btc.sign import schnorr_verify
from l2kit.errors import InputError, NodeError, StoreError, TxRejected
from l2kit.procs import pid_alive
from l2kit.staking import chain
from l2kit.staking.covenant import COMMITTEE_FILE, CovenantSigner, LocalCommittee, SpendContext
from l2kit.staking.funding import Funded, KeyPathKey, fund_from_key, fund_from_wallet, unlock
from l2kit.staking.identifiable import v0_op_return_for
from l2kit.staking.params import ParamsSet, StakingParams, resolve
from l2kit.staking.request import (
    DEFAULT_MAX_FEE_RATE,
    StakeRequest,
    check_fee_rate,
    check_stake_request,
)
from l2kit.staking.scripts import (
    StakingInfo,
    staking_info,
)
from l2kit.staking.signing import (
    leaf_sighash,
    select_quorum,
    sign_staker,
    signed_slashing_tx,
    signed_unbonding_tx,
    signed_withdrawal_tx,
)
from l2kit.staking.spends import Outputs, presign_slashing, stake_outputs, timelock_spend
from l2kit.staking.states import ChainView, State, TxSeen, blocks_until_withdrawable, derive
from l2kit.staking.tracker import NewStake, Stake, Tracker
from l2kit.staking.transactions import (
    build_unbonding_tx,
    build_withdrawal_tx,
)

_log = log.get(__name__)

HELD = frozenset({State.REGISTRATION_PENDING, State.ABANDONED})  # staking tx never (re)sent by sync


class Lifecycle:
    def __init__(
        self,
        rpc: Rpc,
        tracker: Tracker,
        params: ParamsSet,
        net: Network,
        committee: CovenantSigner | None = None,
        wallet: Rpc | None = None,
        wallet_name: str | None = None,
    ) -> None:
        self.rpc, self.tracker, self.params, self.net = rpc, tracker, params, net
        self.committee, self.wallet, self.wallet_name = committee, wallet, wallet_name

    @classmethod
    @contextmanager
    def open(
        cls,
        rpc: RpcClient | str,
        *,
        wallet: str,
        db: Path | None = None,
        covenant_dir: Path | None = None,
        params_file: Path | None = None,
        chain_params: Callable[[Network], ParamsSet] | None = None,
        cookie_file: Path | None = None,
        user: str | None = None,
        password: str | None = None,
        label: str | None = None,
    ) -> Iterator[Lifecycle]:
        """A lifecycle wired node → network → committee → params → tracker (closed on exit).

        ``rpc``: a bitcoind URL (``cookie_file`` or ``user`` + ``password``), or a client the
        caller keeps (``label`` names it in errors). ``db``: the stake tracker (default
        ``paths.stake_db()``). ``covenant_dir`` (default ``paths.covenant_dir()``): its local
        committee, when it has one. Params: ``params.resolve`` with ``chain_params`` (online
        registration), ``params_file`` and the committee's regtest params, in that order.
        """
        client = (
            RpcClient(rpc, user=user, password=password, cookie_file=cookie_file)
            if isinstance(rpc, str)
            else rpc
        )
        try:
            net = Network.parse(client.getblockchaininfo().chain)
            if "txindex" not in client.call("getindexinfo"):
                # sync finds confirmed unbonding/slashing/withdrawal txs with getrawtransaction
                name = label or client.url
                raise NodeError(f"{name}: the node runs without -txindex, which l2kit needs")
            cov_dir = covenant_dir or paths.covenant_dir()
            has_committee = (cov_dir / COMMITTEE_FILE).exists()
            committee = LocalCommittee.load(cov_dir) if has_committee else None
            params = resolve(
                net, params_file=params_file, committee_dir=cov_dir, chain=chain_params
            )
            tracker = Tracker(db or paths.stake_db())
            try:
                yield cls(client, tracker, params, net, committee, client.wallet(wallet), wallet)
            finally:
                tracker.close()
        finally:
            if isinstance(rpc, str):
                client.close()

    def need_wallet(self) -> Rpc:
        """The wallet, loaded in the node (else bitcoind's -18 would come mid-way, exit 1)."""
        loaded = [str(w) for w in self.rpc.call("listwallets")]
        if self.wallet is None or self.wallet_name not in loaded:
            raise InputError(
                f"{self.wallet_name!r} is not loaded in the node "
                f"(loaded: {', '.join(loaded) or 'none'})",
                field="wallet",
            )
        return self.wallet

    # --- helpers --------------------------------------------------------------------------------

    def _params(self, stake: Stake) -> StakingParams:
        p: StakingParams = self.params.by_version(stake.params_version)
        return p

    def outputs(self, stake: Stake) -> Outputs:
        return stake_outputs(stake, self.net)

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
        params = self._check_new(req, fee_rate, max_fee_rate)
        covs = tuple(params.covenant_pks)
        committee = self._committee_for(params)
        info = staking_info(
            req.staker_pk,
            req.fp_pks,
            covs,
            params.covenant_quorum,
            req.staking_time,
            req.value,
            self.net,
        )
        wanted: list[tuple[bytes, int]] = [(bytes(info.script_pubkey), req.value)]
        if req.op_return:
            op = v0_op_return_for(
                params.tag, req.staker_pk, req.fp_pks, req.staking_time, version=params.version
            )
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

    def precheck(self, req: StakeRequest, fee_rate: Decimal, max_fee_rate: Decimal) -> None:
        """The checks ``create`` makes before funding, for a caller with something to do
        first once they pass (write a new staker key). A recorded request passes: ``create``
        returns its stake."""
        if self.tracker.find_by_fingerprint(req.fingerprint(self.net)) is None:
            self._check_new(req, fee_rate, max_fee_rate)

    def _check_new(
        self, req: StakeRequest, fee_rate: Decimal, max_fee_rate: Decimal
    ) -> StakingParams:
        """Fee cap, params bounds and distinct keys, against the version of the next block."""
        check_fee_rate(fee_rate, max_fee_rate)
        params: StakingParams = self.params.for_height(int(self.rpc.call("getblockcount")) + 1)
        check_stake_request(params, req.staker_pk, req.fp_pks, req.value, req.staking_time)
        return params

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
        extra = {"fee": funded.fee, "vsize": funded.vsize, "funding": req.funding}
        new = req.new_stake(self.net, params, vout, height, extra)
        slashing, sigs = presign_slashing(
            new, funded.txid, params, staker_seckey, committee, self.net
        )
        new = NewStake(**{**new.__dict__, "extra": {**new.extra, **slashing}})
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
            self.wallet,
            wanted,
            self.net,
            fee_rate,
            max_fee_rate,
            before_lock=lambda ops: self.tracker.add_locks(fingerprint, ops, os.getpid()),
        )

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
            seen.get("slashing", unseen),
            seen.get("unbonding_slashing", unseen),
            key=lambda s: s.confirmations,
        )
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
            "babylon": self.tracker.babylon_status(stake.id),
        }

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
            State.UNBONDING,
            State.UNBONDED,
            State.WITHDRAWABLE,
            State.WITHDRAWN,
        ):
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
        self,
        stake: Stake,
        dest_address: str,
        staker_seckey: bytes,
        fee_rate: Decimal,
        max_fee_rate: Decimal = DEFAULT_MAX_FEE_RATE,
    ) -> Stake:
        """Spend the timelock leaf of whatever output the stake ended in (staking expiry,
        unbonding, or slashing change) to ``dest_address``, paying at most ``max_fee_rate``."""
        check_fee_rate(fee_rate, max_fee_rate)
        dest = address_to_script(dest_address, self.net, field="to")
        stake = self.sync_one(stake)
        if stake.state == State.WITHDRAWN:
            return stake
        spend = timelock_spend(stake, self.tracker.txs(stake.id), self.outputs(stake))
        leaf = spend.info.timelock_script
        tx = build_withdrawal_tx(
            btx.OutPoint(spend.src.txid, spend.vout),
            spend.value,
            spend.lock,
            dest,
            fee_rate,
            leaf_script=leaf,
            control_block=spend.info.control_block(leaf),
        )
        signed = signed_withdrawal_tx(tx, spend.info, staker_seckey, value=spend.value)
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
