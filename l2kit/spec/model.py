"""The stack spec's models: one frozen pydantic model per YAML document, parsed once.

A spec file describes a *fleet*: ``stacks:`` is a list of stacks, each rendered into its own
namespace. Keys are camelCase (``existingSecret``), as in Kubernetes and Helm values. Every
field carries a description (it becomes the documentation of ``l2kit init`` and the chart
schema). Cross-field rules live in :mod:`l2kit.spec.rules`; all problems are collected and
reported at once by :func:`l2kit.spec.parse_spec` as a :class:`SpecError`, one
``path.to.field: rule`` line each.

Secrets are never values in the spec: each is an ``existingSecret`` name with documented keys
(see :data:`SECRET_KEYS`); ``l2kit render --generate-secrets`` can emit Secrets for the ones
that are plain random strings.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from l2kit.btc.network import NetworkName
from l2kit.spec.patterns import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    HEX,
    IMAGE,
    QUANTITY,
    REGISTRY,
    RESERVED_LABEL,
)


def to_camel(snake: str) -> str:
    """snake_case -> camelCase (p2p_port -> p2pPort, unlike pydantic's helper)."""
    first, *rest = snake.split("_")
    return first + "".join(w[:1].upper() + w[1:] for w in rest)


# Stack names prefix every object: "<stack>-vigilante-bstracker-headless" must stay a
# 63-char DNS label and StatefulSet names leave room for the controller-revision hash.
STACK_NAME_MAX = 30

# Keys each kind of existing Secret must hold (documented in `l2kit init` output and README).
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "rpc": ("password", "rpcauth"),
    "wallet": ("passphrase",),
    "eotsHmac": ("hmac-key",),
    "covenantHmac": ("hmac-key",),
    "jwt": ("jwt.hex",),
    "l1": ("rpc-url", "beacon-url"),
    "sequencer": ("p2p-sequencer-key",),
    "signerUnlock": ("passphrase",),
    "blsPassword": ("password",),
    "eotsKey": ("mnemonic", "passphrase"),
}


def _image(value: str) -> str:
    match = IMAGE.match(value)
    if match is None:
        raise ValueError("must be an image reference like [registry/]name:tag[@sha256:<digest>]")
    tag = match.group("tag")
    if tag is None:
        raise ValueError("must be pinned by tag (name:tag), not untagged")
    if tag == "latest":
        raise ValueError("must not use the 'latest' tag")
    return value


def _quantity(value: str) -> str:
    if not QUANTITY.match(value):
        raise ValueError("must be a Kubernetes quantity like 500m, 2, 512Mi or 20Gi")
    return value


def _label(value: str) -> str:
    if not DNS_LABEL.match(value):
        raise ValueError("must be a DNS label: lowercase letters, digits and '-', 1-63 chars")
    return value


def _stack_name(value: str) -> str:
    if not DNS_LABEL.match(value) or len(value) > STACK_NAME_MAX:
        raise ValueError(
            f"must be a DNS label of at most {STACK_NAME_MAX} chars (lowercase letters, "
            "digits, '-'), as it prefixes every object name"
        )
    return value


def _subdomain(value: str) -> str:
    if not DNS_SUBDOMAIN.match(value):
        raise ValueError("must be a DNS subdomain name (lowercase letters, digits, '-', '.')")
    return value


def _registry(value: str) -> str:
    if not REGISTRY.match(value):
        raise ValueError(
            "must be a registry host[:port][/path], e.g. ghcr.io or registry.example:5000/mirror"
        )
    return value


def with_registry(registry: str | None, image: str) -> str:
    """``image`` pulled from ``registry`` unless the reference names its own registry."""
    first, slash, _ = image.partition("/")
    own = slash and ("." in first or ":" in first or first == "localhost")
    return image if registry is None or own else f"{registry}/{image}"


Image = Annotated[str, AfterValidator(_image)]
Registry = Annotated[str, AfterValidator(_registry)]
Quantity = Annotated[str, AfterValidator(_quantity)]
Label = Annotated[str, AfterValidator(_label)]
StackName = Annotated[str, AfterValidator(_stack_name)]
ObjectName = Annotated[str, AfterValidator(_subdomain)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Model(BaseModel):
    # strict: YAML `true` is not 1, "5" is not 5 (a typo must not be coerced into a setting)
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        strict=True,
        allow_inf_nan=False,
        str_max_length=4096,  # names, images, URLs, extra config lines: never megabytes
    )


