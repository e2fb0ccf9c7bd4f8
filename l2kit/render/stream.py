"""A fleet's objects one namespace at a time, checked as they come (``l2kit render``).

:func:`l2kit.render.build.build` holds every object of the fleet at once; 10,000 stacks are
~100k objects and several GB. Here each namespace (its stacks, and the monitoring objects placed
in it) is planned, assembled, checked and handed on before the next, so memory is bounded by
the largest namespace, not the fleet. Every check runs over whole namespaces: each object of a
stack lies in the stack's namespace (``assemble.stack_objects``), and the invariants and
contracts only relate objects of one namespace (references, Service selectors, ServiceMonitors
selecting their own namespace), so the verdicts and problem lines are :func:`build`'s; the
tests compare both paths object by object and file by file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from l2kit.contracts import check as contracts
from l2kit.render import assemble, checks, manifests, plan
from l2kit.render.build import contracts_error, invariants_error, operator_env
from l2kit.render.values import ChartValues
from l2kit.spec import FleetSpec, StackSpec

Obj = dict[str, Any]
_DUPLICATE = "fleet: two objects share kind/namespace/name"


def batches(fleet: FleetSpec, *, generate_secrets: bool = False) -> Iterator[list[Obj]]:
    """The fleet's objects (as ``render_objects`` of the fleet's values), one namespace at a
    time, each sorted; monitoring objects of namespaces without a stack come first.

    Namespaces come in the order of their first stack's name, so with one stack per namespace
    the concatenation is in ``render_objects``' order."""
    top = ChartValues(monitoring=plan.monitoring_values(fleet)).dump()
    assemble.check_version(top)
    files = {p: manifests.files_get(p) for p in manifests.CHART_FILES}
    groups: dict[str, list[StackSpec]] = {}
    for s in sorted(fleet.stacks, key=lambda s: s.name):
        groups.setdefault(s.namespace, []).append(s)
    monitoring: dict[str, list[Obj]] = {}
    for m in top["monitoring"]:
        monitoring.setdefault(m["namespace"], []).extend(assemble.monitoring_objects(m, "", files))
    alone = [o for ns, objs in monitoring.items() if ns not in groups for o in objs]
    if alone:
        yield sorted(alone, key=manifests.sort_key)
    for ns, stacks in groups.items():
        objs = list(monitoring.get(ns, []))
        for s in stacks:
            # as plan.resolve + render_objects: release "l2kit" (no prefix), pinned namespace
            values = plan.tokenised(s, generate_secrets=generate_secrets, pin_namespace=True)
            objs += assemble.stack_objects(
                values.model_dump(by_alias=True, mode="json"),
                top,
                prefix="",
                release_namespace="default",
            )
        yield sorted(objs, key=manifests.sort_key)


def checked_objects(
    fleet: FleetSpec, report: contracts.Report, *, generate_secrets: bool = False
) -> Iterator[Obj]:
    """Every object of :func:`batches` whose namespace passed the invariants and contracts.

    After the first failing namespace nothing more is yielded, but the rest is still checked;
    at the end the RenderError :func:`build` would raise (every problem line) is raised, so a
    consumer writing atomically (``manifests.write_tree``) leaves nothing behind. ``report``
    collects the contracts' verdicts (``checked`` / ``uncovered``) for the summary.
    """
    declared = checks.declared_refs(fleet)
    operator = operator_env(fleet)
    invariants: list[str] = []
    broken: list[contracts.Problem] = []
    for objs in batches(fleet, generate_secrets=generate_secrets):
        problems = checks.problems(objs, declared)
        if _DUPLICATE in problems:  # one fleet-wide line, first, as build() has it
            problems.remove(_DUPLICATE)
            if _DUPLICATE not in invariants:
                invariants.insert(0, _DUPLICATE)
        invariants += problems
        if problems or invariants:
            continue  # build() checks contracts only once every invariant holds
        part = contracts.check(objs, operator_env=operator)
        broken += part.problems
        report.checked.update(part.checked)
        report.uncovered.update(part.uncovered)
        if not broken:
            yield from objs
    if invariants:
        raise invariants_error(invariants)
    if broken:
        raise contracts_error(broken)
