"""Typed, frozen models of the Babylon / Cosmos SDK REST answers l2kit reads.

JSON encoding (gogoproto jsonpb, ``EmitDefaults``, ``OrigName``; see shared fixtures README §3):
int64/uint64 are strings, uint32 numbers; BIP340 keys lowercase hex; plain ``bytes`` and
``BIP340Signature`` base64; enums by name. Unknown fields are ignored (fields come and go
between releases: ``soft_deleted``, ``stk_exp``, ``bsn_id``).

Sources (babylonlabs-io/babylon@v4.3.1):
``proto/babylon/btcstaking/v1/{query,params,btcstaking}.proto`` (QueryBTCDelegationResponse,
BTCDelegationResponse, BTCUndelegationResponse, SignatureInfo, CovenantAdaptorSignatures,
FinalityProviderResponse, Params, StoredParams, QueryParamsByBTCHeightResponse),
``proto/babylon/btclightclient/v1/query.proto`` (BTCHeaderInfoResponse),
``proto/babylon/btccheckpoint/v1/params.proto`` (btc_confirmation_depth = k);
cosmos/cosmos-sdk@v0.53.4: ``proto/cosmos/auth/v1beta1/{auth,query}.proto`` (BaseAccount),
``proto/cosmos/base/abci/v1beta1/abci.proto`` (TxResponse),
``proto/cosmos/tx/v1beta1/service.proto`` (SimulateResponse/GasInfo, BroadcastTxResponse).
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _b64(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def _hex32(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or len(value) != 64:
        raise ValueError("expected a 64-character hex key")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise ValueError("not hex") from exc


B64 = Annotated[bytes, BeforeValidator(_b64)]
Hex32 = Annotated[bytes, BeforeValidator(_hex32)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DelegationStatus(StrEnum):
    """``BTCDelegationStatus`` names (btcstaking.proto) plus SLASHED, which l2kit derives when
    the delegation's finality provider is slashed (the chain then reports it UNBONDED)."""

    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    ACTIVE = "ACTIVE"
    UNBONDED = "UNBONDED"
    EXPIRED = "EXPIRED"
    SLASHED = "SLASHED"


class ParamsByHeight(_Model):
    """``params`` stays a dict: ``Phase2Params.from_chain`` is the one parser of chain params."""

    params: dict[str, Any]
    version: int


class StoredParams(_Model):
    version: int
    params: dict[str, Any]


class ParamsVersions(_Model):
    params: list[StoredParams]


class CheckpointParams(_Model):
    btc_confirmation_depth: int
    checkpoint_finalization_timeout: int


class CheckpointParamsAnswer(_Model):
    params: CheckpointParams


class HeaderInfo(_Model):
    header_hex: str
    hash_hex: str
    height: int
    work: str


class Tip(_Model):
    header: HeaderInfo


class FinalityProvider(_Model):
    addr: str
    btc_pk: Hex32
    slashed_babylon_height: int
    slashed_btc_height: int
    jailed: bool
    soft_deleted: bool = False

    @property
    def slashed(self) -> bool:
        return self.slashed_babylon_height > 0 or self.slashed_btc_height > 0


class FinalityProviderAnswer(_Model):
    finality_provider: FinalityProvider


class SignatureInfo(_Model):
    pk: Hex32
    sig: B64


class CovenantAdaptorSignatures(_Model):
    cov_pk: Hex32
    adaptor_sigs: list[B64]


class Undelegation(_Model):
    unbonding_tx_hex: str
    covenant_unbonding_sig_list: list[SignatureInfo]
    slashing_tx_hex: str
    delegator_slashing_sig_hex: str
    covenant_slashing_sigs: list[CovenantAdaptorSignatures]


class Delegation(_Model):
    staker_addr: str
    btc_pk: Hex32
    fp_btc_pk_list: list[Hex32]
    staking_time: int
    start_height: int
    end_height: int
    total_sat: int
    staking_tx_hex: str
    slashing_tx_hex: str
    delegator_slash_sig_hex: str
    covenant_sigs: list[CovenantAdaptorSignatures]
    staking_output_idx: int
    active: bool
    status_desc: DelegationStatus
    unbonding_time: int
    undelegation_response: Undelegation | None
    params_version: int


class DelegationAnswer(_Model):
    btc_delegation: Delegation


class PubKey(_Model):
    type_url: str = Field(alias="@type")
    key: B64


class BaseAccount(_Model):
    type_url: str = Field(alias="@type")
    address: str
    pub_key: PubKey | None
    account_number: int
    sequence: int


class AccountAnswer(_Model):
    account: BaseAccount


class Coin(_Model):
    denom: str
    amount: int


class BalanceAnswer(_Model):
    balance: Coin


class GasInfo(_Model):
    gas_wanted: int
    gas_used: int


class SimulateAnswer(_Model):
    gas_info: GasInfo


class TxResponse(_Model):
    height: int
    txhash: str
    codespace: str
    code: int
    raw_log: str
    gas_wanted: int
    gas_used: int


class TxAnswer(_Model):
    tx_response: TxResponse


class DefaultNodeInfo(_Model):
    network: str  # the chain id
    version: str


class NodeInfoAnswer(_Model):
    """``cosmos.base.tendermint.v1beta1.GetNodeInfoResponse`` (cosmos-sdk@v0.53.4
    ``proto/cosmos/base/tendermint/v1beta1/query.proto``)."""

    default_node_info: DefaultNodeInfo


class ErrorBody(_Model):
    """grpc-gateway error (google.rpc.Status): HTTP status from the gRPC code."""

    code: int
    message: str
