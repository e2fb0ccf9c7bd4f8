"""Knobs: the short, hand-written layer a Helm user (or the spec) puts over computed objects.

The computed objects (``l2kit values``) never change by hand; a knob is merged over them, by
the chart's Go templates (``templates/_knobs.tpl``) and by :func:`apply` here, with the same
generic rules and no protocol logic:

- ``replicas`` replaces the workload's replicas (only where more than one can run);
- ``image.tag`` replaces the tag of the containers that run the component's own image, and
  ``global.imageRegistry`` the registry of every image;
- ``resources`` is deep-merged over the main container's resources, ``extraEnv`` appended to
  its env;
- ``nodeSelector``, ``tolerations``, ``priorityClassName`` and ``global.imagePullSecrets`` set
  the pod field, ``affinity`` is deep-merged over the computed anti-affinity;
- ``podLabels`` / ``podAnnotations`` are added to the pod template;
- ``storage.size`` / ``storage.storageClass`` set every volumeClaimTemplate.

Empty knobs change nothing. Knobs are keyed like the spec's components (``bitcoind``,
``finalityProvider``, ...); one knob applies to every workload of its component
(``finalityProvider`` = fpd + eotsd). The spec's scheduling fields (:class:`PodOptions`) reach
the objects the same way: ``l2kit values`` emits them as ``stacks[].knobs`` and the chart
merges the user's top-level knobs over them, key by key.
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from l2kit.spec import (
    Affinity,
    EnvVar,
    PodOptions,
    StackSpec,
    Toleration,
    to_camel,
)
from l2kit.spec.patterns import DNS_SUBDOMAIN_PATTERN, QUANTITY_PATTERN

Obj = dict[str, Any]
# Patterns (not validators) so that they reach the chart's values.schema.json.
Quantity = Annotated[str, Field(pattern=QUANTITY_PATTERN)]
ObjectName = Annotated[str, Field(pattern=DNS_SUBDOMAIN_PATTERN)]

# Workload component (app.kubernetes.io/component) -> knob key (the spec's component key).
_KNOB_OF = {
    "covd": "covenant",
    "covenant-signer": "covenant",
    "fpd": "finalityProvider",
    "eotsd": "finalityProvider",
    "op-geth": "rollup",
    "op-node": "rollup",
    "finality-gadget": "rollup",
}
COMPONENT_KEYS = (
    "bitcoind",
    "miner",
    "electrs",
    "babylond",
    "covenant",
    "finalityProvider",
    "vigilante",
    "rollup",
)
_SPEC_ATTR = {"finalityProvider": "finality_provider"}
TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?$"


def knob_key(component: str) -> str:
    """The knob key of a workload component (``vigilante-reporter`` -> ``vigilante``)."""
    if component.startswith("vigilante-"):
        return "vigilante"
    return _KNOB_OF.get(component, component)


class _Knob(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class ImageKnob(_Knob):
    """The component's own image."""

    tag: str | None = Field(
        default=None,
        pattern=TAG_PATTERN,
        description="Image tag (never 'latest'; the spec pins a tested one).",
    )


class ResourceList(_Knob):
    """CPU and memory quantities."""

    cpu: Quantity | None = Field(default=None, description="CPU, e.g. 500m or 2.")
    memory: Quantity | None = Field(default=None, description="Memory, e.g. 512Mi.")


class ResourcesKnob(_Knob):
    """Main container resources (Kubernetes shape), deep-merged over the computed ones."""

    requests: ResourceList | None = Field(default=None, description="Requests.")
    limits: ResourceList | None = Field(default=None, description="Limits.")


class StorageKnob(_Knob):
    """Every data volume (volumeClaimTemplates; immutable once a StatefulSet exists)."""

    size: Quantity | None = Field(default=None, description="Requested size, e.g. 500Gi.")
    storage_class: ObjectName | None = Field(default=None, description="StorageClass.")


