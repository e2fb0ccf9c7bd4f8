"""Cross-field rules of the stack spec; each returns ``path: rule`` lines (empty = fine).

Field-local rules (types, ranges, image pins, quantities) are in the models of
:mod:`l2kit.spec.model`; the rules here need more than one field.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from l2kit import resources
from l2kit.babylon_networks import chain_id_problem
from l2kit.btc.network import BABYLON_NETWORKS, NETWORKS
from l2kit.spec.model import Bitcoind, FleetSpec, StackSpec, is_hex

# Babylon builds whose x/btcstkconsumer serves Query/FinalityProviders, the call the pinned gadget
# makes to find the rollup's FPs (finality-gadget@ac0ac99:bbnclient/bbnclient.go#L31); read at
# babylonlabs-io/babylon@<tag>:proto/babylon/btcstkconsumer/v1/query.proto (`rpc
# FinalityProviders`). It is gone from v3.0.0-rc.*, from every v3.0.0-snapshot after 250701, from
# v4.0.0-snapshot.250925 and v4.0.0-rc.0 on, and no release that bbn-1 or bbn-test-6 ever ran
# (v1.0.1 ... v4.3.1) has the module at all. 076f27d is the commit babylon-rollup-integration-
# deployment pins.
GADGET_BABYLON_BUILDS = frozenset(
    {
        "euphrates-0.1.0-rc.0",
        "euphrates-0.1.0-rc.1",
        "euphrates-0.1.0-rc.2",
        "euphrates-0.1.0-rc.3",
        "euphrates-0.1.0",
        "euphrates-0.2.0-rc.0",
        "euphrates-0.3.0-rc.0",
        "euphrates-0.4.0-rc.0",
        "euphrates-0.4.0-rc.1",
        "euphrates-0.4.0.rc.1",
        "euphrates-0.5.0-rc.0",
        "v1.99.0-devnet.6",
        "v1.99.0-devnet.6-2",
        "v1.99.0-devnet.6-3",
        "v1.99.0-devnet.6-4",
        "v1.99.0-snapshot.250131",
        "v1.99.0-snapshot.250211",
        "v1.99.0-snapshot.250319",
        "v1.99.0-snapshot.250326",
        "v1.99.0-snapshot.250505",
        "v3.0.0-snapshot.250701",
        "v4.0.0-snapshot.250522",
        "076f27d",
    }
)
# Public Babylon chains without BSN registration, so without rollup BTC finality: Genesis mainnet
# (v1 -> v4.2 upgrades) and the current testnet (v2.3.1 -> v4.x), babylonlabs-io/networks@05db270:
# bbn-1/network-artifacts/upgrades/README.md, bbn-test-6/README.md.
NO_BSN_CHAINS = {"bbn-1": "Babylon Genesis mainnet", "bbn-test-6": "the Babylon testnet"}

# bitcoin.conf options extraConfig must not set besides those the writer sets: the ones l2kit
# passes as arguments (-conf, -datadir) and the ones it forbids (credentials other than rpcauth,
# more config files, other listeners, daemonizing).
_FORBIDDEN_CONF = frozenset(
    {"datadir", "conf", "includeconf", "rpcuser", "rpcpassword", "bind", "daemon", "pid"}
)
# Options the writer uses that bitcoind accepts many times: extraConfig may add more (peers).
_MULTI_VALUED_CONF = frozenset({"addnode"})
_CONF_KEY = re.compile(r"^[a-z][a-z0-9]*$")


@functools.cache
def managed_conf_keys() -> frozenset[str]:
    """bitcoin.conf options l2kit sets itself, read from the writer: the keys of
    ``templates/bitcoind/bitcoin.conf.j2`` and every network's selector line."""
    template = resources.templates_dir() / "bitcoind" / "bitcoin.conf.j2"
    written = set(re.findall(r"^([a-z][a-z0-9]*)=", template.read_text(), re.M))
    selectors = {r.selector.split("=", 1)[0] for r in NETWORKS.values()}
    return frozenset((written | selectors | _FORBIDDEN_CONF) - _MULTI_VALUED_CONF)


