"""Proof of possession (``ProofOfPossessionBTC``): the staker's BTC key signs the Babylon
account that registers the delegation. Built and checked exactly as the chain verifies it
(babylonlabs-io/babylon@v4.2.7 ``x/btcstaking/types/pop.go``, ``crypto/bip322``,
``crypto/ecdsa``; unchanged at v4.3.1):

    type     signed message                          btc_sig
    bip340   sha256(20 account bytes)                64-byte BIP-340 sig by btc_pk
    bip322   UTF-8 of the bech32 address "bbn1…"     BIP322Sig{address, sig = serialized
             (BIP-322 simple; P2WPKH, or BIP-86      witness}; the address must be
             P2TR key path; SIGHASH_DEFAULT/ALL)     btc_pk's P2WPKH or BIP-86 P2TR address
    ecdsa    UTF-8 of the bech32 address             65-byte BIP-137 compact sig; the x-only
                                                     key recovered must be btc_pk; low S

A signing context (RFC-036 ``btcstaking/0/staker_pop/{chain_id}/{module address}``, hashed and
hex-encoded, prepended to the message) existed only on Babylon's v3 line (legacy/main
``app/signingcontext/builder.go``); mainnet v4 signs without it, so ``context=None`` is the
default and ``PopContext`` keeps it as a versioned option.

Three ways to sign:
    ``sign_pop(seckey, …)``                 a key file
    ``sign_pop_with_wallet(wallet, …)``     bitcoind's descriptor wallet (BIP-322 through
                                            ``signrawtransactionwithwallet`` on ``to_sign``)
    ``bip322_psbt(…)`` → external signer → ``pop_from_psbt(…)``
and one verifier, ``verify_pop``, that mirrors the chain's checks (raises ``PopError``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import coincurve

from l2kit.babylon.address import BabylonAddress, parse_address
from l2kit.babylon.proto import Bip322Sig, BtcSigType, Pop, decode_bip322_sig, encode_bip322_sig
from l2kit.btc import bip322
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network, address_to_script, p2tr_address, script_to_address
from l2kit.btc.psbt import Psbt, PsbtInput, PsbtOutput, from_psbt
from l2kit.btc.rpc_protocol import Rpc
from l2kit.btc.script import is_p2tr, is_p2wpkh
from l2kit.btc.sign import schnorr_sign, schnorr_verify
from l2kit.btc.taproot import tagged_hash
from l2kit.errors import InputError, PopError, PsbtError, RpcError
from l2kit.staking.funding import key_path_key

__all__ = [
    "AddressType",
    "PopContext",
    "PopType",
    "bip322_address",
    "bip322_psbt",
    "pop_from_psbt",
    "pop_message",
    "sign_pop",
    "sign_pop_with_wallet",
    "verify_pop",
]


class PopType(StrEnum):
    BIP340 = "bip340"
    BIP322 = "bip322"
    ECDSA = "ecdsa"

    @property
    def sig_type(self) -> BtcSigType:
        return {
            "bip340": BtcSigType.BIP340,
            "bip322": BtcSigType.BIP322,
            "ecdsa": BtcSigType.ECDSA,
        }[self.value]


class AddressType(StrEnum):
    """The BIP-322 signing address of the staker key."""

    P2TR = "p2tr"  # BIP-86 key path (what l2kit funds from and what Taproot wallets use)
    P2WPKH = "p2wpkh"


@dataclass(frozen=True)
class PopContext:
    """RFC-036 signing context, version 0: ``hex(sha256("btcstaking/0/staker_pop/{chain_id}/
    {module_address}"))`` prepended to the message. Not used by mainnet v4."""

    chain_id: str
    module_address: str
    version: int = 0

    def prefix(self) -> bytes:
        if self.version != 0:
            raise InputError(f"unknown signing-context version {self.version}", field="context")
        text = f"btcstaking/0/staker_pop/{self.chain_id}/{self.module_address}"
        return hashlib.sha256(text.encode()).hexdigest().encode()


def pop_message(kind: PopType, staker: BabylonAddress, context: PopContext | None = None) -> bytes:
    """What the BTC key signs: the 20 account bytes (bip340, hashed with sha256 before signing)
    or the bech32 text (bip322, ecdsa), after the context prefix if any."""
    prefix = context.prefix() if context is not None else b""
    body = staker.account if kind is PopType.BIP340 else staker.text.encode()
    return prefix + body


def bip322_address(
    seckey: bytes, net: Network, address_type: AddressType = AddressType.P2TR
) -> str:
    """The staker key's BIP-322 address: BIP-86 P2TR (default) or P2WPKH."""
    if address_type is AddressType.P2TR:
        return p2tr_address(XOnlyPubKey(key_path_key(seckey).output), net)
    pub = coincurve.PrivateKey(seckey).public_key.format(compressed=True)
    address = script_to_address(bip322.p2wpkh_script(pub), net)
    assert address is not None  # a 22-byte v0 program always has an address
    return address


def _bip322_pop(address: str, witness: list[bytes]) -> Pop:
    sig = encode_bip322_sig(Bip322Sig(address, bip322.serialize_witness(witness)))
    return Pop(BtcSigType.BIP322, sig)


def sign_pop(
    seckey: bytes,
    staker: BabylonAddress | str,
    net: Network,
    kind: PopType = PopType.BIP322,
    *,
    address_type: AddressType = AddressType.P2TR,
    context: PopContext | None = None,
) -> Pop:
    """A PoP by ``seckey`` for ``staker``; verified with ``verify_pop`` before it is returned."""
    staker = staker if isinstance(staker, BabylonAddress) else parse_address(staker)
    msg = pop_message(kind, staker, context)
    if kind is PopType.BIP340:
        pop = Pop(BtcSigType.BIP340, schnorr_sign(seckey, hashlib.sha256(msg).digest()))
    elif kind is PopType.ECDSA:
        pop = Pop(BtcSigType.ECDSA, bip322.bip137_sign(seckey, msg))
    elif address_type is AddressType.P2TR:
        witness = bip322.sign_p2tr(key_path_key(seckey).tweaked_secret, msg)
        pop = _bip322_pop(bip322_address(seckey, net, address_type), witness)
    else:
        witness = bip322.sign_p2wpkh(seckey, msg)
        pop = _bip322_pop(bip322_address(seckey, net, address_type), witness)
    verify_pop(pop, staker, xonly_of(seckey), net, context=context)
    return pop


def _bip86_output(btc_pk: bytes) -> bytes:
    tweak = tagged_hash("TapTweak", bytes(btc_pk))
    return bytes(coincurve.PublicKey(b"\x02" + bytes(btc_pk)).add(tweak).format()[1:])


def verify_pop(
    pop: Pop,
    staker: BabylonAddress | str,
    btc_pk: bytes,
    net: Network,
    *,
    context: PopContext | None = None,
) -> None:
    """Raise ``PopError`` (naming the rule) unless the chain's ``ProofOfPossessionBTC.Verify``
    (after ``ValidateBasic``) would accept ``pop`` for ``staker`` and the x-only ``btc_pk``."""
    staker = staker if isinstance(staker, BabylonAddress) else parse_address(staker)

    def bad(rule: str) -> PopError:
        return PopError(rule, field="pop")

    if not pop.btc_sig:
        raise bad("empty BTC signature")
    if len(btc_pk) != 32:
        raise bad("btc_pk must be a 32-byte x-only key")
    kind = {
        BtcSigType.BIP340: PopType.BIP340,
        BtcSigType.BIP322: PopType.BIP322,
        BtcSigType.ECDSA: PopType.ECDSA,
    }.get(pop.btc_sig_type)
    if kind is None:
        raise bad(f"invalid BTC signature type {pop.btc_sig_type}")
    msg = pop_message(kind, staker, context)
    if kind is PopType.BIP340:
        if len(pop.btc_sig) != 64:
            raise bad(f"BIP-340 signature must be 64 bytes, got {len(pop.btc_sig)}")
        if not schnorr_verify(btc_pk, hashlib.sha256(msg).digest(), pop.btc_sig):
            raise bad("BIP-340 signature does not verify for btc_pk over sha256(account)")
    elif kind is PopType.ECDSA:
        recovered = bip322.bip137_recover(msg, pop.btc_sig)
        if isinstance(recovered, str):
            raise bad(recovered)
        if recovered[1:] != bytes(btc_pk):
            raise bad("the key recovered from the ECDSA signature is not btc_pk")
    else:
        _verify_bip322(pop.btc_sig, msg, btc_pk, net)


def _verify_bip322(btc_sig: bytes, msg: bytes, btc_pk: bytes, net: Network) -> None:
    try:
        sig = decode_bip322_sig(btc_sig)
        if not sig.address or not sig.sig:
            raise PopError("BIP322Sig address or sig is empty", field="pop")
        witness = bip322.parse_witness(sig.sig, field="pop")
        spk = bytes(address_to_script(sig.address, net, field="pop"))
    except PopError:
        raise
    except InputError as exc:
        raise PopError(f"BIP-322: {exc.message}", field="pop") from None
    if is_p2tr(spk) and len(witness) == 1:
        reason = bip322.verify_p2tr(msg, spk, witness)
        if reason is None and spk[2:] != _bip86_output(btc_pk):
            reason = "BIP-322 address is not btc_pk's BIP-86 P2TR address"
    elif is_p2wpkh(spk) and len(witness) == 2:
        reason = bip322.verify_p2wpkh(msg, spk, witness)
        if reason is None and witness[1][1:] != bytes(btc_pk):
            reason = "BIP-322 P2WPKH key is not btc_pk"
    else:
        reason = (
            "unsupported BIP-322 address/witness: only P2WPKH (2 items) and BIP-86 P2TR "
            "key path (1 item)"
        )
    if reason is not None:
        raise PopError(reason, field="pop")


# --- bitcoind descriptor wallet and external signers ---------------------------------------


def _to_sign(msg: bytes, address: str, net: Network) -> tuple[Any, Any, bytes]:
    spk = bytes(address_to_script(address, net, field="pop-address"))
    to_spend = bip322.to_spend_tx(msg, spk)
    return to_spend, bip322.to_sign_tx(to_spend), spk


def sign_pop_with_wallet(
    wallet: Rpc,
    staker: BabylonAddress | str,
    btc_pk: bytes,
    address: str,
    net: Network,
    *,
    context: PopContext | None = None,
) -> Pop:
    """BIP-322 PoP signed by the bitcoind wallet that owns ``address`` (its ``wpkh()`` or
    ``tr()`` descriptor): ``signrawtransactionwithwallet`` on ``to_sign`` with ``to_spend:0``
    as the prevtx, then the input's witness is the signature (btc-staker's
    ``walletcontroller.SignBip322Signature`` does the same)."""
    staker = staker if isinstance(staker, BabylonAddress) else parse_address(staker)
    to_spend, to_sign, spk = _to_sign(pop_message(PopType.BIP322, staker, context), address, net)
    prevtx = {"txid": btx.txid_hex(to_spend), "vout": 0, "scriptPubKey": spk.hex(), "amount": 0}
    try:
        done = wallet.call(
            "signrawtransactionwithwallet", btx.serialize(to_sign).hex(), [prevtx], "DEFAULT"
        )
    except RpcError as exc:
        raise InputError(
            f"the wallet cannot sign for {address}: {exc.message}", field="pop-address"
        ) from None
    if not done.get("complete"):
        raise InputError(f"the wallet does not hold the key of {address}", field="pop-address")
    witness = btx.witness(btx.parse(done["hex"]), 0)
    pop = _bip322_pop(address, witness)
    verify_pop(pop, staker, btc_pk, net, context=context)
    return pop


def bip322_psbt(
    staker: BabylonAddress | str,
    address: str,
    net: Network,
    *,
    context: PopContext | None = None,
) -> str:
    """A base64 BIP-174 PSBT of ``to_sign`` for an external signer: input 0 carries
    ``non_witness_utxo`` (``to_spend``) and ``witness_utxo`` (value 0, the address's script), as
    signers that insist on the full previous tx need; feed the signed PSBT to ``pop_from_psbt``."""
    staker = staker if isinstance(staker, BabylonAddress) else parse_address(staker)
    to_spend, to_sign, spk = _to_sign(pop_message(PopType.BIP322, staker, context), address, net)
    psbt_in = PsbtInput(
        non_witness_utxo=btx.serialize(to_spend, witness=False), witness_utxo=(0, spk)
    )
    return Psbt(to_sign, [psbt_in], [PsbtOutput()]).to_base64()


def pop_from_psbt(
    signed: str,
    staker: BabylonAddress | str,
    btc_pk: bytes,
    address: str,
    net: Network,
    *,
    context: PopContext | None = None,
) -> Pop:
    """The PoP from a signed ``bip322_psbt`` (its input 0 ``final_script_witness``) or from the
    finalized ``to_sign`` tx in hex; verified before it is returned."""
    text = signed.strip()
    witness: list[bytes] | None
    try:
        witness = from_psbt(text).inputs[0].final_script_witness
    except PsbtError:
        witness = btx.witness(btx.parse(text, field="psbt"), 0)
    if not witness:
        raise InputError("no final witness for input 0 (not signed/finalized?)", field="psbt")
    pop = _bip322_pop(address, witness)
    verify_pop(pop, staker, btc_pk, net, context=context)
    return pop
