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

from l2kit.btc.network import record
from l2kit.frozen import frozen

_RAW = "https://raw.githubusercontent.com/babylonlabs-io/networks/main"


@frozen
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
        _chain_id("mainnet"),
        "mainnet",
        "v4.2.7",
        "",
        f"{_RAW}/bbn-1/network-artifacts/genesis.json",
        "babylonlabs-io/networks@05db270:bbn-1/README.md",
    ),
    "signet": BabylonChainInfo(
        _chain_id("signet"),
        "signet",
        "v4.2.7",
        "-testnet",
        f"{_RAW}/bbn-test-6/network-artifacts/genesis.json",
        "babylonlabs-io/networks@05db270:bbn-test-6/README.md",
    ),
}
DEVNET_CHAIN_ID = "chain-test"  # `babylond testnet` default chain id for a private devnet
BABYLOND_VERSION = "v4.2.7"


@frozen
class ChainIdProblem:
    """``chain_id`` is wrong for a Babylon chain on BTC ``network``: it is not the network's
    public chain (``public``), or it is another network's public chain (``of``)."""

    network: str
    chain_id: str
    public: BabylonChainInfo | None  # the network's public chain (None: private devnets only)
    of: str | None  # the network whose public chain ``chain_id`` is

    def __str__(self) -> str:  # a configured chain id (the stack spec)
        if self.public is not None:
            return (
                f"Babylon's {self.network} chain is {self.public.chain_id} "
                f"({self.public.provenance}), got {self.chain_id}"
            )
        return f"{self.chain_id} is Babylon's {self.of} chain, not a {self.network} one"

    def on_node(self) -> str:
        """The same problem with the chain id a node reports (stake commands)."""
        node = f"the node runs {self.chain_id}"
        if self.public is not None:
            return f"{self.network} stakes with {self.public.chain_id}, {node}"
        return f"{self.network} stakes on a private devnet, {node} (Babylon's {self.of} chain)"


def chain_id_problem(network: str, chain_id: str) -> ChainIdProblem | None:
    """Why ``chain_id`` is wrong for a Babylon chain on BTC ``network`` (None: fine): a network
    with a public chain needs that chain; any other network (regtest) takes private devnets
    only, never a public chain's id."""
    public = PUBLIC.get(network)
    if public is not None:
        return (
            None if chain_id == public.chain_id else ChainIdProblem(network, chain_id, public, None)
        )
    others = {p.chain_id: n for n, p in PUBLIC.items()}
    if chain_id in others:
        return ChainIdProblem(network, chain_id, None, others[chain_id])
    return None
