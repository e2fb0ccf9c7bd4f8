"""Online phase-2 registration: send the registration to a Babylon node and follow it.

    pre-staking (new stake)   pre-flight → fund + record REGISTRATION_PENDING
                              (``register_offline`` with Babylon's BTC tip) → Cosmos tx with
                              MsgCreateBTCDelegation → wait VERIFIED → testmempoolaccept +
                              broadcast the staking tx → k-deep →
                              MsgAddBTCDelegationInclusionProof (unless someone else sends it)
                              → ACTIVE
    post-staking (tracked, k-deep stake)
                              pre-flight → the message with the inclusion proof (params by
                              inclusion height) → Cosmos tx → covenant quorum → ACTIVE

Every Cosmos tx is recorded (hash + bytes) before it is broadcast; on every run the chain is
asked first, by staking txid, so a kill -9 anywhere never registers twice and loses nothing:
rerun ``register`` (or ``register --stake TXID``) and it resumes.

Pre-flight (before any coin moves): the Babylon account exists and holds enough ubbn for the
fee (pre-staking costs ``delegation_creation_base_gas_fee`` extra gas), each FP exists and is
not slashed, jailed or deleted, and params given with ``--params`` equal the chain's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from l2kit import log
from l2kit.babylon import cosmos_tx
from l2kit.babylon.address import BabylonAddress, parse_address
from l2kit.babylon.client import BabylonClient
from l2kit.babylon.models import Delegation, DelegationStatus, TxResponse
from l2kit.babylon.proto import TYPE_URL_ADD_INCLUSION_PROOF, TYPE_URL_CREATE_DELEGATION
from l2kit.btc.keys import XOnlyPubKey
from l2kit.errors import BabylonError, BabylonTxFailed, InputError
from l2kit.staking import chain
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.params_model import ParamsSet, StakingParams
from l2kit.staking.register_offline import (
    RegisterRequest,
    add_inclusion_proof,
    register_offline,
    register_post_staking,
    release_held,
)
from l2kit.staking.states import State
from l2kit.staking.tracker import Stake
from l2kit.staking.tracker_babylon import CosmosTx

__all__ = ["Babylon", "Progress", "follow", "preflight", "register_new", "register_tracked"]

_log = log.get(__name__)
Progress = Callable[[str], None]
DENOM = "ubbn"
TX_BASE_GAS_ESTIMATE = 300_000  # pre-flight only; the real gas comes from simulation
_WRONG_SEQUENCE = 32  # sdk ErrWrongSequence: the account moved on, sign again
_OUT_OF_GAS = 11  # sdk ErrOutOfGas: the tx took its sequence and fee; sign again
_DONE = {
    DelegationStatus.ACTIVE,
    DelegationStatus.UNBONDED,
    DelegationStatus.EXPIRED,
    DelegationStatus.SLASHED,
}


@dataclass(frozen=True)
class Babylon:
    """A Babylon node and the staker's account on it."""

    client: BabylonClient
    chain_id: str
    key: bytes  # secp256k1 secret of the Babylon account: never logged, never in repr
    gas_price: Decimal
    gas_adjustment: Decimal = Decimal("1.5")

    def __repr__(self) -> str:
        return f"Babylon({self.client.url}, {self.chain_id}, {self.address})"

    @property
    def address(self) -> str:
        return cosmos_tx.account_address(cosmos_tx.public_key(self.key))

    def fee_for(self, gas: int) -> int:
        return math.ceil(Decimal(gas) * self.gas_price)

    def check_signer(self, staker: BabylonAddress) -> None:
        """The staker's Babylon address must be the account that signs (its key file)."""
        if parse_address(self.address).account != staker.account:
            raise InputError("is not the address of --babylon-key-file", field="babylon-address")


# --- pre-flight ---------------------------------------------------------------------------------


