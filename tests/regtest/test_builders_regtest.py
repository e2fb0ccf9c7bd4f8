"""Part B's builders against a real Bitcoin Core: dust thresholds, fee estimates, and the
phase-1 staking tx (V0 OP_RETURN) recognised after it is mined.

Witnessed spends of every staking output are in ``test_staking_acceptance.py`` (Part C).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network, address_to_script
from l2kit.btc.rpc import RpcClient
from l2kit.errors import TxRejected
from l2kit.staking.identifiable import build_v0_op_return, parse_staking_tx
from l2kit.staking.inspect import inspect_tx
from l2kit.staking.params import ParamsSet, regtest_params
from l2kit.staking.scripts import slashing_change_info, staking_info
from l2kit.staking.transactions import Utxo, build_slashing_tx, build_staking_tx

NET = Network.REGTEST
STAKER, FP, C1, C2, C3 = (xonly_of(bytes([0x40 + i]) * 32) for i in range(5))
PARAMS = regtest_params([C1, C2, C3], 2)


@pytest.fixture(scope="module")
def wallet(regtest_node: Any) -> RpcClient:
    w: RpcClient = regtest_node.new_wallet(fund_btc=3)
    # a P2WPKH and a P2TR UTXO, so both input kinds of the fee estimate are exercised
    w.sendtoaddress(w.getnewaddress(address_type="bech32"), Decimal("0.5"))
    w.sendtoaddress(w.getnewaddress(address_type="bech32m"), Decimal("0.5"))
    regtest_node.mine(1)
    return w


def _utxos(wallet: RpcClient) -> list[Utxo]:
    return [
        Utxo(
            btx.OutPoint(u["txid"], u["vout"]),
            int(Decimal(str(u["amount"])) * 10**8),
            bytes.fromhex(u["scriptPubKey"]),
        )
        for u in wallet.call("listunspent", 1)
    ]


def _signed(wallet: RpcClient, tx: Any) -> Any:
    res = wallet.call("signrawtransactionwithwallet", btx.serialize(tx).hex())
    assert res["complete"], res
    return btx.parse(res["hex"])


def _accept(rpc: RpcClient, tx: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = rpc.call("testmempoolaccept", [btx.serialize(tx).hex()])[0]
    return verdict


@pytest.mark.parametrize(
    "script_pubkey",
    [
        b"\x51\x20" + b"\x11" * 32,
        b"\x00\x14" + b"\x22" * 20,
        b"\x00\x20" + b"\x33" * 32,
        b"\x76\xa9\x14" + b"\x44" * 20 + b"\x88\xac",
        b"\xa9\x14" + b"\x55" * 20 + b"\x87",
    ],
    ids=["p2tr", "p2wpkh", "p2wsh", "p2pkh", "p2sh"],
)
def test_dust_threshold_is_bitcoin_cores(
    regtest_node: Any, wallet: RpcClient, script_pubkey: bytes
) -> None:
    threshold = btx.dust_threshold(script_pubkey)
    utxo = max(_utxos(wallet), key=lambda u: u.value)
    change = bytes(address_to_script(wallet.getnewaddress(), NET))
    for value, allowed in ((threshold - 1, False), (threshold, True)):
        assert btx.is_dust(script_pubkey, value) is not allowed
        tx = btx.new_tx(
            2,
            [(utxo.outpoint, 0xFFFFFFFD)],
            [(script_pubkey, value), (change, utxo.value - value - 2_000)],
        )
        verdict = _accept(regtest_node.rpc, _signed(wallet, tx))
        assert verdict["allowed"] is allowed, (value, verdict)
        if not allowed:
            assert verdict["reject-reason"] == "dust"


def test_staking_tx_fee_estimate_and_recognition(regtest_node: Any, wallet: RpcClient) -> None:
    utxos = _utxos(wallet)
    p2wpkh = [u for u in utxos if u.script_pubkey[:2] == b"\x00\x14"]
    p2tr = [u for u in utxos if u.script_pubkey[:2] == b"\x51\x20"]
    assert p2wpkh and p2tr
    value = p2wpkh[0].value + 10_000  # needs both a P2WPKH and a P2TR input
    si = staking_info(STAKER, [FP], [C1, C2, C3], 2, 10, value, NET)
    op_return = build_v0_op_return(PARAMS.tag or b"", STAKER, FP, 10)
    change = bytes(address_to_script(wallet.getnewaddress(), NET))
    unsigned = build_staking_tx([p2wpkh[0], p2tr[0]], si, change, 3, op_return, select=False)
    signed = _signed(wallet, unsigned)
    verdict = _accept(regtest_node.rpc, signed)
    assert verdict["allowed"], verdict
    fee = int(Decimal(str(verdict["fees"]["base"])) * 10**8)
    vsize = int(verdict["vsize"])
    assert vsize == btx.vsize(signed)
    # never below the target rate; at most the DER-signature slack (1 byte) above it
    assert math.ceil(3 * vsize) <= fee <= 3 * (vsize + 1)

    txid = regtest_node.rpc.call("sendrawtransaction", btx.serialize(signed).hex())
    regtest_node.mine(1)
    mined = btx.parse(regtest_node.rpc.call("getrawtransaction", txid))
    parsed = parse_staking_tx(mined, PARAMS, NET)
    assert parsed is not None
    assert (parsed.staking_output_index, parsed.staking_value) == (0, value)
    report = inspect_tx(mined, NET, ParamsSet([PARAMS]))
    assert report["kind"] == "staking" and report["probable"] is False
    assert report["params_versions"] == [0]


def test_slashing_change_dust_refused_like_core(regtest_node: Any, wallet: RpcClient) -> None:
    """The builder refuses a 329-sat P2TR change; Core would reject that output as dust."""
    change = slashing_change_info(STAKER, 5, net=NET)
    with pytest.raises(TxRejected, match="dust"):
        build_slashing_tx(
            btx.OutPoint("aa" * 32, 0),
            10_000,
            PARAMS.slashing_pk_script or b"",
            "0.1",
            10_000 - 1_000 - 329,
            change,
        )
    assert btx.dust_threshold(change.script_pubkey) == 330
