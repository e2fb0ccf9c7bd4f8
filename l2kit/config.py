"""The stack spec: one frozen pydantic model per YAML document, parsed once.

A spec file describes a *fleet*: ``stacks:`` is a list of stacks, each rendered into its own
namespace. Keys are camelCase (``existingSecret``), as in Kubernetes and Helm values. Every
field carries a description (it becomes the documentation of ``l2kit init`` and the chart
schema). Cross-field rules live in ``StackSpec._rules`` and ``FleetSpec._fleet_rules``; all
problems are collected and reported at once by :func:`parse_spec` as a :class:`SpecError`,
one ``path.to.field: rule`` line each.

Secrets are never values in the spec: each is an ``existingSecret`` name with documented keys
(see :data:`SECRET_KEYS`); ``l2kit render --generate-secrets`` can emit Secrets for the ones
that are plain random strings.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from l2kit.errors import InputError, SpecError
from l2kit.inputfiles import SPEC_MAX_BYTES, BadDocument, load_yaml, read_text


def to_camel(snake: str) -> str:
    """snake_case -> camelCase (p2p_port -> p2pPort, unlike pydantic's helper)."""
    first, *rest = snake.split("_")
    return first + "".join(w[:1].upper() + w[1:] for w in rest)


Network = Literal["mainnet", "testnet", "testnet4", "signet", "regtest"]
NETWORKS: tuple[Network, ...] = ("mainnet", "testnet", "testnet4", "signet", "regtest")
# Babylon's [btc-config] network has no testnet4 (testnet = testnet3).
BABYLON_NETWORKS: frozenset[str] = frozenset({"mainnet", "testnet", "signet", "regtest"})

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
# Stack names prefix every object: "<stack>-vigilante-bstracker-headless" must stay a
# 63-char DNS label and StatefulSet names leave room for the controller-revision hash.
STACK_NAME_MAX = 30
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_IMAGE = re.compile(
    r"^[a-z0-9][a-z0-9._/-]*(:[0-9]+/[a-z0-9._/-]+)?"  # [registry[:port]/]repository
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@sha256:[0-9a-f]{64})?$"
)
_HEX = re.compile(r"^[0-9a-f]+$")

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
}


def _image(value: str) -> str:
    match = _IMAGE.match(value)
    if match is None:
        raise ValueError("must be an image reference like registry/name:tag")
    tag = match.group("tag")
    if tag is None:
        raise ValueError("must be pinned by tag (name:tag), not untagged")
    if tag == "latest":
        raise ValueError("must not use the 'latest' tag")
    return value


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError("must be a Kubernetes quantity like 500m, 2, 512Mi or 20Gi")
    return value


def _label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError("must be a DNS label: lowercase letters, digits and '-', 1-63 chars")
    return value


def _stack_name(value: str) -> str:
    if not _DNS_LABEL.match(value) or len(value) > STACK_NAME_MAX:
        raise ValueError(
            f"must be a DNS label of at most {STACK_NAME_MAX} chars (lowercase letters, "
            "digits, '-'), as it prefixes every object name"
        )
    return value


def _subdomain(value: str) -> str:
    if not _DNS_SUBDOMAIN.match(value):
        raise ValueError("must be a DNS subdomain name (lowercase letters, digits, '-', '.')")
    return value


Image = Annotated[str, AfterValidator(_image)]
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


class Bitcoind(_Model):
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


class Miner(_Model):
    """Regtest block producer (Deployment calling generatetoaddress into a wallet)."""

    image: Image = Field(default="bitcoin/bitcoin:31.0", description="Image with bitcoin-cli.")
    interval_seconds: int = Field(default=10, ge=1, description="Seconds between blocks.")
    initial_blocks: int = Field(default=110, ge=101, description="Blocks mined first (maturity).")
    wallet: str = Field(
        default="default", pattern=r"^[A-Za-z0-9_-]+$", description="Wallet to mine to."
    )