def chain_params(bbn: Babylon) -> ParamsSet:
    return ParamsSet(bbn.client.params_versions(), source=f"{bbn.client.url} params_versions")


def preflight(bbn: Babylon, fp_pks: Sequence[XOnlyPubKey], extra_gas: int) -> None:
    """The account can pay, and every FP can take the delegation. ``InputError`` otherwise."""
    acc = bbn.client.account(bbn.address)
    if acc is None:
        raise InputError(
            f"{bbn.address} does not exist on {bbn.chain_id}: fund it first",
            field="babylon-key-file",
        )
    need = bbn.fee_for(math.ceil((TX_BASE_GAS_ESTIMATE + extra_gas) * bbn.gas_adjustment))
    have = bbn.client.balance(bbn.address, DENOM)
    if have < need:
        raise InputError(
            f"{bbn.address} holds {have}{DENOM}; the registration needs about "
            f"{need}{DENOM} in fees",
            field="babylon-key-file",
        )
    for i, pk in enumerate(fp_pks):
        try:
            fp = bbn.client.finality_provider(pk.hex())
        except BabylonError as exc:
            if "not found" not in str(exc):
                raise
            raise InputError(
                f"{pk.hex()} is not a finality provider on {bbn.chain_id}", field=f"fp[{i}]"
            ) from None
        for bad, why in (
            (fp.slashed, "slashed"),
            (fp.jailed, "jailed"),
            (fp.soft_deleted, "deleted"),
        ):
            if bad:
                raise InputError(f"finality provider {pk.hex()} is {why}", field=f"fp[{i}]")


# --- Cosmos txs ---------------------------------------------------------------------------------


def send(
    life: Lifecycle,
    bbn: Babylon,
    stake: Stake,
    purpose: str,
    msgs: Sequence[tuple[str, bytes]],
    progress: Progress,
) -> TxResponse:
    """Sign, record, broadcast and wait for one Cosmos tx; a recorded one is reused (its hash
    asked first, then its very bytes re-sent; re-signed only if the sequence moved on)."""
    recorded = life.tracker.cosmos_tx(stake.id, purpose)
    if recorded is not None:
        found = bbn.client.get_tx(recorded.txhash)
        if found is not None and found.code == 0:
            return found
        if found is not None and found.code != _OUT_OF_GAS:  # refused in its block: say why
            raise BabylonTxFailed(found.txhash, found.codespace, found.code, found.raw_log)
        if found is None:
            try:
                return _broadcast(bbn, bytes.fromhex(recorded.raw_hex), purpose, progress)
            except BabylonTxFailed as exc:
                if exc.code != _WRONG_SEQUENCE:
                    raise
    acc = bbn.client.account(bbn.address)
    if acc is None:
        raise InputError(
            f"{bbn.address} does not exist on {bbn.chain_id}", field="babylon-key-file"
        )

    def signed(gas: int) -> bytes:
        assert acc is not None
        return cosmos_tx.sign_tx(
            msgs,
            bbn.key,
            chain_id=bbn.chain_id,
            account_number=acc.account_number,
            sequence=acc.sequence,
            fee=[cosmos_tx.Coin(DENOM, bbn.fee_for(gas))],
            gas_limit=gas,
        )

    gas = math.ceil(bbn.client.simulate(signed(0)) * bbn.gas_adjustment)
    fee = bbn.fee_for(gas)
    if (have := bbn.client.balance(bbn.address, DENOM)) < fee:
        raise InputError(
            f"{bbn.address} holds {have}{DENOM}, the {purpose} tx needs {fee}{DENOM}",
            field="babylon-key-file",
        )
    raw = signed(gas)
    tx = CosmosTx(purpose, cosmos_tx.txhash(raw), raw.hex(), acc.sequence)
    life.tracker.put_cosmos_tx(stake.id, tx)
    chain.crash_point(f"before-babylon-{purpose}")
    return _broadcast(bbn, raw, purpose, progress)


