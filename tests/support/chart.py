"""Shared by the chart tests: Helm's bookkeeping labels, object keys, spec -> values."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from l2kit.render import plan, profiles
from l2kit.spec import parse_spec

Obj = dict[str, Any]
HELM_CHART_LABEL = "helm.sh/chart"
MANAGED_BY = "app.kubernetes.io/managed-by"


def key(obj: Obj) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")


def _label_maps(obj: Obj) -> list[Obj]:
    maps = [obj["metadata"].get("labels") or {}]
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict):
        maps.append(template["metadata"].get("labels") or {})
    return maps


def as_l2kit(objs: list[Obj]) -> list[Obj]:
    """Helm's objects with Helm's bookkeeping undone, sorted: helm.sh/chart dropped and
    managed-by Helm -> l2kit (asserting both were there, so the chart really sets them)."""
    out = []
    for o in objs:
        o = copy.deepcopy(o)
        for i, labels in enumerate(_label_maps(o)):
            assert labels.get(MANAGED_BY) == "Helm", key(o)
            labels[MANAGED_BY] = "l2kit"
            if i == 0:
                assert labels.pop(HELM_CHART_LABEL).startswith("l2kit-"), key(o)
        out.append(o)
    return sorted(out, key=key)


def spec_doc(profile: str, network: str | None = None) -> Obj:
    doc: Obj = yaml.safe_load(profiles.init_spec(profile, network))
    return doc


def values_of(doc: Obj, **kw: Any) -> Obj:
    """``l2kit values`` of a spec document."""
    return plan.resolve(parse_spec(yaml.safe_dump(doc)), **kw).dump()
