"""Spec -> fully resolved chart values (``l2kit values``); all compute logic lives here.

``resolve(fleet)`` runs each component planner over each stack (see ``components/``); the
planners append finished Kubernetes sub-dicts to a StackBuilder. Templates only interpolate.
Scripts (probes, config rendering, miner) are shipped in ``templates/scripts/`` and land in
one ``<stack>-scripts`` ConfigMap per stack.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from l2kit import resources
from l2kit.config import FleetSpec, StackSpec
from l2kit.render.common import labels, name
from l2kit.render.components import (
    babylond,
    bitcoind,
    covenant,
    electrs,
    finality,
    miner,
    rollup,
    secrets,
    vigilante,
)
from l2kit.render.objects import add_config_map, add_default_deny
from l2kit.render.values import ChartValues, MonitoringValues, StackBuilder, StackValues

Planner = Callable[[StackSpec, StackBuilder], None]
PLANNERS: tuple[Planner, ...] = (
    bitcoind.plan,
    miner.plan,
    electrs.plan,
    babylond.plan,
    covenant.plan,
    finality.plan,
    vigilante.plan,
    rollup.plan,
)


@lru_cache(maxsize=1)
def shipped_scripts() -> dict[str, str]:
    folder = resources.templates_dir() / "scripts"
    return {p.name: p.read_text() for p in sorted(folder.glob("*.sh"))}


def resolve(fleet: FleetSpec, *, generate_secrets: bool = False) -> ChartValues:
    """The values of every stack; with ``generate_secrets``, random Secrets are included."""
    stacks = [resolve_stack(s, generate_secrets=generate_secrets) for s in fleet.stacks]
    monitoring: dict[str, MonitoringValues] = {}
    for s in fleet.stacks:
        m = s.monitoring
        if (m.prometheus_rule or m.dashboard) and m.namespace not in monitoring:
            lab = labels(s, "l2kit", "monitoring")
            lab.pop("l2kit.io/stack")
            lab["app.kubernetes.io/instance"] = "l2kit"
            monitoring[m.namespace] = MonitoringValues(
                name="l2kit", namespace=m.namespace, labels=lab,
                dashboard_labels={**lab, "grafana_dashboard": "1"},
                prometheus_rule=m.prometheus_rule, dashboard=m.dashboard,
            )
    return ChartValues(stacks=stacks, monitoring=list(monitoring.values()))


def resolve_stack(stack: StackSpec, *, generate_secrets: bool = False) -> StackValues:
    sb = StackBuilder(stack.name, stack.namespace)
    for planner in PLANNERS:
        planner(stack, sb)
    if sb.stateful_sets or sb.deployments:
        used = _used_scripts(sb)
        scripts = {k: v for k, v in shipped_scripts().items() if k in used}
        add_config_map(sb, stack, "l2kit", "scripts", name(stack, "scripts"), scripts)
        add_default_deny(sb, stack)
    if generate_secrets:
        secrets.generate(stack, sb)
    return sb.freeze()


def _used_scripts(sb: StackBuilder) -> set[str]:
    """Scripts some pod refers to (by file name in a command), so the ConfigMap stays small."""
    text = repr(sb.stateful_sets) + repr(sb.deployments)
    return {k for k in shipped_scripts() if k in text}
