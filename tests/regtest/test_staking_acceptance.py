"""Every Babylon staking spend, fully witnessed by l2kit, against a real regtest bitcoind.

Each accepted case: ``testmempoolaccept`` allows it, ``sendrawtransaction`` + one block mines it.
Each rejected case: l2kit refuses it (``TxRejected``) AND bitcoind's ``testmempoolaccept``
rejects the same bytes (forced past l2kit by assembling the stack by hand).

Delegation parameters: 1 staker, 1 FP, 5 covenants with quorum 3, staking_time 10,
unbonding_time 5, 1_000_000 sat stake, unbonding fee 2000, slashing rate 0.1, slashing fee 2000.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from support.cli import run_main
from support.keys import seckey

from l2kit.btc import psbt as P
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network, address_to_script
from l2kit.btc.rpc import RpcClient
from l2kit.btc.sign import schnorr_sign, taproot_script_sighash
from l2kit.btc.taproot import tap_leaf_hash
from l2kit.errors import TxRejected
from l2kit.staking import signing
from l2kit.staking.scripts import (
    SlashingChangeInfo,
    StakingInfo,
    UnbondingInfo,
    slashing_change_info,
    staking_info,
    unbonding_info,
)
from l2kit.staking.transactions import (
    Utxo,
    build_slashing_tx,
    build_staking_tx,
    build_unbonding_tx,
    build_withdrawal_tx,
)
from l2kit.staking.witness import check_witness, signature_slots, slashing_witness

NET = Network.REGTEST
STAKING_TIME, UNBONDING_TIME = 10, 5
STAKE, UNBONDING_FEE = 1_000_000, 2_000
SLASHING_RATE, SLASHING_FEE = "0.1", 2_000
SLASHING_SPK = bytes.fromhex("6a07626162796c6f6e")  # OP_RETURN "babylon" (mainnet's burn)
QUORUM = 3
AUX = bytes(32)


STAKER, FP = seckey("l2kit-acceptance/staker"), seckey("l2kit-acceptance/fp")
COVS = [seckey(f"l2kit-acceptance/cov{i}") for i in range(5)]
COV_PUBS = [xonly_of(k) for k in COVS]


@dataclass
class Env:
    node: Any
    rpc: RpcClient
    wallet: RpcClient
    dest: bytes  # a wallet scriptPubKey for withdrawals


@pytest.fixture(scope="module")
def env(regtest_node: Any) -> Env:
    wallet = regtest_node.new_wallet(fund_btc=5)
    dest = bytes(address_to_script(wallet.getnewaddress(), NET))
    return Env(regtest_node, regtest_node.rpc, wallet, dest)


def _info() -> StakingInfo:
    return staking_info(
        xonly_of(STAKER), [xonly_of(FP)], COV_PUBS, QUORUM, STAKING_TIME, STAKE, NET
    )


def _unbonding_info(info: StakingInfo) -> UnbondingInfo:
    return unbonding_info(
        info.staker, info.fps, info.covenants, QUORUM, UNBONDING_TIME, STAKE - UNBONDING_FEE, NET
    )


def _change_info(info: StakingInfo) -> SlashingChangeInfo:
    return slashing_change_info(info.staker, UNBONDING_TIME, 0, NET)


def _accept(env: Env, tx: Any) -> dict[str, Any]:
    result: dict[str, Any] = env.rpc.call("testmempoolaccept", [btx.serialize(tx).hex()])[0]
    return result


def _mine_tx(env: Env, tx: Any) -> str:
    verdict = _accept(env, tx)
    assert verdict["allowed"], verdict
    # maxburnamount 1 BTC: slashing pays its slashed share to OP_RETURN (a burn, as on mainnet)
    txid: str = env.rpc.call("sendrawtransaction", btx.serialize(tx).hex(), 0, 1)
    env.node.mine(1)
    block = env.rpc.call("getblock", env.rpc.call("getbestblockhash"))
    assert txid in block["tx"]
    return txid


def _rejected(env: Env, tx: Any, reason: str) -> None:
    verdict = _accept(env, tx)
    assert not verdict["allowed"], verdict
    assert reason in verdict["reject-reason"], verdict


def _stake(env: Env, info: StakingInfo) -> btx.OutPoint:
    """Fund the staking output with Part B's builder from the wallet's UTXOs; mine it."""
    utxos = [
        Utxo(
            btx.OutPoint(u["txid"], u["vout"]),
            int(Decimal(str(u["amount"])) * 100_000_000),
            bytes.fromhex(u["scriptPubKey"]),
        )
        for u in env.wallet.call("listunspent", 1)
    ]
    change = bytes(address_to_script(env.wallet.getnewaddress(), NET))
    unsigned = build_staking_tx(utxos, info, change, 2)
    signed = env.wallet.call("signrawtransactionwithwallet", btx.serialize(unsigned).hex())
    assert signed["complete"], signed
    txid = _mine_tx(env, btx.parse(signed["hex"]))
    return btx.OutPoint(txid, 0)


def _confirmations(env: Env, outpoint: btx.OutPoint) -> int:
    out = env.rpc.call("gettxout", outpoint.txid_hex, outpoint.vout)
    return int(out["confirmations"])


def _unbond(
    env: Env, info: StakingInfo, outpoint: btx.OutPoint
) -> tuple[Any, dict[XOnlyPubKey, bytes], bytes]:
    ub = _unbonding_info(info)
    tx = build_unbonding_tx(outpoint, STAKE, ub)
    staker_sig = signing.sign_staker(STAKER, tx, info, info.unbonding_script, aux=AUX)
    cov_sigs = {
        COV_PUBS[i]: signing.covenant_sign_unbonding(COVS[i], tx, info, aux=AUX) for i in range(5)
    }
    return tx, cov_sigs, staker_sig


def _slashing(
    info: StakingInfo | UnbondingInfo,
    outpoint: btx.OutPoint,
    value: int,
    change: SlashingChangeInfo,
) -> Any:
    tx = build_slashing_tx(outpoint, value, SLASHING_SPK, SLASHING_RATE, SLASHING_FEE, change)
    staker_sig = signing.sign_staker(STAKER, tx, info, info.slashing_script, aux=AUX)
    adaptor_sigs = {  # each covenant member: one adaptor sig per FP; we have one FP
        COV_PUBS[i]: signing.covenant_adaptor_sign_slashing(COVS[i], tx, info)[0] for i in range(5)
    }
    for cov in COV_PUBS:
        signing.verify_covenant_adaptor_sigs(cov, [adaptor_sigs[cov]], tx, info)
    return signing.signed_slashing_tx(tx, info, staker_sig, adaptor_sigs, FP, aux=AUX)


def _withdraw(
    env: Env,
    info: StakingInfo | UnbondingInfo | SlashingChangeInfo,
    outpoint: btx.OutPoint,
    value: int,
    lock: int,
) -> Any:
    leaf = info.timelock_script
    tx = build_withdrawal_tx(
        outpoint, value, lock, env.dest, 2, leaf_script=leaf, control_block=info.control_block(leaf)
    )
    return signing.signed_withdrawal_tx(tx, info, STAKER, value=value, aux=AUX)


def _by_hand(tx: Any, items: list[bytes], leaf: bytes, cb: bytes) -> Any:
    return btx.set_witness(tx, 0, [*items, leaf, cb])


# --- accepted spends -----------------------------------------------------------------------


def test_unbonding_then_withdrawal_from_unbonding_output(env: Env) -> None:
    info = _info()
    outpoint = _stake(env, info)
    tx, cov_sigs, staker_sig = _unbond(env, info, outpoint)
    quorum_sigs = signing.select_quorum(cov_sigs, QUORUM)
    signed = signing.signed_unbonding_tx(tx, info, staker_sig, quorum_sigs)
    sighash = signing.leaf_sighash(tx, info, info.unbonding_script)
    check_witness(btx.witness(signed, 0), sighash, info.output, expected_leaf=info.unbonding_script)
    ub_txid = _mine_tx(env, signed)

    ub = _unbonding_info(info)
    ub_out = btx.OutPoint(ub_txid, 0)
    early = _withdraw(env, ub, ub_out, ub.value, UNBONDING_TIME)
    with pytest.raises(TxRejected, match="timelock not reached"):
        signing.check_timelock_mature(UNBONDING_TIME, _confirmations(env, ub_out))
    _rejected(env, early, "non-BIP68-final")
    env.node.mine(UNBONDING_TIME - _confirmations(env, ub_out))
    signing.check_timelock_mature(UNBONDING_TIME, _confirmations(env, ub_out))
    _mine_tx(env, early)


def test_slashing_from_staking_output_then_withdraw_change(env: Env) -> None:
    info = _info()
    outpoint = _stake(env, info)
    change = _change_info(info)
    signed = _slashing(info, outpoint, STAKE, change)
    stack = btx.witness(signed, 0)
    assert [g for g, _ in signature_slots(info.slashing_script)] == ["covenant"] * 5 + [
        "finality provider",
        "staker",
    ]
    assert sum(1 for item in stack[:5] if item) == QUORUM
    slash_txid = _mine_tx(env, signed)

    _, change_value = btx.output(signed, 1)
    change_out = btx.OutPoint(slash_txid, 1)
    wd = _withdraw(env, change, change_out, change_value, UNBONDING_TIME)
    _rejected(env, wd, "non-BIP68-final")
    env.node.mine(UNBONDING_TIME - 1)
    _mine_tx(env, wd)


def test_slashing_from_unbonding_output(env: Env) -> None:
    info = _info()
    outpoint = _stake(env, info)
    tx, cov_sigs, staker_sig = _unbond(env, info, outpoint)
    signed_ub = signing.signed_unbonding_tx(
        tx, info, staker_sig, signing.select_quorum(cov_sigs, QUORUM)
    )
    ub_txid = _mine_tx(env, signed_ub)
    ub = _unbonding_info(info)
    signed = _slashing(ub, btx.OutPoint(ub_txid, 0), ub.value, _change_info(info))
    _mine_tx(env, signed)


def test_withdrawal_from_staking_output_after_staking_time(env: Env) -> None:
    info = _info()
    outpoint = _stake(env, info)
    wd = _withdraw(env, info, outpoint, STAKE, STAKING_TIME)
    with pytest.raises(TxRejected, match="timelock not reached"):
        signing.check_timelock_mature(STAKING_TIME, _confirmations(env, outpoint))
    _rejected(env, wd, "non-BIP68-final")
    env.node.mine(STAKING_TIME - 2)
    _rejected(env, wd, "non-BIP68-final")  # one block short
    env.node.mine(1)
    signing.check_timelock_mature(STAKING_TIME, _confirmations(env, outpoint))
    # Our BIP341 sighash for every other hash type is the one bitcoind checks.
    leaf, cb = info.timelock_script, info.control_block(info.timelock_script)
    prevouts = [(STAKE, bytes(info.script_pubkey))]
    for hash_type in (0x01, 0x02, 0x03, 0x81, 0x82, 0x83):
        msg = taproot_script_sighash(wd, 0, prevouts, leaf, hash_type)
        sig = schnorr_sign(STAKER, msg, AUX, hash_type)
        verdict = _accept(env, btx.set_witness(wd, 0, [sig, leaf, cb]))
        assert verdict["allowed"], (hash_type, verdict)
    _mine_tx(env, wd)


# --- refused by l2kit AND rejected by bitcoind ------------------------------------------------


def test_bad_unbonding_witnesses_are_refused_and_rejected(env: Env) -> None:
    info = _info()
    outpoint = _stake(env, info)
    tx, cov_sigs, staker_sig = _unbond(env, info, outpoint)
    leaf, cb = info.unbonding_script, info.control_block(info.unbonding_script)
    sighash = signing.leaf_sighash(tx, info, leaf)
    desc = sorted(COV_PUBS, reverse=True)

    def items(signers: list[XOnlyPubKey], order: list[XOnlyPubKey] = desc) -> list[bytes]:
        return [cov_sigs[k] if k in signers else b"" for k in order] + [staker_sig]

    # quorum + 1 valid covenant signatures: OP_NUMEQUAL wants exactly 3
    four = desc[:4]
    with pytest.raises(TxRejected, match="4 covenant signatures given; the leaf needs exactly 3"):
        signing.signed_unbonding_tx(tx, info, staker_sig, {k: cov_sigs[k] for k in four})
    forced = _by_hand(tx, items(four), leaf, cb)
    with pytest.raises(TxRejected, match="4 covenant"):
        check_witness(btx.witness(forced, 0), sighash, info.output)
    _rejected(env, forced, "false/empty top stack element")

    # too few
    two = desc[:2]
    with pytest.raises(TxRejected, match="only 2 covenant"):
        signing.signed_unbonding_tx(tx, info, staker_sig, {k: cov_sigs[k] for k in two})
    _rejected(env, _by_hand(tx, items(two), leaf, cb), "false/empty top stack element")

    # wrong order: ascending instead of descending
    three = desc[:3]
    wrong_order = _by_hand(tx, items(three, sorted(COV_PUBS)), leaf, cb)
    with pytest.raises(TxRejected, match="invalid covenant signature"):
        check_witness(btx.witness(wrong_order, 0), sighash, info.output)
    _rejected(env, wrong_order, "Invalid Schnorr signature")

    # wrong leaf: the slashing leaf under the unbonding leaf's control block
    wrong_leaf = _by_hand(tx, items(three), info.slashing_script, cb)
    with pytest.raises(TxRejected, match="wrong leaf"):
        check_witness(btx.witness(wrong_leaf, 0), sighash, info.output, expected_leaf=leaf)
    with pytest.raises(TxRejected, match="control block"):
        check_witness(btx.witness(wrong_leaf, 0), sighash, info.output)
    _rejected(env, wrong_leaf, "Witness program hash mismatch")

    # and the right one still goes through
    good = _by_hand(tx, items(three), leaf, cb)
    check_witness(btx.witness(good, 0), sighash, info.output, expected_leaf=leaf)
    assert (
        good.serialize()
        == signing.signed_unbonding_tx(
            tx, info, staker_sig, {k: cov_sigs[k] for k in three}
        ).serialize()
    )
    _mine_tx(env, good)


# --- PSBT interop ---------------------------------------------------------------------------


def test_psbt_exported_is_decoded_by_bitcoind(env: Env) -> None:
    info = _info()
    outpoint = btx.OutPoint("22" * 32, 0)
    tx, cov_sigs, _ = _unbond(env, info, outpoint)
    leaf, cb = info.unbonding_script, info.control_block(info.unbonding_script)

    sigs = {(k, tap_leaf_hash(leaf)): s for k, s in list(cov_sigs.items())[:3]}
    text = P.to_psbt(tx, [(STAKE, bytes(info.script_pubkey))], leaf, cb, tap_script_sigs=sigs)
    decoded = env.rpc.call("decodepsbt", text)
    d_in = decoded["inputs"][0]
    assert d_in["witness_utxo"]["scriptPubKey"]["hex"] == bytes(info.script_pubkey).hex()
    assert d_in["taproot_internal_key"] == info.output.internal_key.hex()
    assert d_in["taproot_merkle_root"] == info.output.merkle_root.hex()
    assert d_in["taproot_scripts"][0]["script"] == leaf.hex()
    assert d_in["taproot_scripts"][0]["control_blocks"] == [cb.hex()]
    assert {s["pubkey"] for s in d_in["taproot_script_path_sigs"]} == {k.hex() for k, _ in sigs}
    assert decoded["tx"]["txid"] == btx.txid_hex(tx)


def test_psbt_from_wallet_is_imported(env: Env) -> None:
    info = _info()
    created = env.wallet.call(
        "walletcreatefundedpsbt", [], [{info.address: Decimal("0.001")}], 0, {"fee_rate": 2}
    )["psbt"]
    processed = env.wallet.call("walletprocesspsbt", created, True, "DEFAULT", True, False)["psbt"]
    for text in (created, processed):
        parsed = P.from_psbt(text)
        assert any(bytes(spk) == bytes(info.script_pubkey) for spk, _ in btx.outputs(parsed.tx))
        assert all(i.witness_utxo is not None for i in parsed.inputs)
        again = parsed.to_base64()
        assert P.from_psbt(again).serialize() == parsed.serialize()
        # bitcoind reads our re-serialization as the same PSBT
        assert env.rpc.call("decodepsbt", again) == env.rpc.call("decodepsbt", text)
    signed_inputs = P.from_psbt(processed).inputs
    assert all(i.final_script_witness or i.tap_key_sig or i.unknown for i in signed_inputs)


def test_cli_psbt_flow_unbonding_is_mined(
    env: Env, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """staker exports a PSBT → 3 covenant members sign it → finalize → bitcoind mines it."""
    import json

    def run(args: list[str]) -> dict[str, Any]:
        capsys.readouterr()  # drop earlier RPC debug logs
        code, out, err = run_main(["stake", "sign", *args, "--json"], capsys)
        assert code == 0, err
        result: dict[str, Any] = json.loads(out)
        return result

    def key(sk: bytes, name: str) -> str:
        path = tmp_path / name
        path.write_text(sk.hex())
        return str(path)

    info = _info()
    outpoint = _stake(env, info)
    tx = build_unbonding_tx(outpoint, STAKE, _unbonding_info(info))
    leaf = info.unbonding_script
    psbt_file = str(tmp_path / "unbonding.psbt")
    run(
        [
            btx.serialize(tx).hex(),
            "--key-file",
            key(STAKER, "staker"),
            "--prevout",
            f"{STAKE}:{bytes(info.script_pubkey).hex()}",
            "--leaf",
            leaf.hex(),
            "--control-block",
            info.control_block(leaf).hex(),
            "--psbt-out",
            psbt_file,
        ]
    )
    for i in (4, 1, 3):
        signed = run(
            ["--psbt", psbt_file, "--key-file", key(COVS[i], f"cov{i}"), "--psbt-out", psbt_file]
        )
        assert signed["signed"][0]["role"] == "covenant"
    assert env.rpc.call("decodepsbt", (tmp_path / "unbonding.psbt").read_text().strip())
    final = run(["--psbt", psbt_file, "--finalize"])
    _mine_tx(env, btx.parse(final["tx"]))


def test_bad_slashing_witnesses_are_refused_and_rejected(env: Env) -> None:
    """Undecrypted adaptor sigs, or no FP signature: l2kit refuses, bitcoind rejects."""
    info = _info()
    outpoint = _stake(env, info)
    tx = build_slashing_tx(
        outpoint, STAKE, SLASHING_SPK, SLASHING_RATE, SLASHING_FEE, _change_info(info)
    )
    leaf, cb = info.slashing_script, info.control_block(info.slashing_script)
    sighash = signing.leaf_sighash(tx, info, leaf)
    staker_sig = signing.sign_staker(STAKER, tx, info, leaf, aux=AUX)
    fp_sig = signing.sign_leaf(FP, tx, info, leaf, aux=AUX)
    adaptor_sigs = {
        COV_PUBS[i]: signing.covenant_adaptor_sign_slashing(COVS[i], tx, info)[0] for i in range(5)
    }
    desc = sorted(COV_PUBS, reverse=True)
    chosen = desc[:QUORUM]
    # the adaptor sig's R0.x ‖ s0 is not a valid signature until decrypted with the FP secret
    raw = {k: adaptor_sigs[k].r0[1:] + adaptor_sigs[k].s0.to_bytes(32, "big") for k in chosen}
    with pytest.raises(TxRejected, match="invalid covenant signature"):
        slashing_witness(raw, {info.fps[0]: fp_sig}, staker_sig, info, sighash=sighash)
    undecrypted = _by_hand(tx, [raw.get(k, b"") for k in desc] + [fp_sig, staker_sig], leaf, cb)
    _rejected(env, undecrypted, "Invalid Schnorr signature")

    decrypted = signing.decrypt_covenant_sigs({k: adaptor_sigs[k] for k in chosen}, FP, tx, info)
    with pytest.raises(TxRejected, match="only 0 finality provider"):
        slashing_witness(decrypted, {}, staker_sig, info, sighash=sighash)
    no_fp = _by_hand(tx, [decrypted.get(k, b"") for k in desc] + [b"", staker_sig], leaf, cb)
    with pytest.raises(TxRejected, match="0 finality provider"):
        check_witness(btx.witness(no_fp, 0), sighash, info.output)
    _rejected(env, no_fp, "script-verify-flag-failed")

    good = slashing_witness(decrypted, {info.fps[0]: fp_sig}, staker_sig, info, sighash=sighash)
    _mine_tx(env, btx.set_witness(tx, 0, good))
