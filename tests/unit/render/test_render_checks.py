"""The invariant checker itself catches each kind of breakage (mutation tests)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from l2kit.render import checks, profiles
from l2kit.render.build import Rendered, build

Obj = dict[str, Any]


def base() -> Rendered:
    return build(profiles.init_spec("devnet"))


def find(objs: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def _sts_main(objs: list[Obj]) -> Obj:
    c: Obj = find(objs, "StatefulSet", "devnet-bitcoind")["spec"]["template"]["spec"]["containers"][
        0
    ]
    return c


MUTATIONS: dict[str, tuple[Callable[[list[Obj]], None], str]] = {
    "password-in-configmap": (
        lambda objs: find(objs, "ConfigMap", "devnet-vigilante")["data"].update(
            {"vigilante.yml": "btc:\n  password: hunter2hunter2\n"}
        ),
        "looks like secret material",
    ),
    "password-env-literal": (
        lambda objs: _sts_main(objs)["env"].append(
            {"name": "RPC_PASSWORD", "value": "password=abcdefgh"}
        ),
        "secret literal",
    ),
    "latest-image": (
        lambda objs: _sts_main(objs).update(image="bitcoin/bitcoin:latest"),
        "not pinned",
    ),
    "privileged": (
        lambda objs: _sts_main(objs)["securityContext"].update(allowPrivilegeEscalation=True),
        "not restricted",
    ),
    "no-limits": (lambda objs: _sts_main(objs)["resources"].pop("limits"), "resources"),
    "selector-mismatch": (
        lambda objs: find(objs, "StatefulSet", "devnet-bitcoind")["spec"]["selector"][
            "matchLabels"
        ].update({"app.kubernetes.io/component": "other"}),
        "selector does not match",
    ),
    "service-port": (
        lambda objs: find(objs, "Service", "devnet-bitcoind")["spec"]["ports"][0].update(
            targetPort="nope"
        ),
        "which no container exposes",
    ),
    "service-selector": (
        lambda objs: find(objs, "Service", "devnet-electrs")["spec"]["selector"].update(
            {"app.kubernetes.io/component": "ghost"}
        ),
        "matches no pods",
    ),
    "unknown-secret": (
        lambda objs: find(objs, "StatefulSet", "devnet-bitcoind")["spec"]["template"]["spec"][
            "volumes"
        ][1]["secret"].update(secretName="nobody-made-this"),
        "unknown Secret",
    ),
    "unknown-configmap": (
        lambda objs: objs.remove(find(objs, "ConfigMap", "devnet-scripts")),
        "unknown ConfigMap",
    ),
    "unknown-volume": (
        lambda objs: _sts_main(objs)["volumeMounts"].append({"name": "x", "mountPath": "/x"}),
        "unknown volume",
    ),
    "long-name": (
        lambda objs: find(objs, "Service", "devnet-bitcoind")["metadata"].update(name="s" * 64),
        "longer than 63",
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_mutation_is_caught(case: str) -> None:
    r = base()
    objs = copy.deepcopy(r.objects)
    mutate, expected = MUTATIONS[case]
    mutate(objs)
    problems = checks.problems(objs, checks.declared_refs(r.fleet))
    assert any(expected in p for p in problems), problems


def test_clean_stack_has_no_problems() -> None:
    r = base()
    assert checks.problems(r.objects, checks.declared_refs(r.fleet)) == []
