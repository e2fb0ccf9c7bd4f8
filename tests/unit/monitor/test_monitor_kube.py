"""Kubernetes checks through the real ``kubernetes`` client against the loopback fake API server
(pods, PVCs), and kubelet volume stats through a stub (the fake serves no node proxy)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.k8s_fake_api import FakeApiServer

from l2kit.k8s.client import KubeClient
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor import kube
from l2kit.monitor.poll import Poller
from l2kit.monitor.results import CycleReport, Status

NS = "devnet"
LABELS = {"l2kit.io/stack": "devnet", "app.kubernetes.io/part-of": "l2kit"}


def _pod(name: str, ready: bool, restarts: int, claim: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"nodeName": "node-a", "containers": [{"name": "main", "image": "x"}]}
    if claim:
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": LABELS},
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "main", "restartCount": restarts, "ready": ready}],
        },
    }


PVC = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data-devnet-bitcoind-0", "namespace": NS, "labels": LABELS},
    "spec": {"accessModes": ["ReadWriteOnce"]},
}


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer(monitoring=False) as srv:
        srv.put(_pod("devnet-bitcoind-0", True, 4, claim="data-devnet-bitcoind-0"))
        srv.put(_pod("devnet-babylond-0", False, 0))
        srv.put(PVC)
        yield srv


def _loader(url: str, cache: Path) -> kube.Loader:
    def load(target: fleet_mod.KubernetesTarget) -> kube.KubeApi:
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = url
        return kube.RealApi(KubeClient(client.ApiClient(configuration), discovery_cache=cache))

    return load


def _cycle(loader: kube.Loader) -> CycleReport:
    fleet = fleet_mod.parse(
        {"kubernetes": {"namespace": NS, "label_selector": "l2kit.io/stack=devnet"}}
    )
    poller = Poller(fleet, kube_loader=loader)

    async def once() -> CycleReport:
        try:
            return await poller.cycle()
        finally:
            await poller.aclose()

    return asyncio.run(once())


def _by(report: CycleReport) -> dict[tuple[str, str], Any]:
    return {(c.check, c.subject): c for c in report.checks}


def test_pods_and_pvcs_from_the_api(server: FakeApiServer, tmp_path: Path) -> None:
    got = _by(_cycle(_loader(server.url, tmp_path / "d.json")))
    ready = got[("pod_ready", "devnet-bitcoind-0")]
    assert (ready.status, ready.value) == (Status.OK, 1)
    not_ready = got[("pod_ready", "devnet-babylond-0")]
    assert (not_ready.status, not_ready.value) == (Status.CRIT, 0)
    restarts = got[("pod_restarts", "devnet-bitcoind-0")]
    assert (restarts.status, restarts.value) == (Status.WARN, 4)
    pvc = got[("pvc_usage", "data-devnet-bitcoind-0")]
    # the fake API has no node proxy: usage is UNKNOWN, with the reason, the rest still judged
    assert pvc.status is Status.UNKNOWN and "kubelet stats unavailable" in pvc.reason
    assert "HTTP 404" in pvc.reason


def test_unreachable_api_is_unknown(tmp_path: Path) -> None:
    from support.monitor_server import dead_url

    report = _cycle(_loader(dead_url(), tmp_path / "d.json"))
    assert report.checks and {c.status for c in report.checks} == {Status.UNKNOWN}
    assert not report.targets[0].up
    assert "unreachable" in report.checks[0].reason.lower()


class StubApi:
    """Pods with claims plus a kubelet summary, as the stats proxy returns it."""

    def __init__(self, used: int, capacity: int) -> None:
        self.used, self.capacity = used, capacity

    def list(
        self, api_version: str, kind: str, *, label_selector: str, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        if kind == "Pod":
            return [_pod("devnet-bitcoind-0", True, 0, claim="data-devnet-bitcoind-0")]
        return [PVC]

    def node_stats(self, node: str) -> dict[str, Any]:
        ref = {"name": "data-devnet-bitcoind-0", "namespace": NS}
        volume = {
            "name": "data",
            "pvcRef": ref,
            "usedBytes": self.used,
            "capacityBytes": self.capacity,
        }
        return {"node": {"nodeName": node}, "pods": [{"volume": [volume]}]}

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("used", "status"), [(50, Status.OK), (80, Status.WARN), (95, Status.CRIT)]
)
def test_pvc_usage_from_kubelet_stats(used: int, status: Status) -> None:
    got = _by(_cycle(lambda target: StubApi(used * 2**30, 100 * 2**30)))
    pvc = got[("pvc_usage", "data-devnet-bitcoind-0")]
    assert (pvc.status, pvc.value) == (status, used / 100)
    assert f"{used:.1f} of 100.0 GiB" in pvc.reason
