"""The simulated chain's ``x/btcstaking``: delegations, finality providers, params, BTC tip.

Messages (babylonlabs-io/babylon@v4.3.1 ``x/btcstaking/keeper/msg_server.go``):
  MsgCreateBTCDelegation             decode → signer = staker_addr → no delegation with this
                                     staking txid (1106) → FP registered (1100), not slashed
                                     (1104) → the chain's rules, run by the same code l2kit runs
                                     offline (``registration.check_registration``) → stored
                                     PENDING; without a proof it costs
                                     ``delegation_creation_base_gas_fee`` extra gas.
  MsgAddBTCDelegationInclusionProof  delegation exists (1102), has a covenant quorum, not
                                     unbonded, no proof yet → ``check_add_inclusion_proof``
                                     (Merkle, coinbase, k-deep, timelock left, not below the
                                     tip recorded at creation: 1124).
Each block (``tick``) the covenant committee signs delegations it has not signed (the
covenant emulator's MsgAddCovenantSigs), and a delegation whose unbonding or slashing tx is
confirmed on Bitcoin is unbonded (the vigilante's MsgBTCUndelegate). Status is computed as
``BTCDelegation.GetStatus`` (``x/btcstaking/types/btc_delegation.go``) with the BTC light-client
tip, which follows the real regtest bitcoind.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from l2kit.babylon.devchain import NotFound, Route
from l2kit.babylon.devchain_state import ChainState, MsgError
from l2kit.babylon.proto import (
    TYPE_URL_ADD_INCLUSION_PROOF,
    TYPE_URL_CREATE_DELEGATION,
    InclusionProof,
    decode_add_inclusion_proof,
    decode_create_delegation,
)
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.network import Network
from l2kit.btc.rpc_protocol import Rpc
from l2kit.btc.sign import schnorr_sign, xonly_pubkey
from l2kit.errors import InputError
from l2kit.staking import chain
from l2kit.staking.covenant import CovenantSigner, SpendContext
from l2kit.staking.params_model import ParamsSet, StakingParams
from l2kit.staking.registration import (
    ChainFacts,
    Registration,
    check_add_inclusion_proof,
    check_registration,
)
from l2kit.staking.scripts import staking_info, unbonding_info

MSG_GAS = 40_000
CODESPACE = "btcstaking"


@dataclass
class FinalityProviderState:
    btc_pk: bytes
    addr: str
    slashed_babylon_height: int = 0
    slashed_btc_height: int = 0
    jailed: bool = False


@dataclass
class _Delegation:
    reg: Registration
    btc_tip_at_creation: int
    created_at: int  # Babylon height
    inclusion_height: int | None = None
    slashing_sigs: dict[bytes, list[bytes]] = field(default_factory=dict)  # cov → per FP
    unbonding_sigs: dict[bytes, bytes] = field(default_factory=dict)
    unbonding_slashing_sigs: dict[bytes, list[bytes]] = field(default_factory=dict)
    unbonded_early: bool = False


class BtcStaking:
    def __init__(
        self,
        *,
        rpc: Rpc,
        params: ParamsSet,
        net: Network,
        committee: CovenantSigner | None,
        fps: Iterable[FinalityProviderState] = (),
        confirmation_depth: int = 2,
        covenant_delay: int = 1,
        foreign_covenant_sig: bytes | None = None,
    ) -> None:
        """``foreign_covenant_sig``: a secret key whose (non-committee) unbonding signature is
        added to every delegation's list, as a misbehaving node might (tests)."""
        self.rpc, self.params, self.net, self.committee = rpc, params, net, committee
        self.fps = {fp.btc_pk: fp for fp in fps}
        self.k, self.covenant_delay = confirmation_depth, covenant_delay
        self.foreign_covenant_sig = foreign_covenant_sig
        self.dels: dict[str, _Delegation] = {}
        self._state: ChainState | None = None

    def install(self, state: ChainState) -> None:
        self._state = state
        state.handlers[TYPE_URL_CREATE_DELEGATION] = self._create
        state.handlers[TYPE_URL_ADD_INCLUSION_PROOF] = self._add_proof

    # --- BTC light client (follows bitcoind) -----------------------------------------------------

    def btc_tip(self) -> int:
        return int(self.rpc.call("getblockcount"))

    def _facts(self, proof: InclusionProof | None) -> ChainFacts:
        tip = self.btc_tip()
        if proof is None:
            return ChainFacts(btc_tip_height=tip, confirmation_depth=self.k)
        try:
            header = self.rpc.call("getblockheader", proof.block_hash[::-1].hex(), True)
        except Exception:  # unknown header: the light client has not seen it
            return ChainFacts(btc_tip_height=tip, confirmation_depth=self.k)
        return ChainFacts(
            btc_tip_height=tip,
            confirmation_depth=self.k,
            inclusion_height=int(header["height"]),
            inclusion_merkle_root=bytes.fromhex(header["merkleroot"])[::-1],
        )

    # --- messages -------------------------------------------------------------------------------

    def _create(self, signer: str, value: bytes, deliver: bool) -> int:
        try:
            msg = decode_create_delegation(value)
        except InputError as exc:
            raise MsgError(CODESPACE, 1108, f"invalid message: {exc}") from exc
        if signer != msg.staker_addr:
            raise MsgError("sdk", 8, "pubKey does not match signer address: invalid pubkey")
        txid = btx.txid_hex(btx.parse(msg.staking_tx.hex()))
        if txid in self.dels:
            raise MsgError(CODESPACE, 1106, "the BTC staking tx is already used")
        for pk in msg.fp_btc_pk_list:
            fp = self.fps.get(bytes(pk))
            if fp is None:
                raise MsgError(CODESPACE, 1100, "the finality provider is not found")
            if fp.slashed_babylon_height or fp.slashed_btc_height:
                raise MsgError(CODESPACE, 1104, "the finality provider has already been slashed")
        facts = self._facts(msg.staking_tx_inclusion_proof)
        try:
            reg = check_registration(value, self.params, self.net, facts)
        except InputError as exc:
            raise MsgError(CODESPACE, 1108, str(exc)) from exc
        gas = MSG_GAS
        if msg.staking_tx_inclusion_proof is None:
            gas += int(reg.params.delegation_creation_base_gas_fee or 0)
        if deliver:
            assert self._state is not None
            d = _Delegation(reg, facts.btc_tip_height, self._state.height)
            d.inclusion_height = facts.inclusion_height
            self.dels[txid] = d
        return gas

    def _add_proof(self, signer: str, value: bytes, deliver: bool) -> int:
        try:
            msg = decode_add_inclusion_proof(value)
        except InputError as exc:
            raise MsgError(CODESPACE, 1108, f"invalid message: {exc}") from exc
        d = self.dels.get(msg.staking_tx_hash)
        if d is None:
            raise MsgError(CODESPACE, 1102, "the BTC delegation is not found")
        if len(d.slashing_sigs) < d.reg.params.covenant_quorum:
            raise MsgError(CODESPACE, 1108, "the BTC delegation is not verified (no quorum)")
        if d.unbonded_early or d.inclusion_height is not None:
            raise MsgError(CODESPACE, 1108, "the BTC delegation is unbonded or already active")
        proof = msg.staking_tx_inclusion_proof
        facts = self._facts(proof)
        try:
            check_add_inclusion_proof(
                d.reg.checked.staking_tx,
                proof,
                staking_time=d.reg.msg.staking_time,
                unbonding_time=d.reg.msg.unbonding_time,
                facts=facts,
                registered_tip_height=d.btc_tip_at_creation,
            )
        except InputError as exc:
            code = 1124 if "too_early" in str(exc) else 1108
            raise MsgError(CODESPACE, code, str(exc)) from exc
        if deliver:
            d.inclusion_height = facts.inclusion_height
        return MSG_GAS

    # --- each block -----------------------------------------------------------------------------

    def tick(self, height: int) -> None:
        for d in self.dels.values():
            if not d.slashing_sigs and height - d.created_at >= self.covenant_delay:
                self._covenant_sign(d)
            if not d.unbonded_early and self._spent_on_bitcoin(d):
                d.unbonded_early = True

    def _covenant_sign(self, d: _Delegation) -> None:
        p, msg, c = d.reg.params, d.reg.msg, d.reg.checked
        if self.committee is None or not set(self.committee.public_keys()) <= set(p.covenant_pks):
            return  # no (matching) covenant committee: the delegation stays PENDING
        staker = XOnlyPubKey(bytes(msg.btc_pk))
        fps = [XOnlyPubKey(bytes(k)) for k in msg.fp_btc_pk_list]
        covs, q = tuple(p.covenant_pks), p.covenant_quorum
        info = staking_info(staker, fps, covs, q, msg.staking_time, msg.staking_value, self.net)
        unb = unbonding_info(
            staker, fps, covs, q, msg.unbonding_time, msg.unbonding_value, self.net
        )
        spk = bytes(info.script_pubkey)
        slash = self.committee.adaptor_sign_slashing(
            SpendContext(c.slashing_tx, msg.staking_value, spk, info.slashing_script), fps
        )
        unb_slash = self.committee.adaptor_sign_slashing(
            SpendContext(
                c.unbonding_slashing_tx,
                msg.unbonding_value,
                bytes(unb.script_pubkey),
                unb.slashing_script,
            ),
            fps,
        )
        unbonding = self.committee.sign_unbonding(
            SpendContext(c.unbonding_tx, msg.staking_value, spk, info.unbonding_script)
        )
        for cov in self.committee.public_keys():
            d.slashing_sigs[cov] = [slash[(cov, fp)] for fp in fps]
            d.unbonding_slashing_sigs[cov] = [unb_slash[(cov, fp)] for fp in fps]
            d.unbonding_sigs[cov] = unbonding[cov]

    def _spent_on_bitcoin(self, d: _Delegation) -> bool:
        c = d.reg.checked
        for spend in (c.unbonding_tx, c.slashing_tx):
            if chain.observe(self.rpc, btx.txid_hex(spend)).confirmations > 0:
                return True
        return False

    def status(self, d: _Delegation) -> str:
        """``BTCDelegation.GetStatus`` with the light-client tip."""
        if d.unbonded_early:
            return "UNBONDED"
        if len(d.slashing_sigs) < d.reg.params.covenant_quorum:
            return "PENDING"
        if d.inclusion_height is None:
            return "VERIFIED"
        tip = self.btc_tip()
        start, end = d.inclusion_height, d.inclusion_height + d.reg.msg.staking_time
        if tip < start:
            return "UNBONDED"
        if tip + d.reg.msg.unbonding_time >= end:
            return "EXPIRED"
        return "ACTIVE"

    # --- REST -----------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Route]]:
        fp = r"/babylon/btcstaking/v1/finality_providers/(?P<pk>[0-9a-f]{64})/finality_provider"
        return [
            ("GET", r"/babylon/btclightclient/v1/tip", self._tip),
            ("GET", r"/babylon/btccheckpoint/v1/params", self._checkpoint_params),
            ("GET", r"/babylon/btcstaking/v1/params", self._params_current),
            ("GET", r"/babylon/btcstaking/v1/params_versions", self._params_versions),
            ("GET", r"/babylon/btcstaking/v1/params/btc_height/(?P<h>\d+)", self._params_at),
            ("GET", fp, self._fp),
            ("GET", r"/babylon/btcstaking/v1/btc_delegation/(?P<txid>[0-9a-fA-F]{64})", self._del),
        ]

    def _tip(self, m: re.Match[str], q: Any, body: Any) -> Any:
        best = str(self.rpc.call("getbestblockhash"))
        header = self.rpc.call("getblockheader", best, True)
        raw = str(self.rpc.call("getblockheader", best, False))
        work = int(str(header["chainwork"]), 16)
        return {
            "header": {
                "header_hex": raw,
                "hash_hex": best,
                "height": int(header["height"]),
                "work": str(work),
            }
        }

    def _checkpoint_params(self, m: re.Match[str], q: Any, body: Any) -> Any:
        return {
            "params": {
                "btc_confirmation_depth": self.k,
                "checkpoint_finalization_timeout": self.k * 2,
                "checkpoint_tag": "01020304",
            }
        }

    def _params_current(self, m: re.Match[str], q: Any, body: Any) -> Any:
        return {"params": params_json(self.params.latest)}

    def _params_versions(self, m: re.Match[str], q: Any, body: Any) -> Any:
        versions = [{"version": p.version, "params": params_json(p)} for p in self.params]
        return {"params": versions, "pagination": {"next_key": None, "total": str(len(versions))}}

    def _params_at(self, m: re.Match[str], q: Any, body: Any) -> Any:
        try:
            p: StakingParams = self.params.for_height(int(m["h"]))
        except InputError as exc:
            raise NotFound(f"no params for BTC height {m['h']}: {exc}", 500, 2) from exc
        return {"params": params_json(p), "version": p.version}

    def _fp(self, m: re.Match[str], q: Any, body: Any) -> Any:
        fp = self.fps.get(bytes.fromhex(m["pk"]))
        if fp is None:
            raise NotFound("the finality provider is not found", 500, 2)
        assert self._state is not None
        return {
            "finality_provider": {
                "description": {
                    "moniker": fp.addr[-6:],
                    "identity": "",
                    "website": "",
                    "security_contact": "",
                    "details": "",
                },
                "commission": "0.050000000000000000",
                "addr": fp.addr,
                "btc_pk": fp.btc_pk.hex(),
                "pop": {
                    "btc_sig_type": "BIP340",
                    "btc_sig": base64.b64encode(b"\x01" * 64).decode(),
                },
                "slashed_babylon_height": str(fp.slashed_babylon_height),
                "slashed_btc_height": fp.slashed_btc_height,
                "height": str(self._state.height),
                "jailed": fp.jailed,
                "highest_voted_height": 0,
                "commission_info": {
                    "max_rate": "0.200000000000000000",
                    "max_change_rate": "0.010000000000000000",
                    "update_time": "2026-11-24T08:45:05.413219284Z",
                },
                "soft_deleted": False,
            }
        }

    def _del(self, m: re.Match[str], q: Any, body: Any) -> Any:
        d = self.dels.get(m["txid"].lower())
        if d is None:
            raise NotFound("the BTC delegation is not found", 500, 2)
        return {"btc_delegation": delegation_json(d, self.status(d), self.foreign_covenant_sig)}


