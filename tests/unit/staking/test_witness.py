"""Witness assembly and checks for unbonding / slashing / withdrawal spends (pure, no node)."""

from __future__ import annotations

import pytest
from support.keys import seckey

from l2kit.btc import adaptor
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network
from l2kit.btc.sign import schnorr_sign
from l2kit.btc.tx import OutPoint, new_tx
from l2kit.errors import TxRejected
from l2kit.staking import signing
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.witness import (
    check_witness,
    signature_slots,
    slashing_witness,
    unbonding_witness,
    withdrawal_witness,
)

STAKER = seckey("staker")
FPS = [seckey("fp0"), seckey("fp1")]
COVS = [seckey(f"cov{i}") for i in range(5)]
QUORUM = 3
AUX = bytes(32)


def _pub(sk: bytes) -> XOnlyPubKey:
    return xonly_of(sk)


def _info(n_fps: int = 1):  # type: ignore[no-untyped-def]
    return staking_info(
        _pub(STAKER),
        [_pub(k) for k in FPS[:n_fps]],
        [_pub(k) for k in COVS],
        QUORUM,
        10,
        100_000,
        Network.REGTEST,
    )


def _spend(info, value: int, sequence: int = 0xFFFFFFFF, version: int = 2):  # type: ignore[no-untyped-def]
    return new_tx(
        version, [(OutPoint("11" * 32, 0), sequence)], [(bytes(info.script_pubkey), value - 1000)]
    )


def _cov_sigs(tx, info, which):  # type: ignore[no-untyped-def]
    return {
        _pub(COVS[i]): signing.covenant_sign_unbonding(COVS[i], tx, info, aux=AUX) for i in which
    }


def test_unbonding_witness_layout() -> None:
    info = _info()
    tx = _spend(info, info.value)
    sighash = signing.leaf_sighash(tx, info, info.unbonding_script)
    staker_sig = signing.sign_staker(STAKER, tx, info, info.unbonding_script, aux=AUX)
    sigs = _cov_sigs(tx, info, [4, 0, 2])
    stack = unbonding_witness(sigs, staker_sig, info, sighash=sighash)
    desc = sorted((_pub(k) for k in COVS), reverse=True)
    assert stack[:5] == [sigs.get(k, b"") for k in desc]
    assert sum(1 for item in stack[:5] if item) == QUORUM
    assert stack[5:] == [
        staker_sig,
        info.unbonding_script,
        info.control_block(info.unbonding_script),
    ]
    checked = check_witness(stack, sighash, info.output, expected_leaf=info.unbonding_script)
    assert checked.leaf.kind.value == "unbonding"


@pytest.mark.parametrize(
    ("which", "match"),
    [
        ([0, 1, 2, 3], "4 covenant signatures given; the leaf needs exactly 3"),
        ([0, 1], "only 2 covenant signature"),
        ([], "only 0 covenant"),
    ],
)
def test_unbonding_refuses_wrong_count(which: list[int], match: str) -> None:
    info = _info()
    tx = _spend(info, info.value)
    sighash = signing.leaf_sighash(tx, info, info.unbonding_script)
    staker_sig = signing.sign_staker(STAKER, tx, info, info.unbonding_script, aux=AUX)
    with pytest.raises(TxRejected, match=match):
        unbonding_witness(_cov_sigs(tx, info, which), staker_sig, info, sighash=sighash)


def test_unbonding_refuses_unknown_and_invalid() -> None:
    info = _info()
    tx = _spend(info, info.value)
    sighash = signing.leaf_sighash(tx, info, info.unbonding_script)
    staker_sig = signing.sign_staker(STAKER, tx, info, info.unbonding_script, aux=AUX)
    sigs = _cov_sigs(tx, info, [0, 1])
    stranger = seckey("stranger")
    sigs[_pub(stranger)] = schnorr_sign(stranger, sighash, AUX)
    with pytest.raises(TxRejected, match="unknown key"):
        unbonding_witness(sigs, staker_sig, info, sighash=sighash)
    sigs = _cov_sigs(tx, info, [0, 1, 2])
    sigs[_pub(COVS[2])] = schnorr_sign(COVS[2], bytes(32), AUX)  # signed the wrong message
    with pytest.raises(TxRejected, match="invalid covenant signature"):
        unbonding_witness(sigs, staker_sig, info, sighash=sighash)
    with pytest.raises(TxRejected, match="invalid staker signature"):
        unbonding_witness(_cov_sigs(tx, info, [0, 1, 2]), staker_sig[::-1], info, sighash=sighash)
    with pytest.raises(TxRejected, match="65 bytes"):
        unbonding_witness(
            _cov_sigs(tx, info, [0, 1, 2]), staker_sig + b"\x01", info, sighash=sighash
        )
    with pytest.raises(TxRejected, match="quorum 2 differs"):
        unbonding_witness(sigs, staker_sig, info, quorum=2, sighash=sighash)


