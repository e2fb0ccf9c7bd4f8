"""`helm install <stack> -n <namespace> -f $(l2kit values SPEC)` == `l2kit render SPEC`.

The chart side runs Helm's own engine (helm-python-sdk) on the values `l2kit values` prints
(namespaces left to the release); the l2kit side is the render pipeline (`build`). They differ
only by Helm's bookkeeping labels (``helm.sh/chart``, ``managed-by: Helm``), which
``as_l2kit`` undoes after asserting they are there.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support.chart import as_l2kit, key, spec_doc, values_of

from l2kit.render import helm, manifests, profiles
from l2kit.render.build import build

Obj = dict[str, Any]
COMBOS = profiles.supported()


def assert_parity(doc: Obj, *, release: str | None = None) -> list[Obj]:
    """Both renderers of one spec document agree; returns Helm's objects."""
    stacks = doc["stacks"]
    namespace = stacks[0]["namespace"]
    pinned = len({s["namespace"] for s in stacks}) > 1
    values = values_of(doc, pin_namespace=pinned)
    go = helm.template(values, release=release or stacks[0]["name"], namespace=namespace)
    ours = sorted(build(yaml.safe_dump(doc)).objects, key=key)
    assert [key(o) for o in as_l2kit(go)] == [key(o) for o in ours]
    for a, b in zip(as_l2kit(go), ours, strict=True):
        assert a == b, f"{key(a)} differs between helm template and l2kit render"
    return go


def test_every_supported_profile_and_network_is_covered() -> None:
    assert ("devnet", "regtest") in COMBOS and ("bitcoin", "testnet4") in COMBOS
    assert len({p for p, _ in COMBOS}) == len(profiles.PROFILES)


@pytest.mark.parametrize(("profile", "network"), COMBOS, ids=[f"{p}-{n}" for p, n in COMBOS])
def test_parity(profile: str, network: str) -> None:
    assert assert_parity(spec_doc(profile, network))


def test_parity_for_a_release_named_like_the_chart() -> None:
    """`helm install l2kit`: the names stay the stack's (the default release of the docs)."""
    assert assert_parity(spec_doc("bitcoin", "signet"), release="l2kit")


def test_parity_with_generated_secrets() -> None:
    values = values_of(spec_doc("devnet"), generate_secrets=True)
    go = as_l2kit(helm.template(values, release="devnet", namespace="devnet"))
    ours = manifests.render_objects(values, release="devnet", namespace="devnet")
    assert [o for o in go if o["kind"] == "Secret"] and go == sorted(ours, key=key)


def test_parity_of_a_fleet_of_every_profile() -> None:
    """Several stacks, each in its own pinned namespace, in one release."""
    stacks: list[Obj] = []
    for profile in profiles.PROFILES:
        stacks += spec_doc(profile)["stacks"]
    go = assert_parity({"stacks": stacks}, release="l2kit")
    assert {o["metadata"]["namespace"] for o in go} >= {s["namespace"] for s in stacks}


def test_parity_with_edge_values() -> None:
    """Large integers (Helm holds numbers as float64), YAML-ambiguous strings, many replicas.
    (A uid other than the image's is refused by the bitcoind contract, so none is tried.)"""
    doc = spec_doc("bitcoin", "signet")
    node = doc["stacks"][0]["bitcoind"]
    node.update(
        replicas=7,
        dbcache=16384,
        extraConfig={"maxconnections": 1000000, "uacomment": "yes", "blockfilterindex": 1},
    )
    node["resources"] = {"cpu": "1500m", "memory": "1234567Ki", "memoryLimit": "2Gi"}
    go = assert_parity(doc)
    (sts,) = [o for o in go if o["kind"] == "StatefulSet"]
    assert sts["spec"]["replicas"] == 7
    assert (
        sts["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"]
        == "1234567Ki"
    )


@pytest.mark.parametrize("profile", ["devnet", "bitcoin", "finality-provider", "rollup"])
def test_ci_values_files_parsed_by_helm_render_like_l2kit(profile: str) -> None:
    """`helm template -f ci/<profile>-values.yaml`: Helm's own YAML parsing of the file."""
    path = helm.chart_path() / "ci" / f"{profile}-values.yaml"
    name = yaml.safe_load(path.read_text())["stacks"][0]["name"]
    ours = manifests.render_objects(yaml.safe_load(path.read_text()), release=name, namespace="ci")
    go = as_l2kit(helm.template(helm.values_from_file(path), release=name, namespace="ci"))
    assert go == sorted(ours, key=key)
