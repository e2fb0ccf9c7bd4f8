"""Covenant emulator (covd) and covenant-signer, Deployments (no local database).

Authentication between them is HMAC-SHA256 over each request body (header X-Covenant-HMAC),
on only when both config files carry the same key: the render-config init containers place
the Secret's ``hmac-key`` into covd.conf ``[remotesigner] HMACKey`` and the signer's
config.toml ``[server-config] hmac-key`` (``@@HMAC_KEY@@``). The signer starts locked after
every restart and covd refuses to start against a locked signer, so the signer pod unlocks
itself: an init container (covd image, which has openssl) prepares the authenticated unlock
request on a memory emptyDir and a postStart hook posts it after every container start.
Contracts: ``l2kit/contracts/covd.yaml`` and ``covenant-signer.yaml``.
"""

from __future__ import annotations

from l2kit.render.common import (
    SCRIPTS_MOUNT,
    SIDE_RESOURCES,
    Obj,
    container_security,
    empty_dir,
    host,
    http_probe,
    name,
    pod_spec,
    render_config_init,
    resources,
    scripts_volume,
    secret_volume,
    tcp_probe,
)
from l2kit.render.components import babylond
from l2kit.render.components.babylon_daemons import UID, babylon_ini, keyring_volume
from l2kit.render.objects import Ingress, Port, Workload, add_config_map, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec

COVD_HOME = "/home/covenant-emulator/.covd"
SIGNER_HOME = "/home/covenant-signer/.signer"
SIGNER_PORT, METRICS = 9791, 2112
UNLOCK_DIR = "/unlock"
# covd's own default (config/babylon.go): "increased from default to ensure sufficient gas".
_COVD_GAS_ADJUSTMENT = "2.5"
# The signer's own default request limit (covenant-signer/config/server.go): signing requests
# carry whole staking transactions, which a small limit would refuse.
_SIGNER_MAX_CONTENT = 10 * 1024 * 1024


def signer_url(stack: StackSpec) -> str:
    return f"http://{host(stack, 'covenant-signer')}:{SIGNER_PORT}"


def covd_conf(stack: StackSpec, key: str) -> str:
    """covd.conf: go-flags INI parsed into an empty struct, so every used key is written."""
    return "\n".join(
        [
            "[Application Options]",
            "LogLevel = info",
            "QueryInterval = 15s",
            "DelegationLimit = 100",
            "SigsBatchSize = 30",
            f"BitcoinNetwork = {babylond.btc_network(stack)}",
            "",
            "[metrics]",
            "Host = 0.0.0.0",
            f"Port = {METRICS}",
            "UpdateInterval = 5s",
            "",
            babylon_ini(stack, key, COVD_HOME, gas_adjustment=_COVD_GAS_ADJUSTMENT),
            "[remotesigner]",
            f"URL = {signer_url(stack)}",
            "Timeout = 5s",
            "HMACKey = @@HMAC_KEY@@",
            "",
        ]
    )


def signer_conf(stack: StackSpec, key: str) -> str:
    return "\n".join(
        [
            "[keystore]",
            'keystore-type = "cosmos"',
            "",
            "[keystore.cosmos]",
            f'chain-id = "{babylond.chain_id(stack)}"',
            f'key-directory = "{SIGNER_HOME}"',
            'keyring-backend = "test"',
            f'key-name = "{key}"',
            "",
            "[server-config]",
            'host = "0.0.0.0"',
            f"port = {SIGNER_PORT}",
            "read-timeout = 15",
            "write-timeout = 15",
            "idle-timeout = 120",
            f"max-content-length = {_SIGNER_MAX_CONTENT}",
            'hmac-key = "@@HMAC_KEY@@"',
            "",
            "[metrics]",
            'host = "0.0.0.0"',
            f"port = {METRICS}",
            "",
        ]
    )


