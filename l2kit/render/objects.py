"""Append objects to a StackBuilder in the shape the templates expect (see values.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from l2kit.errors import RenderError
from l2kit.render.common import Obj, labels, name, selector_labels
from l2kit.render.knobs import image_parts, knob_key
from l2kit.render.values import StackBuilder
from l2kit.spec import StackSpec, with_registry


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Ingress:
    """Who may reach which named ports: components of the same stack, monitoring, or anyone."""

    ports: tuple[int, ...]
    from_components: tuple[str, ...] = ()
    from_monitoring: bool = False
    from_anywhere: bool = False


@dataclass
class Workload:
    component: str
    app: str
    kind: str  # StatefulSet | Deployment
    pod_spec: Obj
    replicas: int = 1
    claims: list[Obj] = field(default_factory=list)
    ports: list[Port] = field(default_factory=list)
    ingress: list[Ingress] = field(default_factory=list)
    metrics_port: str | None = None
    metrics_path: str = "/metrics"
    # Needs to reach endpoints outside the stack (P2P peers, an external chain, the L1).
    egress_external: bool = False
    # Exactly one pod may ever run (a signer): a StatefulSet replaces its pod only after the
    # old one is gone; OrderedReady never starts a second ordinal early.
    single_writer: bool = False
    # Voluntary evictions (node drains) allowed; False: the PDB allows none.
    evictable: bool = True


def add_config_map(
    b: StackBuilder, stack: StackSpec, app: str, component: str, cm_name: str, data: dict[str, str]
) -> None:
    b.config_maps.append(
        {"name": cm_name, "labels": labels(stack, app, component), "annotations": {}, "data": data}
    )


def add_workload(b: StackBuilder, stack: StackSpec, w: Workload, monitoring_ns: str) -> None:
    """The workload plus its Services, PDB, NetworkPolicy and ServiceMonitor."""
    n = name(stack, w.component)
    lab = labels(stack, w.app, w.component)
    for c in w.pod_spec.get("initContainers", []) + w.pod_spec["containers"]:
        c["image"] = with_registry(stack.registry, c["image"])  # the spec's registry setting
    sel = selector_labels(stack, w.component)
    pod = w.pod_spec
    main_image = pod["containers"][0]["image"]
    images = {
        c["name"]: {**image_parts(c["image"]), "own": c["image"] == main_image}
        for c in [*pod.get("initContainers", []), *pod["containers"]]
    }
    common = {
        "name": n,
        "labels": lab,
        "annotations": {},
        "replicas": w.replicas,
        "selector": {"matchLabels": sel},
        "podLabels": lab,
        "podAnnotations": {},  # checksum/config: added over what the pod mounts (assemble)
        "podSpec": w.pod_spec,
        "knobs": knob_key(w.component),
        "images": images,
    }
    if w.single_writer and (w.kind != "StatefulSet" or w.replicas != 1):
        raise RenderError(f"internal: {w.component}: a single writer is a 1-replica StatefulSet")
    if w.kind == "StatefulSet":
        b.stateful_sets.append(
            {
                **common,
                "serviceName": f"{n}-headless",
                "podManagementPolicy": "OrderedReady" if w.single_writer else "Parallel",
                "updateStrategy": {"type": "RollingUpdate"},
                "volumeClaimTemplates": w.claims,
            }
        )
    else:
        b.deployments.append({**common, "strategy": {"type": "Recreate"}})
    svc_ports = [
        {"name": p.name, "port": p.port, "targetPort": p.name, "protocol": p.protocol}
        for p in w.ports
    ]
    if svc_ports:
        scrape = {"l2kit.io/scrape": "true"} if w.metrics_port else {}
        b.services.append(
            {
                "name": n,
                "labels": {**lab, **scrape},
                "annotations": {},
                "spec": {"type": "ClusterIP", "selector": sel, "ports": svc_ports},
            }
        )
    if w.kind == "StatefulSet":
        b.services.append(
            {
                "name": f"{n}-headless",
                "labels": {**lab, "l2kit.io/headless": "true"},
                "annotations": {},
                "spec": {
                    "clusterIP": "None",
                    "publishNotReadyAddresses": True,
                    "selector": sel,
                    "ports": svc_ports,
                },
            }
        )
    pdb: Obj = {"maxUnavailable": 1 if w.evictable else 0, "selector": {"matchLabels": sel}}
    if w.single_writer:
        # A pod that is not Ready signs nothing: let drains evict it rather than hang.
        pdb["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    b.pdbs.append({"name": n, "labels": lab, "spec": pdb})
    rules = [_ingress_rule(stack, i, monitoring_ns) for i in w.ingress]
    policy: Obj = {
        "podSelector": {"matchLabels": sel},
        "policyTypes": ["Ingress"],
        "ingress": rules,
    }
    if w.egress_external:
        policy["policyTypes"] = ["Ingress", "Egress"]
        policy["egress"] = [{}]  # any destination; the stack default denies the rest
    b.network_policies.append({"name": n, "labels": lab, "spec": policy})
    if w.metrics_port and stack.monitoring.service_monitors:
        b.service_monitors.append(
            {
                "name": n,
                "labels": lab,
                "spec": {
                    "selector": {"matchLabels": {**sel, "l2kit.io/scrape": "true"}},
                    "namespaceSelector": {"matchNames": [stack.namespace]},
                    "endpoints": [
                        {"port": w.metrics_port, "path": w.metrics_path, "interval": "30s"}
                    ],
                },
            }
        )


def _ingress_rule(stack: StackSpec, i: Ingress, monitoring_ns: str) -> Obj:
    rule: Obj = {"ports": [{"protocol": "TCP", "port": p} for p in i.ports]}
    if i.from_anywhere:
        return rule
    peers: list[Obj] = []
    if i.from_components:
        peers.append(
            {
                "podSelector": {
                    "matchLabels": {"l2kit.io/stack": stack.name},
                    "matchExpressions": [
                        {
                            "key": "app.kubernetes.io/component",
                            "operator": "In",
                            "values": sorted(i.from_components),
                        }
                    ],
                }
            }
        )
    if i.from_monitoring:
        peers.append(
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": monitoring_ns}}}
        )
    rule["from"] = peers
    return rule


def add_default_deny(b: StackBuilder, stack: StackSpec) -> None:
    """Default deny for the stack's pods, in and out.

    Each component's policy then allows its clients in; egress is allowed to the stack's own
    pods and cluster DNS, and to anywhere only for components marked ``egress_external``.
    """
    in_stack = {"podSelector": {"matchLabels": {"l2kit.io/stack": stack.name}}}
    b.network_policies.append(
        {
            "name": name(stack, "default-deny"),
            "labels": labels(stack, "l2kit", "default-deny"),
            "spec": {
                **in_stack,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [],
                "egress": [
                    {"to": [in_stack]},
                    {
                        "to": [
                            {
                                "namespaceSelector": {},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    },
                ],
            },
        }
    )
