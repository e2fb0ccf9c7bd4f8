"""Vigilante reporter / submitter / monitor / bstracker: one StatefulSet (bbolt DB) per role.

One binary and one ``vigilante.yml`` for the four roles: ``config.New`` validates every section
whatever the role, and viper unmarshals into an empty struct (no defaults), so every key the
validators check is written out (contract: ``l2kit/contracts/vigilante.yaml``). The file
lives in a ConfigMap with ``@@BTC_RPC_PASSWORD@@`` / ``@@WALLET_PASSPHRASE@@`` placeholders;
the render-config init container fills them from the mounted Secrets into an emptyDir. The
monitor gets genesis.json from a ConfigMap or, with a local babylond, fetched from its RPC.
"""

from __future__ import annotations

import json

from l2kit.render.common import (
    SCRIPTS_MOUNT,
    SIDE_RESOURCES,
    Obj,
    container_security,
    empty_dir,
    name,
    need,
    pod_spec,
    render_config_init,
    resources,
    scripts_volume,
    secret_volume,
    tcp_probe,
    volume_claim,
)
from l2kit.render.components import babylond, electrs
from l2kit.render.components.babylon_daemons import UID, keyring_volume
from l2kit.render.components.bitcoind import rpc_host, rpc_port
from l2kit.render.objects import Ingress, Port, Workload, add_config_map, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec
from l2kit.yamlout import dump_yaml

CONFIG = "/home/vigilante/config"
KEYS = "/home/vigilante/keys"
DATA = "/home/vigilante/data"
GENESIS = "/home/vigilante/genesis"
METRICS = 2112
_UNUSED_INDEXER = "http://localhost:3000"  # vigilante's own default (config/btcstaking_tracker.go)


def _db(role: str) -> Obj:
    return {
        "dbpath": f"{DATA}/{role}",
        "dbfilename": f"{role}.db",
        "nofreelistsync": True,
        "autocompact": False,
        "autocompactminage": "168h",
        "dbtimeout": "60s",
    }


def _wallet_name(stack: StackSpec) -> str:
    v = need(stack.vigilante, "vigilante")
    if v.wallet_name is not None:
        return v.wallet_name
    return stack.miner.wallet if stack.miner else "default"


