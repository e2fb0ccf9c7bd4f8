"""Regtest miner: a Deployment running bitcoin-cli generatetoaddress into a wallet.

The RPC password and the wallet passphrase reach bitcoin-cli on stdin (``-stdinrpcpass``,
``-stdin``), read from mounted Secret files; they are never arguments or env literals.
"""

from __future__ import annotations

from l2kit.render.common import (
    SCRIPTS_MOUNT,
    SIDE_RESOURCES,
    container_security,
    empty_dir,
    pod_spec,
    scripts_volume,
    secret_volume,
)
from l2kit.render.components.bitcoind import rpc_host, rpc_port
from l2kit.render.objects import Workload, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec

COMPONENT = "miner"


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    m, b, rpc, wallet = stack.miner, stack.bitcoind, stack.secrets.rpc, stack.secrets.wallet
    if m is None or b is None or rpc is None or wallet is None:
        return
    container = {
        "name": "miner",
        "image": m.image,
        "command": [
            "/bin/sh",
            f"{SCRIPTS_MOUNT}/miner.sh",
            rpc_host(stack),
            str(rpc_port(stack, b)),
            rpc.user,
            m.wallet,
            str(m.initial_blocks),
            str(m.interval_seconds),
        ],
        "env": [{"name": "HOME", "value": "/tmp"}],
        "resources": SIDE_RESOURCES,
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "rpc-secret", "mountPath": "/secrets/rpc", "readOnly": True},
            {"name": "wallet-secret", "mountPath": "/secrets/wallet", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    volumes = [
        scripts_volume(stack),
        secret_volume("rpc-secret", rpc.existing_secret, [(rpc.password_key, "password")]),
        secret_volume("wallet-secret", wallet.existing_secret, [("passphrase", "passphrase")]),
        empty_dir("tmp"),
    ]
    spec = pod_spec(stack, uid=b.uid, containers=[container], volumes=volumes, component=COMPONENT)
    add_workload(
        sb,
        stack,
        Workload(component=COMPONENT, app="bitcoin-cli", kind="Deployment", pod_spec=spec),
        stack.monitoring.namespace,
    )
