"""Babylon: a local single-validator devnet node, or the endpoints of an existing chain.

The devnet home is created once by an init container running ``babylond testnet --v 1``
(regtest BTC network and genesis header, BD's fast devnet parameters).

BLS key: ``babylond testnet`` would encrypt it with its hard-coded password ``password``
(babylonlabs-io/babylon@v4.2.7:testutil/datagen/init_val.go#L73) and write it to
``bls_password.txt``. Instead the init script first runs ``babylond create-bls-key`` with
BABYLON_BLS_PASSWORD from the ``blsPassword`` Secret, which ``testnet`` then loads (the env
var comes before the file: app/signer/bls.go GetBlsPassword); the password file is removed,
and ``start`` reads the same env var (no ``--bls-password-file``: both together are an error,
app/signer/bls.go ValidatePasswordMethods). No prompt, no literal password.
"""

from __future__ import annotations

from l2kit.render.common import (
    SCRIPTS_MOUNT,
    Obj,
    container_security,
    empty_dir,
    exec_probe,
    need,
    pod0_host,
    pod_spec,
    resources,
    scripts_volume,
    secret_env,
    volume_claim,
)
from l2kit.render.objects import Ingress, Port, Workload, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec

COMPONENT = "babylond"
UID = 1137
HOME = "/home/babylon/.babylond"
P2P, RPC, GRPC, API, METRICS = 26656, 26657, 9090, 1317, 26660
REGTEST_GENESIS_HEADER = (
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27a"
    "c72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000"
)
# Components that call Babylon's CometBFT RPC / gRPC.
CLIENTS = (
    "vigilante-reporter",
    "vigilante-submitter",
    "vigilante-monitor",
    "vigilante-bstracker",
    "fpd",
    "covd",
    "covenant-signer",
    "finality-gadget",
)


def chain_id(stack: StackSpec) -> str:
    if stack.babylond is not None:
        return stack.babylond.chain_id
    return need(stack.babylon_chain, "babylonChain").chain_id


def rpc_url(stack: StackSpec) -> str:
    if stack.babylond is not None:
        return f"http://{pod0_host(stack, COMPONENT)}:{RPC}"
    return need(stack.babylon_chain, "babylonChain").rpc_addr


def grpc_url(stack: StackSpec) -> str:
    if stack.babylond is not None:
        return f"http://{pod0_host(stack, COMPONENT)}:{GRPC}"
    return need(stack.babylon_chain, "babylonChain").grpc_addr


def btc_network(stack: StackSpec) -> str:
    """Babylon's name for the BTC network ([btc-config] network, vigilante net-params)."""
    return stack.network


def init_args(stack: StackSpec) -> list[str]:
    d = need(stack.babylond, "babylond")
    return [
        f"--chain-id={d.chain_id}",
        "--keyring-backend=test",
        f"--btc-network={btc_network(stack)}",
        f"--btc-base-header={REGTEST_GENESIS_HEADER}",
        "--btc-base-header-height=0",
        "--btc-confirmation-depth=1",
        "--btc-finalization-timeout=2",
        f"--epoch-interval={d.epoch_interval}",
        "--minimum-gas-prices=0.002ubbn",
        f"--covenant-pks={','.join(d.covenant_pks)}",
        f"--covenant-quorum={d.covenant_quorum}",
        "--slashing-pk-script=76a914010101010101010101010101010101010101010188ac",
        "--slashing-rate=0.1",
        "--min-staking-time-blocks=10",
        "--unbonding-time=5",
        "--min-commission-rate=0.05",
        "--activation-height=1",
        "--additional-sender-account",
    ]


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    d, bls = stack.babylond, stack.secrets.bls_password
    if d is None or bls is None:
        return
    bls_env: Obj = secret_env("BABYLON_BLS_PASSWORD", bls.existing_secret, "password")
    init = {
        "name": "init-devnet",
        "image": d.image,
        "command": ["/bin/sh", f"{SCRIPTS_MOUNT}/babylond-init.sh", HOME, *init_args(stack)],
        "env": [
            {"name": "HOME", "value": "/tmp"},
            {"name": "GENESIS_ACCOUNTS", "value": " ".join(d.genesis_accounts)},
            {"name": "GENESIS_BALANCE", "value": d.genesis_balance},
            bls_env,
        ],
        "securityContext": container_security(),
        "resources": resources(d.resources),
        "volumeMounts": [
            {"name": "data", "mountPath": HOME},
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    main = {
        "name": "babylond",
        "image": d.image,
        "command": ["babylond", "start", f"--home={HOME}", "--log_format=plain"],
        "env": [{"name": "HOME", "value": "/tmp"}, bls_env],
        "ports": [
            {"name": "p2p", "containerPort": P2P, "protocol": "TCP"},
            {"name": "rpc", "containerPort": RPC, "protocol": "TCP"},
            {"name": "grpc", "containerPort": GRPC, "protocol": "TCP"},
            {"name": "api", "containerPort": API, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS, "protocol": "TCP"},
        ],
        "resources": resources(d.resources),
        "securityContext": container_security(),
        "startupProbe": exec_probe(
            ["/bin/sh", f"{SCRIPTS_MOUNT}/babylond-startup.sh"], period=10, timeout=15, failures=180
        ),
        "readinessProbe": exec_probe(
            ["/bin/sh", f"{SCRIPTS_MOUNT}/babylond-ready.sh"], period=15, timeout=15, failures=2
        ),
        "livenessProbe": exec_probe(
            ["/bin/sh", f"{SCRIPTS_MOUNT}/babylond-live.sh", "1800"],
            period=60,
            timeout=20,
            failures=3,
        ),
        "lifecycle": {
            "preStop": {"exec": {"command": ["/bin/sh", f"{SCRIPTS_MOUNT}/babylond-stop.sh"]}}
        },
        "volumeMounts": [
            {"name": "data", "mountPath": HOME},
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "probe", "mountPath": "/probe"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    volumes = [scripts_volume(stack), empty_dir("probe"), empty_dir("tmp")]
    spec = pod_spec(
        stack,
        uid=UID,
        containers=[main],
        volumes=volumes,
        init_containers=[init],
        grace=600,
        component=COMPONENT,
    )
    add_workload(
        sb,
        stack,
        Workload(
            component=COMPONENT,
            app="babylond",
            kind="StatefulSet",
            pod_spec=spec,
            claims=[volume_claim(d.storage)],
            ports=[
                Port("p2p", P2P),
                Port("rpc", RPC),
                Port("grpc", GRPC),
                Port("api", API),
                Port("metrics", METRICS),
            ],
            ingress=[
                Ingress((P2P,), from_anywhere=True),
                Ingress((RPC, GRPC, API), from_components=CLIENTS),
                Ingress((METRICS,), from_monitoring=True),
            ],
            metrics_port="metrics",
        ),
        stack.monitoring.namespace,
    )
