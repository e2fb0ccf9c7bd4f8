"""Kubernetes probe: pods not ready, restart counts, PVC usage from kubelet volume stats.

The ``kubernetes`` package is imported only when a fleet has a ``kubernetes`` section (through
``l2kit.k8s.client``). Volume usage comes from each node's kubelet ``/stats/summary`` through the
API server's node proxy; when that is not allowed or not reachable, ``pvc_usage`` is UNKNOWN
with the reason, and the pod checks still run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from l2kit.errors import ClusterError, ProbeError, TargetUnreachable
from l2kit.monitor.fleet import KubernetesTarget, KubernetesThresholds
from l2kit.monitor.results import CheckResult, Status

Obj = dict[str, Any]


class KubeApi(Protocol):
    def list(
        self, api_version: str, kind: str, *, label_selector: str, namespace: str | None = None
    ) -> list[Obj]: ...

    def node_stats(self, node: str) -> Obj: ...

    def close(self) -> None: ...


Loader = Callable[[KubernetesTarget], KubeApi]


@dataclass(frozen=True)
class Pod:
    name: str
    ready: bool
    phase: str
    restarts: int
    node: str
    claims: tuple[str, ...]


@dataclass
class KubeSample:
    pods: list[Pod]
    pvcs: list[str]
    usage: dict[str, tuple[float, float]] = field(default_factory=dict)  # pvc -> (used, capacity)
    stats_error: str | None = None


class RealApi:
    """``l2kit.k8s.client.KubeClient`` plus the kubelet stats call."""

    def __init__(self, kube_client: Any) -> None:
        self._client = kube_client  # l2kit.k8s.client.KubeClient

    def list(
        self, api_version: str, kind: str, *, label_selector: str, namespace: str | None = None
    ) -> list[Obj]:
        items: list[Obj] = self._client.list(
            api_version, kind, label_selector=label_selector, namespace=namespace
        )
        return items

    def node_stats(self, node: str) -> Obj:
        from kubernetes.client import CoreV1Api
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        from l2kit.k8s.client import cluster_error

        core: Any = CoreV1Api(self._client.api_client)
        try:
            response = core.connect_get_node_proxy_with_path(
                node, "stats/summary", _preload_content=False, _request_timeout=5
            )
            body: Obj = json.loads(response.data)
            return body
        except ValueError as exc:
            raise ClusterError(f"kubelet stats of {node}: not JSON") from exc
        except (ApiException, HTTPError, OSError) as exc:
            raise cluster_error("get", f"nodes/{node}/proxy/stats/summary", exc) from exc

    def close(self) -> None:
        self._client.close()


def _pod(obj: Obj) -> Pod:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    conditions = status.get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    statuses = status.get("container_statuses") or status.get("containerStatuses") or []
    restarts = sum(int(c.get("restart_count", c.get("restartCount", 0)) or 0) for c in statuses)
    claims = tuple(
        str(claim.get("claim_name") or claim.get("claimName"))
        for v in spec.get("volumes") or []
        if (claim := v.get("persistent_volume_claim") or v.get("persistentVolumeClaim"))
    )
    return Pod(
        name=str(meta.get("name", "?")),
        ready=ready,
        phase=str(status.get("phase", "")),
        restarts=restarts,
        node=str(spec.get("node_name") or spec.get("nodeName") or ""),
        claims=claims,
    )


def collect(target: KubernetesTarget, api: KubeApi) -> KubeSample:
    """Blocking: read pods, PVCs and (when allowed) kubelet volume stats."""
    ns, sel = target.namespace, target.label_selector
    pods = [_pod(o) for o in api.list("v1", "Pod", label_selector=sel, namespace=ns)]
    pvc_objs = api.list("v1", "PersistentVolumeClaim", label_selector=sel, namespace=ns)
    pvcs = sorted({str((o.get("metadata") or {}).get("name")) for o in pvc_objs})
    pvcs = sorted(set(pvcs) | {c for p in pods for c in p.claims})
    sample = KubeSample(pods=pods, pvcs=pvcs)
    nodes = sorted({p.node for p in pods if p.node and p.claims})
    errors = []
    for node in nodes:
        try:
            summary = api.node_stats(node)
        except ClusterError as exc:
            errors.append(str(exc))
            continue
        for pod in summary.get("pods") or []:
            for vol in pod.get("volume") or []:
                ref = vol.get("pvcRef") or {}
                if ref.get("namespace") == ns and ref.get("name") in pvcs:
                    used, cap = vol.get("usedBytes"), vol.get("capacityBytes")
                    if isinstance(used, int | float) and isinstance(cap, int | float) and cap:
                        sample.usage[str(ref["name"])] = (float(used), float(cap))
    if errors:
        sample.stats_error = "kubelet stats unavailable: " + "; ".join(errors)[:300]
    elif pvcs and not nodes:
        sample.stats_error = "no scheduled pod mounts the PVCs: no kubelet to ask"
    return sample


def _real(target: KubernetesTarget) -> KubeApi:
    from l2kit.k8s import client

    return RealApi(client.connect(context=target.context))


def _probe_error(target: KubernetesTarget, exc: ClusterError) -> ProbeError:
    """No API server or no credentials: the namespace could not be asked at all."""
    if exc.reason in ("Unreachable", "NoConfig"):
        return TargetUnreachable(target.name, str(exc))
    return ProbeError(target.name, str(exc))


async def probe(target: KubernetesTarget, loader: Loader | None) -> KubeSample:
    def run() -> KubeSample:
        try:
            api = (loader or _real)(target)
        except ClusterError as exc:
            raise _probe_error(target, exc) from exc
        try:
            return collect(target, api)
        except ClusterError as exc:
            raise _probe_error(target, exc) from exc
        finally:
            api.close()

    return await asyncio.to_thread(run)


def evaluate(name: str, th: KubernetesThresholds, s: KubeSample) -> list[CheckResult]:
    results: list[CheckResult] = []

    def add(check: str, status: Status, reason: str, value: float | None, subject: str) -> None:
        results.append(CheckResult(name, "kubernetes", check, status, reason, value, subject))

    if not s.pods:
        add("pod_ready", Status.WARN, "no pods match the label selector", None, "")
    for pod in sorted(s.pods, key=lambda p: p.name):
        if pod.ready:
            add("pod_ready", Status.OK, f"ready ({pod.phase})", 1, pod.name)
        else:
            add("pod_ready", Status[th.pod_not_ready], f"not ready ({pod.phase})", 0, pod.name)
        n = pod.restarts
        status = (
            Status.CRIT
            if n >= th.pod_restarts_crit
            else Status.WARN
            if n >= th.pod_restarts_warn
            else Status.OK
        )
        add("pod_restarts", status, f"{n} container restarts", n, pod.name)
    for pvc in s.pvcs:
        if pvc in s.usage:
            used, cap = s.usage[pvc]
            ratio = used / cap
            status = (
                Status.CRIT
                if ratio >= th.pvc_usage_crit
                else Status.WARN
                if ratio >= th.pvc_usage_warn
                else Status.OK
            )
            reason = f"{used / 2**30:.1f} of {cap / 2**30:.1f} GiB used"
            add("pvc_usage", status, reason, round(ratio, 6), pvc)
        else:
            why = s.stats_error or "the kubelet reports no stats for this volume"
            add("pvc_usage", Status.UNKNOWN, why, None, pvc)
    return results
