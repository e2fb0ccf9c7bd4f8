"""Phase-2 delegation registration, pure: from a staking tx and the staker's key to a checked
``MsgCreateBTCDelegation`` (and ``MsgAddBTCDelegationInclusionProof``).

Two flows (babylon ``docs/register-bitcoin-stake.md``):

    pre-staking    the staking tx is NOT in a block (funded, not broadcast); no inclusion proof;
                   params = the version active at Babylon's BTC light-client tip. Broadcast it
                   only after the chain marks the delegation VERIFIED, then send
                   ``MsgAddBTCDelegationInclusionProof`` once it is k-deep.
    post-staking   the staking tx is k-deep; the message carries its inclusion proof; params =
                   the version active at the inclusion height.

What one registration holds (all built here, all signed by the staker key):

    unbonding_tx            v2, 1 in (staking outpoint, seq ffffffff), 1 out = stake - unbonding_fee
    slashing_tx             spends the staking output; staker sig over the slashing-leaf sighash
    unbonding_slashing_tx   spends unbonding output 0; staker sig likewise
    pop                     ``staking.pop`` (BIP-322 by default)

``build_registration`` encodes the message, decodes it back and runs
``registration_rules.check_create_delegation`` on the decoded bytes, so what it returns is what
the chain's checks accept. API (stable):

    Flow, Registration, params_for, build_registration, build_add_inclusion_proof,
    check_add_inclusion_proof
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from l2kit.babylon.address import BabylonAddress
from l2kit.babylon.proto import (
    TYPE_URL_CREATE_DELEGATION,
    AddInclusionProof,
    BtcSigType,
    CreateDelegation,
    InclusionProof,
    Pop,
    decode_create_delegation,
    encode_add_inclusion_proof,
    encode_create_delegation,
)
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network
from l2kit.btc.tx import CTransaction
from l2kit.errors import ChainRuleError, InputError
from l2kit.staking.params_model import ParamsSet, StakingParams
from l2kit.staking.pop import AddressType, PopContext, PopType, sign_pop
from l2kit.staking.registration_rules import (
    ChainFacts,
    Checked,
    check_create_delegation,
    check_inclusion,
)
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.signing import sign_staker
from l2kit.staking.transactions import build_slashing_tx, build_unbonding_tx

__all__ = [
    "ChainFacts",
    "Flow",
    "Registration",
    "build_add_inclusion_proof",
    "build_registration",
    "check_add_inclusion_proof",
    "check_registration",
    "params_for",
]


class Flow(StrEnum):
    PRE_STAKING = "pre-staking"
    POST_STAKING = "post-staking"


def params_for(params: ParamsSet, flow: Flow, facts: ChainFacts) -> StakingParams:
    """The version the chain picks (``GetParamsForBtcHeight``): by the light-client tip for
    pre-staking, by the inclusion height for post-staking."""
    height = facts.btc_tip_height if flow is Flow.PRE_STAKING else facts.inclusion_height
    if height is None:
        raise ChainRuleError(
            "post-staking needs the inclusion height", rule="params.version", field="block"
        )
    try:
        p: StakingParams = params.for_height(height)
    except InputError as exc:
        raise ChainRuleError(
            f"no params version for BTC height {height}: {exc.message}",
            rule="params.version",
            field="params",
        ) from None
    return p


@dataclass(frozen=True)
class Registration:
    """A checked registration: the message, its bytes and the transactions inside it."""

    flow: Flow
    params: StakingParams
    pop_type: PopType
    msg: CreateDelegation
    msg_bytes: bytes
    checked: Checked

    type_url = TYPE_URL_CREATE_DELEGATION

    @property
    def staking_txid(self) -> str:
        return btx.txid_hex(self.checked.staking_tx)

    def to_json(self) -> dict[str, Any]:
        c = self.checked
        return {
            "type_url": self.type_url,
            "msg_hex": self.msg_bytes.hex(),
            "flow": self.flow.value,
            "pop_type": self.pop_type.value,
            "staker_addr": self.msg.staker_addr,
            "btc_pk": self.msg.btc_pk.hex(),
            "fp_btc_pk_list": [k.hex() for k in self.msg.fp_btc_pk_list],
            "params_version": self.params.version,
            "staking_txid": self.staking_txid,
            "staking_vout": c.staking_vout,
            "staking_value": self.msg.staking_value,
            "staking_time": self.msg.staking_time,
            "unbonding_txid": btx.txid_hex(c.unbonding_tx),
            "unbonding_value": self.msg.unbonding_value,
            "unbonding_time": self.msg.unbonding_time,
            "slashing_txid": btx.txid_hex(c.slashing_tx),
            "unbonding_slashing_txid": btx.txid_hex(c.unbonding_slashing_tx),
            "has_inclusion_proof": self.msg.staking_tx_inclusion_proof is not None,
        }


def build_registration(
    *,
    staker_seckey: bytes,
    staker: BabylonAddress,
    fp_pks: Sequence[XOnlyPubKey],
    staking_tx: CTransaction,
    staking_time: int,
    staking_value: int,
    params: ParamsSet,
    net: Network,
    facts: ChainFacts,
    inclusion: InclusionProof | None = None,
    pop: Pop | None = None,
    pop_type: PopType = PopType.BIP322,
    address_type: AddressType = AddressType.P2TR,
    context: PopContext | None = None,
) -> Registration:
    """Build, sign, encode and check the registration of ``staking_tx``.

    ``inclusion`` None = pre-staking flow. ``pop``: a PoP made elsewhere (wallet, external
    signer) of type ``pop_type``; None = sign one with ``staker_seckey``. Raises
    ``ChainRuleError`` (or another ``InputError``) for anything the chain would refuse.
    """
    flow = Flow.PRE_STAKING if inclusion is None else Flow.POST_STAKING
    p = params_for(params, flow, facts)
    if p.slashing_rate is None or p.slashing_pk_script is None or not p.min_slashing_tx_fee_sat:
        raise ChainRuleError(
            f"params v{p.version} have no slashing fields", rule="slashing_tx", field="params"
        )
    staker_pk = xonly_of(staker_seckey)
    covs, q = tuple(p.covenant_pks), p.covenant_quorum
    info = staking_info(staker_pk, fp_pks, covs, q, staking_time, staking_value, net)
    vouts = [
        i
        for i, (spk, v) in enumerate(btx.outputs(staking_tx))
        if bytes(spk) == bytes(info.script_pubkey) and v == staking_value
    ]
    if len(vouts) != 1:
        raise ChainRuleError(
            f"staking tx has {len(vouts)} outputs matching the staking output",
            rule="staking_output",
            field="staking_tx",
        )
    staking_op = btx.OutPoint(btx.txid_hex(staking_tx), vouts[0])
    unb = unbonding_info(
        staker_pk, fp_pks, covs, q, p.unbonding_time, staking_value - p.unbonding_fee, net
    )
    unbonding_tx = build_unbonding_tx(staking_op, staking_value, unb)
    change = slashing_change_info(staker_pk, p.unbonding_time, 0, net)
    fee = int(p.min_slashing_tx_fee_sat)
    slash = build_slashing_tx(
        staking_op, staking_value, p.slashing_pk_script, p.slashing_rate, fee, change
    )
    unb_op = btx.OutPoint(btx.txid_hex(unbonding_tx), 0)
    unb_slash = build_slashing_tx(
        unb_op, unb.value, p.slashing_pk_script, p.slashing_rate, fee, change
    )
    if pop is None:
        pop = sign_pop(
            staker_seckey, staker, net, pop_type, address_type=address_type, context=context
        )
    msg = CreateDelegation(
        staker_addr=staker.text,
        pop=pop,
        btc_pk=bytes(staker_pk),
        fp_btc_pk_list=tuple(bytes(k) for k in fp_pks),
        staking_time=staking_time,
        staking_value=staking_value,
        staking_tx=btx.serialize(staking_tx, witness=False),
        staking_tx_inclusion_proof=inclusion,
        slashing_tx=btx.serialize(slash, witness=False),
        delegator_slashing_sig=sign_staker(staker_seckey, slash, info, info.slashing_script),
        unbonding_time=p.unbonding_time,
        unbonding_tx=btx.serialize(unbonding_tx, witness=False),
        unbonding_value=unb.value,
        unbonding_slashing_tx=btx.serialize(unb_slash, witness=False),
        delegator_unbonding_slashing_sig=sign_staker(
            staker_seckey, unb_slash, unb, unb.slashing_script
        ),
    )
    return check_registration(encode_create_delegation(msg), params, net, facts, pop_type)


def check_registration(
    msg_bytes: bytes,
    params: ParamsSet,
    net: Network,
    facts: ChainFacts,
    pop_type: PopType | None = None,
) -> Registration:
    """Decode ``msg_bytes`` and run the chain's checks: the last gate before sending."""
    msg = decode_create_delegation(msg_bytes)
    flow = Flow.PRE_STAKING if msg.staking_tx_inclusion_proof is None else Flow.POST_STAKING
    p = params_for(params, flow, facts)
    checked = check_create_delegation(msg, p, net, facts)
    kind = {
        BtcSigType.BIP340: PopType.BIP340,
        BtcSigType.BIP322: PopType.BIP322,
        BtcSigType.ECDSA: PopType.ECDSA,
    }[msg.pop.btc_sig_type]
    if pop_type is not None and pop_type is not kind:
        raise InputError(f"the PoP is {kind.value}, not {pop_type.value}", field="pop")
    return Registration(flow, p, kind, msg, bytes(msg_bytes), checked)


