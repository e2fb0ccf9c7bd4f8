"""bitcoind: StatefulSet + bitcoin.conf ConfigMap + exporter sidecar + sync-aware probes.

bitcoin.conf (``templates/bitcoind/bitcoin.conf.j2``) puts the network selector first and
**everything else** under the network's section header (``[main]``, ``[test]``,
``[testnet4]``, ``[signet]``, ``[regtest]``): rpcport, rpcbind, port, bind only apply inside
it (components.md §1.2). The rpcauth line is filled in by an init container from the RPC
Secret (``@@RPCAUTH@@`` placeholder), so the ConfigMap holds no credential. Probes use
bitcoin-cli with the cookie in the datadir (no password).
"""

from __future__ import annotations

from l2kit.btc.network import record
from l2kit.render import config_files
from l2kit.render.common import (
    SCRIPTS_MOUNT,
    SIDE_RESOURCES,
    Obj,
    container_security,
    empty_dir,
    exec_probe,
    labels,
    name,
    pod_spec,
    render_config_init,
    resources,
    scripts_volume,
    secret_env,
    secret_volume,
    selector_labels,
    volume_claim,
)
from l2kit.render.objects import Ingress, Port, Workload, add_config_map, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import Bitcoind, RpcSecret, StackSpec

DATADIR = "/home/bitcoin/.bitcoin"
COMPONENT = "bitcoind"
# Components that call bitcoind RPC / ZMQ (NetworkPolicy allow-list).
RPC_CLIENTS = (
    "miner",
    "electrs",
    "vigilante-reporter",
    "vigilante-submitter",
    "vigilante-monitor",
    "vigilante-bstracker",
    "finality-gadget",
)


def rpc_port(stack: StackSpec, b: Bitcoind) -> int:
    return b.rpc_port or record(stack.network).rpc_port


def p2p_port(stack: StackSpec, b: Bitcoind) -> int:
    return b.p2p_port or record(stack.network).p2p_port


def rpc_host(stack: StackSpec) -> str:
    """Clients talk to pod 0 so that RPC and ZMQ come from the same node, through a ClusterIP
    Service of that pod alone: its address outlives the pod's IP. electrs resolves the
    address once at start (mempool/electrs@80758ea:src/config.rs#L81-L88 str_to_socketaddr)
    and would keep dialling a rescheduled pod's old IP through the headless name."""
    return f"{name(stack, COMPONENT)}-0.{stack.namespace}.svc"


def needs_wallet(stack: StackSpec) -> bool:
    return stack.miner is not None or (
        stack.vigilante is not None and "submitter" in stack.vigilante.roles
    )