def test_check_witness_catches_order_leaf_and_output() -> None:
    info = _info()
    tx = _spend(info, info.value)
    sighash = signing.leaf_sighash(tx, info, info.unbonding_script)
    staker_sig = signing.sign_staker(STAKER, tx, info, info.unbonding_script, aux=AUX)
    stack = unbonding_witness(_cov_sigs(tx, info, [0, 1, 2]), staker_sig, info, sighash=sighash)
    ascending = [*reversed(stack[:5]), *stack[5:]]
    with pytest.raises(TxRejected, match="invalid covenant signature"):
        check_witness(ascending, sighash, info.output)
    with pytest.raises(TxRejected, match="wrong leaf"):
        check_witness(stack, sighash, info.output, expected_leaf=info.slashing_script)
    other = staking_info(
        _pub(STAKER), [_pub(FPS[0])], [_pub(k) for k in COVS], 2, 10, 100_000, Network.REGTEST
    )
    with pytest.raises(TxRejected, match="control block"):
        check_witness(stack, sighash, other.output)
    too_many = list(stack)
    desc = sorted((_pub(k) for k in COVS), reverse=True)
    too_many[desc.index(_pub(COVS[3]))] = _cov_sigs(tx, info, [3])[_pub(COVS[3])]
    with pytest.raises(TxRejected, match="4 covenant signature"):
        check_witness(too_many, sighash, info.output)


@pytest.mark.parametrize("n_fps", [1, 2])
@pytest.mark.parametrize("from_unbonding", [False, True])
def test_slashing_via_adaptor_sigs(n_fps: int, from_unbonding: bool) -> None:
    st = _info(n_fps)
    info = st
    if from_unbonding:
        info = unbonding_info(
            st.staker, st.fps, st.covenants, QUORUM, 5, st.value - 1000, Network.REGTEST
        )
    tx = new_tx(
        2,
        [(OutPoint("22" * 32, 0), 0xFFFFFFFF)],
        [
            (bytes.fromhex("6a07626162796c6f6e"), 1000),
            (bytes(slashing_change_info(st.staker, 5).script_pubkey), info.value - 3000),
        ],
    )
    staker_sig = signing.sign_staker(STAKER, tx, info, info.slashing_script, aux=AUX)
    slashed = n_fps - 1  # the last FP equivocated
    per_cov = {
        _pub(COVS[i]): signing.covenant_adaptor_sign_slashing(COVS[i], tx, info, aux=AUX)
        for i in range(5)
    }
    for cov, sigs in per_cov.items():
        signing.verify_covenant_adaptor_sigs(cov, sigs, tx, info)
        assert all(len(s.serialize()) == 65 for s in sigs)
    for_fp = {cov: sigs[slashed] for cov, sigs in per_cov.items()}
    signed = signing.signed_slashing_tx(tx, info, staker_sig, for_fp, FPS[slashed], aux=AUX)
    stack = [bytes(x) for x in signed.wit.vtxinwit[0].scriptWitness.stack]
    sighash = signing.leaf_sighash(tx, info, info.slashing_script)
    check_witness(stack, sighash, info.output, expected_leaf=info.slashing_script)
    assert len(stack) == 5 + n_fps + 1 + 2
    # the extracted secret is the FP's decryption key (secret normalised to the even point)
    cov0 = _pub(COVS[0])
    desc = sorted((_pub(k) for k in COVS), reverse=True)
    decrypted = stack[desc.index(cov0)]
    if decrypted:
        assert adaptor.extract(for_fp[cov0], decrypted) == adaptor.decryption_key_for(FPS[slashed])
    # the wrong FP's secret cannot decrypt an adaptor sig meant for another FP
    if n_fps == 2:
        with pytest.raises(TxRejected, match="not for this FP"):
            signing.decrypt_covenant_sigs(for_fp, FPS[0], tx, info)
    with pytest.raises(TxRejected, match="finality provider"):
        slashing_witness(
            {
                c: s
                for c, s in signing.decrypt_covenant_sigs(for_fp, FPS[slashed], tx, info).items()
                if c in dict(list(for_fp.items())[:3])
            },
            {},
            staker_sig,
            info,
            sighash=sighash,
        )


def test_withdrawal_and_slots() -> None:
    info = _info()
    tx = _spend(info, info.value, sequence=10)
    signed = signing.signed_withdrawal_tx(tx, info, STAKER, aux=AUX)
    stack = [bytes(x) for x in signed.wit.vtxinwit[0].scriptWitness.stack]
    assert stack[1:] == [info.timelock_script, info.control_block(info.timelock_script)]
    sighash = signing.leaf_sighash(tx, info, info.timelock_script)
    assert withdrawal_witness(stack[0], info, sighash=sighash) == stack
    with pytest.raises(TxRejected, match="nSequence = 10"):
        signing.signed_withdrawal_tx(_spend(info, info.value, sequence=9), info, STAKER)
    with pytest.raises(TxRejected, match="2 more block"):
        signing.check_timelock_mature(10, 8)
    signing.check_timelock_mature(10, 10)
    change = slashing_change_info(info.staker, 5, 0, Network.REGTEST)
    ctx = _spend(change, 5000, sequence=5)
    with pytest.raises(Exception, match="value"):
        signing.signed_withdrawal_tx(ctx, change, STAKER)
    signing.signed_withdrawal_tx(ctx, change, STAKER, value=5000)
    slots = signature_slots(info.slashing_script)
    assert [g for g, _ in slots] == ["covenant"] * 5 + ["finality provider", "staker"]
    assert [k for _, k in slots[:5]] == sorted((_pub(k) for k in COVS), reverse=True)


def test_wrong_signer_keys_refused() -> None:
    info = _info()
    tx = _spend(info, info.value)
    with pytest.raises(Exception, match="not a covenant key"):
        signing.covenant_sign_unbonding(STAKER, tx, info)
    with pytest.raises(Exception, match="not a staker key"):
        signing.sign_staker(COVS[0], tx, info, info.unbonding_script)
