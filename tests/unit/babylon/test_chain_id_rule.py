"""One chain-id rule for the stack spec and the stake commands: a network with a public
Babylon chain needs exactly that chain; regtest takes private devnets, never a public chain."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.babylon.devchain import DevChain
from l2kit.babylon_networks import PUBLIC, chain_id_problem
from l2kit.btc.network import Network
from l2kit.cli.stake_babylon import open_babylon
from l2kit.errors import InputError


@given(
    st.sampled_from(["mainnet", "signet", "regtest"]),
    st.sampled_from(["bbn-1", "bbn-test-6", "bbn-devnet-1", "chain-test"]),
)
def test_rule(network: str, chain_id: str) -> None:
    problem = chain_id_problem(network, chain_id)
    public = PUBLIC.get(network)
    public_ids = {p.chain_id for p in PUBLIC.values()}
    fine = chain_id == public.chain_id if public else chain_id not in public_ids
    assert (problem is None) == fine
    if problem is not None:  # both wordings name the chain id that was found
        assert chain_id in str(problem) and f"the node runs {chain_id}" in problem.on_node()


def test_wordings() -> None:
    signet = chain_id_problem("signet", "bbn-test-5")
    assert signet is not None
    assert str(signet).startswith("Babylon's signet chain is bbn-test-6 (")
    assert signet.on_node() == "signet stakes with bbn-test-6, the node runs bbn-test-5"
    regtest = chain_id_problem("regtest", "bbn-1")
    assert regtest is not None
    assert str(regtest) == "bbn-1 is Babylon's mainnet chain, not a regtest one"
    assert regtest.on_node() == (
        "regtest stakes on a private devnet, the node runs bbn-1 (Babylon's mainnet chain)"
    )


def test_a_regtest_stake_refuses_a_node_on_a_public_chain(tmp_path: Path) -> None:
    key = tmp_path / "bbn.key"
    key.write_text("44" * 32)
    with (
        DevChain(chain_id="bbn-1", block_time=3600) as chain,
        pytest.raises(InputError, match="regtest stakes on a private devnet") as err,
    ):
        open_babylon(Network.REGTEST, chain.url, key, None, Decimal("0.002"), Decimal("1.5"))
    assert err.value.field == "chain-id"
