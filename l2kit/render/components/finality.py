"""Finality provider: fpd and its EOTS manager eotsd, one single-writer StatefulSet each.

Facts from ``contracts/fpd.yaml`` and ``contracts/eotsd.yaml`` (finality-provider v2.0.2):
both read their INI file into an empty struct, so every key they need is written here; the
HMAC key is read only from ``HMACKey`` in those files (not from env), so it is filled in from
the eotsHmac Secret inside the pod; eotsd keeps its EOTS key in a passphrase-protected ``file``
keyring that is imported once from the eotsKey Secret and unlocked after every start. Metrics
default to 127.0.0.1 and are rebound to 0.0.0.0 for Prometheus; fpd's gRPC has no auth and
stays on loopback (its CLI runs through ``kubectl exec``).

Operations that guard the operator against slashing (docs/provision.md):
single writer (replicas 1, OrderedReady, PDB), scheduled VolumeSnapshots of both databases,
and eotsd's restore guard (``fp-sign-guard.sh``).
"""

from __future__ import annotations

from l2kit.render.common import (
    SCRIPTS_MOUNT,
    SIDE_RESOURCES,
    Obj,
    container_security,
    empty_dir,
    labels,
    name,
    need,
    pod0_host,
    pod_spec,
    render_config_init,
    resources,
    scripts_volume,
    secret_volume,
    tcp_probe,
    volume_claim,
)
from l2kit.render.components.babylon_daemons import UID, babylon_ini, keyring_volume
from l2kit.render.objects import Ingress, Port, Workload, add_config_map, add_workload
from l2kit.render.values import StackBuilder
from l2kit.spec import FinalityProvider, StackSpec, Storage

FPD_HOME = "/home/finality-provider/.fpd"
EOTSD_HOME = "/home/finality-provider/.eotsd"
DATA = "/home/finality-provider/data"
GUARD = "/home/finality-provider/guard"
KEY_SECRET = "/secrets/eots-key"
KEY_TMP = "/run/eots-key"
FPD_RPC, EOTS_RPC, FPD_METRICS, EOTS_METRICS = 12581, 12582, 2112, 2113
EOTS_DB = "eots.db"
SIGNED_MARK = "l2kit-signed-height"  # fp-sign-guard.sh's watermark file on both volumes
BACKUP_LABEL = "l2kit.io/backup"
GRPC_MAX = 16 * 1024 * 1024  # upstream default GRPCMaxContentLength (config.go)


def _ini(section: str, pairs: list[tuple[str, object]]) -> str:
    return "\n".join([f"[{section}]", *(f"{k} = {_fmt(v)}" for k, v in pairs)]) + "\n"


def _fmt(v: object) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _db(file: str) -> str:
    return _ini(
        "dbconfig",
        [
            ("DBPath", DATA),
            ("DBFileName", file),
            ("NoFreelistSync", True),
            ("AutoCompact", False),
            ("AutoCompactMinAge", "168h"),
            ("DBTimeout", "1m"),
        ],
    )


def _metrics(port: int) -> str:
    return _ini("metrics", [("Host", "0.0.0.0"), ("Port", port), ("UpdateInterval", "100ms")])


def eotsd_conf() -> str:
    return "\n".join(
        [
            _ini(
                "Application Options",
                [
                    ("LogLevel", "info"),
                    ("KeyringBackend", "file"),
                    ("RPCListener", f"0.0.0.0:{EOTS_RPC}"),
                    ("HMACKey", "@@HMAC_KEY@@"),
                    ("DisableUnsafeEndpoints", True),
                    ("GRPCMaxContentLength", GRPC_MAX),
                ],
            ),
            _metrics(EOTS_METRICS),
            _db(EOTS_DB),
        ]
    )


