"""The render pipeline: spec text -> checked spec -> values -> objects -> invariants ->
component contracts (every flag, env var, config key and port against the daemon's own
source at the pinned tag, see :mod:`l2kit.contracts`) / schemas.

Nothing here writes files; the CLI writes only after :func:`build` succeeded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from l2kit.contracts import check as contracts
from l2kit.errors import RenderError
from l2kit.render import checks, manifests, plan
from l2kit.render.values import ChartValues
from l2kit.spec import SNAPSHOT_SCHEDULE, FleetSpec, parse_spec

Obj = dict[str, Any]
# Kinds from CRDs (not in kubernetes-validate's schemas): checked structurally here.
_CRD_REQUIRED: dict[str, tuple[str, ...]] = {
    "ServiceMonitor": ("selector", "endpoints"),
    "PrometheusRule": ("groups",),
    "SnapshotSchedule": ("claimSelector", "schedule"),
}
_CRD_API = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "SnapshotSchedule": "snapscheduler.backube/v1",
}


@dataclass(frozen=True)
class Rendered:
    fleet: FleetSpec
    values: ChartValues
    objects: list[Obj]
    contracts: contracts.Report = field(default_factory=contracts.Report)


def build(spec: str | FleetSpec, *, generate_secrets: bool = False) -> Rendered:
    """Parse (spec text, or an already loaded spec), plan, render and check; raises SpecError
    (exit 2) or RenderError (exit 1)."""
    fleet = parse_spec(spec) if isinstance(spec, str) else spec
    values = plan.resolve(fleet, generate_secrets=generate_secrets, pin_namespace=True)
    objs = manifests.render_objects(values.dump())
    problems = checks.problems(objs, checks.declared_refs(fleet))
    if problems:
        raise invariants_error(problems)
    report = contracts.check(objs, operator_env=operator_env(fleet))
    if report.problems:
        raise contracts_error(report.problems)
    return Rendered(fleet, values, objs, report)


def operator_env(fleet: FleetSpec) -> frozenset[str]:
    """The env names the spec's ``extraEnv`` knobs set (the operator's, not l2kit's)."""
    names: set[str] = set()
    for stack in fleet.stacks:
        for attr in type(stack).model_fields:
            component = getattr(stack, attr)
            for env in getattr(component, "extra_env", None) or []:
                names.add(env.name)
    return frozenset(names)


def invariants_error(problems: list[str]) -> RenderError:
    return RenderError("rendered objects break invariants:\n" + "\n".join(problems))


def contracts_error(problems: list[contracts.Problem]) -> RenderError:
    return RenderError(
        "rendered objects break component contracts (the daemon would not "
        "start):\n" + "\n".join(map(str, problems))
    )


def contract_lines(report: contracts.Report) -> list[str]:
    """One line per component: checked against which source, or not covered yet."""
    lines = [f"{comp}: contract: ok ({origin})" for comp, origin in sorted(report.checked.items())]
    pending = sorted({(k.split("/", 1)[0], img) for k, img in report.uncovered.items()})
    lines += [f"{comp}: contract: none yet ({img})" for comp, img in pending]
    return lines


def kubernetes_version() -> str:
    """Newest Kubernetes schema version kubernetes-validate ships."""
    from kubernetes_validate import utils

    return str(utils.latest_version())


def schema_problems(objs: Iterable[Obj]) -> list[str]:
    """Validate every object against the Kubernetes OpenAPI schemas (CRDs structurally); objs
    may be a generator (each object is checked and dropped)."""
    out: list[str] = []
    version = kubernetes_version()
    for o in objs:
        where = f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"
        kind = o.get("kind", "")
        if kind in _CRD_REQUIRED:
            out += [f"{where}: {p}" for p in _crd_problems(o)]
            continue
        api_version = str(o.get("apiVersion", ""))
        try:
            fast = _fast_validator(kind, api_version, version)
        except FileNotFoundError:  # pragma: no cover - every kind we render has a schema
            out.append(f"{where}: no schema for {kind} {o.get('apiVersion')}")
            continue
        if _fast_valid(fast, o):
            continue
        error = next(iter(_validator(kind, api_version, version).iter_errors(o)), None)
        if error is not None:
            path = ".".join(str(p) for p in error.path)
            out.append(f"{where}: {path}: {error.message}")
    return out


def _fast_valid(validator: Any, obj: Obj) -> bool:
    """jsonschema-rs' verdict; anything it cannot take goes to the reference validator."""
    try:
        return bool(validator.is_valid(obj))
    except (ValueError, TypeError):  # pragma: no cover - objects are plain JSON data
        return False


@functools.cache
def _fast_validator(kind: str, api_version: str, desired: str) -> Any:
    """The same strict schema compiled by jsonschema-rs (Rust): the verdict for every object.

    Python's jsonschema costs ~1 ms per object (most of a 1,000-stack ``validate``); an object
    jsonschema-rs rejects is validated again by :func:`_validator`, whose first error is the
    message we print, so messages stay jsonschema's. The Kubernetes schemas use only type,
    properties, additionalProperties, required, enum, items, allOf/anyOf/oneOf and $ref (no
    pattern, no asserted format), where both implement Draft 2020-12 alike; the tests compare
    both verdicts on planted mistakes.
    """
    import jsonschema_rs

    schema, definitions = _schemas(kind, api_version, desired)
    registry = jsonschema_rs.Registry([(definitions["$id"], definitions)])
    return jsonschema_rs.Draft202012Validator(schema, registry=registry, validate_formats=False)


def _schemas(kind: str, api_version: str, desired: str) -> tuple[Obj, Obj]:
    """One kind's strict schema and the shared definitions, as kubernetes-validate reads them."""
    from kubernetes_validate import utils

    version = [v for v in utils.all_versions() if utils.major_minor(v) <= desired][-1]
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    schema: Obj = utils.schema_contents(f"{folder}/{kind.lower()}-{api}.json", desired)
    return schema, _definitions(folder, desired)


@functools.cache
def _validator(kind: str, api_version: str, desired: str) -> Any:
    """kubernetes-validate's strict validator for one kind, built once per run.

    ``kubernetes_validate.validate`` re-reads the (multi-MiB) definitions file and rebuilds the
    validator for every object: ~1 s per object, so a 200-stack fleet took minutes. This builds
    the same validator from the same files (kubernetes_validate.utils, strict schemas) once.
    """
    import jsonschema
    from referencing import Registry, Resource

    schema, definitions = _schemas(kind, api_version, desired)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@functools.cache
def _definitions(folder: str, desired: str) -> Obj:
    from kubernetes_validate import utils

    definitions: Obj = utils.schema_contents(f"{folder}/_definitions.json", desired)
    return definitions


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
    if kind == "SnapshotSchedule":
        out += _snapshot_schedule_problems(spec)
    if kind == "PrometheusRule":
        for i, g in enumerate(spec.get("groups") or []):
            if not isinstance(g, dict) or "name" not in g or not isinstance(g.get("rules"), list):
                out.append(f"spec.groups.{i} needs name and rules")
    return out


def _snapshot_schedule_problems(spec: Obj) -> list[str]:
    """The CRD's own rules (backube/snapscheduler@v3.5.0:api/v1/snapshotschedule_types.go)."""
    out = []
    if not re.search(SNAPSHOT_SCHEDULE, str(spec.get("schedule", ""))):
        out.append("spec.schedule must be a 5-field cron spec or @hourly..@yearly")
    count = spec.get("retention", {}).get("maxCount")
    if count is not None and (not isinstance(count, int) or count < 1):
        out.append("spec.retention.maxCount must be an integer >= 1")
    return out
