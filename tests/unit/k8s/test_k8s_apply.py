"""Apply ordering, prune selection and the apply/prune flow against the fake API server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.k8s_fake_api import FakeApiServer

from l2kit.errors import ClusterError
from l2kit.k8s.apply import (
    PRUNABLE_KINDS,
    apply_order,
    apply_stack,
    prune_selection,
    prune_stack,
    rank,
    stack_selector,
    with_namespace,
)
from l2kit.k8s.client import KubeClient, Ref


def obj(
    kind: str,
    name: str,
    api_version: str = "v1",
    ns: str | None = "l2",
    stack: str | None = "demo",
    **extra: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    if stack:
        meta["labels"] = {"l2kit.io/stack": stack}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **extra}


STACK = [
    obj("PrometheusRule", "alerts", "monitoring.coreos.com/v1"),
    obj("ServiceMonitor", "bitcoind", "monitoring.coreos.com/v1"),
    obj("NetworkPolicy", "bitcoind", "networking.k8s.io/v1"),
    obj("PodDisruptionBudget", "bitcoind", "policy/v1"),
    obj("StatefulSet", "bitcoind", "apps/v1", spec={"replicas": 1}),
    obj("Job", "init", "batch/v1"),
    obj("Deployment", "exporter", "apps/v1"),
    obj("Service", "bitcoind"),
    obj("PersistentVolumeClaim", "data"),
    obj("ConfigMap", "bitcoind"),
    obj("Secret", "rpc"),
    obj("RoleBinding", "rb", "rbac.authorization.k8s.io/v1"),
    obj("ServiceAccount", "bitcoind"),
    obj("CustomResourceDefinition", "x.example.com", "apiextensions.k8s.io/v1", ns=None),
    obj("Namespace", "l2", ns=None),
]


def test_apply_order_is_dependency_order() -> None:
    shuffled = STACK[:]
    random.Random(7).shuffle(shuffled)
    kinds = [o["kind"] for o in apply_order(shuffled)]
    assert kinds == [
        "Namespace",
        "CustomResourceDefinition",
        "ServiceAccount",
        "RoleBinding",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "Service",
        "Deployment",
        "Job",
        "StatefulSet",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "PrometheusRule",
        "ServiceMonitor",
    ]


def test_unknown_kind_goes_before_monitoring() -> None:
    kinds = [
        o["kind"]
        for o in apply_order(
            [obj("ServiceMonitor", "a"), obj("Widget", "w"), obj("NetworkPolicy", "n")]
        )
    ]
    assert kinds == ["NetworkPolicy", "Widget", "ServiceMonitor"]


def test_with_namespace_fills_only_namespaced_kinds() -> None:
    out = with_namespace(
        [
            obj("ConfigMap", "c", ns=None),
            obj("Namespace", "l2", ns=None),
            obj("Service", "s", ns="other"),
        ],
        "l2",
    )
    assert [o["metadata"].get("namespace") for o in out] == ["l2", None, "other"]


def test_prune_selection() -> None:
    rendered = [obj("ConfigMap", "keep"), obj("StatefulSet", "bitcoind", "apps/v1")]
    live = [
        obj("ConfigMap", "keep"),
        obj("StatefulSet", "bitcoind", "apps/v1beta2"),  # same group/kind/name: kept
        obj("ConfigMap", "old"),  # dropped from the stack: pruned
        obj("ConfigMap", "other-stack", stack="prod"),  # another stack: kept
        obj("ConfigMap", "unlabelled", stack=None),  # not ours: kept
        obj("PersistentVolumeClaim", "data-bitcoind-0"),  # data: never pruned
        obj("Namespace", "l2", ns=None),  # never pruned
        {
            **obj("Job", "owned", "batch/v1"),
            "metadata": {
                **obj("Job", "owned")["metadata"],
                "ownerReferences": [{"kind": "CronJob"}],
            },
        },
        obj("ServiceMonitor", "gone", "monitoring.coreos.com/v1"),
        obj("ServiceAccount", "gone"),
    ]
    assert prune_selection(live, rendered, "demo") == [
        Ref("monitoring.coreos.com/v1", "ServiceMonitor", "l2", "gone"),
        Ref("v1", "ConfigMap", "l2", "old"),
        Ref("v1", "ServiceAccount", "l2", "gone"),
    ]


_KINDS = [(o["apiVersion"], o["kind"]) for o in STACK] + [("example.com/v1", "Widget")]
_objects = st.lists(
    st.builds(
        lambda kv, name, stack, owned: {
            **obj(
                kv[1],
                name,
                kv[0],
                ns=None if kv[1] in {"Namespace", "CustomResourceDefinition"} else "l2",
                stack=stack,
            ),
            **(
                {
                    "metadata": {
                        **obj(kv[1], name, kv[0], stack=stack)["metadata"],
                        "ownerReferences": [{"kind": "X"}],
                    }
                }
                if owned
                else {}
            ),
        },
        st.sampled_from(_KINDS),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["demo", "other", None]),
        st.booleans(),
    ),
    max_size=20,
)
_unique = _objects.map(lambda objs: list({Ref.of(o): o for o in objs}.values()))


@given(_unique, st.randoms())
def test_apply_order_properties(objects: list[dict[str, Any]], rnd: random.Random) -> None:
    ordered = apply_order(objects)
    shuffled = objects[:]
    rnd.shuffle(shuffled)
    assert apply_order(shuffled) == ordered  # deterministic whatever the input order
    ranks = [rank(o["kind"]) for o in ordered]
    assert ranks == sorted(ranks)
    assert sorted(map(str, ordered)) == sorted(map(str, objects))


@given(_unique, _objects)
def test_prune_selection_properties(
    live: list[dict[str, Any]], rendered: list[dict[str, Any]]
) -> None:
    chosen = prune_selection(live, rendered, "demo")
    kept = {(r.kind, r.namespace, r.name) for r in map(Ref.of, rendered)}
    prunable = {k for _, k in PRUNABLE_KINDS}
    by_ref = {Ref.of(o): o for o in live}
    for ref in chosen:
        o = by_ref[ref]
        assert (ref.kind, ref.namespace, ref.name) not in kept
        assert ref.kind in prunable
        assert o["metadata"]["labels"]["l2kit.io/stack"] == "demo"
        assert not o["metadata"].get("ownerReferences")
    assert len(set(chosen)) == len(chosen)


def test_prunable_kinds_exclude_data_and_namespaces() -> None:
    kinds = {k for _, k in PRUNABLE_KINDS}
    assert "PersistentVolumeClaim" not in kinds and "Namespace" not in kinds


def test_stack_selector() -> None:
    assert stack_selector("demo") == "l2kit.io/stack=demo"


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer(monitoring=False) as srv:
        yield srv


@pytest.fixture
def kube(server: FakeApiServer, tmp_path: Path) -> Iterator[KubeClient]:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = server.url
    with KubeClient(client.ApiClient(configuration), discovery_cache=tmp_path / "d.json") as kc:
        yield kc


def test_apply_stack_orders_requests_and_reports(server: FakeApiServer, kube: KubeClient) -> None:
    objects = [
        obj("Service", "bitcoind", spec={"ports": [{"port": 18443}]}),
        obj("ConfigMap", "conf", data={"a": "1"}),
        obj("Namespace", "l2", ns=None),
        obj("ServiceMonitor", "bitcoind", "monitoring.coreos.com/v1"),
    ]
    first = apply_stack(kube, objects)
    assert [(o.ref.kind, o.action) for o in first] == [
        ("Namespace", "created"),
        ("ConfigMap", "created"),
        ("Service", "created"),
        ("ServiceMonitor", "skipped"),
    ]  # no prometheus-operator CRDs on this server
    patches = [r.path for r in server.api.requests if r.method == "PATCH"]
    assert patches == [
        "/api/v1/namespaces/l2",
        "/api/v1/namespaces/l2/configmaps/conf",
        "/api/v1/namespaces/l2/services/bitcoind",
    ]
    objects[1] = obj("ConfigMap", "conf", data={"a": "2"})
    again = apply_stack(kube, objects)
    assert [o.action for o in again[:3]] == ["unchanged", "configured", "unchanged"]


def test_prune_stack_deletes_only_dropped_objects(server: FakeApiServer, kube: KubeClient) -> None:
    apply_stack(
        kube, [obj("ConfigMap", "a"), obj("ConfigMap", "b"), obj("PersistentVolumeClaim", "data")]
    )
    server.put(obj("ConfigMap", "foreign", stack="prod"))
    dry = prune_stack(kube, "demo", [obj("ConfigMap", "a")], dry_run=True)
    assert [str(o.ref) for o in dry] == ["ConfigMap/l2/b"]
    assert len(server.api.objects) == 4  # dry run deleted nothing
    done = prune_stack(kube, "demo", [obj("ConfigMap", "a")])
    assert [(str(o.ref), o.action) for o in done] == [("ConfigMap/l2/b", "pruned")]
    names = sorted(p.rsplit("/", 1)[1] for p in server.api.objects)
    assert names == ["a", "data", "foreign"]


def test_dry_run_into_a_new_namespace(server: FakeApiServer, kube: KubeClient) -> None:
    # the fake server, like a real one, answers 404 for objects in a namespace that is missing
    path = "/api/v1/namespaces/l2/configmaps/conf"
    server.api.fail[("PATCH", path)] = (
        404,
        {
            "kind": "Status",
            "code": 404,
            "reason": "NotFound",
            "message": 'namespaces "l2" not found',
        },
    )
    out = apply_stack(
        kube, [obj("Namespace", "l2", ns=None), obj("ConfigMap", "conf")], dry_run=True
    )
    assert [(o.ref.kind, o.action) for o in out] == [
        ("Namespace", "created"),
        ("ConfigMap", "created"),
    ]
    assert out[1].note == "namespace l2 is new"
    assert server.api.objects == {}
    with pytest.raises(ClusterError):
        apply_stack(kube, [obj("ConfigMap", "conf")])  # not a dry run: the error stands