def check_add_inclusion_proof(
    staking_tx: CTransaction,
    proof: InclusionProof,
    *,
    staking_time: int,
    unbonding_time: int,
    facts: ChainFacts,
    registered_tip_height: int | None = None,
) -> None:
    """The chain's ``AddBTCDelegationInclusionProof`` checks that need no chain state beyond
    ``facts``: Merkle proof, not coinbase, k-deep, enough timelock left, and inclusion at or
    above the BTC tip recorded at registration (else the delegation can never activate)."""

    check_inclusion(staking_tx, proof, staking_time, unbonding_time, facts)
    assert facts.inclusion_height is not None  # check_inclusion refuses an unknown header
    if registered_tip_height is not None and facts.inclusion_height < registered_tip_height:
        raise ChainRuleError(
            f"inclusion.too_early: included at {facts.inclusion_height}, below the BTC tip "
            f"{registered_tip_height} recorded at registration (it can never activate)",
            rule="inclusion.too_early",
            field="staking_tx_inclusion_proof",
        )


def build_add_inclusion_proof(
    signer: BabylonAddress,
    staking_tx: CTransaction,
    proof: InclusionProof,
    *,
    staking_time: int,
    unbonding_time: int,
    facts: ChainFacts,
    registered_tip_height: int | None = None,
) -> tuple[AddInclusionProof, bytes]:
    """``MsgAddBTCDelegationInclusionProof`` (checked) and its protobuf bytes; type URL
    ``TYPE_URL_ADD_INCLUSION_PROOF``."""
    check_add_inclusion_proof(
        staking_tx,
        proof,
        staking_time=staking_time,
        unbonding_time=unbonding_time,
        facts=facts,
        registered_tip_height=registered_tip_height,
    )
    msg = AddInclusionProof(signer.text, btx.txid_hex(staking_tx), proof)
    return msg, encode_add_inclusion_proof(msg)
