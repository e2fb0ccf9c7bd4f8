"""Who signs what in a Babylon delegation, on top of ``btc/sign`` and ``btc/adaptor``.

    staker      signs unbonding, both slashing txs (at registration) and withdrawals
    covenant    plain Schnorr on the unbonding tx; one adaptor signature per FP on each
                slashing tx, encrypted under that FP's BTC key (even point ``02 ‖ fp_x``)
    slasher     holds an equivocating FP's secret: decrypts the covenant adaptor signatures,
                signs as the FP, assembles the slashing witness

Every spend here has one input (index 0) spending a staking-protocol output; its prevouts are
``[(value, script_pubkey)]`` of that output. All signatures are BIP340, SIGHASH_DEFAULT.
Spends given as a raw tx or a PSBT (any input, the role read from the leaf): ``psbt_signing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from l2kit.btc import adaptor
from l2kit.btc.adaptor import AdaptorSig
from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.sign import schnorr_sign, taproot_script_sighash, xonly_pubkey
from l2kit.btc.tx import CTransaction, set_witness
from l2kit.errors import BadKey, InputError, TxRejected
from l2kit.staking.scripts import SlashingChangeInfo, StakingInfo, UnbondingInfo
from l2kit.staking.witness import slashing_witness, unbonding_witness, withdrawal_witness

__all__ = [
    "SpentOutput",
    "check_timelock_mature",
    "covenant_adaptor_sign_slashing",
    "covenant_sign_unbonding",
    "decrypt_covenant_sigs",
    "leaf_sighash",
    "select_quorum",
    "sign_leaf",
    "sign_staker",
    "signed_slashing_tx",
    "signed_unbonding_tx",
    "signed_withdrawal_tx",
    "verify_covenant_adaptor_sigs",
]

SpentOutput = StakingInfo | UnbondingInfo | SlashingChangeInfo


def _prevouts(info: SpentOutput, value: int | None) -> list[tuple[int, bytes]]:
    amount = info.value if value is None else value
    if amount <= 0:
        raise InputError("the spent output's value is unknown; pass value=", field="value")
    return [(amount, bytes(info.script_pubkey))]


def leaf_sighash(
    tx: CTransaction, info: SpentOutput, leaf_script: bytes, *, value: int | None = None
) -> bytes:
    """BIP341 script-path sighash of input 0 of ``tx`` spending ``leaf_script`` of ``info``."""
    if len(tx.vin) != 1:
        raise TxRejected(f"staking spends have exactly 1 input, got {len(tx.vin)}", field="tx")
    info.control_block(leaf_script)  # raises when the leaf is not in this output
    return taproot_script_sighash(tx, 0, _prevouts(info, value), leaf_script)


def sign_leaf(
    seckey: bytes,
    tx: CTransaction,
    info: SpentOutput,
    leaf_script: bytes,
    *,
    value: int | None = None,
    aux: bytes | None = None,
) -> bytes:
    """64-byte BIP340 signature of ``seckey`` for input 0 spending ``leaf_script``."""
    return schnorr_sign(seckey, leaf_sighash(tx, info, leaf_script, value=value), aux)


def _own_key(seckey: bytes, expected: Sequence[XOnlyPubKey], role: str) -> XOnlyPubKey:
    pub = XOnlyPubKey(xonly_pubkey(seckey))
    if pub not in expected:
        raise BadKey(f"this secret key is not a {role} key of the output", field="seckey")
    return pub


def sign_staker(
    seckey: bytes,
    tx: CTransaction,
    info: SpentOutput,
    leaf_script: bytes,
    *,
    value: int | None = None,
    aux: bytes | None = None,
) -> bytes:
    """The staker's signature (unbonding, slashing or withdrawal leaf)."""
    _own_key(seckey, [info.staker], "staker")
    return sign_leaf(seckey, tx, info, leaf_script, value=value, aux=aux)


def covenant_sign_unbonding(
    seckey: bytes, unbonding_tx: CTransaction, info: StakingInfo, *, aux: bytes | None = None
) -> bytes:
    """A covenant member's plain Schnorr signature on the unbonding tx (unbonding leaf)."""
    _own_key(seckey, info.covenants, "covenant")
    return sign_leaf(seckey, unbonding_tx, info, info.unbonding_script, aux=aux)


def covenant_adaptor_sign_slashing(
    seckey: bytes,
    slashing_tx: CTransaction,
    info: StakingInfo | UnbondingInfo,
    *,
    aux: bytes | None = None,
) -> list[AdaptorSig]:
    """One adaptor signature per FP (in ``info.fps`` order), encrypted under that FP's key."""
    _own_key(seckey, info.covenants, "covenant")
    sighash = leaf_sighash(slashing_tx, info, info.slashing_script)
    return [
        adaptor.encrypted_sign(seckey, adaptor.encryption_key_from_xonly(fp), sighash, aux)
        for fp in info.fps
    ]


def verify_covenant_adaptor_sigs(
    covenant: XOnlyPubKey,
    sigs: Sequence[AdaptorSig | bytes],
    slashing_tx: CTransaction,
    info: StakingInfo | UnbondingInfo,
) -> None:
    """Check a covenant member's per-FP adaptor signatures; ``TxRejected`` names the bad one."""
    if covenant not in info.covenants:
        raise TxRejected(f"{covenant.hex()[:16]}… is not a covenant key", field="covenant")
    if len(sigs) != len(info.fps):
        raise TxRejected(f"{len(sigs)} adaptor sigs for {len(info.fps)} FPs", field="adaptor_sigs")
    sighash = leaf_sighash(slashing_tx, info, info.slashing_script)
    for i, (fp, sig) in enumerate(zip(info.fps, sigs, strict=True)):
        if not adaptor.encrypted_verify(
            covenant, adaptor.encryption_key_from_xonly(fp), sighash, sig
        ):
            raise TxRejected(
                f"adaptor signature of covenant {covenant.hex()[:16]}… for FP {i} does not verify",
                field="adaptor_sigs",
            )


