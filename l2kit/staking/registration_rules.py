"""The Babylon chain's checks on a ``MsgCreateBTCDelegation``, run offline before sending.

Mirrors babylonlabs-io/babylon@v4.2.7 (same at v4.3.1), in the chain's order:

    1 parse      x/btcstaking/types/create_delegation_parser.go parseCreateDelegationMessage
    2 pop        x/btcstaking/types/pop.go Verify (→ staking/pop.verify_pop)
    3 proof      x/btcstaking/keeper/inclusion_proof.go VerifyInclusionProofAndGetHeight
                 (post-staking) — or, pre-staking, the tx must not be in a block yet
    4 params     x/btcstaking/types/validate_parsed_message.go
                 ValidateParsedMessageAgainstTheParams (btcstaking/staking.go helpers)

Not checked here (needs the chain's state; the chain client checks them): a delegation with the
same staking txid, the FP being registered / not slashed, the allow list (expired on mainnet at
Babylon height 139,920). Every refusal is a ``ChainRuleError`` whose ``rule`` names the rule
(the same names as in the table of ``RULES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from l2kit.babylon.address import BabylonAddress, parse_address
from l2kit.babylon.proto import BtcSigType, CreateDelegation, InclusionProof, decode_bip322_sig
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, is_on_curve
from l2kit.btc.network import Network
from l2kit.btc.sign import schnorr_verify
from l2kit.btc.tx import CTransaction
from l2kit.errors import ChainRuleError, InputError, ScriptError, TxRejected
from l2kit.staking.inclusion import verify_inclusion
from l2kit.staking.params_model import StakingParams
from l2kit.staking.pop import verify_pop
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.signing import leaf_sighash
from l2kit.staking.transactions import check_slashing_tx

__all__ = [
    "RULES",
    "ChainFacts",
    "Checked",
    "check_create_delegation",
    "check_inclusion",
    "tx_sanity",
]

RULES = (
    "parse.tx",
    "parse.time",
    "parse.staker_addr",
    "parse.pop",
    "parse.sig",
    "parse.fp_keys",
    "parse.fp_duplicate",
    "parse.fp_count",
    "parse.staker_pk",
    "parse.value",
    "parse.inclusion_proof",
    "pop.verify",
    "prestaking.included",
    "inclusion.merkle",
    "inclusion.coinbase",
    "inclusion.depth",
    "inclusion.timelock",
    "inclusion.too_early",
    "params.version",
    "unbonding_time",
    "staking_output",
    "staking_time",
    "staking_value",
    "slashing_tx",
    "slashing_sig",
    "unbonding_tx",
    "unbonding_output",
    "unbonding_slashing_tx",
    "unbonding_slashing_sig",
    "unbonding_input",
    "unbonding_fee",
)

MAX_SATOSHI = 21_000_000 * 100_000_000
MAX_BLOCK_BASE_SIZE = 1_000_000
_P = 2**256 - 2**32 - 977
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class ChainFacts:
    """What the chain would know when it runs the message.

    btc_tip_height             Babylon's BTC light-client tip (offline: bitcoind's tip)
    staking_tx_confirmations   bitcoind's view of the staking tx (-1 unknown, 0 mempool)
    confirmation_depth         btccheckpoint ``btc_confirmation_depth`` (post-staking)
    inclusion_height           height of the proof's block (post-staking)
    inclusion_merkle_root      that block header's Merkle root, internal order (post-staking)
    """

    btc_tip_height: int
    staking_tx_confirmations: int = -1
    confirmation_depth: int | None = None
    inclusion_height: int | None = None
    inclusion_merkle_root: bytes | None = None


@dataclass(frozen=True)
class Checked:
    """A message that passed: its parsed transactions and the staking output index."""

    staking_tx: CTransaction
    staking_vout: int
    slashing_tx: CTransaction
    unbonding_tx: CTransaction
    unbonding_slashing_tx: CTransaction
    staker: BabylonAddress


def _fail(rule: str, message: str, field: str | None = None) -> ChainRuleError:
    return ChainRuleError(f"{rule}: {message}", rule=rule, field=field or "msg")


def tx_sanity(tx: CTransaction) -> str | None:
    """btcd ``blockchain.CheckTransactionSanity``: the reason a tx is insane, or None."""
    if not tx.vin:
        return "transaction has no inputs"
    if not tx.vout:
        return "transaction has no outputs"
    if len(btx.serialize(tx, witness=False)) > MAX_BLOCK_BASE_SIZE:
        return "serialized transaction is too big"
    total = 0
    for out in tx.vout:
        if not 0 <= out.nValue <= MAX_SATOSHI:
            return f"output value {out.nValue} out of range"
        total += out.nValue
        if total > MAX_SATOSHI:
            return "total output value out of range"
    seen = set()
    for txin in tx.vin:
        key = (bytes(txin.prevout.hash), txin.prevout.n)
        if key in seen:
            return "transaction contains duplicate inputs"
        seen.add(key)
    null = [t.prevout.hash == b"\x00" * 32 and t.prevout.n == 0xFFFFFFFF for t in tx.vin]
    if len(tx.vin) == 1 and null[0]:
        if not 2 <= len(tx.vin[0].scriptSig) <= 100:
            return "coinbase transaction script length out of range"
    elif any(null):
        return "transaction input refers to a previous output that is null"
    return None


def _parse_tx(raw: bytes, name: str) -> CTransaction:
    try:
        return btx.parse(raw, field=name)
    except InputError as exc:
        raise _fail("parse.tx", f"failed to deserialize {name}: {exc.message}", name) from None


def _bip340_sig(sig: bytes, name: str) -> None:
    if len(sig) != 64:
        raise _fail("parse.sig", f"{name} must be 64 bytes, got {len(sig)}", name)
    if int.from_bytes(sig[:32], "big") >= _P or int.from_bytes(sig[32:], "big") >= _N:
        raise _fail("parse.sig", f"{name} is not a valid BIP-340 signature", name)


def _parse(msg: CreateDelegation) -> tuple[BabylonAddress, list[CTransaction]]:
    """``parseCreateDelegationMessage``, in its order."""
    proof = msg.staking_tx_inclusion_proof
    if proof is not None and (len(proof.block_hash) != 32 or not proof.proof):
        raise _fail(
            "parse.inclusion_proof",
            "inclusion proof needs a 32-byte block hash and a non-empty proof",
            "staking_tx_inclusion_proof",
        )
    txs = [
        _parse_tx(raw, name)
        for raw, name in (
            (msg.staking_tx, "staking_tx"),
            (msg.slashing_tx, "slashing_tx"),
            (msg.unbonding_tx, "unbonding_tx"),
            (msg.unbonding_slashing_tx, "unbonding_slashing_tx"),
        )
    ]
    for name in ("unbonding_time", "staking_time"):
        if getattr(msg, name) > 0xFFFF:
            raise _fail("parse.time", f"{name} {getattr(msg, name)} must be at most 65535", name)
    try:
        staker = parse_address(msg.staker_addr, field="staker_addr")
    except InputError as exc:
        raise _fail("parse.staker_addr", exc.message, "staker_addr") from None
    _pop_basic(msg)
    _bip340_sig(msg.delegator_slashing_sig, "delegator_slashing_sig")
    _bip340_sig(msg.delegator_unbonding_slashing_sig, "delegator_unbonding_slashing_sig")
    fps = msg.fp_btc_pk_list
    if not fps or not all(is_on_curve(k) for k in fps):
        raise _fail(
            "parse.fp_keys", "finality provider keys must be valid x-only keys", "fp_btc_pk_list"
        )
    if len(set(fps)) != len(fps):
        raise _fail("parse.fp_duplicate", "duplicated finality provider key", "fp_btc_pk_list")
    if len(fps) != 1:
        raise _fail(
            "parse.fp_count", f"exactly one finality provider, got {len(fps)}", "fp_btc_pk_list"
        )
    if not is_on_curve(msg.btc_pk):
        raise _fail("parse.staker_pk", "btc_pk is not a valid x-only key", "btc_pk")
    for name in ("staking_value", "unbonding_value"):
        if getattr(msg, name) < 0:
            raise _fail("parse.value", f"{name} must be positive", name)
    return staker, txs


def _pop_basic(msg: CreateDelegation) -> None:
    """``ProofOfPossessionBTC.ValidateBasic``."""
    pop = msg.pop
    if not pop.btc_sig:
        raise _fail("parse.pop", "empty BTC signature", "pop")
    if pop.btc_sig_type == BtcSigType.BIP340 and len(pop.btc_sig) != 64:
        raise _fail("parse.pop", "BIP-340 PoP signature must be 64 bytes", "pop")
    if pop.btc_sig_type == BtcSigType.ECDSA and len(pop.btc_sig) != 65:
        raise _fail("parse.pop", "ECDSA PoP signature must be 65 bytes", "pop")
    if pop.btc_sig_type == BtcSigType.BIP322:
        try:
            decode_bip322_sig(pop.btc_sig)
        except InputError as exc:
            raise _fail("parse.pop", exc.message, "pop") from None


def _check_proof(msg: CreateDelegation, staking_tx: CTransaction, facts: ChainFacts) -> None:
    proof = msg.staking_tx_inclusion_proof
    if proof is None:
        if facts.staking_tx_confirmations > 0:
            raise _fail(
                "prestaking.included",
                "the staking tx is already in a block: a "
                "pre-staking registration of it could never activate; register it "
                "post-staking, with its inclusion proof",
                "flow",
            )
        return
    check_inclusion(staking_tx, proof, msg.staking_time, msg.unbonding_time, facts)


def check_inclusion(
    staking_tx: CTransaction,
    proof: InclusionProof,
    staking_time: int,
    unbonding_time: int,
    facts: ChainFacts,
) -> None:
    """``VerifyInclusionProofAndGetHeight``: Merkle proof against the header, not the coinbase,
    ``tip - height >= k``, and ``tip + unbonding_time < height + staking_time``."""
    if facts.inclusion_merkle_root is None or facts.inclusion_height is None:
        raise _fail("inclusion.merkle", "the proof's block header is unknown", "block")
    txid = bytes(staking_tx.GetTxid())
    if not verify_inclusion(txid, facts.inclusion_merkle_root, proof.proof, proof.index):
        raise _fail(
            "inclusion.merkle",
            "not included in the Bitcoin chain (Merkle proof fails)",
            "staking_tx_inclusion_proof",
        )
    if proof.index == 0:
        raise _fail(
            "inclusion.coinbase",
            "coinbase tx cannot be used for staking",
            "staking_tx_inclusion_proof",
        )
    depth = facts.btc_tip_height - facts.inclusion_height
    k = facts.confirmation_depth or 0
    if depth < k:
        raise _fail("inclusion.depth", f"not k-deep: k={k}; depth={depth}", "block")
    if facts.btc_tip_height + unbonding_time >= facts.inclusion_height + staking_time:
        raise _fail(
            "inclusion.timelock",
            f"staking tx's timelock has no more than unbonding(={unbonding_time}) blocks left",
            "staking_time",
        )


def _slashing(
    rule: str,
    slash: CTransaction,
    funding: CTransaction,
    vout: int,
    p: StakingParams,
    staker: XOnlyPubKey,
    net: Network,
) -> None:
    """``CheckSlashingTxMatchFundingTx``."""
    reason = tx_sanity(funding)
    if reason is not None:
        raise _fail(rule, f"funding transaction does not obey BTC rules: {reason}")
    if not p.min_slashing_tx_fee_sat or p.min_slashing_tx_fee_sat <= 0:
        raise _fail(rule, "slashing transaction min fee must be larger than 0")
    if p.slashing_rate is None or p.slashing_pk_script is None:
        raise _fail(rule, "params have no slashing fields (phase 1)")
    if vout >= len(funding.vout):
        raise _fail(rule, f"invalid funding output index {vout}")
    reason = tx_sanity(slash)
    if reason is not None:
        raise _fail(rule, f"invalid slashing tx: btc transaction do not obey BTC rules: {reason}")
    change = slashing_change_info(staker, p.unbonding_time, 0, net)
    try:
        check_slashing_tx(
            slash,
            p.slashing_pk_script,
            p.slashing_rate,
            p.min_slashing_tx_fee_sat,
            int(funding.vout[vout].nValue),
            bytes(change.script_pubkey),
        )
    except TxRejected as exc:
        raise _fail(rule, exc.message) from None
    prev = slash.vin[0].prevout
    if bytes(prev.hash) != bytes(funding.GetTxid()) or prev.n != vout:
        raise _fail(rule, "slashing transaction must spend staking output")


def check_create_delegation(
    msg: CreateDelegation, p: StakingParams, net: Network, facts: ChainFacts
) -> Checked:
    """Run the chain's stateless and params checks on ``msg`` with params version ``p`` (the
    one the chain would pick: ``registration.params_for``). Raises ``ChainRuleError``."""
    staker, (staking_tx, slash_tx, unbonding_tx, unb_slash_tx) = _parse(msg)
    pk = XOnlyPubKey(bytes(msg.btc_pk))
    try:
        verify_pop(msg.pop, staker, pk, net)
    except InputError as exc:
        raise _fail("pop.verify", exc.message, "pop") from None
    _check_proof(msg, staking_tx, facts)
    if msg.unbonding_time != p.unbonding_time:
        raise _fail(
            "unbonding_time",
            f"unbonding time {msg.unbonding_time} must be equal to {p.unbonding_time}",
            "unbonding_time",
        )
    fps = [XOnlyPubKey(bytes(k)) for k in msg.fp_btc_pk_list]
    covs, q = tuple(p.covenant_pks), p.covenant_quorum
    try:
        info = staking_info(pk, fps, covs, q, msg.staking_time, msg.staking_value, net)
    except (ScriptError, InputError) as exc:
        raise _fail("staking_output", f"failed to build staking info: {exc.message}") from None
    matches = [
        i
        for i, o in enumerate(staking_tx.vout)
        if o.nValue == msg.staking_value and bytes(o.scriptPubKey) == info.script_pubkey
    ]
    if len(matches) != 1:
        raise _fail(
            "staking_output",
            "staking tx does not contain expected staking output "
            f"({len(matches)} matching outputs)",
            "staking_tx",
        )
    vout = matches[0]
    if not p.min_staking_time <= msg.staking_time <= p.max_staking_time:
        raise _fail(
            "staking_time",
            f"staking time {msg.staking_time} is out of bounds. Min: "
            f"{p.min_staking_time}, Max: {p.max_staking_time}",
            "staking_time",
        )
    value = int(staking_tx.vout[vout].nValue)
    if not p.min_staking_amount <= value <= p.max_staking_amount:
        raise _fail(
            "staking_value",
            f"staking value {value} is out of bounds. Min: "
            f"{p.min_staking_amount}, Max: {p.max_staking_amount}",
            "staking_value",
        )
    _slashing("slashing_tx", slash_tx, staking_tx, vout, p, pk, net)
    sighash = leaf_sighash(slash_tx, info, info.slashing_script, value=value)
    if not schnorr_verify(pk, sighash, msg.delegator_slashing_sig):
        raise _fail("slashing_sig", "invalid delegator signature", "delegator_slashing_sig")
    _check_unbonding(msg, p, net, staking_tx, vout, unbonding_tx, unb_slash_tx, fps)
    return Checked(staking_tx, vout, slash_tx, unbonding_tx, unb_slash_tx, staker)


def _check_unbonding(
    msg: CreateDelegation,
    p: StakingParams,
    net: Network,
    staking_tx: CTransaction,
    vout: int,
    unbonding_tx: CTransaction,
    unb_slash_tx: CTransaction,
    fps: list[XOnlyPubKey],
) -> None:
    pk = XOnlyPubKey(bytes(msg.btc_pk))
    reason = tx_sanity(unbonding_tx) or _presigned(unbonding_tx)
    if reason is not None:
        raise _fail(
            "unbonding_tx",
            f"unbonding tx is not a valid pre-signed transaction: {reason}",
            "unbonding_tx",
        )
    try:
        unb = unbonding_info(
            pk,
            fps,
            tuple(p.covenant_pks),
            p.covenant_quorum,
            msg.unbonding_time,
            msg.unbonding_value,
            net,
        )
    except (ScriptError, InputError) as exc:
        raise _fail(
            "unbonding_output", f"failed to build the unbonding info: {exc.message}"
        ) from None
    out = unbonding_tx.vout[0]
    if bytes(out.scriptPubKey) != bytes(unb.script_pubkey):
        raise _fail("unbonding_output", "the unbonding output script is not expected")
    if out.nValue != unb.value:
        raise _fail(
            "unbonding_output",
            f"the unbonding output value is not expected, expected: {unb.value}, got: {out.nValue}",
        )
    _slashing("unbonding_slashing_tx", unb_slash_tx, unbonding_tx, 0, p, pk, net)
    sighash = leaf_sighash(unb_slash_tx, unb, unb.slashing_script, value=int(out.nValue))
    if not schnorr_verify(pk, sighash, msg.delegator_unbonding_slashing_sig):
        raise _fail(
            "unbonding_slashing_sig",
            "invalid delegator signature",
            "delegator_unbonding_slashing_sig",
        )
    prev = unbonding_tx.vin[0].prevout
    if bytes(prev.hash) != bytes(staking_tx.GetTxid()) or prev.n != vout:
        raise _fail("unbonding_input", "unbonding transaction must spend staking output")
    staked = int(staking_tx.vout[vout].nValue)
    if out.nValue >= staked:
        raise _fail("unbonding_fee", "unbonding tx fee must be larger that 0")
    if staked - out.nValue != p.unbonding_fee:
        raise _fail(
            "unbonding_fee",
            f"unbonding tx fee must be {p.unbonding_fee}, but got {staked - out.nValue}",
        )


def _presigned(tx: CTransaction) -> str | None:
    """``CheckPreSignedUnbondingTxSanity``: 1 in, 1 out, locktime 0, version 2, weight,
    final sequence, empty scriptSig."""
    if len(tx.vin) != 1 or len(tx.vout) != 1:
        return "tx must have exactly 1 inputs / 1 outputs"
    if tx.nLockTime != 0:
        return "pre-signed tx must not have locktime"
    if tx.nVersion != 2:
        return "tx version must be between 2 and 2"
    if btx.weight(tx) > 400_000:
        return "tx weight must not exceed 400000"
    if tx.vin[0].nSequence != btx.SEQUENCE_FINAL:
        return "pre-signed tx must not be replaceable"
    if len(tx.vin[0].scriptSig):
        return "pre-signed tx must not have signature script"
    return None