def _unlock_prepare(stack: StackSpec, image: str) -> Obj:
    """Init container: the authenticated unlock request (body + HMAC header) for postStart."""
    mounts: list[Obj] = [
        {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
        {"name": "hmac", "mountPath": "/secrets/hmac", "readOnly": True},
        {"name": "unlock", "mountPath": UNLOCK_DIR},
    ]
    if stack.secrets.signer_unlock is not None:
        mounts.append(
            {"name": "unlock-passphrase", "mountPath": "/secrets/unlock", "readOnly": True}
        )
    return {
        "name": "unlock-request",
        "image": image,
        "command": [
            "/bin/sh",
            f"{SCRIPTS_MOUNT}/signer-unlock-prepare.sh",
            "/secrets/hmac/hmac-key",
            "/secrets/unlock/passphrase",
            UNLOCK_DIR,
        ],
        "securityContext": container_security(),
        "resources": SIDE_RESOURCES,
        "volumeMounts": mounts,
    }


def _wait_for_signer(stack: StackSpec, image: str) -> Obj:
    """covd init container: covd exits at start unless the signer is up and unlocked."""
    return {
        "name": "wait-signer",
        "image": image,
        "command": [
            "/bin/sh",
            f"{SCRIPTS_MOUNT}/signer-wait.sh",
            signer_url(stack),
            "/secrets/hmac/hmac-key",
        ],
        "securityContext": container_security(),
        "resources": SIDE_RESOURCES,
        "volumeMounts": [
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "hmac", "mountPath": "/secrets/hmac", "readOnly": True},
        ],
    }


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    cov, hmac = stack.covenant, stack.secrets.covenant_hmac
    if cov is None or hmac is None:
        return
    unlock = stack.secrets.signer_unlock
    daemons = (
        (
            "covenant-signer",
            cov.signer_image,
            SIGNER_HOME,
            "config.toml",
            signer_conf(stack, cov.signer_keyring.key_name),
            cov.signer_keyring.existing_secret,
        ),
        (
            "covd",
            cov.emulator_image,
            COVD_HOME,
            "covd.conf",
            covd_conf(stack, cov.keyring.key_name),
            cov.keyring.existing_secret,
        ),
    )
    for comp, image, home, conf_name, conf, keyring in daemons:
        n = name(stack, comp)
        add_config_map(sb, stack, "covenant", comp, n, {conf_name: conf})
        init = [
            render_config_init(
                image,
                f"/config-template/{conf_name}",
                f"{home}/{conf_name}",
                {"HMAC_KEY": "/secrets/hmac/hmac-key"},
                [
                    {"name": "config-template", "mountPath": "/config-template"},
                    {"name": "home", "mountPath": home},
                    {"name": "hmac", "mountPath": "/secrets/hmac", "readOnly": True},
                ],
            )
        ]
        mounts: list[Obj] = [
            {"name": "home", "mountPath": home},
            {"name": "keyring", "mountPath": f"{home}/keyring-test", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        volumes = [
            {"name": "config-template", "configMap": {"name": n, "defaultMode": 0o444}},
            keyring_volume("keyring", keyring),
            secret_volume("hmac", hmac.existing_secret, [("hmac-key", "hmac-key")]),
            scripts_volume(stack),
            empty_dir("home"),
            empty_dir("tmp"),
        ]
        if comp == "covd":
            command = ["covd", "start", f"--home={home}"]
            # /health asks the signer for its key: not ready while the signer is locked or
            # down, but restarting covd would not help, so liveness only checks the listener.
            ready = http_probe("/health", "metrics", period=15, timeout=5, failures=3)
            live = tcp_probe("metrics", period=30, timeout=5, failures=5)
            ports = [Port("metrics", METRICS)]
            ingress = [Ingress((METRICS,), from_monitoring=True)]
            init.append(_wait_for_signer(stack, image))
        else:
            command = ["covenant-signer", "start", f"--config={home}/{conf_name}"]
            ready = tcp_probe("http", period=15, timeout=5, failures=3)
            live = {**ready, "periodSeconds": 30, "failureThreshold": 5}
            ports = [Port("http", SIGNER_PORT), Port("metrics", METRICS)]
            ingress = [
                Ingress((SIGNER_PORT,), from_components=("covd",)),
                Ingress((METRICS,), from_monitoring=True),
            ]
            init.append(_unlock_prepare(stack, cov.emulator_image))
            mounts += [
                {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
                {"name": "unlock", "mountPath": UNLOCK_DIR},
            ]
            volumes.append(empty_dir("unlock", medium_memory=True))
            if unlock is not None:
                volumes.append(
                    secret_volume(
                        "unlock-passphrase", unlock.existing_secret, [("passphrase", "passphrase")]
                    )
                )
        main: Obj = {
            "name": comp,
            "image": image,
            "command": command,
            "env": [{"name": "HOME", "value": "/tmp"}],
            "ports": [{"name": p.name, "containerPort": p.port, "protocol": "TCP"} for p in ports],
            "resources": resources(cov.resources),
            "securityContext": container_security(),
            "startupProbe": {**live, "periodSeconds": 10, "failureThreshold": 40},
            "readinessProbe": ready,
            "livenessProbe": live,
            "volumeMounts": mounts,
        }
        if comp == "covenant-signer":
            main["lifecycle"] = {
                "postStart": {
                    "exec": {
                        "command": [
                            "/bin/sh",
                            f"{SCRIPTS_MOUNT}/signer-unlock.sh",
                            f"http://127.0.0.1:{SIGNER_PORT}",
                            UNLOCK_DIR,
                        ]
                    }
                }
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
                app=comp,
                kind="Deployment",
                pod_spec=spec,
                ports=ports,
                ingress=ingress,
                metrics_port="metrics",
                egress_external=comp == "covd" and stack.babylon_chain is not None,
            ),
            stack.monitoring.namespace,
        )
