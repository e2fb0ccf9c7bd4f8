"""OP-stack rollup (experimental): op-geth, op-node (Babylon fork) and the finality gadget opfgd.

Every flag, env var, config key, port and path here is checked against the components' config
contracts (``l2kit/contracts/{op-geth,op-node,finality-gadget}.yaml``).

op-node learns the gadget address from rollup.json (``babylon_finality_gadget_rpc``), which
comes with genesis.json from the ``rollupConfigMap`` the user provides; a down gadget halts
op-node, so the gadget has its own probes and PDB. The engine JWT, L1 endpoints and the
sequencer key are Secret references; the gadget's bitcoind password is filled into its TOML
by the render-config init container.
"""

from __future__ import annotations

from l2kit.render.common import (
    SCRIPTS_MOUNT,
    Obj,
    container_security,
    empty_dir,
    http_probe,
    name,
    need,
    pod0_host,
    pod_spec,
    render_config_init,
    resources,
    scripts_volume,
    secret_env,
    secret_volume,
    tcp_probe,
    volume_claim,
)
from l2kit.render.components import babylond
from l2kit.render.components.babylon_daemons import UID as GADGET_UID
from l2kit.render.components.bitcoind import rpc_host, rpc_port
from l2kit.render.objects import Ingress, Port, Workload, add_config_map, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import Rollup, StackSpec

OP_UID = 1000  # op-geth / op-node images default to root; both run fine unprivileged
GETH_HTTP, GETH_WS, GETH_AUTH, GETH_METRICS = 8545, 8546, 8551, 6060
NODE_RPC, NODE_METRICS = 8545, 7300
GADGET_GRPC, GADGET_HTTP = 50051, 8080
GADGET_HOME = "/home/finality-gadget"


def gadget_toml(stack: StackSpec, r: Rollup) -> str:
    b = need(stack.bitcoind, "bitcoind")
    rpc = need(stack.secrets.rpc, "secrets.rpc")
    return "\n".join(
        [
            "# opfgd config rendered by l2kit; @@NAME@@ is filled from Secrets at start",
            f'L2RPCHost = "http://{pod0_host(stack, "op-geth")}:{GETH_HTTP}"',
            f'BitcoinRPCHost = "{rpc_host(stack)}:{rpc_port(stack, b)}"',
            f'BitcoinRPCUser = "{rpc.user}"',
            'BitcoinRPCPass = "@@BTC_RPC_PASSWORD@@"',
            "BitcoinDisableTLS = true",
            f'FGContractAddress = "{r.fg_contract_address}"',
            f'BBNChainID = "{babylond.chain_id(stack)}"',
            f'BBNRPCAddress = "{babylond.rpc_url(stack)}"',
            f'DBFilePath = "{GADGET_HOME}/data/data.db"',
            f'GRPCListener = "0.0.0.0:{GADGET_GRPC}"',
            f'HTTPListener = "0.0.0.0:{GADGET_HTTP}"',
            'PollInterval = "10s"',
            "BatchSize = 10",
            'LogLevel = "info"',
            "",
        ]
    )


def _ports(*pairs: tuple[str, int]) -> list[Obj]:
    return [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in pairs]


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    r, jwt, l1, rpc = stack.rollup, stack.secrets.jwt, stack.secrets.l1, stack.secrets.rpc
    if r is None or jwt is None or l1 is None or rpc is None:
        return
    ns = stack.monitoring.namespace
    rollup_vol = {
        "name": "rollup",
        "configMap": {"name": r.rollup_config_map, "defaultMode": 0o444},
    }
    jwt_vol = secret_volume("jwt", jwt.existing_secret, [("jwt.hex", "jwt.hex")])
    _op_geth(stack, sb, r, rollup_vol, jwt_vol, ns)
    _op_node(stack, sb, r, rollup_vol, jwt_vol, ns)
    _gadget(stack, sb, r, ns)


