"""The provisioning stack spec: models (:mod:`.model`), cross-field rules (:mod:`.rules`), the
shared grammars (:mod:`.patterns`) and loading (:func:`load_spec`)."""

from __future__ import annotations

from l2kit.spec.load import load_spec, parse_spec, read_spec
from l2kit.spec.model import (
    SECRET_KEYS,
    SNAPSHOT_SCHEDULE,
    STACK_NAME_MAX,
    Affinity,
    Bitcoind,
    EnvVar,
    FinalityProvider,
    FleetSpec,
    PodOptions,
    Resources,
    Rollup,
    RpcSecret,
    StackSpec,
    Storage,
    Toleration,
    to_camel,
    with_registry,
)
from l2kit.spec.rules import experimental_notices

__all__ = [
    "SECRET_KEYS",
    "SNAPSHOT_SCHEDULE",
    "STACK_NAME_MAX",
    "Affinity",
    "Bitcoind",
    "EnvVar",
    "FinalityProvider",
    "FleetSpec",
    "PodOptions",
    "Resources",
    "Rollup",
    "RpcSecret",
    "StackSpec",
    "Storage",
    "Toleration",
    "experimental_notices",
    "load_spec",
    "parse_spec",
    "read_spec",
    "to_camel",
    "with_registry",
]
