"""The render pipeline: spec text -> checked spec -> values -> objects -> invariants/schemas.

Nothing here writes files; the CLI writes only after :func:`build` succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from l2kit.config import FleetSpec, parse_spec
from l2kit.errors import RenderError
from l2kit.render import checks, manifests, plan
from l2kit.render.values import ChartValues

Obj = dict[str, Any]
# Kinds from CRDs (not in kubernetes-validate's schemas): checked structurally here.
_CRD_REQUIRED: dict[str, tuple[str, ...]] = {
    "ServiceMonitor": ("selector", "endpoints"),
    "PrometheusRule": ("groups",),
}
_CRD_API = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
}


@dataclass(frozen=True)
class Rendered:
    fleet: FleetSpec
    values: ChartValues
    objects: list[Obj]


def build(text: str, *, generate_secrets: bool = False) -> Rendered:
    """Parse, plan, render and check; raises SpecError (exit 2) or RenderError (exit 1)."""
    fleet = parse_spec(text)
    values = plan.resolve(fleet, generate_secrets=generate_secrets, pin_namespace=True)
    objs = manifests.render_objects(values.dump())
    problems = checks.problems(objs, checks.declared_refs(fleet))
    if problems:
        raise RenderError("rendered objects break invariants:\n" + "\n".join(problems))
    return Rendered(fleet, values, objs)


def kubernetes_version() -> str | None:
    """Newest schema version kubernetes-validate ships, or None when it is not installed."""
    try:
        from kubernetes_validate import utils
    except ImportError:
        return None
    return str(utils.latest_version())


def schema_problems(objs: list[Obj]) -> list[str]:
    """Validate every object against the Kubernetes OpenAPI schemas (CRDs structurally)."""
    out: list[str] = []
    version = kubernetes_version()
    for o in objs:
        where = f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"
        kind = o.get("kind", "")
        if kind in _CRD_REQUIRED:
            out += [f"{where}: {p}" for p in _crd_problems(o)]
            continue
        if version is None:
            continue
        import kubernetes_validate

        try:
            kubernetes_validate.validate(o, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            out.append(f"{where}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:  # pragma: no cover
            out.append(f"{where}: no schema ({exc})")
    return out


def _crd_problems(o: Obj) -> list[str]:
    kind = o["kind"]
    out = []
    if o.get("apiVersion") != _CRD_API[kind]:
        out.append(f"apiVersion must be {_CRD_API[kind]}")
    meta = o.get("metadata", {})
    if not meta.get("name") or not meta.get("namespace"):
        out.append("metadata.name and metadata.namespace are required")
    spec = o.get("spec")
    if not isinstance(spec, dict):
        return [*out, "spec must be a mapping"]
    out += [f"spec.{k} is required" for k in _CRD_REQUIRED[kind] if k not in spec]
    if kind == "ServiceMonitor":
        for i, ep in enumerate(spec.get("endpoints", [])):
            if not isinstance(ep.get("port"), str):
                out.append(f"spec.endpoints.{i}.port must name a Service port")
    if kind == "PrometheusRule":
        for i, g in enumerate(spec.get("groups") or []):
            if not isinstance(g, dict) or "name" not in g or not isinstance(g.get("rules"), list):
                out.append(f"spec.groups.{i} needs name and rules")
    return out
