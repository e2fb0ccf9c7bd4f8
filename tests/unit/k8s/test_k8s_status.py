"""Rollout assessment of StatefulSets, Deployments, Jobs and pods; wait with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from l2kit.errors import ClusterError
from l2kit.k8s.client import Obj, Ref
from l2kit.k8s.status import (
    assess,
    assess_pod,
    failing_waits,
    stack_status,
    wait_ready,
)


def sts(
    replicas: int,
    ready: int,
    updated: int,
    current: str = "r1",
    update: str = "r1",
    generation: int = 2,
    observed: int = 2,
) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "bitcoind", "namespace": "l2", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "readyReplicas": ready,
            "updatedReplicas": updated,
            "currentRevision": current,
            "updateRevision": update,
            "observedGeneration": observed,
        },
    }


def test_statefulset_states() -> None:
    assert assess(sts(1, 1, 1)).state == "ready"
    rolling = assess(sts(2, 2, 1, current="r1", update="r2"))
    assert rolling.state == "progressing" and "r2" in rolling.message
    assert assess(sts(2, 1, 2)).message == "1/2 ready"
    assert assess(sts(1, 1, 1, generation=3, observed=2)).state == "progressing"


def test_deployment_and_job_states() -> None:
    dep: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 2},
        "status": {"readyReplicas": 2, "updatedReplicas": 2},
    }
    assert assess(dep).state == "ready"
    dep["status"]["conditions"] = [
        {"type": "Progressing", "reason": "ProgressDeadlineExceeded", "message": "timed out"}
    ]
    assert assess(dep).state == "failed"
    job: dict[str, Any] = {"kind": "Job", "metadata": {"name": "j"}, "spec": {}, "status": {}}
    assert assess(job).state == "progressing"
    job["status"] = {"succeeded": 1}
    assert assess(job).state == "ready"
    job["status"] = {
        "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]
    }
    bad = assess(job)
    assert bad.state == "failed" and bad.message == "BackoffLimitExceeded"


def pod(name: str, ready: bool, **container: Any) -> Obj:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "l2"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": str(ready)}],
            "containerStatuses": [{"name": "bitcoind", **container}],
        },
    }


def test_pod_reasons_and_restarts() -> None:
    crash = assess_pod(
        pod(
            "p0",
            False,
            restartCount=5,
            state={"waiting": {"reason": "CrashLoopBackOff"}},
            lastState={"terminated": {"reason": "OOMKilled"}},
        )
    )
    assert not crash.ready and crash.restarts == 5
    assert crash.reasons == ("bitcoind: CrashLoopBackOff",)
    oom = assess_pod(
        pod(
            "p1",
            True,
            restartCount=1,
            state={"running": {}},
            lastState={"terminated": {"reason": "OOMKilled"}},
        )
    )
    assert oom.ready and oom.reasons == ("bitcoind: last exit OOMKilled",)
    assert failing_waits([crash, oom]) == ["p0: bitcoind: CrashLoopBackOff"]
    pending = {
        "kind": "Pod",
        "metadata": {"name": "p2"},
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
        },
    }
    assert assess_pod(pending).reasons == ("unschedulable: Unschedulable",)


class Cluster:
    """A fake ClusterApi whose StatefulSet becomes ready on the third read."""

    def __init__(self) -> None:
        self.reads = 0

    def get(self, ref: Ref) -> Obj | None:
        self.reads += 1
        return sts(1, 1 if self.reads >= 3 else 0, 1)

    def list(
        self, api_version: str, kind: str, *, label_selector: str, namespace: str | None = None
    ) -> list[Obj]:
        assert label_selector == "l2kit.io/stack=demo" and namespace == "l2"
        return [pod("bitcoind-0", False)]

    def apply(self, obj: Obj, *, force: bool = False, dry_run: bool = False) -> Obj:
        raise AssertionError

    def delete(self, ref: Ref, *, dry_run: bool = False) -> None:
        raise AssertionError

    def served(self, api_version: str, kind: str) -> bool:
        return True


RENDERED = [sts(1, 0, 0), {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "l2"}}]


def test_stack_status_json_shape() -> None:
    status = stack_status(Cluster(), "demo", RENDERED)
    data = status.as_dict()
    assert data["stack"] == "demo" and data["ready"] is False
    assert data["workloads"][0]["kind"] == "StatefulSet"
    assert data["workloads"][0]["state"] == "progressing"
    assert data["pods"][0]["name"] == "bitcoind-0"


def test_wait_ready_polls_until_ready() -> None:
    now = [0.0]
    seen: list[bool] = []
    result = wait_ready(
        Cluster(),
        "demo",
        RENDERED,
        timeout=60,
        interval=5,
        progress=lambda s: seen.append(s.ready),
        clock=lambda: now[0],
        sleep=lambda dt: now.__setitem__(0, now[0] + dt),
    )
    assert result.ready and seen == [False, False, True] and now[0] == 10


def test_wait_ready_times_out() -> None:
    now = [0.0]
    with pytest.raises(ClusterError) as info:
        wait_ready(
            Cluster(),
            "demo",
            RENDERED,
            timeout=4,
            interval=5,
            clock=lambda: now[0],
            sleep=lambda dt: now.__setitem__(0, now[0] + dt),
        )
    assert info.value.reason == "Timeout" and "StatefulSet/bitcoind" in str(info.value)