def _broadcast(bbn: Babylon, raw: bytes, purpose: str, progress: Progress) -> TxResponse:
    sent = bbn.client.broadcast(raw)
    chain.crash_point(f"after-babylon-{purpose}")
    progress(f"Babylon {purpose} tx {sent.txhash[:12]}… sent, waiting for a block")
    return bbn.client.wait_tx(sent.txhash, progress=progress)


# --- flows --------------------------------------------------------------------------------------


def register_new(
    life: Lifecycle,
    bbn: Babylon,
    req: RegisterRequest,
    seckey: bytes,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
    progress: Progress,
) -> tuple[Stake, bool]:
    """Pre-staking: pre-flight, fund and record (held), send MsgCreateBTCDelegation."""
    bbn.check_signer(req.babylon_address)
    existing = life.tracker.find_by_fingerprint(req.stake_request().fingerprint(life.net))
    if existing is None:
        tip = bbn.client.tip().height
        p: StakingParams = life.params.for_height(tip)
        preflight(bbn, req.fp_pks, int(p.delegation_creation_base_gas_fee or 0))
        _, stake, existed = register_offline(life, req, seckey, fee_rate, max_fee_rate, tip)
    else:
        stake, existed = existing, True
    life.tracker.link_babylon(stake.id, bbn.chain_id, "pre-staking")
    return stake, existed


def register_tracked(
    life: Lifecycle, bbn: Babylon, stake: Stake, seckey: bytes, progress: Progress
) -> Stake:
    """Post-staking: a tracked, k-deep stake gets a registration with its inclusion proof."""
    if stake.state is State.REGISTRATION_PENDING:  # pre-registered (offline or online)
        life.tracker.link_babylon(stake.id, bbn.chain_id, "pre-staking")
        return stake  # follow() resumes it
    if (
        life.tracker.cosmos_tx(stake.id, "create") is not None
        or bbn.client.delegation(stake.staking_txid) is not None
    ):  # sent before (maybe by a run that was killed): follow() resumes it
        flow = link.flow if (link := life.tracker.babylon(stake.id)) else "post-staking"
        life.tracker.link_babylon(stake.id, bbn.chain_id, flow)
        return stake
    stake = life.sync_one(stake)
    if stake.state is not State.CONFIRMED:
        raise InputError(
            f"stake is {stake.state.value}; post-staking registration needs a "
            "confirmed, unspent staking output",
            field="txid",
        )
    k, tip = bbn.client.confirmation_depth(), bbn.client.tip().height
    if _depth(life, stake, tip) < k:
        raise InputError(
            f"the staking tx must be {k} blocks deep on Babylon's BTC light client first",
            field="txid",
        )
    preflight(bbn, [XOnlyPubKey(bytes.fromhex(pk)) for pk in stake.fp_pks], 0)
    reg = register_post_staking(
        life, stake, seckey, parse_address(bbn.address), k, btc_tip_height=tip
    )
    life.tracker.link_babylon(stake.id, bbn.chain_id, "post-staking")
    send(life, bbn, stake, "create", [(TYPE_URL_CREATE_DELEGATION, reg.msg_bytes)], progress)
    return stake


def babylon_state(client: BabylonClient, d: Delegation) -> DelegationStatus:
    """The chain's status, or SLASHED when a finality provider of the delegation is (the chain
    itself reports such a delegation UNBONDED once the slashing tx is on Bitcoin)."""
    for pk in d.fp_btc_pk_list:
        if client.finality_provider(pk.hex()).slashed:
            return DelegationStatus.SLASHED
    return d.status_desc


