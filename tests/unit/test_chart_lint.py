"""The chart lints clean (strict), generated files are current, the test hook uses the RPC port."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from l2kit import resources
from l2kit.render import helm
from l2kit.render.schema import CI_PROFILES, generated_files, main, profile_values

CHART = resources.chart_dir()


def test_lint_default_values_strict() -> None:
    report = helm.lint(strict=True)
    assert report.ok and report.problems(strict=True) == []


@pytest.mark.parametrize("profile", CI_PROFILES)
def test_lint_ci_values_strict(profile: str) -> None:
    values = helm.values_from_file(CHART / "ci" / f"{profile}-values.yaml")
    report = helm.lint(values, strict=True)
    assert report.ok and report.problems(strict=True) == []


def test_generated_files_are_current() -> None:
    stale = [str(p.relative_to(CHART)) for p, text in generated_files().items()
             if not p.exists() or p.read_text() != text]
    assert stale == [], "run: python -m l2kit.render.schema"
    assert main(["--check"]) == 0


def test_values_yaml_is_the_devnet_profile() -> None:
    assert yaml.safe_load((CHART / "values.yaml").read_text()) == profile_values("devnet")


def test_chart_metadata() -> None:
    with helm.load_chart() as chart:
        meta: dict[str, Any] = chart.metadata
    assert meta["apiVersion"] == "v2" and meta["name"] == "l2kit"
    assert meta["version"] and meta["appVersion"]


@pytest.mark.parametrize(("profile", "network", "port"), [
    ("bitcoin", "regtest", 18443), ("bitcoin", "signet", 38332),
    ("bitcoin", "testnet4", 48332), ("bitcoin", "mainnet", 8332),
])
def test_helm_test_hook_checks_the_rpc_port(profile: str, network: str, port: int) -> None:
    values = profile_values(profile, network)
    hooks = [o for o in helm.template(values, include_tests=True)
             if (o["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test"]
    pods = [o for o in hooks if o["kind"] == "Pod"]
    assert len(pods) == 1
    command = pods[0]["spec"]["containers"][0]["command"]
    assert command[-1] == str(port)
    assert command[-2] == f"btc-{network}-bitcoind.btc-{network}.svc"
    assert pods[0]["spec"]["securityContext"]["runAsNonRoot"] is True
    (policy,) = [o for o in hooks if o["kind"] == "NetworkPolicy"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "rpc"}]


def test_no_hook_without_bitcoind() -> None:
    values = profile_values("finality-provider")
    assert not [o for o in helm.template(values, include_tests=True) if o["kind"] == "Pod"]


def test_templates_mirror_the_jinja_templates() -> None:
    """Every Jinja template has its Go twin at the same relative path (one-to-one)."""
    jinja = {p.relative_to(resources.templates_dir()).as_posix().removesuffix(".j2")
             for p in resources.templates_dir().rglob("*.yaml.j2")}
    go = {p.relative_to(CHART / "templates").as_posix()
          for p in (CHART / "templates").rglob("*.yaml") if p.parent.name != "tests"}
    assert jinja == go