def bitcoin_conf(stack: StackSpec, b: Bitcoind) -> str:
    """``templates/bitcoind/bitcoin.conf.j2`` for this node set."""
    n = name(stack, COMPONENT)
    peers = (
        [
            f"{n}-{i}.{n}-headless.{stack.namespace}.svc:{p2p_port(stack, b)}"
            for i in range(b.replicas)
        ]
        if b.replicas > 1
        else []
    )
    return config_files.render(
        "bitcoind/bitcoin.conf.j2",
        stack=stack.name,
        network=stack.network,
        net=record(stack.network),
        node=b,
        rpc_port=rpc_port(stack, b),
        p2p_port=p2p_port(stack, b),
        wallet=needs_wallet(stack),
        peers=peers,
    )


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    b = stack.bitcoind
    rpc = stack.secrets.rpc
    if b is None or rpc is None:
        return
    n = name(stack, COMPONENT)
    conf = bitcoin_conf(stack, b)
    add_config_map(sb, stack, COMPONENT, COMPONENT, n, {"bitcoin.conf": conf})
    rport, pport = rpc_port(stack, b), p2p_port(stack, b)
    env = [{"name": "BITCOIN_DATA", "value": DATADIR}]
    mounts = [
        {"name": "data", "mountPath": DATADIR},
        {"name": "config", "mountPath": "/config"},
        {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
        {"name": "probe", "mountPath": "/probe"},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    need_ibd = "0" if stack.network == "regtest" else "1"
    main: Obj = {
        "name": "bitcoind",
        "image": b.image,
        # Run bitcoind directly as the image's non-root user (the entrypoint would need root).
        "command": ["bitcoind"],
        "args": ["-conf=/config/bitcoin.conf", f"-datadir={DATADIR}"],
        "env": env,
        "ports": [
            {"name": "rpc", "containerPort": rport, "protocol": "TCP"},
            {"name": "p2p", "containerPort": pport, "protocol": "TCP"},
            {"name": "zmq-sequence", "containerPort": b.zmq_sequence_port, "protocol": "TCP"},
            {"name": "zmq-rawblock", "containerPort": b.zmq_raw_block_port, "protocol": "TCP"},
            {"name": "zmq-rawtx", "containerPort": b.zmq_raw_tx_port, "protocol": "TCP"},
        ],
        "resources": resources(b.resources),
        "securityContext": container_security(),
        "startupProbe": exec_probe(
            ["/bin/sh", f"{SCRIPTS_MOUNT}/bitcoind-startup.sh"],
            period=10,
            timeout=30,
            failures=360,
        ),
        "readinessProbe": exec_probe(
            [
                "/bin/sh",
                f"{SCRIPTS_MOUNT}/bitcoind-ready.sh",
                str(b.probes.max_header_lag),
                need_ibd,
            ],
            period=30,
            timeout=30,
            failures=2,
        ),
        "livenessProbe": exec_probe(
            ["/bin/sh", f"{SCRIPTS_MOUNT}/bitcoind-live.sh", str(b.probes.liveness_window_seconds)],
            period=60,
            timeout=30,
            failures=3,
        ),
        "lifecycle": {
            "preStop": {"exec": {"command": ["/bin/sh", f"{SCRIPTS_MOUNT}/bitcoind-stop.sh"]}}
        },
        "volumeMounts": mounts,
    }
    containers = [main]
    ports = [
        Port("rpc", rport),
        Port("p2p", pport),
        Port("zmq-sequence", b.zmq_sequence_port),
        Port("zmq-rawblock", b.zmq_raw_block_port),
        Port("zmq-rawtx", b.zmq_raw_tx_port),
    ]
    if b.exporter.enabled:
        containers.append(_exporter(b, rpc, rport))
        ports.append(Port("metrics", b.exporter.port))
    init = render_config_init(
        b.image,
        "/config-template/bitcoin.conf",
        "/config/bitcoin.conf",
        {"RPCAUTH": f"/secrets/rpc/{rpc.rpcauth_key}"},
        [
            {"name": "config-template", "mountPath": "/config-template"},
            {"name": "config", "mountPath": "/config"},
            {"name": "rpc-secret", "mountPath": "/secrets/rpc", "readOnly": True},
        ],
    )
    volumes = [
        {"name": "config-template", "configMap": {"name": n, "defaultMode": 0o444}},
        secret_volume("rpc-secret", rpc.existing_secret, [(rpc.rpcauth_key, rpc.rpcauth_key)]),
        scripts_volume(stack),
        empty_dir("config", medium_memory=True),
        empty_dir("probe"),
        empty_dir("tmp"),
    ]
    spec = pod_spec(
        stack,
        uid=b.uid,
        containers=containers,
        volumes=volumes,
        init_containers=[init],
        grace=900,
        component=COMPONENT,
        replicas=b.replicas,
    )
    ingress = [
        Ingress((pport,), from_anywhere=True),
        Ingress(
            (rport, b.zmq_sequence_port, b.zmq_raw_block_port, b.zmq_raw_tx_port),
            from_components=RPC_CLIENTS,
        ),
    ]
    if b.exporter.enabled:
        ingress.append(Ingress((b.exporter.port,), from_monitoring=True))
    add_workload(
        sb,
        stack,
        Workload(
            component=COMPONENT,
            app="bitcoind",
            kind="StatefulSet",
            pod_spec=spec,
            replicas=b.replicas,
            claims=[volume_claim(b.storage)],
            ports=ports,
            ingress=ingress,
            metrics_port="metrics" if b.exporter.enabled else None,
            egress_external=stack.network != "regtest",  # outbound P2P
        ),
        stack.monitoring.namespace,
    )
    sb.services.append(_pod0_service(stack, [p for p in ports if p.name != "metrics"]))


def _pod0_service(stack: StackSpec, ports: list[Port]) -> Obj:
    """ClusterIP Service of pod 0 only (the StatefulSet controller labels each pod with its
    name); not-ready addresses are published so that clients reach a syncing node."""
    n = name(stack, COMPONENT)
    return {
        "name": f"{n}-0",
        "labels": {**labels(stack, "bitcoind", COMPONENT), "l2kit.io/pod0": "true"},
        "annotations": {},
        "spec": {
            "type": "ClusterIP",
            "publishNotReadyAddresses": True,
            "selector": {
                **selector_labels(stack, COMPONENT),
                "statefulset.kubernetes.io/pod-name": f"{n}-0",
            },
            "ports": [
                {"name": p.name, "port": p.port, "targetPort": p.name, "protocol": p.protocol}
                for p in ports
            ],
        },
    }


def _exporter(b: Bitcoind, rpc: RpcSecret, rport: int) -> Obj:
    return {
        "name": "exporter",
        "image": b.exporter.image,
        "env": [
            {"name": "BITCOIN_RPC_HOST", "value": "127.0.0.1"},
            {"name": "BITCOIN_RPC_PORT", "value": str(rport)},
            {"name": "BITCOIN_RPC_USER", "value": rpc.user},
            secret_env("BITCOIN_RPC_PASSWORD", rpc.existing_secret, rpc.password_key),
            {"name": "METRICS_PORT", "value": str(b.exporter.port)},
            {"name": "TIMEOUT", "value": "10"},
        ],
        "ports": [{"name": "metrics", "containerPort": b.exporter.port, "protocol": "TCP"}],
        "resources": SIDE_RESOURCES,
        # The image runs as nobody (65534).
        "securityContext": container_security(65534),
        "readinessProbe": {
            "tcpSocket": {"port": "metrics"},
            "periodSeconds": 30,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
            "successThreshold": 1,
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