def follow(
    life: Lifecycle,
    bbn: Babylon,
    stake: Stake,
    *,
    submit_proof: bool,
    timeout: float,
    interval: float,
    progress: Progress,
) -> Stake:
    """Drive the registration until the delegation is ACTIVE (or finished), or ``timeout``
    seconds pass (0: wait as long as it takes). Safe to rerun at any point."""
    deadline = time.monotonic() + timeout if timeout else math.inf
    k: int | None = None
    last = ""
    while True:
        d = bbn.client.delegation(stake.staking_txid)
        if d is None:
            send(life, bbn, stake, "create", _create_msgs(life, stake, bbn), progress)
            continue
        status = babylon_state(bbn.client, d)
        life.tracker.set_babylon_state(stake.id, status.value)
        if status is not DelegationStatus.PENDING and stake.state is State.REGISTRATION_PENDING:
            chain.crash_point("before-broadcast")
            stake = release_held(life, stake)  # testmempoolaccept, broadcast, drop the locks
            chain.crash_point("after-broadcast")
        stake = life.sync_one(stake)
        if status in _DONE:
            return stake
        if status is DelegationStatus.VERIFIED and submit_proof and stake.confirmations > 0:
            k = k if k is not None else bbn.client.confirmation_depth()
            _maybe_send_proof(life, bbn, stake, k, progress)
        line = f"Babylon {status.value}, Bitcoin {stake.state.value} ({stake.confirmations} conf)"
        if line != last:
            progress(line)
            last = line
        if time.monotonic() > deadline:
            return stake
        time.sleep(interval)


def _create_msgs(life: Lifecycle, stake: Stake, bbn: Babylon) -> list[tuple[str, bytes]]:
    """The registration to (re)send: the recorded pre-staking message, else the messages of the
    recorded Cosmos tx (post-staking, its send interrupted)."""
    reg = stake.extra.get("registration")
    if isinstance(reg, dict):
        return [(TYPE_URL_CREATE_DELEGATION, bytes.fromhex(str(reg["msg_hex"])))]
    recorded = life.tracker.cosmos_tx(stake.id, "create")
    if recorded is None:
        raise BabylonError(f"{stake.staking_txid} is not registered on {bbn.chain_id}")
    return list(cosmos_tx.decode_tx(bytes.fromhex(recorded.raw_hex)).messages)


def _depth(life: Lifecycle, stake: Stake, babylon_tip: int) -> int:
    """How deep the staking tx is as Babylon's BTC light client sees it (-1: not in a block)."""
    if stake.confirmations <= 0:
        return -1
    included = int(life.rpc.call("getblockcount")) - stake.confirmations + 1
    return babylon_tip - included


def _maybe_send_proof(
    life: Lifecycle, bbn: Babylon, stake: Stake, k: int, progress: Progress
) -> None:
    tip = bbn.client.tip().height
    if _depth(life, stake, tip) < k:
        return  # not k-deep yet (by Babylon's light client)
    _, msg = add_inclusion_proof(life, stake, parse_address(bbn.address), k, btc_tip_height=tip)
    send(life, bbn, stake, "proof", [(TYPE_URL_ADD_INCLUSION_PROOF, msg)], progress)


def chain_unbonding_sigs(client: BabylonClient, staking_txid: str) -> dict[XOnlyPubKey, bytes]:
    """The covenant unbonding signatures the chain holds for a stake, as given: the unbond
    keeps only those that verify for l2kit's own unbonding tx under a committee key."""
    d = client.delegation(staking_txid)
    if d is None or d.undelegation_response is None:
        raise BabylonError(f"{staking_txid} is not registered on {client.url}")
    return {XOnlyPubKey(s.pk): s.sig for s in d.undelegation_response.covenant_unbonding_sig_list}


def refresh_state(life: Lifecycle, client: BabylonClient, stake: Stake) -> str | None:
    """Ask the chain for a linked stake's delegation and record its status (None: unlinked)."""
    if life.tracker.babylon(stake.id) is None:
        return None
    d = client.delegation(stake.staking_txid)
    state = "UNREGISTERED" if d is None else babylon_state(client, d).value
    life.tracker.set_babylon_state(stake.id, state)
    return state
