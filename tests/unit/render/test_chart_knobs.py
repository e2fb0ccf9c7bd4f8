"""Knobs through Helm's own engine: every documented knob by --set, the example overrides
file, the schema's refusals, the spec's same fields, and upgrades that roll only what changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from support.chart import as_l2kit, key, spec_doc, values_of

from l2kit import resources
from l2kit.errors import RenderError, SpecError
from l2kit.render import helm, manifests
from l2kit.render.build import build, kubernetes_version, schema_problems
from l2kit.render.knobs import knob_key
from l2kit.render.schema import knob_params
from l2kit.spec import parse_spec

Obj = dict[str, Any]
CHART = resources.chart_dir()
RELEASE, NAMESPACE = "rel", "prod"
WORKLOADS = ("StatefulSet", "Deployment")

# A value for every knob leaf (by its last path segment), set the way a Helm user would.
_SCALARS = {
    "imageRegistry": "reg.local:5000",
    "tag": "v9.8.7",
    "cpu": "1500m",
    "memory": "3Gi",
    "size": "77Gi",
    "storageClass": "fast-ssd",
    "priorityClassName": "critical",
}
_JSON: dict[str, Any] = {
    "imagePullSecrets": ["regcred"],
    "nodeSelector": {"pool": "btc"},
    "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["btc"]}]}
            ]
        }
    },
    "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 1,
                "podAffinityTerm": {
                    "topologyKey": "zone",
                    "labelSelector": {"matchLabels": {"a": "b"}},
                },
            }
        ]
    },
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 2,
                "podAffinityTerm": {
                    "topologyKey": "zone",
                    "labelSelector": {"matchLabels": {"c": "d"}},
                },
            }
        ]
    },
    "podAnnotations": {"team": "ops"},
    "podLabels": {"tier": "gold"},
    "extraEnv": [{"name": "L2KIT_EXTRA", "value": "1"}],
}


def _knob_set(path: str, kind: str) -> tuple[Obj, Any]:
    """(values layer parsed by Helm's own --set / --set-json, the value) for a knob path."""
    leaf = path.rsplit(".", 1)[-1]
    if leaf == "replicas":
        value: Any = 3 if path.startswith("electrs.") else 1
        return helm.parse_set(f"{path}={value}"), value
    if leaf in _SCALARS:
        return helm.parse_set(f"{path}={_SCALARS[leaf]}"), _SCALARS[leaf]
    value = _JSON[leaf]
    return helm.parse_set_json(f"{path}={json.dumps(value)}"), value


KNOBS = [(p, t) for p, t, _ in knob_params()]
_BASES: dict[str, Obj] = {}


def _base(component: str) -> Obj:
    """Computed values holding the component (devnet has all but the rollup)."""
    profile = "rollup" if component == "rollup" else "devnet"
    if profile not in _BASES:
        _BASES[profile] = values_of(spec_doc(profile))
    return _BASES[profile]


_BEFORE: dict[str, list[Obj]] = {}


def _unchanged(component: str) -> list[Obj]:
    profile = "rollup" if component == "rollup" else "devnet"
    if profile not in _BEFORE:
        _BEFORE[profile] = _render(_base(component))
    return _BEFORE[profile]


def _render(*layers: Obj) -> list[Obj]:
    return sorted(
        helm.template(helm.layered(*layers), release=RELEASE, namespace=NAMESPACE), key=key
    )


def _changed(before: list[Obj], after: list[Obj]) -> list[Obj]:
    assert [key(o) for o in before] == [key(o) for o in after]
    return [b for a, b in zip(before, after, strict=True) if a != b]


def _component(o: Obj) -> str:
    return str(o["metadata"]["labels"]["app.kubernetes.io/component"])


def test_every_documented_knob_is_tested_and_in_the_readme() -> None:
    readme = (CHART / "README.md").read_text()
    values_yaml = (CHART / "values.yaml").read_text()
    assert len(KNOBS) > 100
    for path, _ in KNOBS:
        assert f"`{path}`" in readme and f"## @param {path} " in values_yaml, path
        assert path.rsplit(".", 1)[-1] in {*_SCALARS, *_JSON, "replicas"}, path


@pytest.mark.parametrize(("path", "kind"), KNOBS, ids=[p for p, _ in KNOBS])
def test_set_reaches_the_objects_and_only_its_own(path: str, kind: str) -> None:
    """`helm upgrade --set KNOB`: the knob's value lands in its component's workloads, no other
    object changes (so only those pods roll), and l2kit's renderer agrees with Helm's."""
    top = path.split(".", 1)[0]
    base = _base(top)
    layer, value = _knob_set(path, kind)
    before, after = _unchanged(top), _render(base, layer)
    changed = _changed(before, after)
    if path.endswith(".replicas") and value == 1:
        assert changed == []  # single writers: 1 is all the schema allows, and the default
        return
    assert changed and all(o["kind"] in WORKLOADS for o in changed), path
    if top != "global":
        assert {knob_key(_component(o)) for o in changed} == {top}
    else:
        assert len(changed) == sum(o["kind"] in WORKLOADS for o in after)
    text = json.dumps(changed, sort_keys=True)
    if isinstance(value, dict):  # merged into a map: each entry is there
        parts = [json.dumps({k: v}, sort_keys=True)[1:-1] for k, v in value.items()]
    elif isinstance(value, list):  # a list's items (env is appended to)
        parts = [json.dumps(p, sort_keys=True) for p in value]
    else:  # a scalar, maybe inside a string (image registry/tag)
        parts = [f'"replicas": {value}' if path.endswith("replicas") else str(value)]
    assert all(p in text for p in parts), (path, parts)
    ours = manifests.render_objects(helm.layered(base, layer), release=RELEASE, namespace=NAMESPACE)
    assert as_l2kit(after) == sorted(ours, key=key)


def test_image_knobs_compose_registry_and_tag() -> None:
    layer = helm.layered(
        helm.parse_set("global.imageRegistry=reg.local:5000"),
        helm.parse_set("bitcoind.image.tag=30.2"),
    )
    objs = _render(_base("rollup"), layer)
    images = {
        c["name"]: c["image"]
        for o in objs
        if o["kind"] in WORKLOADS
        for c in [
            *o["spec"]["template"]["spec"].get("initContainers", []),
            *o["spec"]["template"]["spec"]["containers"],
        ]
    }
    assert all(i.startswith("reg.local:5000/") for i in images.values())
    assert images["bitcoind"] == "reg.local:5000/bitcoin/bitcoin:30.2"
    assert images["exporter"] == "reg.local:5000/jvstein/bitcoin-prometheus-exporter:v0.7.0"
    assert images["op-geth"] == "reg.local:5000/oplabs-tools-artifacts/images/op-geth:v1.101408.0"


def test_affinity_is_merged_with_the_computed_anti_affinity() -> None:
    base = values_of(spec_doc("bitcoin", "signet"))  # 3 replicas: anti-affinity computed
    node_affinity = json.dumps(_JSON["nodeAffinity"])
    layer = helm.parse_set_json(f"bitcoind.affinity.nodeAffinity={node_affinity}")
    (sts,) = [o for o in _render(base, layer) if o["kind"] == "StatefulSet"]
    affinity = sts["spec"]["template"]["spec"]["affinity"]
    assert affinity["nodeAffinity"] == _JSON["nodeAffinity"] and "podAntiAffinity" in affinity


def test_the_example_overrides_file() -> None:
    overrides = helm.values_from_file(CHART / "examples" / "overrides.yaml")
    base = _base("devnet")
    assert helm.lint(helm.layered(base, overrides), strict=True).ok
    objs = {key(o): o for o in _render(base, overrides)}
    sts = objs[("StatefulSet", NAMESPACE, f"{RELEASE}-devnet-bitcoind")]
    pod = sts["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node-pool": "bitcoin"}
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["containers"][0]["resources"] == {
        "requests": {"cpu": "2", "memory": "4Gi"},
        "limits": {"memory": "8Gi"},
    }
    claim = sts["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "800Gi"
    assert claim["storageClassName"] == "fast-ssd"
    assert objs[("StatefulSet", NAMESPACE, f"{RELEASE}-devnet-electrs")]["spec"]["replicas"] == 2
    for comp in ("fpd", "eotsd"):
        fp = objs[("StatefulSet", NAMESPACE, f"{RELEASE}-devnet-{comp}")]["spec"]["template"]
        assert fp["spec"]["nodeSelector"] == {"node-pool": "signers"}
        assert {"name": "GOMAXPROCS", "value": "2"} in fp["spec"]["containers"][0]["env"]


def test_checksum_config_is_over_what_the_pod_mounts() -> None:
    """Recomputed from Helm's own rendered ConfigMaps, after the release's names went in."""
    objs = _render(_base("devnet"), helm.values_from_file(CHART / "examples" / "overrides.yaml"))
    cms = {o["metadata"]["name"]: o["data"] for o in objs if o["kind"] == "ConfigMap"}
    for o in (o for o in objs if o["kind"] in WORKLOADS):
        pod = o["spec"]["template"]
        digest = hashlib.sha256()
        mounted = [
            v["configMap"]["name"]
            for v in pod["spec"]["volumes"]
            if "configMap" in v and v["configMap"]["name"] in cms
        ]
        for name in mounted:
            for k in sorted(cms[name]):
                digest.update(f"{k}\0{cms[name][k]}\0".encode())
        assert (
            mounted and pod["metadata"]["annotations"]["checksum/config"] == digest.hexdigest()
        ), key(o)


def test_a_changed_config_rolls_only_the_pods_that_mount_it() -> None:
    doc = spec_doc("devnet")
    other = copy.deepcopy(doc)
    other["stacks"][0]["bitcoind"]["dbcache"] = 1024
    before, after = _render(values_of(doc)), _render(values_of(other))
    rolled = {_component(o) for o in _changed(before, after) if o["kind"] in WORKLOADS}
    assert rolled == {"bitcoind"}


# The spec's fields and the chart's knobs of the same name give the same objects.
SPEC_FIELDS: list[tuple[str, str, Any]] = [
    ("bitcoind", "nodeSelector", {"pool": "btc"}),
    ("bitcoind", "tolerations", _JSON["tolerations"]),
    ("finalityProvider", "affinity", {"nodeAffinity": _JSON["nodeAffinity"]}),
    ("vigilante", "priorityClassName", "critical"),
    ("covenant", "podAnnotations", {"team": "ops"}),
    ("electrs", "podLabels", {"tier": "gold"}),
    ("babylond", "extraEnv", [{"name": "L2KIT_EXTRA", "value": "1"}]),
    ("electrs", "replicas", 3),
]


@pytest.mark.parametrize(
    ("component", "field", "value"), SPEC_FIELDS, ids=[f"{c}.{f}" for c, f, _ in SPEC_FIELDS]
)
def test_spec_field_equals_chart_knob(component: str, field: str, value: Any) -> None:
    doc = spec_doc("devnet")
    with_field = copy.deepcopy(doc)
    with_field["stacks"][0][component][field] = value
    ours = sorted(build(json.dumps(with_field)).objects, key=key)
    layer = helm.parse_set_json(f"{component}.{field}={json.dumps(value)}")
    go = helm.template(helm.layered(values_of(doc), layer), release="devnet", namespace="devnet")
    assert as_l2kit(go) == ours
    assert ours != sorted(build(json.dumps(doc)).objects, key=key)


def test_global_spec_fields_equal_chart_knobs() -> None:
    doc = spec_doc("bitcoin", "signet")
    with_fields = copy.deepcopy(doc)
    with_fields["stacks"][0].update(imageRegistry="reg.local", imagePullSecrets=["regcred"])
    ours = sorted(build(json.dumps(with_fields)).objects, key=key)
    layer = helm.layered(
        helm.parse_set("global.imageRegistry=reg.local"),
        helm.parse_set_json('global.imagePullSecrets=["regcred"]'),
    )
    go = helm.template(
        helm.layered(values_of(doc), layer), release="btc-signet", namespace="btc-signet"
    )
    assert as_l2kit(go) == ours


def test_user_knobs_win_over_the_spec_key_by_key() -> None:
    doc = spec_doc("devnet")
    doc["stacks"][0]["bitcoind"].update(nodeSelector={"pool": "spec"}, priorityClassName="p1")
    layer = helm.parse_set("bitcoind.nodeSelector.pool=user")
    (sts,) = [
        o
        for o in _render(values_of(doc), layer)
        if o["kind"] == "StatefulSet" and _component(o) == "bitcoind"
    ]
    pod = sts["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"pool": "user"} and pod["priorityClassName"] == "p1"


@pytest.mark.parametrize(
    "component", ["miner", "babylond", "covenant", "finalityProvider", "vigilante", "rollup"]
)
def test_single_writer_replicas_above_one_are_refused(component: str) -> None:
    layer = helm.parse_set(f"{component}.replicas=2")
    values = helm.layered(_base(component), layer)
    with pytest.raises(RenderError, match="replicas"):
        helm.template(values, release=RELEASE, namespace=NAMESPACE)
    assert not helm.lint(values).ok


BAD_KNOBS = {
    "misspelled knob": "bitcoind.nodeSelectr.pool=btc",
    "misspelled component": "bitcoin.nodeSelector.pool=btc",
    "misspelled global": "global.imageRegistery=reg.local",
    "bitcoind replicas (the spec computes its peers)": "bitcoind.replicas=2",
    "latest tag": "electrs.image.tag=latest",
    "rollup image tag (pinned as a set)": "rollup.image.tag=v1",
    "bad quantity": "bitcoind.resources.requests.memory=lots",
    "misspelled resources key": "bitcoind.resources.request.cpu=1",
    "electrs replicas above 10": "electrs.replicas=11",
    "a computed label as pod label": "vigilante.podLabels.l2kit\\.io/stack=x",
}


@pytest.mark.parametrize("case", sorted(BAD_KNOBS))
def test_schema_rejects_bad_knobs(case: str) -> None:
    expr = BAD_KNOBS[case]
    values = helm.layered(_base("devnet"), helm.parse_set(expr))
    with pytest.raises(RenderError) as info:
        helm.template(values, release=RELEASE, namespace=NAMESPACE)
    word = expr.split("=")[0].rsplit(".", 1)[-1]
    assert word in str(info.value) or expr.split(".")[0] in str(info.value)
    assert not helm.lint(values).ok


def test_spec_refuses_computed_pod_labels() -> None:
    doc = spec_doc("bitcoin")
    doc["stacks"][0]["bitcoind"]["podLabels"] = {"app.kubernetes.io/instance": "x"}
    with pytest.raises(SpecError) as info:
        parse_spec(json.dumps(doc))
    assert str(info.value).startswith("stacks.0.bitcoind.podLabels: app.kubernetes.io/instance")


def test_spec_extra_env_from_a_secret_is_a_declared_reference() -> None:
    """An extraEnv secretKeyRef is the user's Secret: the render invariants accept it."""
    doc = spec_doc("bitcoin")
    env = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "my-token", "key": "t"}}}]
    doc["stacks"][0]["bitcoind"]["extraEnv"] = env
    (sts,) = [o for o in build(json.dumps(doc)).objects if o["kind"] == "StatefulSet"]
    assert env[0] in sts["spec"]["template"]["spec"]["containers"][0]["env"]


def test_objects_with_every_kind_of_knob_pass_the_kubernetes_schemas() -> None:
    """Knob values land where Kubernetes expects them (kubernetes-validate, strict)."""
    layers = [helm.values_from_file(CHART / "examples" / "overrides.yaml")]
    for leaf in ("tolerations", "extraEnv", "podLabels", "podAnnotations"):
        layers.append(helm.parse_set_json(f"vigilante.{leaf}={json.dumps(_JSON[leaf])}"))
    affinity = {k: _JSON[k] for k in ("nodeAffinity", "podAffinity", "podAntiAffinity")}
    layers.append(helm.parse_set_json(f"babylond.affinity={json.dumps(affinity)}"))
    objs = _render(_base("devnet"), *layers)
    assert kubernetes_version() is not None
    assert schema_problems(objs) == []
