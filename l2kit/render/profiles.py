"""``l2kit init``: complete, commented stack specs for each profile.

The text is assembled from commented sections so that every emitted field is explained; the
result always parses with :func:`l2kit.spec.parse_spec` (checked by the tests).
"""

from __future__ import annotations

from l2kit.babylon_networks import BABYLOND_VERSION, DEVNET_CHAIN_ID, PUBLIC
from l2kit.btc.network import NETWORKS, by_kind, record
from l2kit.errors import InputError

PROFILES = ("devnet", "bitcoin", "finality-provider", "rollup")
# Offered by `l2kit init`, safest first (testnet3 is deprecated in Core; its record stays for
# old specs).
INIT_NETWORKS: tuple[str, ...] = tuple(
    r.name for r in by_kind(safest_first=True) if not r.deprecated
)
_DEFAULT_NETWORK = {
    "devnet": "regtest",
    "bitcoin": "regtest",
    "finality-provider": "signet",
    "rollup": "regtest",
}
# Profiles that include Babylon, whose [btc-config] network has no testnet4.
_NEEDS_BABYLON = {"devnet", "finality-provider", "rollup"}


def default_network(profile: str) -> str:
    return _DEFAULT_NETWORK[profile]


def check(profile: str, network: str) -> None:
    if profile not in PROFILES:
        raise InputError(
            f"unknown profile {profile!r} (one of {', '.join(PROFILES)})", field="--profile"
        )
    if profile == "devnet" and network != "regtest":
        raise InputError("the devnet profile runs on regtest only", field="--network")
    if profile in _NEEDS_BABYLON and network in NETWORKS and not record(network).babylon_btc_config:
        raise InputError(
            f"profile {profile} includes Babylon, which has no {network} "
            "(use signet, regtest or mainnet)",
            field="--network",
        )
    if profile == "rollup" and network != "regtest":
        raise InputError(
            f"the rollup profile is experimental and Babylon's {network} chain has "
            "no BSN registration; start from regtest (a private BSN-era chain on "
            f"{network} needs rollup.acknowledgeExperimental: true, set by hand)",
            field="--network",
        )


def init_spec(profile: str, network: str | None = None) -> str:
    net = network or default_network(profile)
    check(profile, net)
    stack = {"devnet": "devnet", "bitcoin": "btc", "finality-provider": "fp", "rollup": "rollup"}[
        profile
    ]
    name = f"{stack}-{net}" if profile != "devnet" else "devnet"
    parts = [_HEADER.format(profile=profile, network=net), _stack(name, net)]
    if profile == "devnet":
        parts += [
            _secrets(name, rpc=True, wallet=True, eots=True, cov=True, bls=True),
            _bitcoind(1, net),
            _MINER,
            _ELECTRS,
            _BABYLOND,
            _covenant(name),
            _fp(name),
            _vigilante(name),
        ]
    elif profile == "bitcoin":
        parts += [_secrets(name, rpc=True), _bitcoind(3, net)]
    elif profile == "finality-provider":
        parts += [_secrets(name, eots=True), _chain(net, BABYLOND_VERSION), _fp(name)]
    else:
        parts[0] = _EXPERIMENTAL + parts[0]
        parts += [
            _secrets(name, rpc=True, rollup=True),
            _bitcoind(1, net),
            _BSN_CHAIN,
            _ROLLUP.format(stack=name),
        ]
    return "".join(parts)


# Printed at the top of `l2kit init --profile rollup` (and, shorter, on stderr).
EXPERIMENTAL_NOTICE = (
    "the rollup profile is EXPERIMENTAL: Babylon's OP-stack finality gadget is a proof of "
    "concept upstream, and BSN registration, which rollup BTC finality needs, is not on Babylon "
    "mainnet (bbn-1) or its testnet (bbn-test-6)"
)


