"""`helm template` of `l2kit values SPEC` == `l2kit render SPEC`, for every profile x network.

Both sides render the same resolved values (``plan.resolve``): the Jinja templates through
``render_objects`` and the chart's Go templates through Helm's own engine (helm-python-sdk).
Objects are compared parsed, sorted by kind/namespace/name.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from l2kit.config import parse_spec
from l2kit.render import helm, plan, profiles
from l2kit.render.manifests import render_objects
from l2kit.render.schema import profile_values

Obj = dict[str, Any]
COMBOS = profiles.supported()


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")


def _sorted(objs: list[Obj]) -> list[Obj]:
    return sorted(objs, key=_key)


def assert_parity(values: Obj) -> int:
    jinja = _sorted(render_objects(values))
    go = _sorted(helm.template(values, release="l2kit", namespace="default"))
    assert [_key(o) for o in go] == [_key(o) for o in jinja]
    for a, b in zip(go, jinja, strict=True):
        assert a == b, f"{_key(a)} differs between helm template and l2kit render"
    return len(jinja)


def test_every_supported_profile_and_network_is_covered() -> None:
    assert ("devnet", "regtest") in COMBOS and ("bitcoin", "testnet4") in COMBOS
    assert len({p for p, _ in COMBOS}) == len(profiles.PROFILES)


@pytest.mark.parametrize(("profile", "network"), COMBOS, ids=[f"{p}-{n}" for p, n in COMBOS])
def test_parity(profile: str, network: str) -> None:
    assert assert_parity(profile_values(profile, network)) > 0


def test_parity_with_generated_secrets() -> None:
    fleet = parse_spec(profiles.init_spec("devnet"))
    values = plan.resolve(fleet, generate_secrets=True).dump()
    assert assert_parity(values) > 0


def test_parity_of_a_fleet_of_every_profile() -> None:
    stacks: list[Obj] = []
    for profile in profiles.PROFILES:
        stacks += yaml.safe_load(profiles.init_spec(profile))["stacks"]
    fleet = parse_spec(yaml.safe_dump({"stacks": stacks}))
    values = plan.resolve(fleet).dump()
    assert assert_parity(values) > len(stacks)
    stack_labels = {(o["metadata"].get("labels") or {}).get("l2kit.io/stack")
                    for o in helm.template(values)}
    assert len(stack_labels - {None}) > 1  # several stacks in one release


def test_labels_are_the_same_on_both_sides() -> None:
    """managed-by is the one label that could differ (Helm vs l2kit): both read the values."""
    values = profile_values("devnet")
    for obj in helm.template(values):
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "l2kit"
        assert labels["app.kubernetes.io/managed-by"] == values["managedBy"]


def test_parity_with_edge_values() -> None:
    """Large integers (Helm holds numbers as float64), YAML-ambiguous strings, many replicas."""
    doc = yaml.safe_load(profiles.init_spec("bitcoin", "signet"))
    node = doc["stacks"][0]["bitcoind"]
    node.update(replicas=7, uid=1234567, dbcache=16384,
                extraConfig={"maxconnections": 1000000, "uacomment": "yes", "blockfilterindex": 1})
    node["resources"] = {"cpu": "1500m", "memory": "1234567Ki", "memoryLimit": "2Gi"}
    values = plan.resolve(parse_spec(yaml.safe_dump(doc))).dump()
    assert assert_parity(values) > 0
    (sts,) = [o for o in helm.template(values) if o["kind"] == "StatefulSet"]
    assert sts["spec"]["replicas"] == 7
    assert sts["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 1234567


@pytest.mark.parametrize("profile", ["devnet", "bitcoin", "finality-provider", "rollup"])
def test_ci_values_files_parsed_by_helm_render_like_l2kit(profile: str) -> None:
    """`helm template -f ci/<profile>-values.yaml`: Helm's own YAML parsing of the file."""
    path = helm.chart_path() / "ci" / f"{profile}-values.yaml"
    jinja = _sorted(render_objects(yaml.safe_load(path.read_text())))
    go = _sorted(helm.template(helm.values_from_file(path)))
    assert go == jinja
