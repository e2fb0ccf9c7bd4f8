"""Delegation-set throughput: l2kit (coincurve/libsecp256k1) vs bitcoin-utils' signing path.

One delegation set = 4 transactions — staking (1 key-path input), unbonding, slashing from the
staking output, slashing from the unbonding output — with every signature the protocol needs:
the staking input, the staker's 3 script-path sigs, each covenant member's unbonding sig and
its adaptor sig on both slashing txs (one FP), and the slasher's decryption of quorum adaptor
sigs + FP sig for one slashing tx. Mainnet-like committee: 9 covenants, quorum 6.

The baseline signs the same transactions, input by input, with bitcoin-utils
(``PrivateKey.sign_taproot_input``: its own BIP341 digest and pure-Python BIP340); it has no
adaptor signatures, so a plain script-path Schnorr signature stands in for each. Both sides
run in this process; the result is printed as a ratio. ``python -m benches.staking_bench``.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable

from bitcoinutils.keys import PrivateKey as BuPrivateKey
from bitcoinutils.script import Script as BuScript
from bitcoinutils.setup import setup as bu_setup
from bitcoinutils.transactions import Transaction as BuTransaction

from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.btc.sign import schnorr_sign, taproot_sighash
from l2kit.staking import signing
from l2kit.staking.funding import key_path_key
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.transactions import (
    Utxo,
    build_slashing_tx,
    build_staking_tx,
    build_unbonding_tx,
)

NET = Network.REGTEST
N_COV, QUORUM = 9, 6
STAKE, UNBONDING_FEE = 1_000_000, 2_000
SLASHING_SPK = bytes.fromhex("6a07626162796c6f6e")
TXS_PER_SET = 4


def _sk(label: str) -> bytes:
    return hashlib.sha256(b"bench/" + label.encode()).digest()


STAKER, FP, FUNDER = _sk("staker"), _sk("fp"), _sk("funder")
COVS = [_sk(f"cov{i}") for i in range(N_COV)]
INFO = staking_info(
    xonly_of(STAKER), [xonly_of(FP)], [xonly_of(k) for k in COVS], QUORUM, 1000, STAKE, NET
)
UB = unbonding_info(INFO.staker, INFO.fps, INFO.covenants, QUORUM, 100, STAKE - UNBONDING_FEE, NET)
CHANGE = slashing_change_info(INFO.staker, 100, 0, NET)
FUND_KEY = key_path_key(FUNDER)


def _unsigned(i: int) -> tuple[btx.CTransaction, ...]:
    utxo = Utxo(
        btx.OutPoint(hashlib.sha256(i.to_bytes(8, "big")).hexdigest(), 0),
        5_000_000,
        FUND_KEY.script_pubkey,
    )
    staking = build_staking_tx([utxo], INFO, FUND_KEY.script_pubkey, 2)
    staking_out = btx.OutPoint(btx.txid_hex(staking), 0)
    unbonding = build_unbonding_tx(staking_out, STAKE, UB)
    slash1 = build_slashing_tx(staking_out, STAKE, SLASHING_SPK, "0.1", 2000, CHANGE)
    slash2 = build_slashing_tx(
        btx.OutPoint(btx.txid_hex(unbonding), 0), UB.value, SLASHING_SPK, "0.1", 2000, CHANGE
    )
    return staking, unbonding, slash1, slash2


def l2kit_set(i: int) -> None:
    staking, unbonding, slash1, slash2 = _unsigned(i)
    funding_prevouts = [(5_000_000, FUND_KEY.script_pubkey)]
    schnorr_sign(FUND_KEY.tweaked_secret, taproot_sighash(staking, 0, funding_prevouts))
    staker_ub = signing.sign_staker(STAKER, unbonding, INFO, INFO.unbonding_script)
    cov_ub = {xonly_of(k): signing.covenant_sign_unbonding(k, unbonding, INFO) for k in COVS}
    signing.signed_unbonding_tx(unbonding, INFO, staker_ub, signing.select_quorum(cov_ub, QUORUM))
    for tx, info in ((slash1, INFO), (slash2, UB)):
        staker_sig = signing.sign_staker(STAKER, tx, info, info.slashing_script)
        adaptor_sigs = {
            xonly_of(k): signing.covenant_adaptor_sign_slashing(k, tx, info)[0] for k in COVS
        }
        if info is INFO:  # the slasher's path, once per set
            quorum = dict(list(adaptor_sigs.items())[:QUORUM])
            signing.signed_slashing_tx(tx, info, staker_sig, quorum, FP)


def _bu_script(b: bytes) -> BuScript:
    return BuScript.from_raw(b.hex())


BU_KEYS: dict[bytes, BuPrivateKey] = {}


def _bu_key(sk: bytes) -> BuPrivateKey:
    if sk not in BU_KEYS:
        BU_KEYS[sk] = BuPrivateKey(secret_exponent=int.from_bytes(sk, "big"))
    return BU_KEYS[sk]


def bitcoinutils_set(i: int) -> None:
    staking, unbonding, slash1, slash2 = _unsigned(i)
    bu_staking = BuTransaction.from_raw(btx.serialize(staking).hex())
    _bu_key(FUNDER).sign_taproot_input(
        bu_staking, 0, [_bu_script(FUND_KEY.script_pubkey)], [5_000_000]
    )
    jobs = [(unbonding, INFO, INFO.unbonding_script, N_COV)]
    jobs += [(slash1, INFO, INFO.slashing_script, N_COV), (slash2, UB, UB.slashing_script, N_COV)]
    for tx, info, leaf, n_cov in jobs:
        bu_tx = BuTransaction.from_raw(btx.serialize(tx).hex())
        spk, amount = [_bu_script(bytes(info.script_pubkey))], [info.value]
        signers = [STAKER, *COVS[:n_cov]] + ([FP] if leaf == INFO.slashing_script else [])
        for sk in signers:
            _bu_key(sk).sign_taproot_input(
                bu_tx,
                0,
                spk,
                amount,
                script_path=True,
                tapleaf_script=_bu_script(leaf),
                tweak=False,
            )


def _rate(fn: Callable[[int], None], budget_s: float, max_sets: int) -> tuple[float, int]:
    fn(0)  # warm-up
    start, n = time.perf_counter(), 0
    while n < max_sets and time.perf_counter() - start < budget_s:
        n += 1
        fn(n)
    return TXS_PER_SET * n / (time.perf_counter() - start), n


def main() -> None:
    bu_setup("regtest")
    ours, n_ours = _rate(l2kit_set, budget_s=8.0, max_sets=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base, n_base = _rate(bitcoinutils_set, budget_s=15.0, max_sets=200)
    print(f"delegation set = {TXS_PER_SET} txs, {N_COV} covenants (quorum {QUORUM}), 1 FP")
    print(f"l2kit (libsecp256k1, incl. adaptor sigs): {ours:10.1f} tx/s  ({n_ours} sets)")
    print(f"bitcoin-utils taproot signing (baseline):  {base:10.1f} tx/s  ({n_base} sets)")
    print(f"ratio l2kit / bitcoin-utils: {ours / base:.1f}x")


if __name__ == "__main__":
    main()
