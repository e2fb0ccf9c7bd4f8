"""bitcoind's wallet signs the funding inputs of a staking tx exported by l2kit as a PSBT.

l2kit builds the staking tx (``build_staking_tx``) from wallet UTXOs of both kinds it supports
(P2WPKH and P2TR key path), exports it with ``psbt.to_psbt`` (WITNESS_UTXO per input), and
``walletprocesspsbt`` must sign and finalize every input without changing the tx.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from support.keys import seckey

from l2kit.btc import psbt as P
from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network, address_to_script
from l2kit.staking.identifiable import build_v0_op_return
from l2kit.staking.scripts import staking_info
from l2kit.staking.transactions import Utxo, build_staking_tx

pytestmark = pytest.mark.regtest
NET = Network.REGTEST


def test_walletprocesspsbt_signs_l2kit_staking_psbt(regtest_node: Any) -> None:
    wallet = regtest_node.new_wallet(fund_btc=1)
    # one P2TR (key path) and one P2WPKH UTXO of our own, made by ONE tx: with two
    # sendtoaddress calls, coin selection may spend the first 0.3 output in the second
    amounts = {wallet.getnewaddress("", kind): Decimal("0.3") for kind in ("bech32m", "bech32")}
    wallet.call("sendmany", "", amounts)
    regtest_node.mine(1)
    utxos = [
        Utxo(
            btx.OutPoint(u["txid"], u["vout"]),
            int(Decimal(str(u["amount"])) * 100_000_000),
            bytes.fromhex(u["scriptPubKey"]),
        )
        for u in wallet.call("listunspent", 1)
        if Decimal(str(u["amount"])) == Decimal("0.3")
    ]
    assert sorted(u.script_pubkey[:2].hex() for u in utxos) == ["0014", "5120"]
    staker = xonly_of(seckey("l2kit-review-psbt/staker"))
    fp = xonly_of(seckey("l2kit-review-psbt/fp"))
    covs = [xonly_of(seckey(f"l2kit-review-psbt/cov{i}")) for i in range(3)]
    info = staking_info(staker, [fp], covs, 2, 100, 50_000_000, NET)
    op = build_v0_op_return(b"l2kt", staker, fp, 100)
    change = bytes(address_to_script(wallet.getnewaddress(), NET))
    unsigned = build_staking_tx(utxos, info, change, 2, op, select=False)

    text = P.to_psbt(unsigned, [(u.value, u.script_pubkey) for u in utxos])
    processed = wallet.call("walletprocesspsbt", text, True, "DEFAULT", True, True)
    assert processed["complete"], processed
    signed = btx.parse(processed["hex"])
    assert btx.txid_hex(signed) == btx.txid_hex(unsigned)
    assert btx.outputs(signed) == btx.outputs(unsigned)
    [verdict] = regtest_node.rpc.call("testmempoolaccept", [processed["hex"]])
    assert verdict["allowed"], verdict
    # the estimated fee (2 sat/vB) is met by the real signed size
    fee = sum(u.value for u in utxos) - sum(v for _, v in btx.outputs(signed))
    assert fee >= 2 * btx.vsize(signed)
