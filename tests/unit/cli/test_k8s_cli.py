"""`l2kit diff|apply|status` end to end against the fake API server (kubeconfig on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import click_invoke
from support.k8s_fake_api import FakeApiServer

from l2kit.errors import ClusterError, InputError
from l2kit.render import profiles


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeApiServer, Path]]:
    monkeypatch.setenv("L2KIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    with FakeApiServer() as server:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "fake",
                    "clusters": [{"name": "fake", "cluster": {"server": server.url}}],
                    "users": [{"name": "u", "user": {"token": "not-a-secret"}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}],
                }
            )
        )
        yield server, kubeconfig


def _spec(tmp_path: Path, text: str | None = None) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text or profiles.init_spec("bitcoin", "regtest"))
    return spec


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = click_invoke(list(args))
    return result.exit_code, result.stdout, result.exception


def test_apply_diff_prune_status(env: tuple[FakeApiServer, Path], tmp_path: Path) -> None:
    server, kubeconfig = env
    spec = _spec(tmp_path)
    code, out, exc = run("apply", str(spec), "--kubeconfig", str(kubeconfig), "--json")
    assert code == 0, exc
    result = json.loads(out)
    kinds = [o["kind"] for o in result["objects"]]
    assert kinds[0] == "Namespace" and "StatefulSet" in kinds
    assert kinds.index("ConfigMap") < kinds.index("Service") < kinds.index("StatefulSet")
    assert {o["action"] for o in result["objects"]} == {"created"}
    patches = [r for r in server.api.requests if r.method == "PATCH"]
    assert all(r.query["fieldManager"] == ["l2kit"] for r in patches)
    assert all(r.content_type == "application/apply-patch+yaml" for r in patches)

    code, out, _ = run("diff", str(spec), "--kubeconfig", str(kubeconfig), "--json")
    assert code == 0
    states = {e["state"] for e in json.loads(out)}
    assert states == {"unchanged"}

    # drop the exporter: its ServiceMonitor leaves the stack, the StatefulSet changes
    edited = _spec(
        tmp_path, spec.read_text().replace("exporter: {enabled: true", "exporter: {enabled: false")
    )
    code, out, _ = run("diff", str(edited), "--kubeconfig", str(kubeconfig), "--json")
    by_state: dict[str, list[str]] = {}
    for e in json.loads(out):
        by_state.setdefault(e["state"], []).append(e["kind"])
    assert "StatefulSet" in by_state["changed"] and "ServiceMonitor" in by_state["pruned"]

    stored = len(server.api.objects)
    code, out, _ = run(
        "apply", str(edited), "--kubeconfig", str(kubeconfig), "--prune", "--dry-run", "--json"
    )
    assert code == 0 and len(server.api.objects) == stored
    code, out, _ = run("apply", str(edited), "--kubeconfig", str(kubeconfig), "--prune", "--json")
    pruned = [o for o in json.loads(out)["objects"] if o["action"] == "pruned"]
    assert [o["kind"] for o in pruned] == ["ServiceMonitor"]
    assert not any("/servicemonitors/" in p for p in server.api.objects)

    code, out, exc = run("status", str(edited), "--kubeconfig", str(kubeconfig), "--json")
    assert code == 1 and isinstance(exc, ClusterError) and exc.reason == "NotReady"
    status = json.loads(out)
    assert status["ready"] is False
    assert status["stacks"][0]["workloads"][0]["kind"] == "StatefulSet"


def test_unknown_stack_is_input_error(env: tuple[FakeApiServer, Path], tmp_path: Path) -> None:
    _, kubeconfig = env
    code, _, exc = run(
        "status", str(_spec(tmp_path)), "--stack", "nope", "--kubeconfig", str(kubeconfig)
    )
    assert code != 0 and isinstance(exc, InputError) and exc.exit_code == 2


def test_missing_kubeconfig_is_an_input_error(tmp_path: Path) -> None:
    code, _, exc = run("diff", str(_spec(tmp_path)), "--kubeconfig", str(tmp_path / "none"))
    assert code != 0 and isinstance(exc, InputError) and exc.field == "--kubeconfig"
    assert exc.exit_code == 2  # main() maps it to exit 2


def test_unusable_kubeconfig_is_cluster_error(tmp_path: Path) -> None:
    empty = tmp_path / "kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    code, _, exc = run("diff", str(_spec(tmp_path)), "--kubeconfig", str(empty))
    assert code != 0 and isinstance(exc, ClusterError) and exc.reason == "NoConfig"