def babylon_version(stack: StackSpec) -> str | None:
    """The babylond version the stack talks to: the local image tag or the chain's version."""
    if stack.babylond is not None:
        return stack.babylond.image.rsplit(":", 1)[1].split("@", 1)[0]
    if stack.babylon_chain is not None:
        return stack.babylon_chain.version
    return None


def gadget_compatible(version: str) -> bool:
    # a commit may be given in full: 076f27d...
    return version in GADGET_BABYLON_BUILDS or version.startswith("076f27d")


def fleet_problems(fleet: FleetSpec) -> list[str]:
    problems: list[str] = []
    names = Counter(s.name for s in fleet.stacks)
    for i, stack in enumerate(fleet.stacks):
        if names[stack.name] > 1:
            problems.append(f"stacks.{i}.name: must be unique in the fleet ({stack.name!r})")
        problems += [f"stacks.{i}.{p}" for p in stack_problems(stack)]
    return problems


def stack_problems(s: StackSpec) -> list[str]:
    out: list[str] = []
    if s.bitcoind is not None:
        out += [f"bitcoind.{p}" for p in bitcoind_problems(s.bitcoind)]
    out += _secret_needs(s)
    out += _babylon_rules(s)
    out += _image_contracts(s)
    if s.miner is not None:
        if s.network != "regtest":
            out.append(f"miner: only for network regtest (network is {s.network})")
        if s.bitcoind is None:
            out.append("miner: needs bitcoind in the same stack")
    if s.electrs is not None:
        out += _needs_unpruned_txindex(s, "electrs")
    if s.vigilante is not None:
        v = s.vigilante
        out += _needs_unpruned_txindex(s, "vigilante")
        if len(set(v.roles)) != len(v.roles) or not v.roles:
            out.append("vigilante.roles: must be a non-empty list without duplicates")
        if "bstracker" in v.roles and s.electrs is None:
            out.append("vigilante.roles: bstracker needs electrs (indexer-addr) in the stack")
        if "submitter" in v.roles and v.submitter_address is None:
            out.append(
                "vigilante.submitterAddress: required by the submitter role "
                "(babylon.submitter-address, the bbn1 address its checkpoints credit)"
            )
        if "monitor" in v.roles and v.genesis_config_map is None and s.babylond is None:
            out.append("vigilante.genesisConfigMap: monitor needs genesis.json of babylonChain")
    for field, comp in (("finalityProvider", s.finality_provider), ("vigilante", s.vigilante)):
        if comp is not None and comp.storage.snapshot is not None:
            out.append(
                f"{field}.storage.snapshot: one snapshot cannot seed several volumes "
                "(each daemon has its own); restore those PVCs by hand"
            )
    out += _rollup_rules(s)
    return out


def bitcoind_problems(b: Bitcoind) -> list[str]:
    out: list[str] = []
    if b.prune < 0 or 1 < b.prune < 550:
        out.append(f"prune: must be 0 (off), 1 (manual) or >= 550 MiB, got {b.prune}")
    if b.prune != 0 and b.txindex:
        out.append("prune: pruning is incompatible with txindex=true")
    ports = {
        "rpcPort": b.rpc_port,
        "p2pPort": b.p2p_port,
        "zmqSequencePort": b.zmq_sequence_port,
        "zmqRawBlockPort": b.zmq_raw_block_port,
        "zmqRawTxPort": b.zmq_raw_tx_port,
    }
    if b.exporter.enabled:
        ports["exporter.port"] = b.exporter.port
    seen: dict[int, str] = {}
    for field, port in ports.items():
        if port is None:
            continue
        if port in seen:
            out.append(f"{field}: port {port} is already used by {seen[port]}")
        seen.setdefault(port, field)
    known = _bitcoind_options()
    for key, value in b.extra_config.items():
        if not _CONF_KEY.match(key):
            out.append(f"extraConfig.{key}: not a bitcoin.conf option name")
        elif key not in known:
            out.append(
                f"extraConfig.{key}: not an option of the pinned bitcoind "
                "(l2kit/contracts/bitcoind.yaml)"
            )
        elif key in managed_conf_keys() or key.startswith("zmqpub"):
            out.append(f"extraConfig.{key}: set by l2kit; use the dedicated field")
        if isinstance(value, str) and any(c in value for c in "\r\n\0"):
            out.append(f"extraConfig.{key}: must be a single line")
    return out