_EXPERIMENTAL = """\
# EXPERIMENTAL. Babylon's OP-stack finality gadget (babylonlabs-io/finality-gadget, renamed
# rollup-finality-gadget) is a proof of concept upstream ("NOT FOR PRODUCTION USE"), and BSN
# registration, which rollup BTC finality needs, is not on Babylon mainnet (bbn-1) or the
# testnet (bbn-test-6): no release they run has x/btcstkconsumer. This spec needs a BSN-era
# Babylon chain that you run yourself; `l2kit render` warns on every use and refuses bbn-1,
# bbn-test-6 and non-BSN babylond versions.
"""

_HEADER = """\
# l2kit stack spec: profile {profile}, bitcoin network {network}.
# Render with `l2kit render SPEC -o DIR`, check with `l2kit validate SPEC`,
# Helm values with `l2kit values SPEC`. A spec is a fleet: add more entries under `stacks:`.
# Secrets are never written here: every `existingSecret` names a Secret you create in the
# stack's namespace (`l2kit secrets SPEC` lists them with their keys), or let
# `l2kit render --generate-secrets` emit the random ones (RPC, wallet, HMAC, JWT).
stacks:
"""


def _stack(name: str, net: str) -> str:
    return f"""\
  - name: {name}                 # prefix of every object name; label l2kit.io/stack
    namespace: {name}            # namespace the stack is rendered into
    network: {net}               # mainnet | testnet (testnet3) | testnet4 | signet | regtest
    registry: null               # e.g. docker.io or a mirror host[:port]/path; prefixed to
                                 # every image naming no registry (images may pin @sha256:)
    # imageRegistry: reg.local:5000  # a mirror replacing every image's registry
    # imagePullSecrets: [regcred]    # Secrets for pulling images
    # Every component also takes nodeSelector, tolerations, affinity, priorityClassName,
    # podAnnotations, podLabels and extraEnv (the chart's knobs of the same name).
    monitoring:
      namespace: monitoring      # Prometheus' namespace: the only one allowed to scrape
      serviceMonitors: true      # Prometheus Operator ServiceMonitors per component
      prometheusRule: true       # l2kit alert rules (PrometheusRule in monitoring namespace)
      dashboard: true            # Grafana dashboard ConfigMap (label grafana_dashboard=1)
"""


def _secrets(
    name: str,
    *,
    rpc: bool = False,
    wallet: bool = False,
    eots: bool = False,
    cov: bool = False,
    rollup: bool = False,
    bls: bool = False,
) -> str:
    out = "    secrets:\n"
    if rpc:
        out += f"""\
      rpc:                       # keys: password (clear, for clients), rpcauth (user:salt$hmac)
        existingSecret: {name}-bitcoind-rpc
        user: l2kit              # must match the user inside the rpcauth line
"""
    if wallet:
        out += f"""\
      wallet:                    # key: passphrase (regtest mining / vigilante submitter wallet)
        existingSecret: {name}-btc-wallet
"""
    if bls:
        out += f"""\
      blsPassword:               # key: password (babylond's BLS key, BABYLON_BLS_PASSWORD)
        existingSecret: {name}-babylond-bls
"""
    if eots:
        out += f"""\
      eotsHmac:                  # key: hmac-key (shared by fpd and eotsd)
        existingSecret: {name}-eots-hmac
      eotsKey:                   # keys: mnemonic (EOTS key), passphrase (file keyring, 8+ chars)
        existingSecret: {name}-eots-key
"""
    if cov:
        out += f"""\
      covenantHmac:              # key: hmac-key (shared by covd and covenant-signer)
        existingSecret: {name}-covenant-hmac
      signerUnlock: null         # optional Secret, key passphrase, to unlock the signer key
"""
    if rollup:
        out += f"""\
      jwt:                       # key: jwt.hex (engine API secret, `openssl rand -hex 32`)
        existingSecret: {name}-engine-jwt
      l1:                        # keys: rpc-url, beacon-url (Ethereum L1 endpoints)
        existingSecret: {name}-l1
      sequencer:                 # key: p2p-sequencer-key (hex private key)
        existingSecret: {name}-sequencer
"""
    return out