def _op_geth(
    stack: StackSpec, sb: StackBuilder, r: Rollup, rollup_vol: Obj, jwt_vol: Obj, ns: str
) -> None:
    comp = "op-geth"
    init = {
        "name": "init-genesis",
        "image": r.op_geth_image,
        "command": ["/bin/sh", f"{SCRIPTS_MOUNT}/op-geth-init.sh"],
        "securityContext": container_security(),
        "resources": resources(r.resources),
        "volumeMounts": [
            {"name": "data", "mountPath": "/db"},
            {"name": "rollup", "mountPath": "/rollup", "readOnly": True},
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
        ],
    }
    main = {
        "name": comp,
        "image": r.op_geth_image,
        "command": ["geth"],
        "args": [
            "--datadir=/db",
            "--http",
            "--http.addr=0.0.0.0",
            f"--http.port={GETH_HTTP}",
            # No engine (geth serves it only on the JWT-authenticated authrpc port) and no debug
            # (debug_setHead rewinds the chain) on a port open to every pod.
            "--http.api=web3,eth,txpool,net",
            "--http.vhosts=*",
            # the same APIs on ws (geth's ws default is net,web3: no eth_subscribe)
            "--ws",
            "--ws.addr=0.0.0.0",
            f"--ws.port={GETH_WS}",
            "--ws.api=web3,eth,txpool,net",
            "--syncmode=full",
            "--nodiscover",
            "--maxpeers=0",
            f"--networkid={r.chain_id}",
            "--authrpc.addr=0.0.0.0",
            f"--authrpc.port={GETH_AUTH}",
            "--authrpc.vhosts=*",
            "--authrpc.jwtsecret=/secrets/jwt/jwt.hex",
            "--gcmode=archive",
            "--state.scheme=hash",
            "--rollup.disabletxpoolgossip",
            "--metrics",
            "--metrics.addr=0.0.0.0",
            f"--metrics.port={GETH_METRICS}",
        ],
        "env": [{"name": "GETH_MINER_RECOMMIT", "value": "100ms"}],
        "ports": _ports(
            ("http", GETH_HTTP), ("ws", GETH_WS), ("authrpc", GETH_AUTH), ("metrics", GETH_METRICS)
        ),
        "resources": resources(r.resources),
        "securityContext": container_security(),
        "startupProbe": tcp_probe("http", period=10, timeout=5, failures=180),
        "readinessProbe": tcp_probe("http", period=15, timeout=5, failures=3),
        "livenessProbe": tcp_probe("http", period=30, timeout=10, failures=10),
        "volumeMounts": [
            {"name": "data", "mountPath": "/db"},
            {"name": "jwt", "mountPath": "/secrets/jwt", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    spec = pod_spec(
        stack,
        uid=OP_UID,
        containers=[main],
        init_containers=[init],
        volumes=[rollup_vol, jwt_vol, scripts_volume(stack), empty_dir("tmp")],
        grace=300,
        component=comp,
    )
    add_workload(
        sb,
        stack,
        Workload(
            component=comp,
            app="op-geth",
            kind="StatefulSet",
            pod_spec=spec,
            claims=[volume_claim(r.storage)],
            ports=[
                Port("http", GETH_HTTP),
                Port("ws", GETH_WS),
                Port("authrpc", GETH_AUTH),
                Port("metrics", GETH_METRICS),
            ],
            ingress=[
                Ingress((GETH_HTTP, GETH_WS), from_anywhere=True),
                Ingress((GETH_AUTH,), from_components=("op-node",)),
                Ingress((GETH_METRICS,), from_monitoring=True),
            ],
            metrics_port="metrics",
            metrics_path="/debug/metrics/prometheus",
        ),
        ns,
    )


def _op_node(
    stack: StackSpec, sb: StackBuilder, r: Rollup, rollup_vol: Obj, jwt_vol: Obj, ns: str
) -> None:
    comp = "op-node"
    l1, seq = need(stack.secrets.l1, "secrets.l1"), stack.secrets.sequencer
    env = [
        secret_env("OP_NODE_L1_ETH_RPC", l1.existing_secret, "rpc-url"),
        secret_env("OP_NODE_L1_BEACON", l1.existing_secret, "beacon-url"),
    ]
    args = [
        f"--l2=http://{pod0_host(stack, 'op-geth')}:{GETH_AUTH}",
        "--l2.jwt-secret=/secrets/jwt/jwt.hex",
        "--rollup.config=/rollup/rollup.json",
        # No --rpc.enable-admin: the admin API (stop/start sequencer) has no authentication and
        # the RPC port is open to every pod.
        "--rpc.addr=0.0.0.0",
        f"--rpc.port={NODE_RPC}",
        "--p2p.disable",
        "--safedb.path=/db/safedb",
        "--metrics.enabled",
        "--metrics.addr=0.0.0.0",
        f"--metrics.port={NODE_METRICS}",
    ]
    if r.sequencer and seq is not None:
        args += ["--sequencer.enabled", "--sequencer.l1-confs=5", "--verifier.l1-confs=4"]
        env.append(
            secret_env("OP_NODE_P2P_SEQUENCER_KEY", seq.existing_secret, "p2p-sequencer-key")
        )
    main = {
        "name": comp,
        "image": r.op_node_image,
        "command": ["op-node"],
        "args": args,
        "env": env,
        "ports": _ports(("rpc", NODE_RPC), ("metrics", NODE_METRICS)),
        "resources": resources(r.resources),
        "securityContext": container_security(),
        "startupProbe": http_probe("/healthz", "rpc", period=10, timeout=5, failures=60),
        "readinessProbe": http_probe("/healthz", "rpc", period=15, timeout=5, failures=3),
        "livenessProbe": http_probe("/healthz", "rpc", period=30, timeout=10, failures=5),
        "volumeMounts": [
            {"name": "data", "mountPath": "/db"},
            {"name": "rollup", "mountPath": "/rollup", "readOnly": True},
            {"name": "jwt", "mountPath": "/secrets/jwt", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    spec = pod_spec(
        stack,
        uid=OP_UID,
        containers=[main],
        volumes=[rollup_vol, jwt_vol, empty_dir("tmp")],
        grace=120,
        component=comp,
    )
    add_workload(
        sb,
        stack,
        Workload(
            component=comp,
            app="op-node",
            kind="StatefulSet",
            pod_spec=spec,
            # The snapshot, if any, is op-geth's datadir: never restore it here.
            claims=[volume_claim(r.storage.model_copy(update={"size": "10Gi", "snapshot": None}))],
            ports=[Port("rpc", NODE_RPC), Port("metrics", NODE_METRICS)],
            ingress=[
                Ingress((NODE_RPC,), from_anywhere=True),
                Ingress((NODE_METRICS,), from_monitoring=True),
            ],
            metrics_port="metrics",
            egress_external=True,  # the L1
        ),
        ns,
    )


def _gadget(stack: StackSpec, sb: StackBuilder, r: Rollup, ns: str) -> None:
    comp = "finality-gadget"
    rpc = need(stack.secrets.rpc, "secrets.rpc")
    conf = gadget_toml(stack, r)
    n = name(stack, comp)
    add_config_map(sb, stack, "opfgd", comp, n, {"config.toml": conf})
    init = render_config_init(
        r.gadget_image,
        "/config-template/config.toml",
        "/config/config.toml",
        {"BTC_RPC_PASSWORD": "/secrets/rpc/password"},
        [
            {"name": "config-template", "mountPath": "/config-template"},
            {"name": "config", "mountPath": "/config"},
            {"name": "rpc-secret", "mountPath": "/secrets/rpc", "readOnly": True},
        ],
    )
    health = http_probe("/health", "http", period=15, timeout=5, failures=3)
    main = {
        "name": "opfgd",
        "image": r.gadget_image,
        "command": ["opfgd"],
        "args": ["start", "--cfg=/config/config.toml"],
        "env": [{"name": "HOME", "value": "/tmp"}],
        "ports": _ports(("grpc", GADGET_GRPC), ("http", GADGET_HTTP)),
        "resources": resources(r.resources),
        "securityContext": container_security(),
        "startupProbe": {**health, "failureThreshold": 60},
        "readinessProbe": health,
        "livenessProbe": {**health, "periodSeconds": 30, "failureThreshold": 5},
        "volumeMounts": [
            {"name": "config", "mountPath": "/config", "readOnly": True},
            {"name": "data", "mountPath": f"{GADGET_HOME}/data"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    volumes = [
        {"name": "config-template", "configMap": {"name": n, "defaultMode": 0o444}},
        secret_volume("rpc-secret", rpc.existing_secret, [(rpc.password_key, "password")]),
        scripts_volume(stack),
        empty_dir("config", medium_memory=True),
        empty_dir("tmp"),
    ]
    spec = pod_spec(
        stack,
        uid=GADGET_UID,
        containers=[main],
        volumes=volumes,
        init_containers=[init],
        grace=60,
        component=comp,
    )
    add_workload(
        sb,
        stack,
        Workload(
            component=comp,
            app="opfgd",
            kind="StatefulSet",
            pod_spec=spec,
            claims=[volume_claim(r.storage.model_copy(update={"size": "5Gi", "snapshot": None}))],
            ports=[Port("grpc", GADGET_GRPC), Port("http", GADGET_HTTP)],
            ingress=[
                Ingress((GADGET_GRPC, GADGET_HTTP), from_components=("op-node",)),
                Ingress((GADGET_HTTP,), from_monitoring=True),
            ],
            # No ServiceMonitor: opfgd at the pinned commit serves no /metrics (its contract);
            # the l2kit monitor probes /health and /v1/chainSyncStatus instead.
            egress_external=stack.babylon_chain is not None,
        ),
        ns,
    )
