"""Invariants every rendered stack must satisfy; each returns ``kind/name: problem`` lines.

Run by ``render`` and ``validate`` before anything is written, and by the tests over every
profile. ``declared`` lists Secrets/ConfigMaps that exist outside l2kit (spec references).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from l2kit.spec import SECRET_KEYS, FleetSpec, StackSpec
from l2kit.spec.patterns import pinned

Obj = dict[str, Any]
WORKLOAD_KINDS = ("StatefulSet", "Deployment")


def declared_refs(fleet: FleetSpec) -> dict[str, set[tuple[str, str]]]:
    """(namespace, name) of existing Secrets / ConfigMaps the spec points at."""
    secrets: set[tuple[str, str]] = set()
    cms: set[tuple[str, str]] = set()
    for s in fleet.stacks:
        for ref in _secret_refs(s):
            secrets.add((s.namespace, ref))
        if s.rollup is not None:
            cms.add((s.namespace, s.rollup.rollup_config_map))
        if s.vigilante is not None and s.vigilante.genesis_config_map is not None:
            cms.add((s.namespace, s.vigilante.genesis_config_map))
    return {"Secret": secrets, "ConfigMap": cms}


def _secret_refs(s: StackSpec) -> Iterator[str]:
    for key in SECRET_KEYS:
        ref = getattr(s.secrets, _snake(key))
        if ref is not None:
            yield ref.existing_secret
    for comp, attrs in (
        ("covenant", ("keyring", "signer_keyring")),
        ("finality_provider", ("keyring",)),
        ("vigilante", ("keyring",)),
    ):
        spec = getattr(s, comp)
        if spec is not None:
            for a in attrs:
                yield getattr(spec, a).existing_secret
    for comp in (
        "bitcoind",
        "miner",
        "electrs",
        "babylond",
        "covenant",
        "finality_provider",
        "vigilante",
        "rollup",
    ):
        for env in getattr(getattr(s, comp), "extra_env", ()):
            if env.value_from is not None and env.value_from.secret_key_ref is not None:
                yield env.value_from.secret_key_ref.name


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)


def pods(obj: Obj) -> Obj | None:
    if obj.get("kind") in WORKLOAD_KINDS:
        tpl: Obj = obj["spec"]["template"]
        return tpl
    return None


def containers(pod_template: Obj) -> list[Obj]:
    spec = pod_template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def problems(objs: list[Obj], declared: dict[str, set[tuple[str, str]]]) -> list[str]:
    out: list[str] = []
    index = {
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objs
    }
    if len(index) != len(objs):
        out.append("fleet: two objects share kind/namespace/name")
    by_ns: dict[str, list[Obj]] = {}
    for o in objs:
        if pods(o) is not None:
            by_ns.setdefault(o["metadata"].get("namespace", ""), []).append(o)
    for o in objs:
        where = f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
        ns_workloads = by_ns.get(o["metadata"].get("namespace", ""), [])
        out += [f"{where}: {p}" for p in _object_problems(o, ns_workloads, index, declared)]
    return out


def _object_problems(
    o: Obj,
    objs: list[Obj],
    index: dict[tuple[str, str, str], Obj],
    declared: dict[str, set[tuple[str, str]]],
) -> Iterator[str]:
    ns = o["metadata"].get("namespace", "")
    tpl = pods(o)
    if tpl is not None:
        yield from _pod_problems(o, tpl, ns, index, declared)
    if o["kind"] == "Service":
        yield from _service_problems(o, objs)
    if o["kind"] == "ConfigMap":
        for key, text in o.get("data", {}).items():
            if _looks_secret(text):
                yield f"data.{key}: looks like secret material"
    limit = {"Service": 63, "StatefulSet": 52}.get(o["kind"], 253)
    if len(o["metadata"]["name"]) > limit:
        yield f"name longer than {limit} characters"
    labels = o["metadata"].get("labels", {})
    for v in [*labels.values(), *o["metadata"].get("annotations", {}).values()]:
        if _looks_secret(str(v)):
            yield "label/annotation looks like secret material"


def _pod_problems(
    o: Obj,
    tpl: Obj,
    ns: str,
    index: dict[tuple[str, str, str], Obj],
    declared: dict[str, set[tuple[str, str]]],
) -> Iterator[str]:
    sel = o["spec"]["selector"]["matchLabels"]
    pod_labels = tpl["metadata"]["labels"]
    if any(pod_labels.get(k) != v for k, v in sel.items()):
        yield "selector does not match the pod labels"
    spec = tpl["spec"]
    psc = spec.get("securityContext", {})
    if not psc.get("runAsNonRoot") or psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        yield "pod securityContext is not restricted"
    for c in containers(tpl):
        sc = c.get("securityContext", {})
        if (
            sc.get("allowPrivilegeEscalation") is not False
            or sc.get("readOnlyRootFilesystem") is not True
            or sc.get("capabilities", {}).get("drop") != ["ALL"]
        ):
            yield f"container {c['name']}: securityContext is not restricted"
        if not pinned(c["image"]):
            yield f"container {c['name']}: image {c['image']} is not pinned by tag"
        if "limits" not in c.get("resources", {}) or "requests" not in c.get("resources", {}):
            yield f"container {c['name']}: resources not set"
        for e in c.get("env", []):
            if "value" in e and _looks_secret(str(e["value"])):
                yield f"container {c['name']}: env {e['name']} looks like a secret literal"
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None and not _exists("Secret", ns, ref["name"], index, declared):
                yield f"container {c['name']}: env {e['name']} uses unknown Secret {ref['name']}"
        for arg in [*c.get("command", []), *c.get("args", [])]:
            if _looks_secret(arg):
                yield f"container {c['name']}: an argument looks like secret material"
    vol_names = {v["name"] for v in spec.get("volumes", [])}
    claim_names = {t["metadata"]["name"] for t in o["spec"].get("volumeClaimTemplates", [])}
    for c in containers(tpl):
        for m in c.get("volumeMounts", []):
            if m["name"] not in vol_names | claim_names:
                yield f"container {c['name']}: mounts unknown volume {m['name']}"
    for v in spec.get("volumes", []):
        if "configMap" in v and not _exists(
            "ConfigMap", ns, v["configMap"]["name"], index, declared
        ):
            yield f"volume {v['name']}: unknown ConfigMap {v['configMap']['name']}"
        if "secret" in v and not _exists("Secret", ns, v["secret"]["secretName"], index, declared):
            yield f"volume {v['name']}: unknown Secret {v['secret']['secretName']}"


POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"


def _service_problems(o: Obj, workloads: list[Obj]) -> Iterator[str]:
    sel = o["spec"].get("selector", {})
    targets = []
    for w in workloads:
        tpl = pods(w)
        if tpl is None:
            continue
        if all(
            tpl["metadata"]["labels"].get(k) == v for k, v in sel.items() if k != POD_NAME_LABEL
        ):  # the StatefulSet controller sets it on each pod
            targets.append(tpl)
    if not targets:
        yield "selector matches no pods"
        return
    named = {
        p.get("name") for t in targets for c in t["spec"]["containers"] for p in c.get("ports", [])
    }
    numbers = {
        p["containerPort"]
        for t in targets
        for c in t["spec"]["containers"]
        for p in c.get("ports", [])
    }
    for p in o["spec"]["ports"]:
        tp = p.get("targetPort", p["port"])
        if (isinstance(tp, str) and tp not in named) or (isinstance(tp, int) and tp not in numbers):
            yield f"port {p['name']} targets {tp}, which no container exposes"


def _exists(
    kind: str,
    ns: str,
    name: str,
    index: dict[tuple[str, str, str], Obj],
    declared: dict[str, set[tuple[str, str]]],
) -> bool:
    return (kind, ns, name) in index or (ns, name) in declared.get(kind, set())


# Heuristic: private-key PEM blocks, or a password-like key assigned a literal value instead
# of an @@PLACEHOLDER@@ (the exact generated values are checked by the tests).
_SECRET_SHAPES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|"
    r"(?i:(password|passphrase|pass|hmac-?key|secret)[\"']?[ \t]*[=:][ \t]*[\"']?"
    r"(?!@@|/)[A-Za-z0-9_+/=.~-]{4,})"
)


def _looks_secret(text: str) -> bool:
    return _SECRET_SHAPES.search(text) is not None
