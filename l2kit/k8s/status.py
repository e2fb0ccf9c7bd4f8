"""Rollout and readiness of a stack: workloads (StatefulSet/Deployment/Job) and their pods.

The assessors are pure (object dict in, frozen result out); ``stack_status`` reads the cluster once;
``wait_ready`` polls it until every workload is ready, one has failed, or the timeout passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from l2kit.errors import ClusterError
from l2kit.k8s.apply import stack_selector
from l2kit.k8s.client import ClusterApi, Obj, Ref

WORKLOAD_KINDS = ("StatefulSet", "Deployment", "Job")
State = Literal["ready", "progressing", "failed", "missing"]

_BAD_WAITING = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
}


@dataclass(frozen=True)
class WorkloadStatus:
    """Rollout state of one workload."""

    kind: str
    namespace: str
    name: str
    state: State
    replicas: int = 0
    ready_replicas: int = 0
    updated_replicas: int = 0
    current_revision: str = ""
    update_revision: str = ""
    message: str = ""


@dataclass(frozen=True)
class PodStatus:
    """One pod: phase, readiness, restarts and why it is not ready."""

    namespace: str
    name: str
    phase: str
    ready: bool
    restarts: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackStatus:
    stack: str
    workloads: tuple[WorkloadStatus, ...]
    pods: tuple[PodStatus, ...] = field(default=())

    @property
    def ready(self) -> bool:
        return all(w.state == "ready" for w in self.workloads)

    @property
    def failed(self) -> tuple[WorkloadStatus, ...]:
        return tuple(w for w in self.workloads if w.state == "failed")

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "ready": self.ready,
            "workloads": [asdict(w) for w in self.workloads],
            "pods": [{**asdict(p), "reasons": list(p.reasons)} for p in self.pods],
        }


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("type")): c for c in status.get("conditions") or [] if isinstance(c, dict)}


def _observed(obj: Obj) -> bool:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    return generation is None or (isinstance(observed, int) and observed >= generation)


def assess_statefulset(obj: Obj) -> WorkloadStatus:
    ref, spec, status = Ref.of(obj), obj.get("spec") or {}, obj.get("status") or {}
    replicas = _int(spec.get("replicas", 1))
    ready, updated = _int(status.get("readyReplicas")), _int(status.get("updatedReplicas"))
    current, update = str(status.get("currentRevision", "")), str(status.get("updateRevision", ""))
    on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
    rolled = on_delete or (updated >= replicas and current == update)
    if not _observed(obj):
        state: State = "progressing"
        message = "spec change not yet observed"
    elif ready >= replicas and rolled:
        state, message = "ready", ""
    else:
        state = "progressing"
        rolling = f", rolling to revision {update}" if update and not rolled else ""
        message = f"{ready}/{replicas} ready{rolling}"
    return WorkloadStatus(
        ref.kind, ref.namespace, ref.name, state, replicas, ready, updated, current, update, message
    )


def assess_deployment(obj: Obj) -> WorkloadStatus:
    ref, spec, status = Ref.of(obj), obj.get("spec") or {}, obj.get("status") or {}
    replicas = _int(spec.get("replicas", 1))
    ready, updated = _int(status.get("readyReplicas")), _int(status.get("updatedReplicas"))
    progressing = _conditions(status).get("Progressing") or {}
    state: State
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        state, message = "failed", str(progressing.get("message", "progress deadline exceeded"))
    elif _observed(obj) and ready >= replicas and updated >= replicas:
        state, message = "ready", ""
    else:
        state, message = "progressing", f"{ready}/{replicas} ready, {updated} updated"
    return WorkloadStatus(
        ref.kind, ref.namespace, ref.name, state, replicas, ready, updated, message=message
    )


def assess_job(obj: Obj) -> WorkloadStatus:
    ref, spec, status = Ref.of(obj), obj.get("spec") or {}, obj.get("status") or {}
    completions = _int(spec.get("completions", 1))
    succeeded = _int(status.get("succeeded"))
    conditions = _conditions(status)
    if (conditions.get("Failed") or {}).get("status") == "True":
        state: State = "failed"
        message = str(conditions["Failed"].get("reason", "failed"))
    elif (conditions.get("Complete") or {}).get("status") == "True" or succeeded >= completions:
        state, message = "ready", "complete"
    else:
        state, message = "progressing", f"{succeeded}/{completions} succeeded"
    return WorkloadStatus(
        ref.kind, ref.namespace, ref.name, state, completions, succeeded, message=message
    )


_ASSESS: dict[str, Callable[[Obj], WorkloadStatus]] = {
    "StatefulSet": assess_statefulset,
    "Deployment": assess_deployment,
    "Job": assess_job,
}


def assess(obj: Obj) -> WorkloadStatus:
    """Rollout state of a live StatefulSet, Deployment or Job."""
    return _ASSESS[str(obj.get("kind"))](obj)


def assess_pod(obj: Obj) -> PodStatus:
    """Phase, readiness, restarts and the reasons containers are not running."""
    ref, status = Ref.of(obj), obj.get("status") or {}
    ready = (_conditions(status).get("Ready") or {}).get("status") == "True"
    restarts, reasons = 0, []
    containers = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    for cs in containers:
        restarts += _int(cs.get("restartCount"))
        state = cs.get("state") or {}
        name = cs.get("name", "?")
        waiting, terminated = state.get("waiting") or {}, state.get("terminated") or {}
        if waiting.get("reason"):
            reasons.append(f"{name}: {waiting['reason']}")
        elif terminated.get("reason") and terminated.get("reason") != "Completed":
            reasons.append(f"{name}: {terminated['reason']}")
        last = (cs.get("lastState") or {}).get("terminated") or {}
        if last.get("reason") in {"OOMKilled", "Error"} and not waiting.get("reason"):
            reasons.append(f"{name}: last exit {last['reason']}")
    phase = str(status.get("phase", "Unknown"))
    if not ready and not reasons and phase == "Pending":
        scheduled = _conditions(status).get("PodScheduled") or {}
        if scheduled.get("status") == "False":
            reasons.append(f"unschedulable: {scheduled.get('reason', '')}".rstrip(": "))
    return PodStatus(ref.namespace, ref.name, phase, ready, restarts, tuple(reasons))


def failing_waits(pods: Iterable[PodStatus]) -> list[str]:
    """Reasons that will not heal by waiting (bad image, crash loop, config error)."""
    return [
        f"{p.name}: {r}" for p in pods for r in p.reasons if r.split(": ", 1)[-1] in _BAD_WAITING
    ]


def stack_status(cluster: ClusterApi, stack: str, rendered: Iterable[Obj]) -> StackStatus:
    """Live state of the rendered workloads and of the stack's pods."""
    workloads: list[WorkloadStatus] = []
    namespaces: set[str] = set()
    for obj in rendered:
        ref = Ref.of(obj)
        if ref.kind not in WORKLOAD_KINDS:
            continue
        namespaces.add(ref.namespace)
        live = cluster.get(ref)
        workloads.append(
            assess(live)
            if live is not None
            else WorkloadStatus(ref.kind, ref.namespace, ref.name, "missing", message="not found")
        )
    pods: list[PodStatus] = []
    for namespace in sorted(namespaces):
        for pod in cluster.list(
            "v1", "Pod", label_selector=stack_selector(stack), namespace=namespace
        ):
            pods.append(assess_pod(pod))
    workloads.sort(key=lambda w: (w.kind, w.namespace, w.name))
    pods.sort(key=lambda p: (p.namespace, p.name))
    return StackStatus(stack, tuple(workloads), tuple(pods))


def wait_ready(
    cluster: ClusterApi,
    stack: str,
    rendered: list[Obj],
    *,
    timeout: float,
    interval: float = 2.0,
    progress: Callable[[StackStatus], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> StackStatus:
    """Poll until the stack is ready; ``ClusterError`` (reason Failed/Timeout) otherwise."""
    deadline = clock() + timeout
    while True:
        current = stack_status(cluster, stack, rendered)
        if progress is not None:
            progress(current)
        if current.ready:
            return current
        if current.failed:
            names = ", ".join(f"{w.kind}/{w.name}: {w.message}" for w in current.failed)
            raise ClusterError(f"stack {stack}: rollout failed: {names}", reason="Failed")
        if clock() >= deadline:
            waiting = [
                f"{w.kind}/{w.name} ({w.message})" for w in current.workloads if w.state != "ready"
            ]
            hints = failing_waits(current.pods)
            raise ClusterError(
                f"stack {stack}: not ready after {timeout:g}s: "
                + ", ".join(waiting)
                + (f"; {'; '.join(hints)}" if hints else ""),
                reason="Timeout",
            )
        sleep(interval)