# Label prefixes l2kit and Helm compute (selectors depend on them); no user label may use them.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _labels(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if RESERVED_LABEL.match(key):
            raise ValueError(
                f"{key}: app.kubernetes.io/*, l2kit.io/* and helm.sh/* are "
                "computed by l2kit (selectors depend on them)"
            )
    return value


class Toleration(_Model):
    """A pod toleration (Kubernetes shape)."""

    key: str | None = Field(default=None, description="Taint key (none: every key).")
    operator: Literal["Exists", "Equal"] | None = Field(default=None, description="Operator.")
    value: str | None = Field(default=None, description="Taint value (operator Equal).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="Taint effect (none: every effect)."
    )
    toleration_seconds: int | None = Field(
        default=None, ge=0, description="How long a NoExecute taint is tolerated."
    )


class SecretKeyRef(_Model):
    """A key of a Secret."""

    name: ObjectName = Field(description="Secret name.")
    key: str = Field(min_length=1, description="Key.")


class EnvSource(_Model):
    """Where an env value comes from (never a literal secret)."""

    secret_key_ref: SecretKeyRef | None = Field(default=None, description="A Secret key.")
    config_map_key_ref: SecretKeyRef | None = Field(default=None, description="A ConfigMap key.")


class EnvVar(_Model):
    """An extra environment variable of the main container (Kubernetes shape)."""

    name: str = Field(pattern=_ENV_NAME.pattern, description="Variable name.")
    value: str | None = Field(default=None, description="Literal value (not for secrets).")
    value_from: EnvSource | None = Field(default=None, description="Value from a Secret/ConfigMap.")


class Affinity(_Model):
    """Pod affinity (Kubernetes shape); merged with the anti-affinity l2kit computes."""

    node_affinity: dict[str, Any] | None = Field(default=None, description="nodeAffinity.")
    pod_affinity: dict[str, Any] | None = Field(default=None, description="podAffinity.")
    pod_anti_affinity: dict[str, Any] | None = Field(default=None, description="podAntiAffinity.")


class PodOptions(_Model):
    """Scheduling and operations fields of a component's pods (the chart has the same knobs)."""

    node_selector: dict[str, str] = Field(default_factory=dict, description="Node labels.")
    tolerations: list[Toleration] = Field(default_factory=list, description="Tolerations.")
    affinity: Affinity | None = Field(default=None, description="Affinity (merged).")
    priority_class_name: ObjectName | None = Field(
        default=None, description="PriorityClass of the pods."
    )
    pod_annotations: dict[str, str] = Field(
        default_factory=dict, description="Extra pod annotations."
    )
    pod_labels: Annotated[dict[str, str], AfterValidator(_labels)] = Field(
        default_factory=dict, description="Extra pod labels (not app.kubernetes.io/*)."
    )
    extra_env: list[EnvVar] = Field(
        default_factory=list, description="Extra env vars of the main container."
    )


class Resources(_Model):
    """Requests and limits of the main container (limits.memory always set)."""

    cpu: Quantity = Field(default="250m", description="CPU request.")
    memory: Quantity = Field(default="512Mi", description="Memory request.")
    cpu_limit: Quantity | None = Field(
        default=None, description="CPU limit (none: no CPU throttling)."
    )
    memory_limit: Quantity = Field(default="1Gi", description="Memory limit.")


class Storage(_Model):
    """The data PVC of a StatefulSet (volumeClaimTemplates)."""

    size: Quantity = Field(default="10Gi", description="Requested size of the data volume.")
    storage_class: str | None = Field(
        default=None, description="StorageClass (none: cluster default)."
    )
    snapshot: ObjectName | None = Field(
        default=None, description="VolumeSnapshot to restore the data volume from (PVC dataSource)."
    )


class SecretRef(_Model):
    """A Secret that already exists in the stack's namespace (see SECRET_KEYS for its keys)."""

    existing_secret: ObjectName = Field(description="Name of the existing Secret.")