def params_json(p: StakingParams) -> dict[str, Any]:
    """``x/btcstaking`` Params as the gateway writes them (params.proto field order)."""
    return {
        "covenant_pks": [bytes(k).hex() for k in p.covenant_pks],
        "covenant_quorum": p.covenant_quorum,
        "min_staking_value_sat": str(p.min_staking_amount),
        "max_staking_value_sat": str(p.max_staking_amount),
        "min_staking_time_blocks": p.min_staking_time,
        "max_staking_time_blocks": p.max_staking_time,
        "slashing_pk_script": base64.b64encode(p.slashing_pk_script or b"").decode(),
        "min_slashing_tx_fee_sat": str(p.min_slashing_tx_fee_sat or 0),
        "slashing_rate": f"{p.slashing_rate or 0:.18f}",
        "unbonding_time_blocks": p.unbonding_time,
        "unbonding_fee_sat": str(p.unbonding_fee),
        "min_commission_rate": f"{p.min_commission_rate or 0:.18f}",
        "delegation_creation_base_gas_fee": str(p.delegation_creation_base_gas_fee or 0),
        "allow_list_expiration_height": str(p.allow_list_expiration_height or 0),
        "btc_activation_height": p.activation_height,
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _adaptor(sigs: dict[bytes, list[bytes]]) -> list[dict[str, Any]]:
    return [
        {"cov_pk": cov.hex(), "adaptor_sigs": [_b64(s) for s in per_fp]}
        for cov, per_fp in sigs.items()
    ]


def delegation_json(d: _Delegation, status: str, foreign: bytes | None) -> dict[str, Any]:
    """``BTCDelegationResponse`` (query.proto field order)."""
    msg, c = d.reg.msg, d.reg.checked
    unbonding = [{"pk": cov.hex(), "sig": _b64(sig)} for cov, sig in d.unbonding_sigs.items()]
    if foreign is not None and unbonding:
        unbonding.append(
            {"pk": xonly_pubkey(foreign).hex(), "sig": _b64(schnorr_sign(foreign, b"\x00" * 32))}
        )
    start = d.inclusion_height or 0
    return {
        "staker_addr": msg.staker_addr,
        "btc_pk": msg.btc_pk.hex(),
        "fp_btc_pk_list": [bytes(k).hex() for k in msg.fp_btc_pk_list],
        "staking_time": msg.staking_time,
        "start_height": start,
        "end_height": start + msg.staking_time if start else 0,
        "total_sat": str(msg.staking_value),
        "staking_tx_hex": msg.staking_tx.hex(),
        "slashing_tx_hex": msg.slashing_tx.hex(),
        "delegator_slash_sig_hex": msg.delegator_slashing_sig.hex(),
        "covenant_sigs": _adaptor(d.slashing_sigs),
        "staking_output_idx": c.staking_vout,
        "active": status == "ACTIVE",
        "status_desc": status,
        "unbonding_time": msg.unbonding_time,
        "undelegation_response": {
            "unbonding_tx_hex": msg.unbonding_tx.hex(),
            "covenant_unbonding_sig_list": unbonding,
            "slashing_tx_hex": msg.unbonding_slashing_tx.hex(),
            "delegator_slashing_sig_hex": msg.delegator_unbonding_slashing_sig.hex(),
            "covenant_slashing_sigs": _adaptor(d.unbonding_slashing_sigs),
            "delegator_unbonding_info_response": None,
        },
        "params_version": d.reg.params.version,
        "stk_exp": None,
    }
