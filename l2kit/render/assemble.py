"""Chart values -> Kubernetes objects, in Python: what ``helm template`` does with the chart.

This is the chart's Go templates (``charts/l2kit/templates``) written as data: the same
release scoping (:func:`stack_prefix`, token substitution), the same knobs
(:func:`l2kit.render.knobs.apply`) and the same ``checksum/config``; the parity test renders
every profile x network both ways through Helm's own engine. ``l2kit render`` uses it with the
release name ``l2kit`` (names stay the stack's) and pinned namespaces.

Only the Helm bookkeeping differs: the chart adds ``helm.sh/chart`` and sets
``app.kubernetes.io/managed-by`` to ``{{ .Release.Service }}``; here it stays ``l2kit``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from l2kit import __version__
from l2kit.errors import RenderError
from l2kit.render import knobs as knob_rules
from l2kit.render.values import NAMESPACE_TOKEN, STACK_TOKEN
from l2kit.spec import STACK_NAME_MAX

Obj = dict[str, Any]
CHART_NAME = "l2kit"
_API = {
    "Secret": "v1",
    "ConfigMap": "v1",
    "Service": "v1",
    "StatefulSet": "apps/v1",
    "Deployment": "apps/v1",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "SnapshotSchedule": "snapscheduler.backube/v1",
}
# Values list -> kind, in the order the chart's templates (and l2kit render) emit them.
KINDS = (
    ("secrets", "Secret"),
    ("configMaps", "ConfigMap"),
    ("services", "Service"),
    ("statefulSets", "StatefulSet"),
    ("deployments", "Deployment"),
    ("podDisruptionBudgets", "PodDisruptionBudget"),
    ("networkPolicies", "NetworkPolicy"),
    ("serviceMonitors", "ServiceMonitor"),
    ("snapshotSchedules", "SnapshotSchedule"),
)


def check_version(values: Obj) -> None:
    """Values computed by another l2kit would silently mismatch this chart: refuse them."""
    made_by = values.get("l2kitVersion")
    if made_by != __version__:
        raise RenderError(
            f"l2kitVersion: these values were computed by l2kit {made_by}, this "
            f"chart is l2kit {__version__}; regenerate them with `l2kit values SPEC`"
        )


def stack_prefix(release: str, stacks: list[Obj]) -> str:
    """``''`` when the release is named like the chart or like its only stack, so names are
    exactly the spec's; otherwise ``<release>-`` (two releases never share a name)."""
    if release == CHART_NAME or (len(stacks) == 1 and release == stacks[0]["name"]):
        return ""
    return f"{release}-"


def fullname(prefix: str, stack: Obj) -> str:
    full = f"{prefix}{stack['name']}"
    if len(full) > STACK_NAME_MAX:
        raise RenderError(
            f"release name + stack name {full!r} is longer than {STACK_NAME_MAX} "
            "characters; name the release like the stack, or shorter"
        )
    return full


def substitute(stack: Obj, full: str, namespace: str) -> Obj:
    """The stack's values with ``${stack}`` and ``${namespace}`` filled in."""
    text = json.dumps(stack).replace(STACK_TOKEN, full).replace(NAMESPACE_TOKEN, namespace)
    out: Obj = json.loads(text)
    return out


def config_checksum(pod: Obj, config_maps: list[Obj]) -> str | None:
    """sha256 over the data of the stack's ConfigMaps the pod mounts (key NUL value NUL, keys
    sorted, in volume order): any change of a mounted file rolls the pods, nothing else."""
    by_name = {cm["name"]: cm for cm in config_maps}
    mounted = [
        by_name[v["configMap"]["name"]]
        for v in pod.get("volumes", [])
        if "configMap" in v and v["configMap"]["name"] in by_name
    ]
    if not mounted:
        return None
    digest = hashlib.sha256()
    for cm in mounted:
        for key in sorted(cm["data"]):
            digest.update(f"{key}\0{cm['data'][key]}\0".encode())
    return digest.hexdigest()


