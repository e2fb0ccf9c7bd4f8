"""The resolved chart values (``l2kit values``) and the builder components fill in.

Serialisation: camelCase keys throughout (Helm convention; Kubernetes sub-dicts are already
camelCase). ``values.stacks[*]`` holds, per stack, one list per object kind; each entry has
``name``, ``labels``, ``annotations`` plus the kind's pre-computed body parts, e.g. a
StatefulSet entry has ``serviceName``, ``replicas``, ``selector``, ``podLabels``,
``podAnnotations``, ``podSpec``, ``volumeClaimTemplates`` and, for the knobs, ``knobs`` (its
knob key) and ``images`` (each container's image split into registry, repository, tag).

Release scoping: every text that names the stack or its namespace holds the tokens
``${stack}`` and ``${namespace}`` (object names, labels, DNS names inside config files). The
chart replaces them with the release's stack name and namespace (``charts/l2kit/templates/
_helpers.tpl``), :mod:`l2kit.render.assemble` does the same for ``l2kit render``. Every key is
always present (empty list or dict when unused).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from l2kit import __version__
from l2kit.spec import to_camel

Obj = dict[str, Any]
STACK_TOKEN, NAMESPACE_TOKEN = "${stack}", "${namespace}"


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class StackValues(_Camel):
    """Every object of one stack, grouped by kind."""

    name: str = Field(description="Stack name (the spec's; the release may prefix it).")
    namespace: str = Field(description="Namespace of every object ('': the release's).")
    knobs: dict[str, Any] = Field(
        default_factory=dict, description="The spec's knobs (same shape as the top level)."
    )
    config_maps: list[Obj] = Field(default_factory=list, description="ConfigMaps.")
    secrets: list[Obj] = Field(default_factory=list, description="Generated Secrets (opt-in).")
    services: list[Obj] = Field(default_factory=list, description="Services.")
    stateful_sets: list[Obj] = Field(default_factory=list, description="StatefulSets.")
    deployments: list[Obj] = Field(default_factory=list, description="Deployments.")
    pod_disruption_budgets: list[Obj] = Field(default_factory=list, description="PDBs.")
    network_policies: list[Obj] = Field(default_factory=list, description="NetworkPolicies.")
    service_monitors: list[Obj] = Field(default_factory=list, description="ServiceMonitors.")
    snapshot_schedules: list[Obj] = Field(
        default_factory=list, description="snapscheduler SnapshotSchedules (FP backups)."
    )


class MonitoringValues(_Camel):
    """Fleet-wide monitoring objects, one set per monitoring namespace."""

    name: str = Field(description="Object name of the PrometheusRule / dashboard ConfigMap.")
    namespace: str = Field(description="Monitoring namespace.")
    labels: dict[str, str] = Field(description="Labels.")
    dashboard_labels: dict[str, str] = Field(description="Labels + grafana_dashboard=1.")
    prometheus_rule: bool = Field(description="Render the PrometheusRule.")
    dashboard: bool = Field(description="Render the Grafana dashboard ConfigMap.")


class ChartValues(_Camel):
    """Everything ``charts/l2kit`` needs; ``helm template`` renders the same objects."""

    l2kit_version: str = Field(
        default=__version__, description="l2kit version that computed these values."
    )
    stacks: list[StackValues] = Field(default_factory=list, description="The stacks.")
    monitoring: list[MonitoringValues] = Field(default_factory=list, description="Monitoring.")

    def dump(self) -> Obj:
        return self.model_dump(by_alias=True, mode="json")


class StackBuilder:
    """Mutable collector the component planners append to; frozen into StackValues at the end."""

    def __init__(self, name: str, namespace: str, knobs: Obj | None = None) -> None:
        self.name, self.namespace, self.knobs = name, namespace, knobs or {}
        self.config_maps: list[Obj] = []
        self.secrets: list[Obj] = []
        self.services: list[Obj] = []
        self.stateful_sets: list[Obj] = []
        self.deployments: list[Obj] = []
        self.pdbs: list[Obj] = []
        self.network_policies: list[Obj] = []
        self.service_monitors: list[Obj] = []
        self.snapshot_schedules: list[Obj] = []
        self.existing_config_maps: set[str] = set()
        self.existing_secrets: dict[str, tuple[str, ...]] = {}

    def freeze(self) -> StackValues:
        return StackValues(
            name=self.name,
            namespace=self.namespace,
            knobs=self.knobs,
            config_maps=self.config_maps,
            secrets=self.secrets,
            services=self.services,
            stateful_sets=self.stateful_sets,
            deployments=self.deployments,
            pod_disruption_budgets=self.pdbs,
            network_policies=self.network_policies,
            service_monitors=self.service_monitors,
            snapshot_schedules=self.snapshot_schedules,
        )