def decrypt_covenant_sigs(
    adaptor_sigs: Mapping[XOnlyPubKey, AdaptorSig | bytes],
    fp_seckey: bytes,
    slashing_tx: CTransaction,
    info: StakingInfo | UnbondingInfo,
) -> dict[XOnlyPubKey, bytes]:
    """Decrypt each covenant member's adaptor sig for this FP with the FP's secret key.

    ``adaptor_sigs`` maps covenant key → that member's adaptor signature for THIS FP.
    Every decrypted signature is verified against the slashing sighash.
    """
    fp = _own_key(fp_seckey, info.fps, "finality provider")
    sighash = leaf_sighash(slashing_tx, info, info.slashing_script)
    dec_key = adaptor.decryption_key_for(fp_seckey)
    out: dict[XOnlyPubKey, bytes] = {}
    for cov, sig in adaptor_sigs.items():
        if cov not in info.covenants:
            raise TxRejected(f"{cov.hex()[:16]}… is not a covenant key", field="adaptor_sigs")
        if not adaptor.encrypted_verify(cov, adaptor.encryption_key_from_xonly(fp), sighash, sig):
            raise TxRejected(
                f"adaptor signature of covenant {cov.hex()[:16]}… is not for this FP and tx",
                field="adaptor_sigs",
            )
        out[cov] = adaptor.decrypt_verified(sig, dec_key, cov, sighash)
    return out


def select_quorum(sigs: Mapping[XOnlyPubKey, bytes], quorum: int) -> dict[XOnlyPubKey, bytes]:
    """Keep exactly ``quorum`` non-empty signatures (lowest keys first); too few → TxRejected."""
    given = sorted((k, s) for k, s in sigs.items() if s)
    if len(given) < quorum:
        raise TxRejected(
            f"only {len(given)} covenant signatures, quorum is {quorum}", field="signatures"
        )
    return dict(given[:quorum])


def signed_unbonding_tx(
    unbonding_tx: CTransaction,
    info: StakingInfo,
    staker_sig: bytes,
    covenant_sigs: Mapping[XOnlyPubKey, bytes],
) -> CTransaction:
    """``unbonding_tx`` with its full witness (exactly ``quorum`` covenant sigs required)."""
    sighash = leaf_sighash(unbonding_tx, info, info.unbonding_script)
    stack = unbonding_witness(covenant_sigs, staker_sig, info, sighash=sighash)
    return set_witness(unbonding_tx, 0, stack)


def signed_slashing_tx(
    slashing_tx: CTransaction,
    info: StakingInfo | UnbondingInfo,
    staker_sig: bytes,
    covenant_adaptor_sigs: Mapping[XOnlyPubKey, AdaptorSig | bytes],
    fp_seckey: bytes,
    *,
    aux: bytes | None = None,
) -> CTransaction:
    """The slasher's path: decrypt ``quorum`` covenant adaptor sigs, sign as the FP, assemble."""
    decrypted = decrypt_covenant_sigs(covenant_adaptor_sigs, fp_seckey, slashing_tx, info)
    covenant_sigs = select_quorum(decrypted, info.quorum)
    fp = XOnlyPubKey(xonly_pubkey(fp_seckey))
    fp_sig = sign_leaf(fp_seckey, slashing_tx, info, info.slashing_script, aux=aux)
    sighash = leaf_sighash(slashing_tx, info, info.slashing_script)
    stack = slashing_witness(covenant_sigs, {fp: fp_sig}, staker_sig, info, sighash=sighash)
    return set_witness(slashing_tx, 0, stack)


def signed_withdrawal_tx(
    withdrawal_tx: CTransaction,
    info: SpentOutput,
    staker_seckey: bytes,
    *,
    value: int | None = None,
    aux: bytes | None = None,
) -> CTransaction:
    """Sign and assemble a withdrawal via the timelock leaf; nSequence must equal the lock."""
    lock = info.staking_time if isinstance(info, StakingInfo) else info.unbonding_time
    sequence = int(withdrawal_tx.vin[0].nSequence) if withdrawal_tx.vin else None
    if sequence != lock or withdrawal_tx.nVersion < 2:
        raise TxRejected(
            f"withdrawal needs version ≥ 2 and nSequence = {lock} (got version "
            f"{withdrawal_tx.nVersion}, nSequence {sequence})",
            field="tx",
        )
    sig = sign_staker(
        staker_seckey, withdrawal_tx, info, info.timelock_script, value=value, aux=aux
    )
    sighash = leaf_sighash(withdrawal_tx, info, info.timelock_script, value=value)
    return set_witness(withdrawal_tx, 0, withdrawal_witness(sig, info, sighash=sighash))


def check_timelock_mature(lock: int, confirmations: int) -> None:
    """Refuse a timelock spend BIP68 would reject in the next block.

    ``confirmations`` of the spent output (its block counts as 1); the spend can enter block
    ``tip + 1`` iff ``tip + 1 - inclusion_height >= lock``, i.e. ``confirmations >= lock``.
    """
    if confirmations < lock:
        raise TxRejected(
            f"timelock not reached: spent output has {confirmations} confirmation(s), needs {lock} "
            f"({lock - confirmations} more block(s); bitcoind would say non-BIP68-final)",
            field="timelock",
        )