class PodKnobs(_Knob):
    """Knobs every component has (the spec's PodOptions, plus resources)."""

    resources: ResourcesKnob | None = Field(default=None, description="Main container resources.")
    node_selector: dict[str, str] | None = Field(default=None, description="Node labels.")
    tolerations: list[Toleration] | None = Field(default=None, description="Tolerations.")
    affinity: Affinity | None = Field(default=None, description="Affinity (merged).")
    priority_class_name: ObjectName | None = Field(default=None, description="PriorityClass.")
    pod_annotations: dict[str, str] | None = Field(default=None, description="Pod annotations.")
    pod_labels: dict[str, str] | None = Field(
        default=None, description="Pod labels (app.kubernetes.io/*, l2kit.io/* are computed)."
    )
    extra_env: list[EnvVar] | None = Field(default=None, description="Extra env (main container).")


class StatefulKnobs(PodKnobs):
    """Knobs of a component with data volumes."""

    image: ImageKnob | None = Field(default=None, description="Image.")
    storage: StorageKnob | None = Field(default=None, description="Data volumes.")


class SingleWriterKnobs(StatefulKnobs):
    """A component that must run exactly one pod (it signs or writes a chain state)."""

    replicas: int | None = Field(
        default=None, ge=1, le=1, description="Always 1: a second pod would double-sign or fork."
    )


class ElectrsKnobs(StatefulKnobs):
    replicas: int | None = Field(
        default=None, ge=1, le=10, description="Indexers behind the Service (each its own index)."
    )


class MinerKnobs(PodKnobs):
    image: ImageKnob | None = Field(default=None, description="Image.")
    replicas: int | None = Field(default=None, ge=1, le=1, description="Always 1.")


class CovenantKnobs(PodKnobs):
    image: ImageKnob | None = Field(
        default=None, description="Image tag of covd and covenant-signer."
    )
    replicas: int | None = Field(
        default=None, ge=1, le=1, description="Always 1: covd signs with one key."
    )


class RollupKnobs(PodKnobs):
    """op-geth, op-node, finality-gadget: images are pinned as a tested set (change the spec)."""

    storage: StorageKnob | None = Field(default=None, description="Data volumes.")
    replicas: int | None = Field(default=None, ge=1, le=1, description="Always 1 (sequencer).")


class GlobalKnobs(_Knob):
    """Knobs of every pod."""

    image_registry: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*)?$",
        description="Registry replacing every image's registry (a mirror), e.g. reg.local:5000.",
    )
    image_pull_secrets: list[ObjectName] | None = Field(
        default=None, description="Names of Secrets for pulling images."
    )


class Knobs(_Knob):
    """Every knob; the chart's top-level keys and each stack's ``knobs``."""

    global_: GlobalKnobs | None = Field(default=None, alias="global", description="Every pod.")
    bitcoind: StatefulKnobs | None = Field(
        default=None, description="bitcoind (replicas: set in the spec, peers are computed)."
    )
    miner: MinerKnobs | None = Field(default=None, description="Regtest miner.")
    electrs: ElectrsKnobs | None = Field(default=None, description="electrs.")
    babylond: SingleWriterKnobs | None = Field(default=None, description="babylond devnet.")
    covenant: CovenantKnobs | None = Field(default=None, description="covd + covenant-signer.")
    finality_provider: SingleWriterKnobs | None = Field(default=None, description="fpd + eotsd.")
    vigilante: SingleWriterKnobs | None = Field(default=None, description="Every role.")
    rollup: RollupKnobs | None = Field(default=None, description="op-geth, op-node, gadget.")


def _dump(model: BaseModel) -> Obj:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def from_spec(stack: StackSpec) -> Obj:
    """The spec's knobs of one stack (empty fields left out)."""
    out: Obj = {}
    glob = {
        k: v
        for k, v in (
            ("imageRegistry", stack.image_registry),
            ("imagePullSecrets", stack.image_pull_secrets),
        )
        if v
    }
    if glob:
        out["global"] = glob
    for key in COMPONENT_KEYS:
        spec = getattr(stack, _SPEC_ATTR.get(key, key))
        if spec is None:
            continue
        fields = {to_camel(f): getattr(spec, f) for f in PodOptions.model_fields}
        knob = {
            k: (
                _dump(v)
                if isinstance(v, BaseModel)
                else [_dump(i) if isinstance(i, BaseModel) else i for i in v]
                if isinstance(v, list)
                else v
            )
            for k, v in fields.items()
            if v
        }
        if key == "electrs" and getattr(spec, "replicas", 1) != 1:
            knob["replicas"] = spec.replicas
        if knob:
            out[key] = knob
    return out