class RpcSecret(SecretRef):
    """bitcoind RPC credentials: keys ``password`` (clear, for clients) and ``rpcauth``."""

    user: str = Field(
        default="l2kit", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="RPC user name."
    )
    password_key: str = Field(default="password", description="Key holding the clear RPC password.")
    rpcauth_key: str = Field(default="rpcauth", description="Key holding the line user:salt$hmac.")


class KeyringRef(SecretRef):
    """A Cosmos ``keyring-test`` directory stored as a Secret (one key per keyring file)."""

    key_name: str = Field(description="Name of the key inside the keyring.")


class Secrets(_Model):
    """References to existing Secrets; l2kit never writes secret values into other objects."""

    rpc: RpcSecret | None = Field(default=None, description="bitcoind RPC credentials.")
    wallet: SecretRef | None = Field(
        default=None, description="BTC wallet passphrase (key passphrase)."
    )
    eots_hmac: SecretRef | None = Field(
        default=None, description="fpd<->eotsd HMAC key (hmac-key)."
    )
    covenant_hmac: SecretRef | None = Field(
        default=None, description="covd<->signer HMAC (hmac-key)."
    )
    jwt: SecretRef | None = Field(
        default=None, description="Engine API JWT, 32-byte hex (jwt.hex)."
    )
    l1: SecretRef | None = Field(default=None, description="L1 endpoints (rpc-url, beacon-url).")
    sequencer: SecretRef | None = Field(default=None, description="op-node sequencer key.")
    signer_unlock: SecretRef | None = Field(default=None, description="covenant-signer passphrase.")
    bls_password: SecretRef | None = Field(
        default=None, description="babylond BLS key password (password), as BABYLON_BLS_PASSWORD."
    )
    eots_key: SecretRef | None = Field(
        default=None,
        description="eotsd's EOTS key: BIP39 mnemonic (mnemonic) and the passphrase of its "
        "file keyring (passphrase, 8+ characters); imported once, unlocked after every start.",
    )


class Monitoring(_Model):
    """Prometheus Operator objects and where Prometheus runs."""

    namespace: Label = Field(
        default="monitoring", description="Namespace allowed to scrape metrics."
    )
    service_monitors: bool = Field(default=True, description="Render ServiceMonitors.")
    prometheus_rule: bool = Field(default=True, description="Render the l2kit PrometheusRule.")
    dashboard: bool = Field(default=True, description="Render the Grafana dashboard ConfigMap.")


class Exporter(_Model):
    """bitcoind Prometheus exporter sidecar (jvstein/bitcoin-prometheus-exporter)."""

    enabled: bool = Field(default=True, description="Run the exporter sidecar.")
    image: Image = Field(default="jvstein/bitcoin-prometheus-exporter:v0.7.0", description="Image.")
    port: Port = Field(default=9332, description="Metrics port.")


class BitcoindProbes(_Model):
    """Sync-aware probe thresholds."""

    max_header_lag: int = Field(default=2, ge=0, description="Ready when headers - blocks <= this.")
    liveness_window_seconds: int = Field(
        default=3600,
        ge=600,
        description="Liveness fails only if height and progress are stuck this long.",
    )


class Bitcoind(PodOptions):
    """A StatefulSet of bitcoind nodes (one network, rpcauth from a Secret)."""

    replicas: int = Field(default=1, ge=1, le=50, description="Number of nodes.")
    image: Image = Field(default="bitcoin/bitcoin:31.0", description="Bitcoin Core image.")
    uid: int = Field(default=101, ge=1, description="UID bitcoind runs as (bitcoin/bitcoin: 101).")
    txindex: bool = Field(
        default=True, description="Maintain the transaction index (Babylon needs it)."
    )
    prune: int = Field(default=0, description="0 = off, 1 = manual, >= 550 = target MiB.")
    rpc_port: Port | None = Field(default=None, description="RPC port (none: the network default).")
    p2p_port: Port | None = Field(default=None, description="P2P port (none: the network default).")
    zmq_sequence_port: Port = Field(default=29000, description="zmqpubsequence port.")
    zmq_raw_block_port: Port = Field(default=29001, description="zmqpubrawblock port.")
    zmq_raw_tx_port: Port = Field(default=29002, description="zmqpubrawtx port.")
    dbcache: int = Field(default=450, ge=4, le=16384, description="dbcache MiB.")
    extra_config: dict[str, str | int] = Field(
        default_factory=dict, description="Extra bitcoin.conf options (network section)."
    )
    storage: Storage = Field(default_factory=Storage, description="Data volume.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")
    exporter: Exporter = Field(default_factory=Exporter, description="Metrics exporter.")
    probes: BitcoindProbes = Field(default_factory=BitcoindProbes, description="Probes.")