def vigilante_yml(stack: StackSpec) -> str:
    v, b = need(stack.vigilante, "vigilante"), need(stack.bitcoind, "bitcoind")
    net = babylond.btc_network(stack)
    host = rpc_host(stack)
    # Filled in the submitter's pod only: the one role that calls walletpassphrase.
    wallet_pass = "@@WALLET_PASSPHRASE@@" if stack.secrets.wallet is not None else ""
    babylon: Obj = {
        "key": v.keyring.key_name,
        "chain-id": babylond.chain_id(stack),
        "rpc-addr": babylond.rpc_url(stack),
        "grpc-addr": babylond.grpc_url(stack),
        "account-prefix": "bbn",
        "keyring-backend": "test",
        "key-directory": KEYS,
        "gas-adjustment": 1.5,
        "gas-prices": "0.002ubbn",
        "timeout": "20s",
        "block-timeout": "1m",
        "output-format": "json",
        "sign-mode": "direct",
        "debug": False,
    }
    if v.submitter_address is not None:
        babylon["submitter-address"] = v.submitter_address
    doc: Obj = {
        "common": {
            "log-format": "json",
            "log-level": v.log_level,
            "retry-sleep-time": "5s",
            "max-retry-sleep-time": "5m",
            "max-retry-times": 25,
        },
        "btc": {
            "endpoint": f"{host}:{rpc_port(stack, b)}",
            "disable-tls": True,
            "username": stack.secrets.rpc.user if stack.secrets.rpc else "",
            "password": "@@BTC_RPC_PASSWORD@@",
            "net-params": net,
            "wallet-name": _wallet_name(stack),
            "wallet-password": wallet_pass,
            "wallet-lock-time": 10,
            "estimate-mode": "CONSERVATIVE",
            "target-block-num": 2,
            "tx-fee-min": 1000,
            "tx-fee-max": 100000,
            "default-fee": 1000,
            "reconnect-attempts": 3,
            "zmq-seq-endpoint": f"tcp://{host}:{b.zmq_sequence_port}",
            "zmq-block-endpoint": f"tcp://{host}:{b.zmq_raw_block_port}",
            "zmq-tx-endpoint": f"tcp://{host}:{b.zmq_raw_tx_port}",
        },
        "babylon": babylon,
        "metrics": {"host": "0.0.0.0", "server-port": METRICS},
        "submitter": {
            "netparams": net,
            "buffer-size": 100,
            "resubmit-fee-multiplier": 2,
            "polling-interval-seconds": 60,
            "resend-interval-seconds": 1800,
            "insufficient_fee_margin": 0.15,
            "insufficient_feerate_margin": 0.15,
            "fee_increment_margin": 0.15,
            "dbconfig": _db("submitter"),
        },
        "reporter": {"netparams": net, "btc_cache_size": 1000, "max_headers_in_msg": 100},
        "monitor": {
            "checkpoint-buffer-size": 1000,
            "btc-block-buffer-size": 1000,
            "btc-cache-size": 1000,
            "btc-confirmation-depth": 6,
            "liveness-check-interval-seconds": 100,
            "max-live-btc-heights": 200,
            "enable-liveness-checker": True,
            "dbconfig": _db("monitor"),
        },
        "btcstaking-tracker": {
            "check-delegations-interval": "10s",
            "delegations-batch-size": 100,
            "check-if-delegation-active-interval": "10s",
            "retry-submit-unbonding-interval": "10s",
            "max-jitter-interval": "30s",
            "btcnetparams": net,
            "max-slashing-concurrency": 20,
            # esplora REST base URL (GET {indexer-addr}/tx/{txid}/outspend/{vout}); every role
            # validates it non-empty, only bstracker uses it (the rules require electrs then).
            "indexer-addr": electrs.http_url(stack) if stack.electrs else _UNUSED_INDEXER,
            "fetch-evidence-interval": "30s",
            "fetch-comet-block-interval": "2s",
            "reconnect-btc-node-interval": "60s",
            "slasherdbconfig": _db("bstracker"),
        },
    }
    return (
        "# vigilante.yml rendered by l2kit; @@NAME@@ is filled from Secrets at start "
        "(the wallet passphrase in the submitter only)\n" + dump_yaml(json.loads(json.dumps(doc)))
    )


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    v, rpc = stack.vigilante, stack.secrets.rpc
    if v is None or rpc is None:
        return
    conf = vigilante_yml(stack)
    cm = name(stack, "vigilante")
    add_config_map(sb, stack, "vigilante", "vigilante", cm, {"vigilante.yml": conf})
    wallet = stack.secrets.wallet
    rpc_mount = {"name": "rpc-secret", "mountPath": "/secrets/rpc", "readOnly": True}
    rpc_vol = secret_volume("rpc-secret", rpc.existing_secret, [(rpc.password_key, "password")])
    for role in v.roles:
        comp = f"vigilante-{role}"
        subs = {"BTC_RPC_PASSWORD": "/secrets/rpc/password"}
        secret_mounts, secret_vols = [rpc_mount], [rpc_vol]
        # Only the submitter reads wallet-password (walletpassphrase before signing); the
        # other roles keep the placeholder and never see the Secret.
        if role == "submitter" and wallet is not None:
            subs["WALLET_PASSPHRASE"] = "/secrets/wallet/passphrase"
            secret_mounts.append(
                {"name": "wallet", "mountPath": "/secrets/wallet", "readOnly": True}
            )
            secret_vols.append(
                secret_volume("wallet", wallet.existing_secret, [("passphrase", "passphrase")])
            )
        init = [
            render_config_init(
                v.image,
                "/config-template/vigilante.yml",
                f"{CONFIG}/vigilante.yml",
                subs,
                [
                    {"name": "config-template", "mountPath": "/config-template"},
                    {"name": "config", "mountPath": CONFIG},
                    *secret_mounts,
                ],
            )
        ]
        volumes = [
            {"name": "config-template", "configMap": {"name": cm, "defaultMode": 0o444}},
            *secret_vols,
            keyring_volume("keyring", v.keyring.existing_secret),
            scripts_volume(stack),
            empty_dir("config", medium_memory=True),
            empty_dir("tmp"),
        ]
        args = [role, f"--config={CONFIG}/vigilante.yml"]
        # Metrics open only after the role is up; bstracker first scans Babylon for slashing
        # evidence from --start-height (btcstaking-tracker/btcslasher/bootstrapping.go), which
        # it does again at every start, so its startup window is longer.
        startup = 60
        if role == "bstracker":
            startup = 720
            if v.start_height:
                args.append(f"--start-height={v.start_height}")
        mounts = [
            {"name": "config", "mountPath": CONFIG, "readOnly": True},
            {"name": "keyring", "mountPath": f"{KEYS}/keyring-test", "readOnly": True},
            {"name": "data", "mountPath": DATA},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        if role == "monitor":
            args.append(f"--genesis={GENESIS}/genesis.json")
            mounts.append({"name": "genesis", "mountPath": GENESIS, "readOnly": True})
            if v.genesis_config_map is not None:
                volumes.append(
                    {
                        "name": "genesis",
                        "configMap": {"name": v.genesis_config_map, "defaultMode": 0o444},
                    }
                )
            else:
                volumes.append(empty_dir("genesis"))
                init.append(_fetch_genesis(stack))
        main = {
            "name": "vigilante",
            "image": v.image,
            "command": ["vigilante"],
            "args": args,
            "env": [{"name": "HOME", "value": "/tmp"}],
            "ports": [{"name": "metrics", "containerPort": METRICS, "protocol": "TCP"}],
            "resources": resources(v.resources),
            "securityContext": container_security(),
            "startupProbe": tcp_probe("metrics", period=10, timeout=5, failures=startup),
            "readinessProbe": tcp_probe("metrics", period=15, timeout=5, failures=3),
            "livenessProbe": tcp_probe("metrics", period=30, timeout=10, failures=5),
            "volumeMounts": mounts,
        }
        spec = pod_spec(
            stack,
            uid=UID,
            containers=[main],
            volumes=volumes,
            init_containers=init,
            grace=60,
            component=comp,
        )
        add_workload(
            sb,
            stack,
            Workload(
                component=comp,
                app="vigilante",
                kind="StatefulSet",
                pod_spec=spec,
                claims=[volume_claim(v.storage)],
                ports=[Port("metrics", METRICS)],
                ingress=[Ingress((METRICS,), from_monitoring=True)],
                metrics_port="metrics",
                egress_external=stack.babylon_chain is not None,
            ),
            stack.monitoring.namespace,
        )


def _fetch_genesis(stack: StackSpec) -> Obj:
    d = need(stack.babylond, "babylond")  # otherwise genesisConfigMap is set
    return {
        "name": "fetch-genesis",
        "image": d.image,  # has curl and jq (contract genesis-fetch.yaml)
        "command": [
            "/bin/sh",
            f"{SCRIPTS_MOUNT}/fetch-genesis.sh",
            babylond.rpc_url(stack),
            f"{GENESIS}/genesis.json",
        ],
        "securityContext": container_security(),
        "resources": SIDE_RESOURCES,
        "volumeMounts": [
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "genesis", "mountPath": GENESIS},
        ],
    }
