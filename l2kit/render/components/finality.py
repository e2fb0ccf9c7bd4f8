"""Finality provider: fpd and its EOTS manager eotsd, one StatefulSet each.

Both default their metrics to 127.0.0.1; the configs bind 0.0.0.0 so Prometheus can scrape
the pod IP. The HMAC key shared by both comes from the eotsHmac Secret as env HMAC_KEY
(read when ``HMACKey`` is empty). Keyrings are Secrets mounted as ``<home>/keyring-test``.
"""

from __future__ import annotations

from l2kit.config import StackSpec
from l2kit.render.common import (
    container_security,
    empty_dir,
    name,
    pod0_host,
    pod_spec,
    render_config_init,
    resources,
    scripts_volume,
    secret_env,
    tcp_probe,
    volume_claim,
)
from l2kit.render.components.babylon_daemons import UID, babylon_ini, keyring_volume
from l2kit.render.objects import Ingress, Port, Workload, add_config_map, add_workload
from l2kit.render.values import StackBuilder

FPD_HOME = "/home/finality-provider/.fpd"
EOTSD_HOME = "/home/finality-provider/.eotsd"
DATA = "/home/finality-provider/data"
EOTS_RPC, FPD_METRICS, EOTS_METRICS = 12582, 2112, 2113


def _db(file: str) -> str:
    return "\n".join([
        "[dbconfig]", f"DBPath = {DATA}", f"DBFileName = {file}", "NoFreelistSync = true",
        "AutoCompact = false", "AutoCompactMinAge = 168h", "DBTimeout = 1m",
    ]) + "\n"


def _metrics(port: int) -> str:
    return f"[metrics]\nHost = 0.0.0.0\nPort = {port}\nUpdateInterval = 100ms\n"


def eotsd_conf() -> str:
    return "\n".join([
        "[Application Options]", "LogLevel = info", "KeyringBackend = test",
        f"RPCListener = 0.0.0.0:{EOTS_RPC}", "HMACKey =", "DisableUnsafeEndpoints = true", "",
        _metrics(EOTS_METRICS), _db("eots.db"),
    ])


def fpd_conf(stack: StackSpec, key: str) -> str:
    return "\n".join([
        "[Application Options]", "LogLevel = info",
        f"EOTSManagerAddress = {pod0_host(stack, 'eotsd')}:{EOTS_RPC}",
        "HMACKey =",
        # The CLI reaches the daemon through `kubectl exec`, so the gRPC stays on loopback.
        "RPCListener = 127.0.0.1:12581", "",
        _metrics(FPD_METRICS), _db("finality-provider.db"),
        babylon_ini(stack, key, FPD_HOME),
    ])


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    fp, hmac = stack.finality_provider, stack.secrets.eots_hmac
    if fp is None or hmac is None:
        return
    daemons = (
        ("eotsd", EOTSD_HOME, "eotsd.conf", eotsd_conf(), fp.eots_keyring.existing_secret,
         EOTS_METRICS),
        ("fpd", FPD_HOME, "fpd.conf", fpd_conf(stack, fp.keyring.key_name),
         fp.keyring.existing_secret, FPD_METRICS),
    )
    for comp, home, conf_name, conf, keyring, metrics in daemons:
        n = name(stack, comp)
        add_config_map(sb, stack, "finality-provider", comp, n, {conf_name: conf})
        init = render_config_init(
            fp.image, f"/config-template/{conf_name}", f"{home}/{conf_name}", {},
            [{"name": "config-template", "mountPath": "/config-template"},
             {"name": "home", "mountPath": home}],
        )
        ports = [{"name": "metrics", "containerPort": metrics, "protocol": "TCP"}]
        svc_ports = [Port("metrics", metrics)]
        ingress = [Ingress((metrics,), from_monitoring=True)]
        if comp == "eotsd":
            ports.append({"name": "rpc", "containerPort": EOTS_RPC, "protocol": "TCP"})
            svc_ports.append(Port("rpc", EOTS_RPC))
            ingress.append(Ingress((EOTS_RPC,), from_components=("fpd",)))
        main = {
            "name": comp,
            "image": fp.image,
            "command": [comp, "start", f"--home={home}"],
            "env": [secret_env("HMAC_KEY", hmac.existing_secret, "hmac-key"),
                    {"name": "HOME", "value": "/tmp"}],
            "ports": ports,
            "resources": resources(fp.resources),
            "securityContext": container_security(),
            "startupProbe": tcp_probe("metrics", period=10, timeout=5, failures=60),
            "readinessProbe": tcp_probe("metrics", period=15, timeout=5, failures=3),
            "livenessProbe": tcp_probe("metrics", period=30, timeout=10, failures=5),
            "volumeMounts": [
                {"name": "home", "mountPath": home},
                {"name": "keyring", "mountPath": f"{home}/keyring-test", "readOnly": True},
                {"name": "data", "mountPath": DATA},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
        volumes = [
            {"name": "config-template", "configMap": {"name": n, "defaultMode": 0o444}},
            keyring_volume("keyring", keyring),
            scripts_volume(stack),
            empty_dir("home"),
            empty_dir("tmp"),
        ]
        spec = pod_spec(stack, uid=UID, containers=[main], volumes=volumes,
                        init_containers=[init], grace=60, component=comp)
        add_workload(
            sb, stack,
            Workload(component=comp, app="finality-provider", kind="StatefulSet",
                     pod_spec=spec, claims=[volume_claim(fp.storage)],
                     ports=svc_ports, ingress=ingress, metrics_port="metrics",
                     egress_external=comp == "fpd" and stack.babylon_chain is not None),
            stack.monitoring.namespace,
        )