def _images(node: object, path: str = "") -> list[tuple[str, str]]:
    """(camelCase path, reference) of every image field in a dumped spec."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(v, str) and (k == "image" or k.endswith("Image")):
                out.append((p, v))
            else:
                out += _images(v, p)
    return out


def _image_contracts(s: StackSpec) -> list[str]:
    """A pinned tag of an image that has config contracts must be one they were written for
    (a bump fails until the contract for the new tag is written)."""
    from l2kit.contracts import load_all  # data only; loaded once (cached)
    from l2kit.contracts.check import split_image

    tags: dict[str, set[str]] = {}
    for c in load_all():
        tags.setdefault(c.image.repository, set()).add(c.image.tag)
    out = []
    dumped = s.model_dump(by_alias=True, exclude={"name", "namespace", "network", "secrets"})
    for path, image in _images(dumped):
        _, repo, tag, _ = split_image(image)
        known = next((r for r in tags if repo == r or repo.endswith("/" + r)), None)
        if known is not None and tag not in tags[known]:
            out.append(
                f"{path}: no config contract for {known}:{tag} (written for "
                f"{', '.join(sorted(tags[known]))}): pin that tag, or write the "
                f"contract for {tag} (l2kit/contracts)"
            )
    return out


def _bitcoind_options() -> set[str]:
    """bitcoin.conf option names from the bitcoind contract (facts read from Core's source)."""
    from l2kit.contracts import load_all  # data only; loaded once (cached)

    return {
        k for c in load_all() if c.component == "bitcoind" for f in c.config_files for k in f.keys
    }


def _needs_unpruned_txindex(s: StackSpec, who: str) -> list[str]:
    if s.bitcoind is None:
        return [f"{who}: needs bitcoind in the same stack"]
    if not s.bitcoind.txindex or s.bitcoind.prune != 0:
        return [f"bitcoind.txindex: {who} needs txindex=true and prune=0"]
    return []


def _secret_needs(s: StackSpec) -> list[str]:
    out = []
    sec = s.secrets
    rpc_users = [
        n
        for n, c in (
            ("bitcoind", s.bitcoind),
            ("electrs", s.electrs),
            ("miner", s.miner),
            ("vigilante", s.vigilante),
            ("rollup", s.rollup),
        )
        if c is not None
    ]
    if rpc_users and sec.rpc is None:
        out.append(f"secrets.rpc: required by {', '.join(rpc_users)}")
    vig_submitter = s.vigilante is not None and "submitter" in s.vigilante.roles
    if (s.miner is not None or vig_submitter) and sec.wallet is None:
        out.append("secrets.wallet: required by the miner / vigilante submitter wallet")
    if s.finality_provider is not None and sec.eots_hmac is None:
        out.append("secrets.eotsHmac: required by finalityProvider")
    if s.finality_provider is not None and sec.eots_key is None:
        out.append("secrets.eotsKey: required by finalityProvider")
    if s.babylond is not None and sec.bls_password is None:
        out.append("secrets.blsPassword: required by babylond (its BLS key password)")
    if s.covenant is not None and sec.covenant_hmac is None:
        out.append("secrets.covenantHmac: required by covenant")
    if s.rollup is not None:
        if sec.jwt is None:
            out.append("secrets.jwt: required by rollup (op-geth/op-node engine API)")
        if sec.l1 is None:
            out.append("secrets.l1: required by rollup (op-node L1 endpoints)")
        if s.rollup.sequencer and sec.sequencer is None:
            out.append("secrets.sequencer: required by rollup.sequencer=true")
    return out


def _babylon_rules(s: StackSpec) -> list[str]:
    out = []
    if s.babylond is not None and s.babylon_chain is not None:
        out.append("babylonChain: set either babylond (local devnet) or babylonChain, not both")
    users = [
        n
        for n, c in (
            ("covenant", s.covenant),
            ("finalityProvider", s.finality_provider),
            ("vigilante", s.vigilante),
            ("rollup", s.rollup),
        )
        if c is not None
    ]
    has_babylon = s.babylond is not None or s.babylon_chain is not None
    if users and not has_babylon:
        out.append(f"babylonChain: {', '.join(users)} need babylond or babylonChain")
    for field, spec in (("babylond", s.babylond), ("babylonChain", s.babylon_chain)):
        if spec is None:
            continue
        btc = spec.btc_network or s.network
        if btc != s.network:
            out.append(
                f"{field}.btcNetwork: must equal the stack's bitcoin network ({btc} != {s.network})"
            )
        elif btc not in BABYLON_NETWORKS:
            out.append(
                f"network: Babylon runs no chain on {btc} (supported: mainnet (bbn-1), "
                "signet (bbn-test-6), regtest (private devnets))"
            )
        elif (why := chain_id_problem(btc, spec.chain_id)) is not None and not (
            s.rollup is not None and spec.chain_id not in NO_BSN_CHAINS
        ):  # a rollup needs a private BSN-era chain: _rollup_rules judges it
            out.append(f"{field}.chainId: {why}")
    if s.babylond is not None:
        if s.network != "regtest":
            out.append("babylond: the local single-node devnet runs on regtest only")
        pks = s.babylond.covenant_pks
        for j, pk in enumerate(pks):
            if len(pk) != 64 or not is_hex(pk):
                out.append(f"babylond.covenantPks.{j}: must be a 32-byte x-only key in hex")
        if s.babylond.covenant_quorum > len(pks):
            out.append("babylond.covenantQuorum: must be <= the number of covenantPks")
        elif s.babylond.covenant_quorum * 2 <= len(pks):
            # x/btcstaking Params.Validate (babylonlabs-io/babylon@v4.2.7:
            # x/btcstaking/types/params.go#L206): genesis with a smaller quorum fails.
            out.append(
                "babylond.covenantQuorum: must be more than half of the covenantPks "
                f"({len(pks)} keys need a quorum of at least {len(pks) // 2 + 1})"
            )
        if len(set(pks)) != len(pks):  # validateCovenantPks: "duplicate covenant key"
            out.append("babylond.covenantPks: must not repeat a key")
    return out


def _rollup_rules(s: StackSpec) -> list[str]:
    """What cannot work for the experimental rollup profile."""
    r = s.rollup
    if r is None:
        return []
    out = []
    if s.bitcoind is None:
        out.append("rollup: the finality gadget needs bitcoind in the same stack")
    chain = s.babylon_chain
    if chain is not None and chain.chain_id in NO_BSN_CHAINS:
        # One line: nothing else matters when the chain has no BSN registration at all.
        out.append(
            f"babylonChain.chainId: {chain.chain_id} ({NO_BSN_CHAINS[chain.chain_id]}) has no BSN "
            "registration, so rollup BTC finality cannot work against it; point babylonChain at "
            "a BSN-era Babylon chain you run"
        )
        return out
    version = babylon_version(s)
    if version is not None and not gadget_compatible(version):
        where = "babylond.image" if s.babylond is not None else "babylonChain.version"
        out.append(
            f"{where}: babylond {version} lacks x/btcstkconsumer FinalityProviders, which the "
            "finality gadget queries; use a BSN-era build such as v4.0.0-snapshot.250522"
        )
    if s.network != "regtest" and not r.acknowledge_experimental:
        out.append(
            f"rollup.acknowledgeExperimental: must be true on network {s.network}: Babylon's "
            "public chain there has no BSN registration, so the rollup needs a private BSN-era "
            "chain, and the finality gadget is a proof of concept upstream"
        )
    return out


def experimental_notices(fleet: FleetSpec) -> list[str]:
    """Warnings (not errors) for parts of a valid spec that are experimental."""
    return [
        f"stacks.{i}.rollup: experimental: Babylon's OP-stack finality gadget is a proof of "
        "concept upstream and BSN registration, which rollup BTC finality needs, is not on "
        "Babylon mainnet (bbn-1)"
        for i, stack in enumerate(fleet.stacks)
        if stack.rollup is not None
    ]
