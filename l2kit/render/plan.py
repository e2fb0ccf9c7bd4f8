"""Spec -> fully resolved chart values (``l2kit values``); all compute logic lives here.

``resolve(fleet)`` runs each component planner over each stack (see ``components/``); the
planners append finished Kubernetes sub-dicts to a StackBuilder. Templates only interpolate.
Scripts (probes, config rendering, miner) are shipped in ``templates/scripts/`` and land in
one ``<stack>-scripts`` ConfigMap per stack.

Each stack is planned under placeholder names (:data:`_SENTINEL_NAME`, :data:`_SENTINEL_NS`)
that are then replaced by the tokens ``${stack}`` / ``${namespace}``: the values hold no
release-specific text, so the chart can scope names to a release and place them in the
release namespace with one generic substitution (``assemble.substitute`` and the chart's
``l2kit.stack`` helper).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

from l2kit import resources
from l2kit.errors import RenderError
from l2kit.render import knobs
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
from l2kit.render.values import (
    NAMESPACE_TOKEN,
    STACK_TOKEN,
    ChartValues,
    MonitoringValues,
    StackBuilder,
    StackValues,
)
from l2kit.spec import FleetSpec, StackSpec

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


# Valid names that occur nowhere else, planned in place of the real ones and then tokenised.
_SENTINEL_NAME, _SENTINEL_NS = "zzl2kitstackzz", "zzl2kitnamespacezz"


def resolve(
    fleet: FleetSpec, *, generate_secrets: bool = False, pin_namespace: bool = False
) -> ChartValues:
    """The values of every stack; with ``generate_secrets``, random Secrets are included.

    Without ``pin_namespace`` the stacks' namespaces are left to the Helm release (``''``).
    """
    stacks = [
        tokenised(s, generate_secrets=generate_secrets, pin_namespace=pin_namespace)
        for s in fleet.stacks
    ]
    return ChartValues(stacks=stacks, monitoring=monitoring_values(fleet))


def monitoring_values(fleet: FleetSpec) -> list[MonitoringValues]:
    """One PrometheusRule/dashboard entry per monitoring namespace (the first stack's settings)."""
    monitoring: dict[str, MonitoringValues] = {}
    for s in fleet.stacks:
        m = s.monitoring
        if (m.prometheus_rule or m.dashboard) and m.namespace not in monitoring:
            lab = labels(s, "l2kit", "monitoring")
            lab.pop("l2kit.io/stack")
            lab["app.kubernetes.io/instance"] = "l2kit"
            monitoring[m.namespace] = MonitoringValues(
                name="l2kit",
                namespace=m.namespace,
                labels=lab,
                dashboard_labels={**lab, "grafana_dashboard": "1"},
                prometheus_rule=m.prometheus_rule,
                dashboard=m.dashboard,
            )
    return list(monitoring.values())


def tokenised(
    stack: StackSpec, *, generate_secrets: bool = False, pin_namespace: bool = False
) -> StackValues:
    """The stack's values with its name and namespace as ``${stack}`` / ``${namespace}``."""
    probe = stack.model_copy(update={"name": _SENTINEL_NAME, "namespace": _SENTINEL_NS})
    text = json.dumps(
        resolve_stack(probe, generate_secrets=generate_secrets).model_dump(
            by_alias=True, mode="json"
        )
    )
    if STACK_TOKEN in text or NAMESPACE_TOKEN in text:
        raise RenderError(
            f"stack {stack.name}: a computed text already holds {STACK_TOKEN} or {NAMESPACE_TOKEN}"
        )
    data = json.loads(
        text.replace(_SENTINEL_NAME, STACK_TOKEN).replace(_SENTINEL_NS, NAMESPACE_TOKEN)
    )
    data.update(name=stack.name, namespace=stack.namespace if pin_namespace else "")
    return StackValues.model_validate(data)


def resolve_stack(stack: StackSpec, *, generate_secrets: bool = False) -> StackValues:
    sb = StackBuilder(stack.name, stack.namespace, knobs.from_spec(stack))
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