class Electrs(_Model):
    """Esplora indexer (mempool/electrs), needed by vigilante bstracker."""

    image: Image = Field(default="mempool/electrs:v3.1.0", description="Image.")
    storage: Storage = Field(default_factory=Storage, description="Index volume.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class Babylond(_Model):
    """A single-node Babylon devnet, initialised with `babylond testnet --v 1`."""

    image: Image = Field(default="babylonlabs/babylond:v4.2.0", description="Image.")
    chain_id: str = Field(default="chain-test", pattern=r"^[a-z0-9-]+$", description="Chain id.")
    btc_network: Network | None = Field(default=None, description="[btc-config] network (stack's).")
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
    version: str = Field(description="babylond version of the chain, e.g. v4.2.0.")
    btc_network: Network | None = Field(
        default=None, description="The chain's BTC network (stack's)."
    )


class Covenant(_Model):
    """Covenant emulator (covd) and its remote signer."""

    emulator_image: Image = Field(
        default="babylonlabs/covenant-emulator:v0.16.0", description="covd."
    )
    signer_image: Image = Field(
        default="babylonlabs/covenant-signer:v0.16.0", description="Signer."
    )
    keyring: KeyringRef = Field(description="covd's Babylon account keyring (fee payer).")
    signer_keyring: KeyringRef = Field(description="Signer's covenant BTC key keyring.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class FinalityProvider(_Model):
    """fpd plus its EOTS manager eotsd."""

    image: Image = Field(default="babylonlabs/finality-provider:v2.0.1", description="Image.")
    keyring: KeyringRef = Field(description="fpd's funded Babylon account keyring.")
    eots_keyring: SecretRef = Field(description="eotsd keyring-test directory.")
    storage: Storage = Field(default_factory=Storage, description="Data volumes.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


VigilanteRole = Literal["reporter", "submitter", "monitor", "bstracker"]


def _all_roles() -> list[VigilanteRole]:
    return ["reporter", "submitter", "monitor", "bstracker"]


class Vigilante(_Model):
    """Vigilante daemons, one StatefulSet per role."""

    image: Image = Field(default="babylonlabs/vigilante:v0.24.1", description="Image.")
    roles: list[VigilanteRole] = Field(default_factory=_all_roles, description="Roles to run.")
    keyring: KeyringRef = Field(description="Vigilante's funded Babylon account keyring.")
    genesis_config_map: ObjectName | None = Field(
        default=None,
        description="ConfigMap with key genesis.json for monitor (none: fetched from RPC).",
    )
    storage: Storage = Field(
        default_factory=lambda: Storage(size="1Gi", storage_class=None, snapshot=None),
        description="DB volumes.",
    )
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class Rollup(_Model):
    """OP-stack L2 (op-geth, op-node) with Babylon's finality gadget (opfgd)."""

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
    storage: Storage = Field(default_factory=Storage, description="Data volumes.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")


class StackSpec(_Model):
    """One stack: everything rendered into one namespace, labelled l2kit.io/stack=<name>."""

    name: StackName = Field(description="Stack name: prefix of every object name.")
    namespace: Label = Field(description="Namespace the stack is rendered into.")
    network: Network = Field(description="Bitcoin network of every component.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Monitoring.")
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


def read_spec(spec: str | Path) -> str:
    """The text of a spec file (``-``: stdin), size-capped and strictly UTF-8."""
    if str(spec) == "-":
        text = sys.stdin.read(SPEC_MAX_BYTES + 1)
        if len(text) > SPEC_MAX_BYTES:
            raise InputError(f"larger than {SPEC_MAX_BYTES} bytes", field="spec")
        return text
    try:
        return read_text(Path(spec), SPEC_MAX_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read spec: {exc.strerror or exc}", field=str(spec)) from None
    except BadDocument as exc:
        raise InputError(str(exc), field=str(spec)) from None


def parse_spec(text: str) -> FleetSpec:
    """Parse and check a spec; raise SpecError listing every problem (``path: rule``)."""
    try:
        data: Any = load_yaml(text)
    except BadDocument as exc:
        raise SpecError([f"<yaml>: {exc}"]) from None
    if not isinstance(data, dict):
        raise SpecError(["<root>: must be a mapping with a 'stacks' list"])
    try:
        fleet = FleetSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(pydantic_problems(exc)) from exc
    from l2kit.spec_rules import fleet_problems  # rules need the models; kept in their own module

    problems = fleet_problems(fleet)
    if problems:
        raise SpecError(problems)
    return fleet


def pydantic_problems(exc: ValidationError) -> list[str]:
    """One ``path.to.field: rule`` line per pydantic error."""
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "<root>"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{path}: {msg}")
    return lines


def is_hex(value: str) -> bool:
    return bool(_HEX.match(value))
