"""`l2kit stake register --offline` on the real regtest bitcoind, checked from outside, and the
transactions inside the message with their final witnesses through ``testmempoolaccept``."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import bip322 as rust
import coincurve
import pytest
from support.lifecycle_helpers import FEE, FP_SECRET, MAX_FEE, STAKER_SECRET

from l2kit.babylon.address import BabylonAddress
from l2kit.babylon.proto import decode_bip322_sig, decode_create_delegation
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network, script_to_address
from l2kit.errors import ChainRuleError, InputError
from l2kit.staking import chain
from l2kit.staking.covenant import SpendContext
from l2kit.staking.pop import bip322_psbt, pop_from_psbt, sign_pop_with_wallet, verify_pop
from l2kit.staking.register_offline import (
    add_inclusion_proof,
    register_post_staking,
    release_held,
)
from l2kit.staking.registration import ChainFacts, Flow, build_registration, check_registration
from l2kit.staking.scripts import staking_info, unbonding_info
from l2kit.staking.signing import sign_staker, signed_slashing_tx, signed_unbonding_tx
from l2kit.staking.states import State
from l2kit.staking.tracker import Tracker

BBN = BabylonAddress.from_account(b"\x5a" * 20)
NET = Network.REGTEST


def _register_args(
    env: Any, key: Path | None = None, *, offline: bool = True, as_json: bool = True
) -> tuple[str, ...]:
    """``stake register`` of 100,000 sat for 30 blocks to the test FP, with the local params."""
    params = env.data_dir / "covenant" / "params.json"
    return (
        "register",
        "--staker-key-file",
        str(key or env.data_dir / "staker.key"),
        "--fp",
        env.fp.hex(),
        "--amount",
        "100000",
        "--time",
        "30",
        "--babylon-address",
        BBN.text,
        "--params",
        str(params),
        *(["--offline"] if offline else []),
        *(["--json"] if as_json else []),
    )


def _register(env: Any, *extra: str, key: Path | None = None) -> Any:
    return env.cli(*_register_args(env, key), *extra)


def _wallet_state(env: Any) -> tuple[Any, ...]:
    locks = sorted((o["txid"], o["vout"]) for o in env.wallet.call("listlockunspent"))
    utxos = sorted((u["txid"], u["vout"]) for u in env.wallet.call("listunspent", 0))
    db = env.data_dir / "stakes.db"
    return locks, utxos, db.read_bytes() if db.exists() else None


@pytest.mark.parametrize("pop", ["bip322", "bip340", "ecdsa"])
def test_offline_contract(env: Any, pop: str) -> None:
    assert (env.data_dir / "covenant" / "params.json").exists()
    res = _register(env, "--pop", pop)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)  # exactly one JSON object
    assert out["type_url"] == "/babylon.btcstaking.v1.MsgCreateBTCDelegation"
    assert out["flow"] == "pre-staking" and out["pop_type"] == pop
    assert out["state"] == State.REGISTRATION_PENDING.value
    msg = decode_create_delegation(bytes.fromhex(out["msg_hex"]))
    assert msg.staker_addr == BBN.text and msg.btc_pk == xonly_of(STAKER_SECRET)
    assert msg.fp_btc_pk_list == (env.fp,) and msg.staking_value == 100_000
    assert msg.staking_tx_inclusion_proof is None
    verify_pop(msg.pop, BBN, msg.btc_pk, NET)
    if pop == "bip322":
        sig = decode_bip322_sig(msg.pop.btc_sig)
        rust.verify_simple_encoded(sig.address, BBN.text, base64.b64encode(sig.sig).decode())
    if pop == "ecdsa":  # bitcoind's own BIP-137 verifier, on the staker key's P2PKH address
        pub = coincurve.PrivateKey(STAKER_SECRET).public_key.format(compressed=True)
        h160 = hashlib.new("ripemd160", hashlib.sha256(pub).digest()).digest()
        p2pkh = script_to_address(b"\x76\xa9\x14" + h160 + b"\x88\xac", NET)
        sig64 = base64.b64encode(msg.pop.btc_sig).decode()
        assert env.node.rpc.call("verifymessage", p2pkh, sig64, BBN.text) is True
        assert env.node.rpc.call("verifymessage", p2pkh, sig64, BBN.text + "x") is False
    txid = out["staking_txid"]
    assert btx.txid_hex(btx.parse(msg.staking_tx)) == txid
    # funded from the wallet, NOT broadcast, inputs locked
    assert chain.observe(env.node.rpc, txid).confirmations == -1
    locked = {f"{o['txid']}:{o['vout']}" for o in env.wallet.call("listlockunspent")}
    assert set(out["locked_inputs"]) <= locked and out["locked_inputs"]
    # the chain's checks pass on the printed bytes
    tip = int(env.node.rpc.call("getblockcount"))
    check_registration(
        bytes.fromhex(out["msg_hex"]), env.life.params, NET, ChainFacts(btc_tip_height=tip)
    )
    # listing syncs with the chain but never sends a held staking tx
    listed = env.cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["staking_txid"] == txid)
    assert row["state"] == State.REGISTRATION_PENDING.value
    assert chain.observe(env.node.rpc, txid).confirmations == -1
    # the same request again: the recorded registration, nothing new funded
    before = _wallet_state(env)[:2]
    again = _register(env, "--pop", pop)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["staking_txid"] == txid and json.loads(again.stdout)["existing"]
    assert _wallet_state(env)[:2] == before


def test_locks_survive_a_wallet_reload(env: Any) -> None:
    res = _register(env)
    assert res.returncode == 0, res.stderr
    inputs = json.loads(res.stdout)["locked_inputs"]
    env.node.rpc.call("unloadwallet", env.wallet_name)
    env.node.rpc.call("loadwallet", env.wallet_name)
    locked = {f"{o['txid']}:{o['vout']}" for o in env.wallet.call("listlockunspent")}
    assert set(inputs) <= locked  # persistent locks (lockunspent … persistent=true)


BAD = [
    (
        ["--babylon-address", BBN.text[:-1] + ("q" if BBN.text[-1] != "q" else "p")],
        "babylon-address",
    ),
    (
        ["--babylon-address", BabylonAddress.from_account(b"\x01" * 20, "cosmos").text],
        "babylon-address",
    ),
    (["--fp", "02" + "11" * 32], "fp"),  # a second FP: Babylon accepts exactly one
    (["--amount", "5"], "staking_value"),
    (["--time", "70000"], "staking_time"),
    (["--pop", "schnorr"], "pop"),
    (["--fee-rate", "60"], "fee-rate"),
]


@pytest.mark.parametrize(("args", "field"), BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_changes_nothing(env: Any, args: list[str], field: str) -> None:
    before = _wallet_state(env)
    res = _register(env, *args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert field in lines[0] or "invalid value" in lines[0], lines[0]
    assert res.stdout == ""
    assert _wallet_state(env) == before


def test_without_offline_and_with_a_missing_key(env: Any) -> None:
    before = _wallet_state(env)
    res = env.cli(*_register_args(env, offline=False))
    assert res.returncode == 2
    assert res.stderr.strip() == (  # online needs a Babylon node (p2-chain's flow)
        "error: babylon-rest: needed to register online (or --offline: build and record only)"
    )
    fresh = env.data_dir / "new.key"
    res = _register(env, "--amount", "5", key=fresh)
    assert res.returncode == 2 and not fresh.exists()  # no key written for rejected input
    missing = _register(env, "--params", str(env.data_dir / "nope.json"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert _wallet_state(env) == before


def _covenant_sigs(
    env: Any, tx: Any, value: int, spk: bytes, leaf: bytes
) -> dict[XOnlyPubKey, bytes]:
    return env.committee.sign_unbonding(SpendContext(tx, value, spk, leaf))


def test_message_transactions_pass_testmempoolaccept_with_final_witnesses(env: Any) -> None:
    res = _register(env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    msg = decode_create_delegation(bytes.fromhex(out["msg_hex"]))
    stake = env.tracker.find(out["staking_txid"])
    raw = env.tracker.txs(stake.id)["staking"].raw_hex
    # the held staking tx is complete (signed by the wallet) and valid, though unsent
    assert env.node.rpc.call("testmempoolaccept", [raw])[0]["allowed"]
    # what the chain would see: the staking tx in the message has the recorded txid
    assert btx.txid_hex(btx.parse(msg.staking_tx)) == stake.staking_txid
    stake = release_held(env.life, stake)  # "VERIFIED": broadcast it
    assert stake.state is State.BROADCAST
    env.node.mine(1)
    assert env.life.sync_one(stake).state is State.CONFIRMED
    staker, fps = xonly_of(STAKER_SECRET), [xonly_of(FP_SECRET)]
    p = env.life.params.latest
    covs = tuple(p.covenant_pks)
    info = staking_info(
        staker, fps, covs, p.covenant_quorum, msg.staking_time, msg.staking_value, NET
    )
    unb = unbonding_info(
        staker, fps, covs, p.covenant_quorum, msg.unbonding_time, msg.unbonding_value, NET
    )
    spk = bytes(info.script_pubkey)
    # unbonding tx of the message: staker + covenant quorum
    unbonding = btx.parse(msg.unbonding_tx)
    cov = _covenant_sigs(env, unbonding, msg.staking_value, spk, bytes(info.unbonding_script))
    staker_sig = sign_staker(STAKER_SECRET, unbonding, info, info.unbonding_script)
    signed_unb = signed_unbonding_tx(unbonding, info, staker_sig, dict(list(cov.items())[:2]))
    unb_hex = btx.serialize(signed_unb).hex()
    assert env.node.rpc.call("testmempoolaccept", [unb_hex])[0]["allowed"]
    # slashing tx of the message: the message's staker sig + covenant adaptor sigs + FP sig
    for tx_raw, sig, spent, value, prev in (
        (msg.slashing_tx, msg.delegator_slashing_sig, info, msg.staking_value, []),
        (
            msg.unbonding_slashing_tx,
            msg.delegator_unbonding_slashing_sig,
            unb,
            msg.unbonding_value,
            [unb_hex],
        ),
    ):
        slash = btx.parse(tx_raw)
        ctx = SpendContext(slash, value, bytes(spent.script_pubkey), bytes(spent.slashing_script))
        adaptor = env.committee.adaptor_sign_slashing(ctx, spent.fps)
        by_cov = {c: s for (c, _), s in adaptor.items()}
        final = signed_slashing_tx(slash, spent, sig, by_cov, FP_SECRET)
        results = env.node.rpc.call("testmempoolaccept", [*prev, btx.serialize(final).hex()])
        assert all(r["allowed"] for r in results), results


def test_post_staking_registration_and_inclusion_proof(env: Any) -> None:
    stake, _ = env.life.create(env.request(value=100_000, time=40), STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(1)
    # a staking tx already in a block must not be registered pre-staking
    raw = env.node.rpc.call("getrawtransaction", stake.staking_txid)
    seen = chain.observe(env.node.rpc, stake.staking_txid)
    with pytest.raises(ChainRuleError) as err:
        build_registration(
            staker_seckey=STAKER_SECRET,
            staker=BBN,
            fp_pks=[env.fp],
            staking_tx=btx.parse(raw),
            staking_time=40,
            staking_value=100_000,
            params=env.life.params,
            net=NET,
            facts=ChainFacts(
                btc_tip_height=int(env.node.rpc.call("getblockcount")),
                staking_tx_confirmations=seen.confirmations,
            ),
        )
    assert err.value.rule == "prestaking.included"
    with pytest.raises(ChainRuleError) as err:  # not k-deep yet
        register_post_staking(env.life, env.life.get(stake.staking_txid), STAKER_SECRET, BBN, 3)
    assert err.value.rule == "inclusion.depth"
    env.node.mine(3)
    reg = register_post_staking(env.life, env.life.get(stake.staking_txid), STAKER_SECRET, BBN, 3)
    assert reg.flow is Flow.POST_STAKING and reg.msg.staking_tx_inclusion_proof is not None
    block = env.node.rpc.call("getblock", seen.block_hash, 1)
    proof = reg.msg.staking_tx_inclusion_proof
    assert proof.block_hash == bytes.fromhex(seen.block_hash)[::-1]
    assert block["tx"][proof.index] == stake.staking_txid
    msg, raw_msg = add_inclusion_proof(env.life, env.life.get(stake.staking_txid), BBN, 3)
    assert msg.staking_tx_hash == stake.staking_txid and raw_msg


def test_descriptor_wallet_signs_bip322_pops(env: Any) -> None:
    for kind in ("bech32m", "bech32"):
        address = env.wallet.call("getnewaddress", "", kind)
        info = env.wallet.call("getaddressinfo", address)
        if kind == "bech32":
            btc_pk = bytes.fromhex(info["pubkey"])[1:]
        else:  # tr([fingerprint/86h/1h/0h/0/i]<x-only internal key>)#checksum
            btc_pk = bytes.fromhex(info["desc"].split("]")[1].split(")")[0])
        pop = sign_pop_with_wallet(env.wallet, BBN, btc_pk, address, NET)
        verify_pop(pop, BBN, btc_pk, NET)
        sig = decode_bip322_sig(pop.btc_sig)
        assert sig.address == address
        rust.verify_simple_encoded(address, BBN.text, base64.b64encode(sig.sig).decode())
        # the PSBT path, with bitcoind as the external signer
        psbt = bip322_psbt(BBN, address, NET)
        done = env.wallet.call("walletprocesspsbt", psbt, True, "DEFAULT", True, True)
        from_psbt = pop_from_psbt(done["psbt"], BBN, btc_pk, address, NET)
        verify_pop(from_psbt, BBN, btc_pk, NET)
    foreign = env.node.wallet.call("getnewaddress", "", "bech32m")  # another wallet's key
    with pytest.raises(InputError, match="does not hold the key"):
        sign_pop_with_wallet(env.wallet, BBN, xonly_of(STAKER_SECRET), foreign, NET)


def test_abandon_unlocks_and_never_sends(env: Any) -> None:
    res = _register(env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    gone = env.cli("abandon", out["staking_txid"], "--json")
    assert gone.returncode == 0, gone.stderr
    assert json.loads(gone.stdout)["state"] == State.ABANDONED.value
    locked = {f"{o['txid']}:{o['vout']}" for o in env.wallet.call("listlockunspent")}
    assert not locked & set(out["locked_inputs"])
    assert env.cli("list", "--json").returncode == 0
    assert chain.observe(env.node.rpc, out["staking_txid"]).confirmations == -1
    again = env.cli("abandon", out["staking_txid"])  # idempotent
    assert again.returncode == 0, again.stderr


def test_kill_9_after_funding_leaves_nothing(env: Any) -> None:
    before = _wallet_state(env)
    res = env.cli(*_register_args(env), crash_at="register-after-fund")
    assert res.returncode == -9, res.stderr
    locks, utxos, db = _wallet_state(env)
    assert locks == before[0] and db == before[2]  # nothing locked, nothing recorded
    assert utxos == before[1]  # nothing sent either


def test_kill_9_before_the_locks_then_rerun(env: Any) -> None:
    args = _register_args(env)
    res = env.cli(*args, crash_at="register-before-lock")
    assert res.returncode == -9, res.stderr
    with Tracker(env.data_dir / "stakes.db") as tracker:
        [stake] = tracker.all()
    assert stake.state is State.REGISTRATION_PENDING
    again = env.cli(*args)
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["existing"] and out["staking_txid"] == stake.staking_txid
    locked = {f"{o['txid']}:{o['vout']}" for o in env.wallet.call("listlockunspent")}
    assert set(out["locked_inputs"]) <= locked


def test_human_output(env: Any) -> None:
    res = env.cli(*_register_args(env, as_json=False))
    assert res.returncode == 0, res.stderr
    rows = dict(line.split(None, 1) for line in res.stdout.strip().splitlines())
    assert rows["state"] == "REGISTRATION_PENDING" and rows["flow"] == "pre-staking"
    assert decode_create_delegation(bytes.fromhex(rows["msg_hex"])).staker_addr == BBN.text
    assert "None" not in res.stdout


def test_post_staking_from_the_cli(env: Any) -> None:
    stake, _ = env.life.create(env.request(value=100_000, time=40), STAKER_SECRET, FEE, MAX_FEE)
    env.node.mine(1)
    params = env.data_dir / "covenant" / "params.json"
    args = (
        "register",
        "--stake",
        stake.staking_txid,
        "--confirmation-depth",
        "2",
        "--staker-key-file",
        str(env.data_dir / "staker.key"),
        "--babylon-address",
        BBN.text,
        "--params",
        str(params),
        "--offline",
        "--json",
    )
    early = env.cli(*args)
    assert early.returncode == 2 and "inclusion.depth" in early.stderr
    assert len(early.stderr.strip().splitlines()) == 1
    env.node.mine(2)
    res = env.cli(*args)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["flow"] == "post-staking" and out["has_inclusion_proof"]
    assert out["staking_txid"] == stake.staking_txid
    msg = decode_create_delegation(bytes.fromhex(out["msg_hex"]))
    assert msg.staking_tx_inclusion_proof is not None and msg.staking_tx_inclusion_proof.index > 0
    mixed = env.cli(*args, "--amount", "5")
    assert mixed.returncode == 2 and mixed.stderr.startswith("error: stake: ")
