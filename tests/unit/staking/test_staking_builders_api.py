"""The Part B names other parts code against (``/work/staking-api.md``) exist and are exported."""

from __future__ import annotations

import importlib
import inspect

import pytest

CONTRACT = {
    "l2kit.btc.network": ["Network", "p2tr_address", "address_to_script"],
    "l2kit.btc.keys": ["XOnlyPubKey", "parse_pubkey", "check_unique", "xonly_of", "Txid"],
    "l2kit.btc.script": ["Script", "push_int", "push_bytes", "decode"],
    "l2kit.btc.taproot": [
        "NUMS_X",
        "tap_leaf_hash",
        "tap_branch_hash",
        "TaprootOutput",
        "taproot_output",
    ],
    "l2kit.btc.tx": ["new_tx", "serialize", "parse", "txid_hex", "vsize", "is_dust", "OutPoint"],
    "l2kit.staking.scripts": [
        "timelock_script",
        "unbonding_script",
        "slashing_script",
        "multisig_script",
        "StakingInfo",
        "staking_info",
        "UnbondingInfo",
        "unbonding_info",
        "SlashingChangeInfo",
        "slashing_change_info",
    ],
    "l2kit.staking.identifiable": ["build_v0_op_return", "parse_staking_tx", "ParsedStakingTx"],
    "l2kit.staking.params": [
        "Phase1Params",
        "Phase2Params",
        "load_global_params",
        "ParamsSet",
        "check_stake",
        "check_unbonding",
        "regtest_params",
    ],
    "l2kit.staking.transactions": [
        "build_staking_tx",
        "build_unbonding_tx",
        "build_slashing_tx",
        "slashing_amount",
        "build_withdrawal_tx",
    ],
    "l2kit.staking.conformance": ["conformance"],
}


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_contract_names_exported(module: str) -> None:
    mod = importlib.import_module(module)
    exported = set(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ lists missing {name}"
    assert set(CONTRACT[module]) <= exported


def test_contract_signatures() -> None:
    from l2kit.staking import params, scripts, transactions

    def names(f: object) -> list[str]:
        return list(inspect.signature(f).parameters)  # type: ignore[arg-type]

    assert names(scripts.staking_info)[:7] == [
        "staker",
        "fps",
        "covenants",
        "quorum",
        "staking_time",
        "value",
        "net",
    ]
    assert names(scripts.unbonding_info)[:7] == [
        "staker",
        "fps",
        "covenants",
        "quorum",
        "unbonding_time",
        "value",
        "net",
    ]
    assert names(transactions.build_staking_tx)[:5] == [
        "utxos",
        "staking_info",
        "change_script",
        "fee_rate",
        "op_return",
    ]
    assert names(transactions.build_slashing_tx)[:6] == [
        "outpoint",
        "input_value",
        "slashing_pk_script",
        "slashing_rate",
        "slashing_fee",
        "change_info",
    ]
    assert names(transactions.build_withdrawal_tx)[:5] == [
        "outpoint",
        "value",
        "sequence",
        "dest_script",
        "fee_rate",
    ]
    assert names(params.regtest_params)[:2] == ["covenant_pks", "quorum"]
    assert issubclass(params.Phase1Params, params.StakingParams)
    assert issubclass(params.Phase2Params, params.StakingParams)
