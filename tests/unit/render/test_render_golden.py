"""Golden manifests for every profile x network (`UPDATE_GOLDEN=1` rewrites them).

The goldens are rendered without ``--generate-secrets`` and are therefore deterministic.
Unsupported combinations (Babylon on testnet4, devnet off regtest) must be refused.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
import yaml
from support.paths import DATA

from l2kit.errors import InputError
from l2kit.render import manifests, profiles
from l2kit.render.build import build

GOLDEN = DATA / "golden"
COMBOS = [(p, n) for p in profiles.PROFILES for n in profiles.INIT_NETWORKS]
SUPPORTED = profiles.supported()
UNSUPPORTED = [c for c in COMBOS if c not in SUPPORTED]


RULES, DASHBOARD = "files/alerts.rules.yaml", "files/dashboard.json"


def _without_monitoring_files(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules and dashboard files belong to the monitoring part and change on their own
    schedule: the goldens hold a reference to them, checked by the test below."""
    out = []
    for o in objs:
        if o["kind"] == "PrometheusRule":
            o = {**copy.deepcopy(o), "spec": {"$file": RULES}}
        elif o["kind"] == "ConfigMap" and "l2kit.json" in o.get("data", {}):
            o = {**copy.deepcopy(o), "data": {"l2kit.json": {"$file": DASHBOARD}}}
        out.append(o)
    return out


def test_monitoring_objects_wrap_the_chart_files() -> None:
    objs = build(profiles.init_spec("devnet")).objects
    rule = next(o for o in objs if o["kind"] == "PrometheusRule")
    assert rule["spec"] == yaml.safe_load(manifests.files_get(RULES))
    assert rule["metadata"]["namespace"] == "monitoring"
    dash = next(o for o in objs if o["kind"] == "ConfigMap" and "l2kit.json" in o["data"])
    assert dash["data"]["l2kit.json"] == manifests.files_get(DASHBOARD)
    assert dash["metadata"]["labels"]["grafana_dashboard"] == "1"


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=[f"{p}-{n}" for p, n in SUPPORTED])
def test_golden(profile: str, network: str) -> None:
    objs = _without_monitoring_files(build(profiles.init_spec(profile, network)).objects)
    text = manifests.to_stream(objs)
    path = GOLDEN / f"{profile}-{network}.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.is_file(), f"{path.name} missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} changed: review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize(
    ("profile", "network"), UNSUPPORTED, ids=[f"{p}-{n}" for p, n in UNSUPPORTED]
)
def test_unsupported_combination_is_refused(profile: str, network: str) -> None:
    with pytest.raises(InputError, match="--network"):
        profiles.init_spec(profile, network)


def test_every_profile_has_goldens_and_no_stale_files() -> None:
    assert {p for p, _ in SUPPORTED} == set(profiles.PROFILES)
    expected = {f"{p}-{n}.yaml" for p, n in SUPPORTED}
    assert {p.name for p in GOLDEN.glob("*.yaml")} <= expected