def fpd_conf(stack: StackSpec, key: str) -> str:
    return "\n".join(
        [
            _ini(
                "Application Options",
                [
                    ("LogLevel", "info"),
                    # Upstream defaults (finality-provider/config/config.go): ~5 days of randomness
                    # per commit at 10 s blocks, committed 100 BTC blocks ahead of timestamping.
                    ("NumPubRand", 50000),
                    ("TimestampingDelayBlocks", 6000),
                    ("MaxSubmissionRetries", 20),
                    ("BatchSubmissionSize", 1000),
                    ("RandomnessCommitInterval", "30s"),
                    ("SubmissionRetryInterval", "1s"),
                    ("SignatureSubmissionInterval", "1s"),
                    # Pod 0 through the headless Service: a name that follows the pod when it moves.
                    ("EOTSManagerAddress", f"{pod0_host(stack, 'eotsd')}:{EOTS_RPC}"),
                    ("HMACKey", "@@HMAC_KEY@@"),
                    ("RPCListener", f"127.0.0.1:{FPD_RPC}"),
                    ("GRPCMaxContentLength", GRPC_MAX),
                ],
            ),
            _ini(
                "chainpollerconfig",
                [
                    ("BufferSize", 1000),
                    ("PollInterval", "1s"),
                    ("StaticChainScanningStartHeight", 1),
                    ("AutoChainScanningMode", True),
                    ("PollSize", 1000),
                ],
            ),
            _metrics(FPD_METRICS),
            _db("finality-provider.db"),
            babylon_ini(stack, key, FPD_HOME),
        ]
    )


def _home_init(image: str, home: str, log: str, keyring: str | None, mounts: list[Obj]) -> Obj:
    argv = ["/bin/sh", f"{SCRIPTS_MOUNT}/fp-home.sh", home, log]
    if keyring is not None:
        argv.append(keyring)
    return _helper("home", image, argv, mounts)


def _helper(helper: str, image: str, argv: list[str], mounts: list[Obj]) -> Obj:
    return {
        "name": helper,
        "image": image,
        "command": argv,
        "securityContext": container_security(),
        "resources": SIDE_RESOURCES,
        "volumeMounts": [{"name": "scripts", "mountPath": SCRIPTS_MOUNT}, *mounts],
    }


def _claims(fp: FinalityProvider, stack: StackSpec, guard: bool) -> list[Obj]:
    data = volume_claim(fp.storage)
    data["metadata"]["labels"] = {BACKUP_LABEL: "finality-provider", "l2kit.io/stack": stack.name}
    if not guard:
        return [data]
    # Never snapshotted nor restored with the data: it remembers what eotsd has signed.
    small = Storage(size="1Gi", storage_class=fp.storage.storage_class, snapshot=None)
    return [data, volume_claim(small, "guard")]


def _main(comp: str, fp: FinalityProvider, home: str, mounts: list[Obj], ports: list[Obj]) -> Obj:
    return {
        "name": comp,
        "image": fp.image,
        "command": [comp, "start", f"--home={home}"],
        "env": [{"name": "HOME", "value": "/tmp"}],
        "ports": ports,
        "resources": resources(fp.resources),
        "securityContext": container_security(),
        "startupProbe": tcp_probe("metrics", period=10, timeout=5, failures=60),
        "readinessProbe": tcp_probe("metrics", period=15, timeout=5, failures=3),
        "livenessProbe": tcp_probe("metrics", period=30, timeout=10, failures=5),
        "volumeMounts": mounts,
    }


