"""Covenant emulator (covd) and covenant-signer, Deployments (no local database).

The shared HMAC key is placed into both config files by the render-config init container
(``@@HMAC_KEY@@``). The signer starts locked: a postStart hook unlocks it from the optional
signerUnlock Secret. covd's ``/health`` (metrics port, bound to 0.0.0.0) backs its probes.
"""

from __future__ import annotations

from l2kit.config import StackSpec
from l2kit.render.common import (
    SCRIPTS_MOUNT,
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

COVD_HOME = "/home/covenant-emulator/.covd"
SIGNER_HOME = "/home/covenant-signer/.signer"
SIGNER_PORT, METRICS = 9791, 2112


def covd_conf(stack: StackSpec, key: str) -> str:
    return "\n".join([
        "[Application Options]", "LogLevel = info", "QueryInterval = 15s",
        "DelegationLimit = 100", "SigsBatchSize = 30",
        f"BitcoinNetwork = {babylond.btc_network(stack)}", "",
        "[metrics]", "Host = 0.0.0.0", f"Port = {METRICS}", "UpdateInterval = 5s", "",
        babylon_ini(stack, key, COVD_HOME),
        "[remotesigner]", f"URL = http://{host(stack, 'covenant-signer')}:{SIGNER_PORT}",
        "Timeout = 2s", "HMACKey = @@HMAC_KEY@@", "",
    ])


def signer_conf(stack: StackSpec, key: str) -> str:
    return "\n".join([
        "[keystore]", 'keystore-type = "cosmos"', "", "[keystore.cosmos]",
        f'chain-id = "{babylond.chain_id(stack)}"', f'key-directory = "{SIGNER_HOME}"',
        'keyring-backend = "test"', f'key-name = "{key}"', "",
        "[server-config]", 'host = "0.0.0.0"', f"port = {SIGNER_PORT}", "read-timeout = 15",
        "write-timeout = 15", "idle-timeout = 120", "max-content-length = 8192",
        'hmac-key = "@@HMAC_KEY@@"', "",
        "[metrics]", 'host = "0.0.0.0"', f"port = {METRICS}", "",
    ])


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    cov, hmac = stack.covenant, stack.secrets.covenant_hmac
    if cov is None or hmac is None:
        return
    unlock = stack.secrets.signer_unlock
    daemons = (
        ("covenant-signer", cov.signer_image, SIGNER_HOME, "config.toml",
         signer_conf(stack, cov.signer_keyring.key_name), cov.signer_keyring.existing_secret),
        ("covd", cov.emulator_image, COVD_HOME, "covd.conf",
         covd_conf(stack, cov.keyring.key_name), cov.keyring.existing_secret),
    )
    for comp, image, home, conf_name, conf, keyring in daemons:
        n = name(stack, comp)
        add_config_map(sb, stack, "covenant", comp, n, {conf_name: conf})
        init = render_config_init(
            image, f"/config-template/{conf_name}", f"{home}/{conf_name}",
            {"HMAC_KEY": "/secrets/hmac/hmac-key"},
            [{"name": "config-template", "mountPath": "/config-template"},
             {"name": "home", "mountPath": home},
             {"name": "hmac", "mountPath": "/secrets/hmac", "readOnly": True}],
        )
        if comp == "covd":
            command = ["covd", "start", f"--home={home}"]
            health = http_probe("/health", "metrics", period=15, timeout=5, failures=3)
            ports = [Port("metrics", METRICS)]
            ingress = [Ingress((METRICS,), from_monitoring=True)]
        else:
            command = ["covenant-signer", "start", f"--config={home}/{conf_name}"]
            health = tcp_probe("http", period=15, timeout=5, failures=3)
            ports = [Port("http", SIGNER_PORT), Port("metrics", METRICS)]
            ingress = [Ingress((SIGNER_PORT,), from_components=("covd",)),
                       Ingress((METRICS,), from_monitoring=True)]
        mounts = [
            {"name": "home", "mountPath": home},
            {"name": "keyring", "mountPath": f"{home}/keyring-test", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        main: Obj = {
            "name": comp,
            "image": image,
            "command": command,
            "env": [{"name": "HOME", "value": "/tmp"}],
            "ports": [{"name": p.name, "containerPort": p.port, "protocol": "TCP"}
                      for p in ports],
            "resources": resources(cov.resources),
            "securityContext": container_security(),
            "startupProbe": {**health, "failureThreshold": 40},
            "readinessProbe": health,
            "livenessProbe": {**health, "periodSeconds": 30, "failureThreshold": 5},
            "volumeMounts": mounts,
        }
        volumes = [
            {"name": "config-template", "configMap": {"name": n, "defaultMode": 0o444}},
            keyring_volume("keyring", keyring),
            secret_volume("hmac", hmac.existing_secret, [("hmac-key", "hmac-key")]),
            scripts_volume(stack),
            empty_dir("home"),
            empty_dir("tmp"),
        ]
        if comp == "covenant-signer":
            main["lifecycle"] = {"postStart": {"exec": {
                "command": ["/bin/sh", f"{SCRIPTS_MOUNT}/signer-unlock.sh"]}}}
            extra: list[Obj] = [{"name": "scripts", "mountPath": SCRIPTS_MOUNT}]
            if unlock is not None:
                volumes.append(secret_volume("unlock", unlock.existing_secret,
                                             [("passphrase", "passphrase")]))
                extra.append({"name": "unlock", "mountPath": "/secrets/unlock",
                              "readOnly": True})
            main["volumeMounts"] = [*mounts, *extra]
        spec = pod_spec(stack, uid=UID, containers=[main], volumes=volumes,
                        init_containers=[init], grace=60, component=comp)
        add_workload(
            sb, stack,
            Workload(component=comp, app=comp, kind="Deployment", pod_spec=spec,
                     ports=ports, ingress=ingress, metrics_port="metrics",
                     egress_external=comp == "covd" and stack.babylon_chain is not None),
            stack.monitoring.namespace,
        )
