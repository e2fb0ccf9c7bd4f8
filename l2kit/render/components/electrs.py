"""electrs (mempool/electrs, esplora HTTP API) indexing the stack's bitcoind over JSON-RPC.

The RPC password goes into a cookie file on an emptyDir (init container), which electrs
reads from ``<daemon-dir>/<network>/.cookie``; ``--jsonrpc-import`` avoids reading blk files.
"""

from __future__ import annotations

from l2kit.btc.network import record
from l2kit.render.common import (
    SCRIPTS_MOUNT,
    SIDE_RESOURCES,
    container_security,
    empty_dir,
    name,
    pod_spec,
    resources,
    scripts_volume,
    secret_volume,
    tcp_probe,
    volume_claim,
)
from l2kit.render.components.bitcoind import rpc_host, rpc_port
from l2kit.render.objects import Ingress, Port, Workload, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec

COMPONENT = "electrs"
HTTP_PORT, ELECTRUM_PORT, METRICS_PORT = 3000, 50001, 4224
UID = 1000  # the image runs as root by default; electrs needs no privileges


def http_url(stack: StackSpec) -> str:
    return f"http://{name(stack, COMPONENT)}.{stack.namespace}.svc:{HTTP_PORT}"


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    e, b, rpc = stack.electrs, stack.bitcoind, stack.secrets.rpc
    if e is None or b is None or rpc is None:
        return
    subdir = record(stack.network).subdir
    cookie = {
        "name": "rpc-cookie",
        "image": e.image,
        "command": ["/bin/sh", f"{SCRIPTS_MOUNT}/electrs-cookie.sh", rpc.user, subdir],
        "securityContext": container_security(),
        "resources": SIDE_RESOURCES,
        "volumeMounts": [
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "rpc-secret", "mountPath": "/secrets/rpc", "readOnly": True},
            {"name": "cookie", "mountPath": "/bitcoin"},
        ],
    }
    main = {
        "name": "electrs",
        "image": e.image,
        "args": [
            f"--network={record(stack.network).electrs}",
            "--daemon-dir=/bitcoin",
            f"--daemon-rpc-addr={rpc_host(stack)}:{rpc_port(stack, b)}",
            "--jsonrpc-import",
            "--db-dir=/data/db",
            f"--electrum-rpc-addr=0.0.0.0:{ELECTRUM_PORT}",
            f"--http-addr=0.0.0.0:{HTTP_PORT}",
            f"--monitoring-addr=0.0.0.0:{METRICS_PORT}",
            "--address-search",
            "--timestamp",
            "-v",
        ],
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "electrum", "containerPort": ELECTRUM_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "resources": resources(e.resources),
        "securityContext": container_security(),
        # The HTTP API opens after the initial index; allow up to 2h for it.
        "startupProbe": tcp_probe("http", period=20, timeout=5, failures=360),
        "readinessProbe": tcp_probe("http", period=30, timeout=5, failures=3),
        "livenessProbe": tcp_probe("http", period=60, timeout=10, failures=5),
        "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "cookie", "mountPath": "/bitcoin", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    volumes = [
        scripts_volume(stack),
        secret_volume("rpc-secret", rpc.existing_secret, [(rpc.password_key, "password")]),
        empty_dir("cookie", medium_memory=True),
        empty_dir("tmp"),
    ]
    spec = pod_spec(
        stack,
        uid=UID,
        containers=[main],
        volumes=volumes,
        init_containers=[cookie],
        grace=120,
        component=COMPONENT,
    )
    add_workload(
        sb,
        stack,
        Workload(
            component=COMPONENT,
            app="electrs",
            kind="StatefulSet",
            pod_spec=spec,
            claims=[volume_claim(e.storage)],
            ports=[
                Port("http", HTTP_PORT),
                Port("electrum", ELECTRUM_PORT),
                Port("metrics", METRICS_PORT),
            ],
            ingress=[
                Ingress((HTTP_PORT, ELECTRUM_PORT), from_components=("vigilante-bstracker",)),
                Ingress((METRICS_PORT,), from_monitoring=True),
            ],
            metrics_port="metrics",
        ),
        stack.monitoring.namespace,
    )
