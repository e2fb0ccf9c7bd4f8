"""SSA / get / list / delete requests the real kubernetes client sends (fake API, 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.k8s_fake_api import FakeApiServer, Recorded

from l2kit.errors import ClusterError, InputError
from l2kit.k8s.client import FIELD_MANAGER, KubeClient, Ref, cluster_error, load_config


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer() as srv:
        yield srv


@pytest.fixture
def kube(server: FakeApiServer, tmp_path: Path) -> Iterator[KubeClient]:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = server.url
    with KubeClient(
        client.ApiClient(configuration), discovery_cache=tmp_path / "discovery.json"
    ) as kc:
        yield kc


CM: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "bitcoind-conf", "namespace": "l2", "labels": {"l2kit.io/stack": "s"}},
    "data": {"bitcoin.conf": "regtest=1\n"},
}


def _patches(server: FakeApiServer) -> list[Recorded]:
    return [r for r in server.api.requests if r.method == "PATCH"]


def test_server_side_apply_request(server: FakeApiServer, kube: KubeClient) -> None:
    result = kube.apply(CM)
    (req,) = _patches(server)
    assert req.path == "/api/v1/namespaces/l2/configmaps/bitcoind-conf"
    assert req.content_type == "application/apply-patch+yaml"
    assert req.query["fieldManager"] == [FIELD_MANAGER] == ["l2kit"]
    assert req.query["force"] == ["false"]
    assert "dryRun" not in req.query
    assert req.body == CM
    assert result["metadata"]["resourceVersion"] == "101"


def test_apply_force_and_dry_run_flags(server: FakeApiServer, kube: KubeClient) -> None:
    kube.apply(CM, force=True, dry_run=True)
    (req,) = _patches(server)
    assert req.query["force"] == ["true"]
    assert req.query["dryRun"] == ["All"]
    assert server.api.objects == {}  # a dry run stores nothing


def test_apply_grouped_kind_path(server: FakeApiServer, kube: KubeClient) -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "bitcoind", "namespace": "l2"},
        "spec": {"replicas": 1},
    }
    kube.apply(sts)
    assert _patches(server)[0].path == "/apis/apps/v1/namespaces/l2/statefulsets/bitcoind"


def test_get_absent_is_none_and_present_is_dict(server: FakeApiServer, kube: KubeClient) -> None:
    ref = Ref.of(CM)
    assert kube.get(ref) is None
    kube.apply(CM)
    live = kube.get(ref)
    assert live is not None and live["data"] == CM["data"]


def test_list_by_label_sets_kind(server: FakeApiServer, kube: KubeClient) -> None:
    kube.apply(CM)
    other = {**CM, "metadata": {**CM["metadata"], "name": "x", "labels": {"l2kit.io/stack": "t"}}}
    kube.apply(other)
    found = kube.list("v1", "ConfigMap", label_selector="l2kit.io/stack=s", namespace="l2")
    assert [(o["kind"], o["metadata"]["name"]) for o in found] == [("ConfigMap", "bitcoind-conf")]
    lists = [r for r in server.api.requests if r.method == "GET" and r.path.endswith("/configmaps")]
    assert lists[0].query["labelSelector"] == ["l2kit.io/stack=s"]


def test_delete_background_and_absent_ok(server: FakeApiServer, kube: KubeClient) -> None:
    kube.apply(CM)
    kube.delete(Ref.of(CM))
    kube.delete(Ref.of(CM))  # already gone: not an error
    deletes = [r for r in server.api.requests if r.method == "DELETE"]
    assert deletes[0].query["propagationPolicy"] == ["Background"]
    assert server.api.objects == {}


def test_served(kube: KubeClient) -> None:
    assert kube.served("monitoring.coreos.com/v1", "ServiceMonitor")
    assert not kube.served("example.com/v1", "Widget")


def test_api_error_maps_to_cluster_error_without_values(
    server: FakeApiServer, kube: KubeClient
) -> None:
    path = "/api/v1/namespaces/l2/configmaps/bitcoind-conf"
    server.api.fail[("PATCH", path)] = (
        422,
        {
            "kind": "Status",
            "code": 422,
            "reason": "Invalid",
            "message": (
                'ConfigMap "bitcoind-conf" is invalid: data[x]: Invalid value: "hunter2": bad'
            ),
        },
    )
    with pytest.raises(ClusterError) as info:
        kube.apply(CM)
    assert info.value.status == 422 and info.value.reason == "Unprocessable Entity"
    assert "hunter2" not in str(info.value)
    assert "ConfigMap/l2/bitcoind-conf" in str(info.value)


def test_secret_error_message_is_dropped() -> None:
    from kubernetes.client.exceptions import ApiException

    exc = ApiException(status=422, reason="Invalid")
    exc.body = '{"message": "Secret s: data: rpcpassword=hunter2"}'
    err = cluster_error("apply", "Secret/ns/s", exc)
    assert "hunter2" not in str(err) and err.status == 422


def test_unreachable_is_cluster_error(tmp_path: Path) -> None:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = "http://127.0.0.1:9"  # discard port: nothing listens
    configuration.retries = 0
    with pytest.raises(ClusterError) as info:
        KubeClient(client.ApiClient(configuration), discovery_cache=tmp_path / "d.json")
    assert info.value.reason == "Unreachable"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not: [valid", "not valid YAML (line 1)"),
        ("apiVersion: v1\nkind: Config\nclusters: []\n", "Expected key current-context"),
    ],
)
def test_bad_kubeconfig_is_one_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text(content)
    with pytest.raises(ClusterError) as exc:
        load_config(str(bad))
    assert str(exc.value).startswith(f"cannot load Kubernetes credentials from {bad}: ")
    assert expected in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_kubeconfig_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_config(str(tmp_path / "absent"))
    assert str(exc.value) == "--kubeconfig: no such file"
    assert exc.value.exit_code == 2