def _eotsd(stack: StackSpec, fp: FinalityProvider, hmac: str, key_secret: str) -> tuple[Obj, str]:
    conf = eotsd_conf()
    home = {"name": "home", "mountPath": EOTSD_HOME}
    data = {"name": "data", "mountPath": DATA}
    guard = {"name": "guard", "mountPath": GUARD}
    key = {"name": "eots-key", "mountPath": KEY_SECRET, "readOnly": True}
    marks = [f"{DATA}/{SIGNED_MARK}", f"{GUARD}/{SIGNED_MARK}"]
    rg = fp.restore_guard
    inits = [
        render_config_init(
            fp.image,
            "/config-template/eotsd.conf",
            f"{EOTSD_HOME}/eotsd.conf",
            {"HMAC_KEY": "/secrets/hmac/hmac-key"},
            [
                {"name": "config-template", "mountPath": "/config-template"},
                home,
                {"name": "hmac", "mountPath": "/secrets/hmac", "readOnly": True},
            ],
        ),
        _home_init(fp.image, EOTSD_HOME, "eotsd", f"{DATA}/keyring-file", [home, data]),
        # Before anything opens eots.db: an old database must not even be touched.
        _helper(
            "restore-guard",
            fp.image,
            [
                "/bin/sh",
                f"{SCRIPTS_MOUNT}/fp-sign-guard.sh",
                "check",
                *marks,
                f"{DATA}/{EOTS_DB}",
                *([rg.accept_rollback] if rg.accept_rollback else []),
            ],
            [data, guard],
        ),
        _helper(
            "eots-key",
            fp.image,
            [
                "/bin/sh",
                f"{SCRIPTS_MOUNT}/eotsd-key.sh",
                EOTSD_HOME,
                fp.eots_key_name,
                KEY_SECRET,
                KEY_TMP,
            ],
            [
                home,
                data,
                key,
                {"name": "key-tmp", "mountPath": KEY_TMP},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        ),
    ]
    # The running daemon's container sees the passphrase (for the unlock hook), not the mnemonic.
    main = _main(
        "eotsd",
        fp,
        EOTSD_HOME,
        [
            home,
            data,
            {"name": "eots-pass", "mountPath": KEY_SECRET, "readOnly": True},
            {"name": "scripts", "mountPath": SCRIPTS_MOUNT},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        [
            {"name": "metrics", "containerPort": EOTS_METRICS, "protocol": "TCP"},
            {"name": "rpc", "containerPort": EOTS_RPC, "protocol": "TCP"},
        ],
    )
    main["lifecycle"] = {
        "postStart": {
            "exec": {
                "command": [
                    "/bin/sh",
                    f"{SCRIPTS_MOUNT}/eotsd-unlock.sh",
                    EOTSD_HOME,
                    f"127.0.0.1:{EOTS_RPC}",
                    f"{KEY_SECRET}/passphrase",
                ]
            }
        }
    }
    recorder = _helper(
        "sign-guard",
        fp.image,
        [
            "/bin/sh",
            f"{SCRIPTS_MOUNT}/fp-sign-guard.sh",
            "record",
            *marks,
            f"http://127.0.0.1:{EOTS_METRICS}/metrics",
            str(rg.interval_seconds),
        ],
        [data, guard],
    )
    volumes = [
        {
            "name": "config-template",
            "configMap": {"name": name(stack, "eotsd"), "defaultMode": 0o444},
        },
        secret_volume("hmac", hmac, [("hmac-key", "hmac-key")]),
        secret_volume(
            "eots-key", key_secret, [("mnemonic", "mnemonic"), ("passphrase", "passphrase")]
        ),
        secret_volume("eots-pass", key_secret, [("passphrase", "passphrase")]),
        scripts_volume(stack),
        empty_dir("home"),
        empty_dir("tmp"),
        empty_dir("key-tmp", medium_memory=True),
    ]
    spec = pod_spec(
        stack,
        uid=UID,
        containers=[main, recorder],
        volumes=volumes,
        init_containers=inits,
        grace=60,
        component="eotsd",
    )
    return spec, conf


def _fpd(stack: StackSpec, fp: FinalityProvider, hmac: str) -> tuple[Obj, str]:
    conf = fpd_conf(stack, fp.keyring.key_name)
    home = {"name": "home", "mountPath": FPD_HOME}
    inits = [
        render_config_init(
            fp.image,
            "/config-template/fpd.conf",
            f"{FPD_HOME}/fpd.conf",
            {"HMAC_KEY": "/secrets/hmac/hmac-key"},
            [
                {"name": "config-template", "mountPath": "/config-template"},
                home,
                {"name": "hmac", "mountPath": "/secrets/hmac", "readOnly": True},
            ],
        ),
        _home_init(fp.image, FPD_HOME, "fpd", None, [home]),
    ]
    main = _main(
        "fpd",
        fp,
        FPD_HOME,
        [
            home,
            {"name": "keyring", "mountPath": f"{FPD_HOME}/keyring-test", "readOnly": True},
            {"name": "data", "mountPath": DATA},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        [{"name": "metrics", "containerPort": FPD_METRICS, "protocol": "TCP"}],
    )
    volumes = [
        {
            "name": "config-template",
            "configMap": {"name": name(stack, "fpd"), "defaultMode": 0o444},
        },
        secret_volume("hmac", hmac, [("hmac-key", "hmac-key")]),
        keyring_volume("keyring", fp.keyring.existing_secret),
        scripts_volume(stack),
        empty_dir("home"),
        empty_dir("tmp"),
    ]
    spec = pod_spec(
        stack,
        uid=UID,
        containers=[main],
        volumes=volumes,
        init_containers=inits,
        grace=60,
        component="fpd",
    )
    return spec, conf


def plan(stack: StackSpec, sb: StackBuilder) -> None:
    fp, hmac = stack.finality_provider, stack.secrets.eots_hmac
    if fp is None or hmac is None:
        return
    key_secret = need(stack.secrets.eots_key, "secrets.eotsKey").existing_secret
    eotsd_spec, eotsd_text = _eotsd(stack, fp, hmac.existing_secret, key_secret)
    fpd_spec, fpd_text = _fpd(stack, fp, hmac.existing_secret)
    for comp, spec, conf_name, conf in (
        ("eotsd", eotsd_spec, "eotsd.conf", eotsd_text),
        ("fpd", fpd_spec, "fpd.conf", fpd_text),
    ):
        add_config_map(sb, stack, "finality-provider", comp, name(stack, comp), {conf_name: conf})
        metrics = EOTS_METRICS if comp == "eotsd" else FPD_METRICS
        ports, ingress = [Port("metrics", metrics)], [Ingress((metrics,), from_monitoring=True)]
        if comp == "eotsd":
            ports.append(Port("rpc", EOTS_RPC))
            ingress.append(Ingress((EOTS_RPC,), from_components=("fpd",)))
        add_workload(
            sb,
            stack,
            Workload(
                component=comp,
                app="finality-provider",
                kind="StatefulSet",
                pod_spec=spec,
                claims=_claims(fp, stack, guard=comp == "eotsd"),
                ports=ports,
                ingress=ingress,
                metrics_port="metrics",
                egress_external=comp == "fpd" and stack.babylon_chain is not None,
                single_writer=True,
                evictable=fp.allow_eviction,
            ),
            stack.monitoring.namespace,
        )
    _backup(stack, fp, sb)


def _backup(stack: StackSpec, fp: FinalityProvider, sb: StackBuilder) -> None:
    """A snapscheduler SnapshotSchedule over both data volumes (backube/snapscheduler@v3.5.0:
    api/v1/snapshotschedule_types.go): claimSelector, retention.maxCount, schedule, template."""
    b = fp.backup
    if b.schedule is None:
        return
    template: Obj = {"labels": labels(stack, "finality-provider", "backup")}
    if b.snapshot_class is not None:
        template["snapshotClassName"] = b.snapshot_class
    sb.snapshot_schedules.append(
        {
            "name": name(stack, "fp-backup"),
            "labels": labels(stack, "finality-provider", "backup"),
            "spec": {
                "claimSelector": {
                    "matchLabels": {BACKUP_LABEL: "finality-provider", "l2kit.io/stack": stack.name}
                },
                "retention": {"maxCount": b.max_count},
                "schedule": b.schedule,
                "snapshotTemplate": template,
            },
        }
    )