def merged(stack_knobs: Obj, user: Obj) -> Obj:
    """The user's knobs over a stack's: per component, each non-empty user key replaces."""
    out = copy.deepcopy(stack_knobs)
    for key in ("global", *COMPONENT_KEYS):
        for name, value in (user.get(key) or {}).items():
            if value:  # as Go's `if`: "", 0, [], {} and null change nothing
                out.setdefault(key, {})[name] = copy.deepcopy(value)
    return out


def merge_overwrite(dst: Obj, src: Obj) -> Obj:
    """Sprig's ``mergeOverwrite``: maps merged recursively, anything else replaced by src."""
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            merge_overwrite(dst[key], value)
        else:
            dst[key] = copy.deepcopy(value)
    return dst


def image_parts(image: str) -> Obj:
    """``[registry/]repository:tag[@digest]`` split so the chart can swap registry or tag."""
    head, _, rest = image.partition("@")
    repo, _, tag = head.rpartition(":")
    if rest:
        tag = f"{tag}@{rest}"
    first, slash, remainder = repo.partition("/")
    registry = ""
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, repo = first, remainder
    return {"registry": registry, "repository": repo, "tag": tag}


def image_of(parts: Obj, knobs: Obj, glob: Obj) -> str:
    tag = (knobs.get("image") or {}).get("tag") if parts["own"] else None
    registry = glob.get("imageRegistry") or parts["registry"]
    prefix = f"{registry}/" if registry else ""
    return f"{prefix}{parts['repository']}:{tag or parts['tag']}"


def apply(entry: Obj, knobs: Obj, glob: Obj) -> Obj:
    """A workload entry with ``knobs`` (its component's) and ``glob`` (global) applied.

    Mirror of ``l2kit.workload`` in ``charts/l2kit/templates/_knobs.tpl``.
    """
    # entries are JSON data (values after ``assemble.substitute``): a JSON round trip copies
    # them in C, ~5x faster than deepcopy (which would be a tenth of a 1,000-stack validate)
    out: Obj = json.loads(json.dumps(entry))
    if knobs.get("replicas"):
        out["replicas"] = knobs["replicas"]
    pod = out["podSpec"]
    for c in [*pod.get("initContainers", []), *pod["containers"]]:
        c["image"] = image_of(entry["images"][c["name"]], knobs, glob)
    main = pod["containers"][0]
    if knobs.get("resources"):
        main["resources"] = merge_overwrite(main.get("resources") or {}, knobs["resources"])
    if knobs.get("extraEnv"):
        main["env"] = [*(main.get("env") or []), *copy.deepcopy(knobs["extraEnv"])]
    for key in ("nodeSelector", "tolerations", "priorityClassName"):
        if knobs.get(key):
            pod[key] = copy.deepcopy(knobs[key])
    if knobs.get("affinity"):
        pod["affinity"] = merge_overwrite(pod.get("affinity") or {}, knobs["affinity"])
    if glob.get("imagePullSecrets"):
        pod["imagePullSecrets"] = [{"name": n} for n in glob["imagePullSecrets"]]
    out["podLabels"] = {**out["podLabels"], **(knobs.get("podLabels") or {})}
    out["podAnnotations"] = {**out["podAnnotations"], **(knobs.get("podAnnotations") or {})}
    storage = knobs.get("storage") or {}
    for claim in out.get("volumeClaimTemplates", []):
        if storage.get("size"):
            claim["spec"]["resources"]["requests"]["storage"] = storage["size"]
        if storage.get("storageClass"):
            claim["spec"]["storageClassName"] = storage["storageClass"]
    return out