def _bitcoind(replicas: int, net: str) -> str:
    return f"""\
    bitcoind:
      replicas: {replicas}                # one StatefulSet; replicas spread over nodes/zones
      image: bitcoin/bitcoin:31.0  # pinned tag; bitcoind runs directly as uid 101 (no root)
      uid: 101
      txindex: true              # Babylon tooling needs it; incompatible with prune
      prune: 0                   # 0 off, 1 manual, >= 550 MiB target
      rpcPort: null              # null: network default ({net})
      p2pPort: null
      zmqSequencePort: 29000
      zmqRawBlockPort: 29001
      zmqRawTxPort: 29002
      dbcache: 450
      extraConfig: {{}}            # more bitcoin.conf lines for the network section
      storage:
        size: {"20Gi" if net == "regtest" else "1Ti" if net == "mainnet" else "200Gi"}
        storageClass: null       # null: the cluster default
        snapshot: null           # VolumeSnapshot name to restore the datadir from
      resources: {{cpu: "1", memory: 2Gi, memoryLimit: 4Gi}}
      exporter: {{enabled: true, image: "jvstein/bitcoin-prometheus-exporter:v0.7.0", port: 9332}}
      probes:
        maxHeaderLag: 2          # ready when headers - blocks <= this (and not in IBD)
        livenessWindowSeconds: 3600   # restart only if behind and stuck this long
"""


_MINER = """\
    miner:                       # regtest only: mines into a passphrase-protected wallet
      image: bitcoin/bitcoin:31.0
      intervalSeconds: 10
      initialBlocks: 110         # coinbase maturity + a little
      wallet: default            # also the vigilante submitter's wallet
"""

_ELECTRS = """\
    electrs:                     # esplora HTTP API for vigilante bstracker
      image: mempool/electrs:v3.1.0
      storage: {size: 10Gi, storageClass: null, snapshot: null}   # index volume
      resources: {cpu: 250m, memory: 512Mi, memoryLimit: 1Gi}   # requests + memory limit
"""

_BABYLOND = """\
    babylond:                    # single validator initialised by `babylond testnet --v 1`
      image: babylonlabs/babylond:v4.2.7
      chainId: chain-test
      epochInterval: 10
      btcNetwork: null           # null: the stack's network (must be equal when set)
      # x-only pks of the covenant committee: must include the signer keyring's key
      covenantPks: [2d4ccbe538f846a750d82a77cd742895e51afcf23d86d05004a356b783902748]
      covenantQuorum: 1
      genesisAccounts: []        # bbn1... addresses of the fpd/vigilante/covd keyrings, funded
      genesisBalance: 1000000000000ubbn   # in genesis (no funding transaction needed)
      storage: {size: 20Gi, storageClass: null, snapshot: null}   # node home volume
      resources: {cpu: 500m, memory: 1Gi, memoryLimit: 2Gi}   # requests + memory limit
"""


def _chain(net: str, version: str) -> str:
    public = PUBLIC.get(net)
    chain_id = public.chain_id if public else DEVNET_CHAIN_ID
    where = f"Babylon's public {net} chain" if public else "your private regtest devnet"
    return f"""\
    babylonChain:                # an existing Babylon chain: {where}
      chainId: {chain_id}
      rpcAddr: http://babylond.babylon.svc:26657
      grpcAddr: http://babylond.babylon.svc:9090
      version: {version}
"""


def _covenant(name: str) -> str:
    return f"""\
    covenant:                    # covd + covenant-signer (HMAC-authenticated, signer
                                 # unlocked automatically after every start)
      emulatorImage: babylonlabs/covenant-emulator:v0.16.1
      signerImage: babylonlabs/covenant-signer:v0.16.1
      keyring: {{existingSecret: {name}-covd-keyring, keyName: covenant}}
      signerKeyring: {{existingSecret: {name}-signer-keyring, keyName: signer}}
      resources: {{cpu: 250m, memory: 512Mi, memoryLimit: 1Gi}}   # requests + memory limit
"""


