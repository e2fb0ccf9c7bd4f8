"""Against a real cluster (only when KUBECONFIG is set): apply, diff, prune, status, clean up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from l2kit.k8s.apply import apply_stack, prune_stack, with_namespace
from l2kit.k8s.client import KubeClient, Ref, connect
from l2kit.k8s.diff import diff_stack
from l2kit.k8s.status import stack_status
from l2kit.render import plan, profiles
from l2kit.render.manifests import render_objects
from l2kit.spec import parse_spec

pytestmark = pytest.mark.k8s

if not os.environ.get("KUBECONFIG"):
    pytest.skip("no cluster: KUBECONFIG is not set", allow_module_level=True)


@pytest.fixture
def stack() -> Iterator[tuple[KubeClient, str, list[dict[str, Any]]]]:
    name = f"l2kit-t{secrets.token_hex(3)}"
    text = profiles.init_spec("bitcoin", "regtest").replace("btc-regtest", name)
    fleet = parse_spec(text)
    values = plan.resolve(fleet, generate_secrets=True, pin_namespace=True).dump()
    objects = [
        o
        for o in render_objects(values)
        if (o["metadata"].get("labels") or {}).get("l2kit.io/stack") == name
    ]
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    kube = connect()
    try:
        yield kube, name, [namespace, *with_namespace(objects, name)]
    finally:
        kube.delete(Ref("v1", "Namespace", "", name))
        kube.close()


def test_apply_diff_prune_status(stack: tuple[KubeClient, str, list[dict[str, Any]]]) -> None:
    kube, name, objects = stack
    served = [o for o in objects if kube.served(o["apiVersion"], o["kind"])]
    first = apply_stack(kube, objects)
    assert {o.action for o in first if o.action != "skipped"} == {"created"}
    assert len([o for o in first if o.action != "skipped"]) == len(served)
    again = apply_stack(kube, objects)
    assert {o.action for o in again if o.action != "skipped"} == {"unchanged"}
    entries = diff_stack(kube, name, objects)
    assert {e.state for e in entries} <= {"unchanged"} | (
        {"new"} if len(served) < len(objects) else set()
    )
    config_maps = [o for o in objects if o["kind"] == "ConfigMap"]
    dropped = config_maps[0]
    remaining = [o for o in objects if o is not dropped]
    pruned = prune_stack(kube, name, remaining)
    assert [p.ref for p in pruned] == [Ref.of(dropped)]
    assert kube.get(Ref.of(dropped)) is None
    status = stack_status(kube, name, remaining)
    assert [w.kind for w in status.workloads] == ["StatefulSet"]
