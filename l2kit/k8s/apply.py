"""Server-side apply of a rendered stack, in dependency order, and pruning by the stack label.

The pure half (``apply_order``, ``prune_selection``, ``stack_selector``) decides *what* to send;
``apply_stack`` and ``prune_stack`` send it through a ``ClusterApi``.

Order: Namespaces, CRDs, ServiceAccounts/RBAC, Secrets/ConfigMaps, PVCs, Services, workloads,
PDBs, NetworkPolicies, then monitoring objects (they reference Services and may need CRDs).

Prune deletes objects that carry ``l2kit.io/stack=<name>`` but are no longer rendered, only of the
kinds in ``PRUNABLE_KINDS``. Never pruned: Namespaces (would take everything with them),
PersistentVolumeClaims (data; StatefulSet claims carry the template's labels too) and objects with
an ``ownerReference`` (their owner's garbage collector handles them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from l2kit.errors import ClusterError
from l2kit.k8s.client import ClusterApi, Obj, Ref

STACK_LABEL = "l2kit.io/stack"

_RANK: dict[str, int] = {
    "Namespace": 0,
    "CustomResourceDefinition": 1,
    "ServiceAccount": 2,
    "Role": 3,
    "ClusterRole": 3,
    "RoleBinding": 4,
    "ClusterRoleBinding": 4,
    "Secret": 5,
    "ConfigMap": 5,
    "PersistentVolumeClaim": 6,
    "Service": 7,
    "StatefulSet": 8,
    "Deployment": 8,
    "DaemonSet": 8,
    "Job": 8,
    "CronJob": 8,
    "PodDisruptionBudget": 9,
    "NetworkPolicy": 10,
    "ServiceMonitor": 12,
    "PodMonitor": 12,
    "PrometheusRule": 12,
    "SnapshotSchedule": 12,
}
_UNKNOWN_RANK = 11  # after everything built-in, before monitoring objects

CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
    }
)

PRUNABLE_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "Job"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("snapscheduler.backube/v1", "SnapshotSchedule"),
)
"""(apiVersion, kind) pairs l2kit renders and may delete when they drop out of a stack."""

Action = Literal["created", "configured", "unchanged", "skipped", "pruned"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one object."""

    ref: Ref
    action: Action
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.ref.kind,
            "namespace": self.ref.namespace,
            "name": self.ref.name,
            "action": self.action,
            "note": self.note,
        }


def rank(kind: str) -> int:
    """Apply position of a kind (lower first)."""
    return _RANK.get(kind, _UNKNOWN_RANK)


def apply_order(objects: Iterable[Obj]) -> list[Obj]:
    """Objects sorted for apply: by kind rank, then kind, namespace and name (deterministic)."""

    def key(o: Obj) -> tuple[int, str, str, str]:
        ref = Ref.of(o)
        return rank(ref.kind), ref.kind, ref.namespace, ref.name

    return sorted(objects, key=key)


def stack_selector(stack: str) -> str:
    """The label selector matching every object of a stack."""
    return f"{STACK_LABEL}={stack}"


def with_namespace(objects: Iterable[Obj], namespace: str) -> list[Obj]:
    """Copies of ``objects`` with ``metadata.namespace`` set where a namespaced kind lacks one."""
    out: list[Obj] = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") in CLUSTER_SCOPED or meta.get("namespace"):
            out.append(obj)
        else:
            out.append({**obj, "metadata": {**meta, "namespace": namespace}})
    return out


def prune_selection(live: Iterable[Obj], rendered: Iterable[Obj], stack: str) -> list[Ref]:
    """Live objects of the stack that are no longer rendered and that l2kit may delete.

    Keys compare by group (not version), kind, namespace, name, so an apiVersion bump of a kind
    does not delete the object it renders.
    """
    prunable = {kind for _, kind in PRUNABLE_KINDS}
    keep = {_key(Ref.of(obj)) for obj in rendered}
    out: set[Ref] = set()
    for obj in live:
        ref = Ref.of(obj)
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        if (
            ref.kind in prunable
            and labels.get(STACK_LABEL) == stack
            and not meta.get("ownerReferences")
            and _key(ref) not in keep
        ):
            out.add(ref)
    # delete in reverse apply order: monitoring first, service accounts last
    return sorted(out, key=lambda r: (-rank(r.kind), r))


def _key(ref: Ref) -> tuple[str, str, str, str]:
    group = ref.api_version.rpartition("/")[0]
    return group, ref.kind, ref.namespace, ref.name


def live_stack_objects(cluster: ClusterApi, stack: str, namespaces: Iterable[str]) -> list[Obj]:
    """Every object of a prunable kind labelled with the stack, in the given namespaces."""
    selector = stack_selector(stack)
    found: list[Obj] = []
    for api_version, kind in PRUNABLE_KINDS:
        if not cluster.served(api_version, kind):
            continue
        for namespace in sorted(set(namespaces)):
            found.extend(
                cluster.list(api_version, kind, label_selector=selector, namespace=namespace)
            )
    return found


def namespaces_of(objects: Iterable[Obj]) -> list[str]:
    """Namespaces the stack lives in: namespaced objects' namespaces plus rendered Namespaces."""
    names: set[str] = set()
    for obj in objects:
        ref = Ref.of(obj)
        if ref.kind == "Namespace":
            names.add(ref.name)
        elif ref.namespace:
            names.add(ref.namespace)
    return sorted(names)


Progress = Callable[[Outcome], None]


def apply_stack(
    cluster: ClusterApi,
    objects: Iterable[Obj],
    *,
    force: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Server-side apply each object in ``apply_order``; kinds the server lacks are skipped."""
    outcomes: list[Outcome] = []
    for obj in apply_order(objects):
        ref = Ref.of(obj)
        if not cluster.served(ref.api_version, ref.kind):
            outcome = Outcome(ref, "skipped", f"{ref.api_version} {ref.kind} is not served")
        else:
            before = cluster.get(ref)
            try:
                after = cluster.apply(obj, force=force, dry_run=dry_run)
                outcome = Outcome(ref, _action(before, after))
            except ClusterError as exc:
                # a dry run cannot place objects into a namespace it only pretended to create
                if not (dry_run and before is None and ref.namespace and exc.status == 404):
                    raise
                outcome = Outcome(ref, "created", f"namespace {ref.namespace} is new")
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def _action(before: Obj | None, after: Obj) -> Action:
    if before is None:
        return "created"
    version = (before.get("metadata") or {}).get("resourceVersion")
    return (
        "unchanged"
        if version == (after.get("metadata") or {}).get("resourceVersion")
        else "configured"
    )


def prune_stack(
    cluster: ClusterApi,
    stack: str,
    rendered: list[Obj],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Delete the stack's live objects that ``rendered`` no longer contains."""
    live = live_stack_objects(cluster, stack, namespaces_of(rendered))
    outcomes: list[Outcome] = []
    for ref in prune_selection(live, rendered, stack):
        cluster.delete(ref, dry_run=dry_run)
        outcome = Outcome(ref, "pruned", "dry run" if dry_run else "")
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
