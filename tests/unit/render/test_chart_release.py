"""Release semantics through Helm's own engine: namespace, names, labels, version guard."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support.chart import key, spec_doc, values_of

from l2kit import __version__
from l2kit.errors import RenderError
from l2kit.render import helm

Obj = dict[str, Any]


def _stack_objects(objs: list[Obj]) -> list[Obj]:
    return [o for o in objs if (o["metadata"].get("labels") or {}).get("l2kit.io/stack")]


def test_objects_land_in_the_release_namespace() -> None:
    """`helm template -n other`: every stack object in `other`, DNS names in configs too."""
    objs = _stack_objects(
        helm.template(values_of(spec_doc("devnet")), release="devnet", namespace="other")
    )
    assert objs and {o["metadata"]["namespace"] for o in objs} == {"other"}
    text = json.dumps(objs)
    assert ".other.svc" in text and ".devnet.svc" not in text
    assert "${stack}" not in text and "${namespace}" not in text
    monitors = [o for o in objs if o["kind"] == "ServiceMonitor"]
    assert {m["spec"]["namespaceSelector"]["matchNames"][0] for m in monitors} == {"other"}


def test_a_pinned_namespace_wins_over_the_release_namespace() -> None:
    values = values_of(spec_doc("bitcoin", "signet"), pin_namespace=True)
    objs = _stack_objects(helm.template(values, release="x", namespace="other"))
    assert {o["metadata"]["namespace"] for o in objs} == {"btc-signet"}


def test_two_releases_side_by_side_never_share_a_name_or_selector() -> None:
    """Same values, two releases, one namespace: names, instance labels and selectors differ,
    and each release's Services select only its own pods."""
    values = values_of(spec_doc("devnet"))
    a = _stack_objects(helm.template(values, release="alpha", namespace="shared"))
    b = _stack_objects(helm.template(values, release="beta", namespace="shared"))
    assert {key(o) for o in a}.isdisjoint({key(o) for o in b})
    assert all(o["metadata"]["name"].startswith("alpha-devnet-") for o in a)

    def selectors(objs: list[Obj]) -> set[str]:
        return {
            json.dumps(o["spec"]["selector"], sort_keys=True)
            for o in objs
            if o["kind"] == "Service"
        }

    assert selectors(a).isdisjoint(selectors(b))
    pods_b = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in b
        if o["kind"] in ("StatefulSet", "Deployment")
    ]
    for svc in (o for o in a if o["kind"] == "Service"):
        sel = svc["spec"]["selector"]
        assert not any(all(p.get(k) == v for k, v in sel.items()) for p in pods_b)
    conf = next(o for o in a if o["kind"] == "ConfigMap" and "fpd.conf" in o.get("data", {}))
    assert "alpha-devnet-eotsd-0.alpha-devnet-eotsd-headless.shared.svc" in conf["data"]["fpd.conf"]


def test_two_releases_do_not_share_monitoring_objects() -> None:
    values = values_of(spec_doc("devnet"))
    names = [
        {
            o["metadata"]["name"]
            for o in helm.template(values, release=r, namespace="n")
            if o["kind"] == "PrometheusRule"
        }
        for r in ("alpha", "beta")
    ]
    assert names == [{"alpha-l2kit"}, {"beta-l2kit"}]


def test_helm_labels_on_every_object() -> None:
    objs = helm.template(values_of(spec_doc("rollup")), release="r1", namespace="n")
    for o in objs:
        labels = o["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "Helm", key(o)
        assert labels["helm.sh/chart"] == "l2kit-0.1.0", key(o)
    pods = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in objs
        if o["kind"] in ("StatefulSet", "Deployment")
    ]
    assert pods and all(p["app.kubernetes.io/managed-by"] == "Helm" for p in pods)
    assert all("helm.sh/chart" not in p for p in pods)  # a chart bump must not roll pods


@pytest.mark.parametrize("version", ["0.0.9", "9.9.9"])
def test_values_from_another_l2kit_version_are_refused(version: str) -> None:
    values = copy.deepcopy(values_of(spec_doc("bitcoin")))
    values["l2kitVersion"] = version
    with pytest.raises(RenderError, match="l2kitVersion") as info:
        helm.template(values, release="x", namespace="n")
    assert f"computed by l2kit {version}, this chart is l2kit {__version__}" in str(info.value)
    assert "l2kit values SPEC" in str(info.value)


def test_the_chart_is_the_l2kit_version_it_checks_for() -> None:
    with helm.load_chart() as chart:
        assert chart.metadata["appVersion"] == __version__
    assert values_of(spec_doc("devnet"))["l2kitVersion"] == __version__


def test_values_of_the_unversioned_format_are_refused() -> None:
    """Values from before the version stamp (managedBy, finished names) fail the schema."""
    values = copy.deepcopy(values_of(spec_doc("bitcoin")))
    del values["l2kitVersion"]
    values["managedBy"] = "l2kit"
    with pytest.raises(RenderError, match="managedBy"):
        helm.template(values, release="x", namespace="n")


def test_a_too_long_release_name_is_refused_clearly() -> None:
    values = values_of(spec_doc("finality-provider"))
    with pytest.raises(RenderError, match="longer than 30 characters"):
        helm.template(values, release="a-very-long-release-name", namespace="n")


def test_lint_with_a_namespace_and_release_semantics() -> None:
    report = helm.lint(values_of(spec_doc("devnet")), strict=True, namespace="other")
    assert report.ok and report.problems(strict=True) == []