def _meta(o: Obj, namespace: str, annotations: bool = True) -> Obj:
    meta: Obj = {"name": o["name"], "namespace": namespace, "labels": o["labels"]}
    if annotations and o.get("annotations"):
        meta["annotations"] = o["annotations"]
    return meta


def _workload(
    kind: str, o: Obj, namespace: str, config_maps: list[Obj], knobs: Obj, glob: Obj
) -> Obj:
    w = knob_rules.apply(o, knobs, glob)
    annotations = dict(w["podAnnotations"])
    digest = config_checksum(w["podSpec"], config_maps)
    if digest is not None:
        annotations = {"checksum/config": digest, **annotations}
    template: Obj = {"metadata": {"labels": w["podLabels"]}, "spec": w["podSpec"]}
    if annotations:
        template["metadata"]["annotations"] = annotations
    spec: Obj
    if kind == "StatefulSet":
        spec = {
            "serviceName": w["serviceName"],
            "replicas": w["replicas"],
            "podManagementPolicy": w["podManagementPolicy"],
            "updateStrategy": w["updateStrategy"],
            "selector": w["selector"],
            "template": template,
        }
        if w["volumeClaimTemplates"]:
            spec["volumeClaimTemplates"] = w["volumeClaimTemplates"]
    else:
        spec = {
            "replicas": w["replicas"],
            "strategy": w["strategy"],
            "selector": w["selector"],
            "template": template,
        }
    return {"apiVersion": _API[kind], "kind": kind, "metadata": _meta(w, namespace), "spec": spec}


def _object(kind: str, o: Obj, namespace: str) -> Obj:
    obj: Obj = {"apiVersion": _API[kind], "kind": kind}
    if kind == "Secret":
        return {
            **obj,
            "metadata": _meta(o, namespace),
            "type": "Opaque",
            "stringData": o["stringData"],
        }
    if kind == "ConfigMap":
        return {**obj, "metadata": _meta(o, namespace), "data": o["data"]}
    annotated = kind == "Service"
    return {**obj, "metadata": _meta(o, namespace, annotations=annotated), "spec": o["spec"]}


def stack_objects(stack: Obj, user: Obj, *, prefix: str, release_namespace: str) -> list[Obj]:
    """Every object of one stack (values entry), knobs ``user`` merged over the spec's."""
    s = substitute(stack, fullname(prefix, stack), stack["namespace"] or release_namespace)
    ns = s["namespace"] or release_namespace
    knobs = knob_rules.merged(s["knobs"], user)
    glob = knobs.get("global") or {}
    out: list[Obj] = []
    for key, kind in KINDS:
        for o in s[key]:
            if kind in ("StatefulSet", "Deployment"):
                out.append(
                    _workload(kind, o, ns, s["configMaps"], knobs.get(o["knobs"]) or {}, glob)
                )
            else:
                out.append(_object(kind, o, ns))
    return out


def monitoring_objects(m: Obj, prefix: str, files: dict[str, str]) -> list[Obj]:
    """The PrometheusRule and the Grafana dashboard ConfigMap of one monitoring namespace."""
    name = f"{prefix}{m['name']}"
    out: list[Obj] = []
    if m["prometheusRule"]:
        out.append(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": {"name": name, "namespace": m["namespace"], "labels": m["labels"]},
                "spec": yaml.safe_load(files["files/alerts.rules.yaml"]),
            }
        )
    if m["dashboard"]:
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"{name}-dashboard",
                    "namespace": m["namespace"],
                    "labels": m["dashboardLabels"],
                },
                "data": {"l2kit.json": files["files/dashboard.json"]},
            }
        )
    return out


def objects(
    values: Obj, files: dict[str, str], *, release: str = CHART_NAME, namespace: str = "default"
) -> list[Obj]:
    """All objects of ``values`` (the chart's, knobs included) for a release."""
    check_version(values)
    prefix = stack_prefix(release, values["stacks"])
    out: list[Obj] = []
    for stack in values["stacks"]:
        out += stack_objects(stack, values, prefix=prefix, release_namespace=namespace)
    for m in values["monitoring"]:
        out += monitoring_objects(m, prefix, files)
    return out
