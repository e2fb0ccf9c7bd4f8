"""Registration against the bitcoind node, without a Babylon node.

Pre-staking (``register_offline``): fund the staking tx from the wallet, build and check the
``MsgCreateBTCDelegation``, hold the tx back and record it. Post-staking
(``register_post_staking``) and ``add_inclusion_proof``: the proof from bitcoind's block.

Order (what keeps bad input from changing anything, and a crash from losing coins):

    1 check     the whole registration is built and checked (PoP, every chain rule) on a
                stand-in staking tx with the same staking output: bad input fails here, before
                any coin is touched
    2 fund      ``walletcreatefundedpsbt`` (no lock yet) → checked → ``walletprocesspsbt``:
                signed, NOT sent
    3 build     the real registration over the funded tx, checked again; the signed tx must pass
                ``testmempoolaccept`` (it is not sent)
    4 record    stake in state REGISTRATION_PENDING with the message (``extra["registration"]``);
                ``sync`` never broadcasts a held staking tx
    5 lock      the funding inputs are locked persistently (``lockunspent false … true``), so
                the wallet does not spend them elsewhere, restarts included, until the tx is
                broadcast (after VERIFIED) or the registration is abandoned

A crash (kill -9) before 4 leaves nothing recorded and nothing locked; after 4, running the same
request again returns the recorded registration and takes the locks again. The BTC light-client
tip is stood in for by the node's tip (offline); the online flow passes Babylon's own tip.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from l2kit import log
from l2kit.babylon.address import BabylonAddress
from l2kit.babylon.proto import AddInclusionProof, InclusionProof
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.rpc_protocol import Rpc
from l2kit.errors import InputError
from l2kit.staking import chain
from l2kit.staking.funding import fund_from_wallet, lock_coins, unlock
from l2kit.staking.inclusion import build_inclusion_proof
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.pop import AddressType, PopType
from l2kit.staking.registration import (
    ChainFacts,
    Flow,
    Registration,
    build_add_inclusion_proof,
    build_registration,
    check_registration,
    params_for,
)
from l2kit.staking.request import (
    StakeRequest,
    check_fee_rate,
    check_stake_request,
    funding_source,
)
from l2kit.staking.scripts import staking_info
from l2kit.staking.states import State
from l2kit.staking.tracker import Stake

__all__ = [
    "RegisterRequest",
    "abandon_held",
    "add_inclusion_proof",
    "check_one_fp",
    "inclusion_from_node",
    "precheck",
    "register_offline",
    "register_post_staking",
    "release_held",
]

_log = log.get(__name__)


@dataclass(frozen=True)
class RegisterRequest:
    staker_pk: XOnlyPubKey
    fp_pks: tuple[XOnlyPubKey, ...]
    value: int
    staking_time: int
    babylon_address: BabylonAddress
    pop_type: PopType = PopType.BIP322
    address_type: AddressType = AddressType.P2TR
    wallet: str = ""

    def stake_request(self) -> StakeRequest:
        """The lifecycle request whose fingerprint makes ``register`` idempotent."""
        funding = f"register:{self.wallet}:{self.babylon_address.text}"
        return StakeRequest(
            self.staker_pk, self.fp_pks, self.value, self.staking_time, False, funding
        )


def check_one_fp(fp_pks: tuple[XOnlyPubKey, ...]) -> None:
    """Babylon takes exactly one finality provider per delegation (the chain's
    ``parse.fp_count`` rule, said up front, before a key or a coin is touched)."""
    if len(fp_pks) != 1:
        raise InputError(
            f"Babylon accepts exactly one finality provider, got {len(fp_pks)}", field="fp"
        )


def _tip(life: Lifecycle, btc_tip_height: int | None) -> int:
    """Babylon's BTC light-client tip when the caller has it, else the node's tip (offline)."""
    return int(life.rpc.call("getblockcount")) if btc_tip_height is None else btc_tip_height


def _build(
    life: Lifecycle, req: RegisterRequest, seckey: bytes, staking_tx: Any, facts: ChainFacts
) -> Registration:
    return build_registration(
        staker_seckey=seckey,
        staker=req.babylon_address,
        fp_pks=req.fp_pks,
        staking_tx=staking_tx,
        staking_time=req.staking_time,
        staking_value=req.value,
        params=life.params,
        net=life.net,
        facts=facts,
        pop_type=req.pop_type,
        address_type=req.address_type,
    )


def precheck(
    life: Lifecycle, req: RegisterRequest, seckey: bytes, btc_tip_height: int | None = None
) -> Registration:
    """Step 1: every check the chain makes, on a stand-in tx (one dummy input, the staking
    output); raises ``InputError`` (``ChainRuleError``, ``ParamsError``…) for bad input."""
    if xonly_of(seckey) != req.staker_pk:
        raise InputError("the staker key does not match the request", field="staker-key-file")
    facts = ChainFacts(btc_tip_height=_tip(life, btc_tip_height))
    p = params_for(life.params, Flow.PRE_STAKING, facts)
    check_stake_request(p, req.staker_pk, req.fp_pks, req.value, req.staking_time)
    info = staking_info(
        req.staker_pk,
        req.fp_pks,
        tuple(p.covenant_pks),
        p.covenant_quorum,
        req.staking_time,
        req.value,
        life.net,
    )
    stand_in = btx.new_tx(
        2, [(btx.OutPoint("11" * 32, 0), 0xFFFFFFFD)], [(bytes(info.script_pubkey), req.value)]
    )
    return _build(life, req, seckey, stand_in, facts)


def _relock(wallet: Rpc, stake: Stake) -> None:
    """Take the persistent locks of a held stake again (Core allows re-locking persistently);
    an input that is gone (-8: spent or unknown) is left alone."""
    registration = stake.extra.get("registration")
    inputs = registration.get("locked_inputs", []) if isinstance(registration, dict) else []
    lock_coins(wallet, inputs, skip_gone=True)


def register_offline(
    life: Lifecycle,
    req: RegisterRequest,
    seckey: bytes,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
    btc_tip_height: int | None = None,
) -> tuple[Registration, Stake, bool]:
    """Steps 1-5; returns (registration, stake, existed). The same request again returns the
    recorded registration (``existed`` True) without funding anything. ``btc_tip_height``:
    Babylon's BTC light-client tip (the online flow passes it; default: the node's tip)."""
    existing = life.tracker.find_by_fingerprint(req.stake_request().fingerprint(life.net))
    if existing is not None:
        if existing.state is State.REGISTRATION_PENDING and life.wallet is not None:
            _relock(life.wallet, existing)  # a crash may have come before the locks
        return _recorded(life, existing), existing, True
    check_fee_rate(fee_rate, max_fee_rate)
    pre = precheck(life, req, seckey, btc_tip_height)
    if life.wallet is None:
        raise InputError("no wallet to fund the stake", field="wallet")
    spk = bytes(pre.checked.staking_tx.vout[pre.checked.staking_vout].scriptPubKey)
    funded = fund_from_wallet(
        life.wallet, [(spk, req.value)], life.net, fee_rate, max_fee_rate, lock=False
    )
    chain.crash_point("register-after-fund")
    facts = ChainFacts(
        btc_tip_height=_tip(life, btc_tip_height),
        staking_tx_confirmations=chain.observe(life.rpc, funded.txid).confirmations,
    )
    reg = _build(life, req, seckey, btx.parse(funded.raw_hex), facts)
    chain.check_accept(life.rpc, funded.raw_hex)
    stake = _record(life, req, reg, funded.raw_hex, funded.inputs, funded.fee, facts)
    chain.crash_point("register-before-lock")
    lock_coins(life.wallet, funded.inputs)
    _log.info("registration recorded, staking tx held", txid=funded.txid)
    return reg, stake, False


def _record(
    life: Lifecycle,
    req: RegisterRequest,
    reg: Registration,
    raw_hex: str,
    inputs: tuple[str, ...],
    fee: int,
    facts: ChainFacts,
) -> Stake:
    p, c = reg.params, reg.checked
    registration = {
        "flow": reg.flow.value,
        "type_url": reg.type_url,
        "msg_hex": reg.msg_bytes.hex(),
        "pop_type": reg.pop_type.value,
        "babylon_address": req.babylon_address.text,
        "btc_tip_height": facts.btc_tip_height,
        "locked_inputs": list(inputs),
    }
    extra: dict[str, object] = {
        "fee": fee,
        "funding": funding_source(req.wallet),
        "slashing_fee": p.min_slashing_tx_fee_sat,
        "slashing_tx": btx.serialize(c.slashing_tx).hex(),
        "slashing_staker_sig": reg.msg.delegator_slashing_sig.hex(),
        "unbonding_slashing_tx": btx.serialize(c.unbonding_slashing_tx).hex(),
        "unbonding_slashing_staker_sig": reg.msg.delegator_unbonding_slashing_sig.hex(),
        "registration": registration,
    }
    new = req.stake_request().new_stake(life.net, p, c.staking_vout, facts.btc_tip_height, extra)
    return life.tracker.add_stake(new, reg.staking_txid, raw_hex, state=State.REGISTRATION_PENDING)


def _recorded(life: Lifecycle, stake: Stake) -> Registration:
    """The registration a previous run recorded (re-checked against the chain's rules)."""
    stored = stake.extra.get("registration")
    if not isinstance(stored, dict):
        raise InputError(
            f"this request was already staked without registration (txid {stake.staking_txid})",
            field="babylon-address",
        )
    facts = ChainFacts(btc_tip_height=int(stored["btc_tip_height"]))
    return check_registration(
        bytes.fromhex(stored["msg_hex"]), life.params, life.net, facts, PopType(stored["pop_type"])
    )


# --- post-staking: the staking tx is already in a block ---------------------------------------


def inclusion_from_node(
    rpc: Rpc, txid: str, confirmation_depth: int, btc_tip_height: int | None = None
) -> tuple[InclusionProof, ChainFacts]:
    """The inclusion proof of a confirmed ``txid`` from bitcoind's block (``getblock HASH 1``:
    txids in block order, ``merkleroot``), with the facts the chain checks it against.
    ``btc_tip_height`` is Babylon's light-client tip (default: the node's tip, offline)."""
    seen = chain.observe(rpc, txid)
    if seen.confirmations <= 0 or seen.block_hash is None:
        raise InputError(f"{txid} is not in a block yet", field="txid")
    block = rpc.call("getblock", seen.block_hash, 1)
    proof = build_inclusion_proof(seen.block_hash, [str(t) for t in block["tx"]], txid)
    tip = int(rpc.call("getblockcount")) if btc_tip_height is None else btc_tip_height
    facts = ChainFacts(
        btc_tip_height=tip,
        staking_tx_confirmations=seen.confirmations,
        confirmation_depth=confirmation_depth,
        inclusion_height=int(block["height"]),
        inclusion_merkle_root=bytes.fromhex(block["merkleroot"])[::-1],
    )
    return proof, facts


def register_post_staking(
    life: Lifecycle,
    stake: Stake,
    seckey: bytes,
    staker: BabylonAddress,
    confirmation_depth: int,
    *,
    pop_type: PopType = PopType.BIP322,
    address_type: AddressType = AddressType.P2TR,
    btc_tip_height: int | None = None,
) -> Registration:
    """The post-staking registration of a tracked stake whose staking tx is k-deep."""
    if xonly_of(seckey).hex() != stake.staker_pk:
        raise InputError("the staker key is not this stake's staker key", field="staker-key-file")
    proof, facts = inclusion_from_node(
        life.rpc, stake.staking_txid, confirmation_depth, btc_tip_height
    )
    raw = life.rpc.call("getrawtransaction", stake.staking_txid)
    return build_registration(
        staker_seckey=seckey,
        staker=staker,
        fp_pks=[XOnlyPubKey(bytes.fromhex(k)) for k in stake.fp_pks],
        staking_tx=btx.parse(raw),
        staking_time=stake.staking_time,
        staking_value=stake.value,
        params=life.params,
        net=life.net,
        facts=facts,
        inclusion=proof,
        pop_type=pop_type,
        address_type=address_type,
    )


def add_inclusion_proof(
    life: Lifecycle,
    stake: Stake,
    signer: BabylonAddress,
    confirmation_depth: int,
    *,
    btc_tip_height: int | None = None,
) -> tuple[AddInclusionProof, bytes]:
    """``MsgAddBTCDelegationInclusionProof`` for a pre-registered stake once it is k-deep,
    checked against the BTC tip recorded at registration (``extra["registration"]``)."""
    proof, facts = inclusion_from_node(
        life.rpc, stake.staking_txid, confirmation_depth, btc_tip_height
    )
    stored = stake.extra.get("registration")
    registered_tip = int(stored["btc_tip_height"]) if isinstance(stored, dict) else None
    tx = btx.parse(life.rpc.call("getrawtransaction", stake.staking_txid))
    return build_add_inclusion_proof(
        signer,
        tx,
        proof,
        staking_time=stake.staking_time,
        unbonding_time=stake.unbonding_time,
        facts=facts,
        registered_tip_height=registered_tip,
    )


def release_held(life: Lifecycle, stake: Stake) -> Stake:
    """Broadcast a held staking tx (the chain said VERIFIED) and drop its persistent input
    locks; ``sync`` then follows it like any other stake. Idempotent."""
    if stake.state is not State.REGISTRATION_PENDING:
        return stake
    stored = life.tracker.txs(stake.id)["staking"]
    life.tracker.note_broadcast_attempt(stake.id, "staking")
    seen = chain.broadcast(life.rpc, stored.txid, stored.raw_hex)
    life.tracker.note_seen(stake.id, "staking", seen.confirmations, seen.block_hash)
    registration = stake.extra.get("registration")
    if life.wallet is not None and isinstance(registration, dict):
        unlock(life.wallet, registration.get("locked_inputs", []))
    return life.sync_one(life.tracker.get(stake.id))


def abandon_held(life: Lifecycle, stake: Stake) -> Stake:
    """Give up a held registration: unlock its inputs (the wallet may spend them again) and
    move it to ABANDONED; its staking tx is never sent. Only while the node has not seen it."""
    if stake.state is State.ABANDONED:
        return stake
    if stake.state is not State.REGISTRATION_PENDING:
        raise InputError(
            f"stake is {stake.state.value}; only a REGISTRATION_PENDING stake can be abandoned",
            field="txid",
        )
    if chain.observe(life.rpc, stake.staking_txid).confirmations >= 0:
        raise InputError(
            "the node already has this staking tx; it cannot be abandoned", field="txid"
        )
    registration = stake.extra.get("registration")
    if life.wallet is not None and isinstance(registration, dict):
        unlock(life.wallet, registration.get("locked_inputs", []))
    return life.tracker.transition(stake.id, State.ABANDONED, "abandoned", -1)