def _fp(name: str) -> str:
    return f"""\
    finalityProvider:            # fpd + eotsd, one pod each and never two at once
      image: babylonlabs/finality-provider:v2.0.2
      keyring: {{existingSecret: {name}-fpd-keyring, keyName: finality-provider}}
      eotsKeyName: eots          # EOTS key in eotsd's file keyring (from secrets.eotsKey)
      allowEviction: false       # PDBs block node drains until you move the pods yourself
      backup:                    # VolumeSnapshots of eots.db + fpd DB (snapscheduler operator)
        schedule: "0 */6 * * *"  # cron; null: no scheduled snapshots
        maxCount: 28             # snapshots kept per volume
        snapshotClass: null      # null: the cluster's default VolumeSnapshotClass
      restoreGuard:              # eotsd refuses a DB older than its last signed height
        acceptRollback: null     # "GUARD:DATA" from a refusing guard, to accept that rollback
        intervalSeconds: 5       # how often the signed height is recorded
      storage: {{size: 5Gi, storageClass: null, snapshot: null}}   # one DB volume per daemon
      resources: {{cpu: 250m, memory: 512Mi, memoryLimit: 1Gi}}   # requests + memory limit
"""


def _vigilante(name: str) -> str:
    return f"""\
    vigilante:                   # one StatefulSet per role
      image: babylonlabs/vigilante:v0.24.3
      roles: [reporter, submitter, monitor, bstracker]
      keyring: {{existingSecret: {name}-vigilante-keyring, keyName: vigilante}}
      logLevel: debug            # debug | warn | error | panic | fatal (vigilante has no info)
      # bbn1 address credited in submitted checkpoints: put your vigilante key's address here
      # (this one is vigilante's own sample placeholder, fine for a devnet only)
      submitterAddress: bbn1v6k7k9s8md3k29cu9runasstq5zaa0lpznk27w
      walletName: null           # bitcoind wallet the submitter pays from (null: the miner's)
      startHeight: 0             # bstracker scans Babylon for slashing evidence from here
      genesisConfigMap: null     # null: monitor fetches genesis.json from Babylon RPC
      storage: {{size: 1Gi, storageClass: null, snapshot: null}}   # per-role bbolt DB
      resources: {{cpu: 250m, memory: 512Mi, memoryLimit: 1Gi}}   # requests + memory limit
"""


_BSN_CHAIN = """\
    babylonChain:                # a private BSN-era Babylon devnet (x/btcstkconsumer + CosmWasm)
      chainId: bsn-devnet-1      # not bbn-1 / bbn-test-6: they have no BSN registration
      rpcAddr: http://babylond.babylon.svc:26657
      grpcAddr: http://babylond.babylon.svc:9090
      version: v4.0.0-snapshot.250522   # a build whose x/btcstkconsumer the gadget can query
"""

_ROLLUP = """\
    rollup:                      # EXPERIMENTAL: op-geth + op-node (Babylon fork) + finality gadget
      acknowledgeExperimental: false   # must be true on mainnet: the gadget is a proof of concept
      chainId: 706114
      # keys genesis.json, rollup.json, both from the fork's `op-node genesis l2` (op-node rejects
      # unknown rollup.json fields); rollup.json's babylon_finality_gadget_rpc must be
      # {stack}-finality-gadget:50051 (the gadget's gRPC Service)
      rollupConfigMap: {stack}-rollup-config
      fgContractAddress: bbn1ghd753shjuwexxywmgs4xz7x2q732vcnkm6h2pyv9s6ah3hylvrqxxvh0f
      sequencer: true
      storage: {{size: 100Gi, storageClass: null, snapshot: null}}   # op-geth datadir
      resources: {{cpu: \"1\", memory: 2Gi, memoryLimit: 4Gi}}   # requests + memory limit
"""


def supported() -> list[tuple[str, str]]:
    """Every (profile, network) pair `l2kit init` accepts."""
    out = []
    for profile in PROFILES:
        for network in INIT_NETWORKS:
            try:
                check(profile, network)
            except InputError:
                continue
            out.append((profile, network))
    return out
