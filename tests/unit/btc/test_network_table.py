"""The one network table: the Literal types and the enum name exactly its records."""

from __future__ import annotations

from typing import get_args

from l2kit.babylon_networks import PUBLIC
from l2kit.btc.network import NETWORKS, ChainName, Network, NetworkName


def test_types_are_the_table() -> None:
    assert tuple(NETWORKS) == get_args(NetworkName)
    assert tuple(r.chain for r in NETWORKS.values()) == get_args(ChainName)
    assert {n.value for n in Network} == set(NETWORKS)
    assert all(name == r.name for name, r in NETWORKS.items())


def test_public_babylon_chains_come_from_the_table() -> None:
    public = {n: r.babylon_chain_id for n, r in NETWORKS.items() if r.babylon_chain_id}
    assert public == {n: c.chain_id for n, c in PUBLIC.items()}
    assert all(NETWORKS[n].babylon for n in public)


def test_choice_lists_come_from_the_table() -> None:
    from l2kit.cli.stake_args import NETWORK_CHOICES
    from l2kit.render.profiles import INIT_NETWORKS
    from l2kit.staking.conformance import _NETWORKS

    assert NETWORK_CHOICES == ("mainnet", "signet", "testnet", "testnet3", "testnet4", "regtest")
    assert INIT_NETWORKS == ("regtest", "signet", "testnet4", "mainnet")  # no deprecated testnet3
    assert set(_NETWORKS) == {"mainnet", "signet", "testnet3", "testnet", "regtest"}  # no testnet4
    assert all(NETWORKS[n].babylon_btc_config for n in NETWORKS if NETWORKS[n].babylon)
    for r in NETWORKS.values():
        assert all(Network.parse(name) is Network(r.name) for name in (*r.names, r.chain))