class Miner(PodOptions):
    """Regtest block producer (Deployment calling generatetoaddress into a wallet)."""

    image: Image = Field(default="bitcoin/bitcoin:31.0", description="Image with bitcoin-cli.")
    interval_seconds: int = Field(default=10, ge=1, description="Seconds between blocks.")
    initial_blocks: int = Field(default=110, ge=101, description="Blocks mined first (maturity).")
    wallet: str = Field(
        default="default", pattern=r"^[A-Za-z0-9_-]+$", description="Wallet to mine to."
    )


class Electrs(PodOptions):
    """Esplora indexer (mempool/electrs), needed by vigilante bstracker."""

    image: Image = Field(default="mempool/electrs:v3.1.0", description="Image.")
    replicas: int = Field(
        default=1,
        ge=1,
        le=10,
        description="Indexers behind the Service (each keeps its own index).",
    )
    storage: Storage = Field(default_factory=Storage, description="Index volume.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class Babylond(PodOptions):
    """A single-node Babylon devnet, initialised with `babylond testnet --v 1`."""

    image: Image = Field(default="babylonlabs/babylond:v4.2.7", description="Image.")
    chain_id: str = Field(default="chain-test", pattern=r"^[a-z0-9-]+$", description="Chain id.")
    btc_network: NetworkName | None = Field(
        default=None, description="[btc-config] network (stack's)."
    )
    epoch_interval: int = Field(default=10, ge=2, description="Blocks per epoch.")
    covenant_pks: list[str] = Field(
        default_factory=lambda: [
            "2d4ccbe538f846a750d82a77cd742895e51afcf23d86d05004a356b783902748"
        ],
        description="x-only covenant public keys (hex), the signer's key among them.",
    )
    covenant_quorum: int = Field(default=1, ge=1, description="Covenant quorum.")
    genesis_accounts: list[Annotated[str, Field(pattern=r"^bbn1[02-9ac-hj-np-z]{38,58}$")]] = Field(
        default_factory=list,
        description="Account addresses funded in genesis (the keyrings of fpd, vigilante, covd).",
    )
    genesis_balance: str = Field(
        default="1000000000000ubbn", pattern=r"^[0-9]+ubbn$", description="Balance of each."
    )
    storage: Storage = Field(default_factory=Storage, description="Home volume.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class BabylonChain(_Model):
    """An existing Babylon chain that the stack's daemons connect to."""

    chain_id: str = Field(pattern=r"^[a-z0-9-]+$", description="Chain id.")
    rpc_addr: str = Field(pattern=r"^https?://", description="CometBFT RPC URL.")
    grpc_addr: str = Field(pattern=r"^https?://", description="gRPC URL.")
    version: str = Field(description="babylond version of the chain, e.g. v4.2.7.")
    btc_network: NetworkName | None = Field(
        default=None, description="The chain's BTC network (stack's)."
    )


class Covenant(PodOptions):
    """Covenant emulator (covd) and its remote signer."""

    emulator_image: Image = Field(
        default="babylonlabs/covenant-emulator:v0.16.1",
        description="covd (also computes the signer's unlock HMAC: its image has openssl).",
    )
    signer_image: Image = Field(
        default="babylonlabs/covenant-signer:v0.16.1", description="Signer."
    )
    keyring: KeyringRef = Field(description="covd's Babylon account keyring (fee payer).")
    signer_keyring: KeyringRef = Field(description="Signer's covenant BTC key keyring.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


# snapscheduler's own check of spec.schedule (Go regexp, unanchored alternation kept as is):
# backube/snapscheduler@v3.5.0:api/v1/snapshotschedule_types.go (kubebuilder Pattern).
SNAPSHOT_SCHEDULE = (
    r"^(@(annually|yearly|monthly|weekly|daily|hourly))|"
    r"((((\d+,)*\d+|(\d+(\/|-)\d+)|\*(\/\d+)?)\s?){5})$"
)


class FpBackup(_Model):
    """Scheduled VolumeSnapshots of the eotsd and fpd data volumes (eots.db, fpd's DB).

    Rendered as a snapscheduler ``SnapshotSchedule`` (backube/snapscheduler, needs its operator
    and a CSI VolumeSnapshotClass). bbolt files are crash-consistent, so a snapshot of the live
    volume restores. ``eotsd backup`` is not used: at v2.0.2 it sends no HMAC and is refused.
    """

    schedule: str | None = Field(
        default="0 */6 * * *",
        pattern=SNAPSHOT_SCHEDULE,
        description="Cron schedule of the snapshots (5 fields or @daily...); null: no backups.",
    )
    max_count: int = Field(default=28, ge=1, description="Snapshots kept per volume.")
    snapshot_class: ObjectName | None = Field(
        default=None, description="VolumeSnapshotClass (none: the cluster default)."
    )


class RestoreGuard(_Model):
    """Refuse to start eotsd on an eots.db older than the highest height it has signed.

    A sidecar records the last EOTS-signed height both in the data volume (next to eots.db, so
    it travels with every snapshot) and on a separate guard volume that snapshots never cover.
    An init container compares them: a data volume behind the guard is an old snapshot or an
    empty disk, and eotsd would sign those heights again without its double-sign records.
    """

    accept_rollback: str | None = Field(
        default=None,
        pattern=r"^[0-9]+:[0-9]+$",
        description="GUARD:DATA heights printed by a refusing guard: start once on that older "
        "volume anyway (only while the guard still holds GUARD). Leave null otherwise.",
    )
    interval_seconds: int = Field(
        default=5, ge=1, le=60, description="How often the signed height is recorded."
    )


class FinalityProvider(PodOptions):
    """fpd plus its EOTS manager eotsd: one pod each, never two at once (single writer)."""

    image: Image = Field(default="babylonlabs/finality-provider:v2.0.2", description="Image.")
    keyring: KeyringRef = Field(description="fpd's funded Babylon account keyring.")
    eots_key_name: str = Field(
        default="eots",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Name of the EOTS key in eotsd's file keyring (imported from secrets.eotsKey).",
    )
    allow_eviction: bool = Field(
        default=False,
        description="Let voluntary evictions (node drains) move fpd/eotsd. false: their PDBs "
        "allow none, so a drain waits until you move the pods at a time of your choosing.",
    )
    backup: FpBackup = Field(default_factory=FpBackup, description="Scheduled DB snapshots.")
    restore_guard: RestoreGuard = Field(
        default_factory=RestoreGuard, description="Old-database guard of eotsd."
    )
    storage: Storage = Field(default_factory=Storage, description="Data volumes.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


VigilanteRole = Literal["reporter", "submitter", "monitor", "bstracker"]
# vigilante has no "info": CommonConfig.Validate() accepts only these
# (babylonlabs-io/vigilante@v0.24.3:config/common.go#L45).
VigilanteLogLevel = Literal["debug", "warn", "error", "panic", "fatal"]


def _all_roles() -> list[VigilanteRole]:
    return ["reporter", "submitter", "monitor", "bstracker"]


class Vigilante(PodOptions):
    """Vigilante daemons, one StatefulSet per role."""

    image: Image = Field(default="babylonlabs/vigilante:v0.24.3", description="Image.")
    roles: list[VigilanteRole] = Field(default_factory=_all_roles, description="Roles to run.")
    keyring: KeyringRef = Field(description="Vigilante's funded Babylon account keyring.")
    log_level: VigilanteLogLevel = Field(
        default="debug", description="common.log-level (vigilante has no 'info' level)."
    )
    submitter_address: str | None = Field(
        default=None,
        pattern=r"^bbn1[02-9ac-hj-np-z]{38,58}$",
        description="bbn1 address credited in submitted checkpoints (submitter role).",
    )
    wallet_name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="bitcoind wallet the submitter pays from (none: the miner's, else default).",
    )
    start_height: int = Field(
        default=0,
        ge=0,
        description="bstracker --start-height: Babylon height its slashing-evidence scan starts "
        "from at each start (0: genesis; use a recent height on a public chain).",
    )
    genesis_config_map: ObjectName | None = Field(
        default=None,
        description="ConfigMap with key genesis.json for monitor (none: fetched from RPC).",
    )
    storage: Storage = Field(
        default_factory=lambda: Storage(size="1Gi", storage_class=None, snapshot=None),
        description="DB volumes.",
    )
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class Rollup(PodOptions):
    """Experimental: OP-stack L2 (op-geth, op-node) with Babylon's finality gadget (opfgd)."""

    op_geth_image: Image = Field(
        default="us-docker.pkg.dev/oplabs-tools-artifacts/images/op-geth:v1.101408.0",
        description="op-geth.",
    )
    op_node_image: Image = Field(
        default="babylonlabs/op-node-babylon-finality-gadget:32f912d", description="op-node (fork)."
    )
    gadget_image: Image = Field(
        default="babylonlabs/finality-gadget:ac0ac994d987f202757a4646ccddb8c139b1b64d",
        description="opfgd.",
    )
    chain_id: int = Field(ge=1, description="L2 chain id (op-geth --networkid).")
    rollup_config_map: ObjectName = Field(
        description="ConfigMap with genesis.json and rollup.json (babylon_finality_gadget_rpc)."
    )
    fg_contract_address: str = Field(pattern=r"^bbn1[0-9a-z]+$", description="Contract.")
    sequencer: bool = Field(default=True, description="Run op-node as sequencer.")
    acknowledge_experimental: bool = Field(
        default=False,
        description="I know the finality gadget is a proof of concept (required on mainnet).",
    )
    storage: Storage = Field(default_factory=Storage, description="Data volumes.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class StackSpec(_Model):
    """One stack: everything rendered into one namespace, labelled l2kit.io/stack=<name>."""

    name: StackName = Field(description="Stack name: prefix of every object name.")
    namespace: Label = Field(description="Namespace the stack is rendered into.")
    network: NetworkName = Field(description="Bitcoin network of every component.")
    registry: Registry | None = Field(
        default=None,
        description="Registry (and optional path) prefixed to every image that names none, "
        "e.g. docker.io or registry.example:5000/mirror (none: the runtime's default, Docker "
        "Hub). An image that names its own registry (ghcr.io/..., us-docker.pkg.dev/...) "
        "keeps it: that is the per-image override.",
    )
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Monitoring.")
    image_registry: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*$",
        description="Registry replacing every image's registry (a mirror), e.g. reg.local:5000.",
    )
    image_pull_secrets: list[ObjectName] = Field(
        default_factory=list, description="Secrets for pulling images (every pod)."
    )
    secrets: Secrets = Field(default_factory=Secrets, description="Existing Secrets.")
    bitcoind: Bitcoind | None = Field(default=None, description="bitcoind nodes.")
    miner: Miner | None = Field(default=None, description="Regtest block producer.")
    electrs: Electrs | None = Field(default=None, description="Esplora indexer.")
    babylond: Babylond | None = Field(default=None, description="Local single-node Babylon devnet.")
    babylon_chain: BabylonChain | None = Field(
        default=None, description="An existing Babylon chain."
    )
    covenant: Covenant | None = Field(default=None, description="Covenant emulator + signer.")
    finality_provider: FinalityProvider | None = Field(default=None, description="fpd + eotsd.")
    vigilante: Vigilante | None = Field(default=None, description="Vigilante daemons.")
    rollup: Rollup | None = Field(default=None, description="OP-stack rollup + finality gadget.")


class FleetSpec(_Model):
    """A spec file: one or more stacks."""

    stacks: list[StackSpec] = Field(min_length=1, description="The stacks of the fleet.")


def is_hex(value: str) -> bool:
    return bool(HEX.match(value))
