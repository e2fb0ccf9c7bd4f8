"""The public Babylon Genesis chains, one record per BTC network (facts with provenance).

Source: babylonlabs-io/networks@05db270 (2025-12-01): ``bbn-1/README.md`` (mainnet) and
``bbn-test-6/README.md`` (testnet); each chain's ``babylon-node/README.md`` sets
``[btc-config] network`` (mainnet, signet). The upgrade lists
(``bbn-1/network-artifacts/upgrades/README.md``, ``bbn-test-6/babylon-node/upgrades/README.md``)
end with the v4.2 upgrade (v4.2.0 at heights 2,072,934 and 469,778); v4.2.1..v4.2.7 are
non-state-breaking patch releases of that line (babylonlabs-io/babylon@v4.2.7:CHANGELOG.md), so
the release these chains run is the latest v4.2.x. Testnet images carry a ``-testnet`` suffix
(``bbn-test-6/babylon-node/upgrades/v4.2/README.md``).

Babylon runs no chain on testnet3 or testnet4; regtest chains are private devnets.
"""

from __future__ import annotations

from dataclasses import dataclass

from l2kit.btc.network import record

_RAW = "https://raw.githubusercontent.com/babylonlabs-io/networks/main"


@dataclass(frozen=True)
class BabylonChainInfo:
    chain_id: str
    btc_network: str
    version: str  # babylond release the chain runs (latest patch of its upgrade line)
    image_suffix: str  # babylonlabs/babylond:<version><suffix>
    genesis_url: str
    provenance: str


def _chain_id(network: str) -> str:
    chain_id = record(network).babylon_chain_id
    assert chain_id is not None, network  # the table names a public chain for these networks
    return chain_id


PUBLIC: dict[str, BabylonChainInfo] = {
    "mainnet": BabylonChainInfo(
        _chain_id("mainnet"), "mainnet", "v4.2.7", "",
        f"{_RAW}/bbn-1/network-artifacts/genesis.json",
        "babylonlabs-io/networks@05db270:bbn-1/README.md"),
    "signet": BabylonChainInfo(
        _chain_id("signet"), "signet", "v4.2.7", "-testnet",
        f"{_RAW}/bbn-test-6/network-artifacts/genesis.json",
        "babylonlabs-io/networks@05db270:bbn-test-6/README.md"),
}
DEVNET_CHAIN_ID = "chain-test"  # `babylond testnet` default chain id for a private devnet
BABYLOND_VERSION = "v4.2.7"


def chain_id_problem(network: str, chain_id: str) -> str | None:
    """Why ``chain_id`` is wrong for a Babylon chain on BTC ``network`` (None: fine)."""
    public = PUBLIC.get(network)
    if public is not None and chain_id != public.chain_id:
        return (f"Babylon's {network} chain is {public.chain_id} ({public.provenance}), "
                f"got {chain_id}")
    others = {p.chain_id: n for n, p in PUBLIC.items() if n != network}
    if chain_id in others:
        return f"{chain_id} is Babylon's {others[chain_id]} chain, not a {network} one"
    return None
