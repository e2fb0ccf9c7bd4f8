"""Building blocks shared by every component: names, labels, security, volumes, probes.

Everything here returns plain dicts in Kubernetes' own camelCase shape; the templates dump
them verbatim (``toyaml``), so what you read here is what lands in the manifests.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from l2kit.errors import RenderError
from l2kit.spec import Resources, StackSpec, Storage

_T = TypeVar("_T")

MANAGED_BY = "l2kit"
SCRIPTS_MOUNT = "/scripts"
Obj = dict[str, Any]


def name(stack: StackSpec, component: str) -> str:
    return f"{stack.name}-{component}"


def selector_labels(stack: StackSpec, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": stack.name, "app.kubernetes.io/component": component}


def labels(stack: StackSpec, app: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        **selector_labels(stack, component),
        "app.kubernetes.io/part-of": "l2kit",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "l2kit.io/stack": stack.name,
    }


def checksum(*texts: str) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def pod_security(uid: int) -> Obj:
    """Restricted pod security: non-root with the image's uid, fsGroup for the volumes."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(uid: int | None = None) -> Obj:
    sc: Obj = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if uid is not None:
        sc["runAsUser"] = uid
        sc["runAsGroup"] = uid
    return sc


def resources(r: Resources) -> Obj:
    limits: Obj = {"memory": r.memory_limit}
    if r.cpu_limit is not None:
        limits["cpu"] = r.cpu_limit
    return {"requests": {"cpu": r.cpu, "memory": r.memory}, "limits": limits}


SIDE_RESOURCES = {
    "requests": {"cpu": "20m", "memory": "32Mi"},
    "limits": {"memory": "128Mi"},
}


def volume_claim(s: Storage, claim: str = "data") -> Obj:
    spec: Obj = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": s.size}},
    }
    if s.storage_class is not None:
        spec["storageClassName"] = s.storage_class
    if s.snapshot is not None:
        spec["dataSource"] = {
            "apiGroup": "snapshot.storage.k8s.io",
            "kind": "VolumeSnapshot",
            "name": s.snapshot,
        }
    return {"metadata": {"name": claim}, "spec": spec}


def empty_dir(vol: str, medium_memory: bool = False) -> Obj:
    ed: Obj = {"sizeLimit": "64Mi"}
    if medium_memory:
        ed["medium"] = "Memory"
    return {"name": vol, "emptyDir": ed}


def config_map_volume(vol: str, cm: str, mode: int = 0o444) -> Obj:
    return {"name": vol, "configMap": {"name": cm, "defaultMode": mode}}


def secret_volume(vol: str, secret: str, items: list[tuple[str, str]] | None = None) -> Obj:
    src: Obj = {"secretName": secret, "defaultMode": 0o400}
    if items is not None:
        src["items"] = [{"key": k, "path": p} for k, p in items]
    return {"name": vol, "secret": src}


def scripts_volume(stack: StackSpec) -> Obj:
    return config_map_volume("scripts", name(stack, "scripts"), 0o555)


def secret_env(var: str, secret: str, key: str) -> Obj:
    return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _probe(action: Obj, period: int, timeout: int, failures: int) -> Obj:
    """A probe: ``action`` (exec / httpGet / tcpSocket) and its timing; one success suffices."""
    return {
        **action,
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
        "successThreshold": 1,
    }


def exec_probe(argv: list[str], *, period: int, timeout: int, failures: int) -> Obj:
    return _probe({"exec": {"command": argv}}, period, timeout, failures)


def http_probe(path: str, port: str, *, period: int, timeout: int, failures: int) -> Obj:
    return _probe({"httpGet": {"path": path, "port": port}}, period, timeout, failures)


def tcp_probe(port: str, *, period: int, timeout: int, failures: int) -> Obj:
    return _probe({"tcpSocket": {"port": port}}, period, timeout, failures)


def render_config_init(
    image: str, template: str, out: str, subs: dict[str, str], mounts: list[Obj]
) -> Obj:
    """Init container: copy a ConfigMap template to an emptyDir, filling @@NAME@@ from files.

    Secrets therefore reach config files only inside the pod, never the ConfigMap.
    """
    argv = ["/bin/sh", f"{SCRIPTS_MOUNT}/render-config.sh", template, out]
    argv += [f"{k}={v}" for k, v in subs.items()]
    return {
        "name": "render-config",
        "image": image,
        "command": argv,
        "securityContext": container_security(),
        "resources": SIDE_RESOURCES,
        "volumeMounts": [{"name": "scripts", "mountPath": SCRIPTS_MOUNT}, *mounts],
    }


def spread(stack: StackSpec, component: str, replicas: int) -> Obj:
    """Spread replicas over nodes and zones (soft), so one node loss takes at most one."""
    if replicas < 2:
        return {}
    sel = {"matchLabels": selector_labels(stack, component)}
    return {
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": sel,
            }
            for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
        ],
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": sel,
                        },
                    }
                ]
            }
        },
    }


def pod_spec(
    stack: StackSpec,
    *,
    uid: int,
    containers: list[Obj],
    volumes: list[Obj],
    init_containers: list[Obj] | None = None,
    grace: int = 30,
    component: str = "",
    replicas: int = 1,
) -> Obj:
    spec: Obj = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security(uid),
        "terminationGracePeriodSeconds": grace,
    }
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    spec["volumes"] = volumes
    spec.update(spread(stack, component, replicas))
    return spec


def host(stack: StackSpec, component: str) -> str:
    """In-cluster DNS name of a component's client Service."""
    return f"{name(stack, component)}.{stack.namespace}.svc"


def pod0_host(stack: StackSpec, component: str) -> str:
    """DNS name of pod 0 through the headless Service (resolves before the pod is Ready)."""
    n = name(stack, component)
    return f"{n}-0.{n}-headless.{stack.namespace}.svc"


def need(value: _T | None, what: str) -> _T:
    """Narrow an optional the spec rules already guaranteed; a miss is an l2kit bug."""
    if value is None:
        raise RenderError(f"internal: {what} is missing although the spec rules require it")
    return value
