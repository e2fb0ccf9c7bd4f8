"""Diff normalisation, secret masking and new/changed/unchanged/pruned classification."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.k8s_fake_api import FakeApiServer

from l2kit.k8s.client import KubeClient, Ref
from l2kit.k8s.diff import classify, diff_stack, normalise, unified


def cm(data: dict[str, str], name: str = "conf", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "l2", "labels": {"l2kit.io/stack": "demo"}, **meta},
        "data": data,
    }


def test_normalise_drops_server_fields() -> None:
    live = cm(
        {"a": "1"},
        uid="u",
        resourceVersion="9",
        generation=3,
        managedFields=[{}],
        creationTimestamp="t",
        annotations={},
    )
    live["status"] = {"x": 1}
    assert normalise(live) == cm({"a": "1"})
    assert "uid" in live["metadata"]  # input untouched


def test_server_fields_alone_are_unchanged() -> None:
    live = cm({"a": "1"}, uid="u", resourceVersion="9", managedFields=[{"manager": "kubectl"}])
    would = cm({"a": "1"}, uid="u", resourceVersion="10", managedFields=[{"manager": "l2kit"}])
    entry = classify(Ref.of(would), live, would)
    assert entry.state == "unchanged" and entry.diff == ""


def test_changed_shows_unified_diff() -> None:
    ref = Ref.of(cm({}))
    text = unified(ref, cm({"a": "1"}), cm({"a": "2"}))
    assert text.startswith("--- live/ConfigMap/l2/conf\n+++ rendered/ConfigMap/l2/conf\n")
    assert "-  a: '1'\n" in text and "+  a: '2'\n" in text
    assert classify(ref, cm({"a": "1"}), cm({"a": "2"})).state == "changed"


def test_new_object() -> None:
    entry = classify(Ref.of(cm({"a": "1"})), None, cm({"a": "1"}))
    assert entry.state == "new" and "+kind: ConfigMap\n" in entry.diff


def test_secret_values_never_appear() -> None:
    def secret(data: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "rpc", "namespace": "l2"},
            "data": data,
        }

    live = secret({"user": "dXNlcg==", "password": "b2xkcGFzcw=="})
    would = secret({"user": "dXNlcg==", "password": "bmV3cGFzcw=="})
    text = unified(Ref.of(would), live, would)
    assert "b2xkcGFzcw==" not in text and "bmV3cGFzcw==" not in text and "dXNlcg" not in text
    assert "-  password: '*** (before)'" in text and "+  password: '*** (after)'" in text
    same = unified(Ref.of(live), live, live)
    assert same == ""


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[FakeApiServer, KubeClient]]:
    from kubernetes import client

    with FakeApiServer() as server:
        configuration = client.Configuration()
        configuration.host = server.url
        with KubeClient(client.ApiClient(configuration), discovery_cache=tmp_path / "d.json") as kc:
            yield server, kc


def test_diff_stack_states_and_dry_run_only(kube: tuple[FakeApiServer, KubeClient]) -> None:
    server, kc = kube
    server.put(cm({"a": "1"}, name="same"))
    server.put(cm({"a": "1"}, name="edit"))
    server.put(cm({"a": "1"}, name="dropped"))
    rendered = [
        cm({"a": "1"}, name="same"),
        cm({"a": "2"}, name="edit"),
        cm({"a": "1"}, name="fresh"),
    ]
    before = {k: dict(v) for k, v in server.api.objects.items()}
    entries = diff_stack(kc, "demo", rendered)
    assert [(e.ref.name, e.state) for e in entries] == [
        ("edit", "changed"),
        ("fresh", "new"),
        ("same", "unchanged"),
        ("dropped", "pruned"),
    ]
    assert all("dryRun" in r.query for r in server.api.requests if r.method == "PATCH")
    assert server.api.objects == before


def test_config_files_diff_line_by_line() -> None:
    before = cm({"bitcoin.conf": "regtest=1\ndbcache=450\ntxindex=1\n"})
    after = cm({"bitcoin.conf": "regtest=1\ndbcache=500\ntxindex=1\n"})
    text = unified(Ref.of(after), before, after)
    changed = [
        line
        for line in text.splitlines()
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    assert changed == ["-    dbcache=450", "+    dbcache=500"]
