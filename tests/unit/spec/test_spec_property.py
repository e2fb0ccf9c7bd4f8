"""Property tests of the spec parser: random valid specs parse, round-trip, render, validate;
random breakage of one rule is reported as exactly that field."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2kit.babylon_networks import PUBLIC
from l2kit.btc.network import BABYLON_NETWORKS
from l2kit.errors import SpecError
from l2kit.render import checks
from l2kit.render.build import build, schema_problems
from l2kit.spec import FleetSpec, parse_spec

Obj = dict[str, Any]
NETWORKS = ["mainnet", "testnet", "testnet4", "signet", "regtest"]
names = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
quantities = st.sampled_from(["100m", "1", "2", "512Mi", "1Gi", "4Gi", "1.5"])
ports = st.integers(min_value=1024, max_value=65000)


@st.composite
def bitcoind(draw: st.DrawFn) -> Obj:
    prune = draw(st.sampled_from([0, 0, 1, 550, 10000]))
    chosen = draw(st.lists(ports, min_size=6, max_size=6, unique=True))
    return {
        "replicas": draw(st.integers(1, 5)),
        "image": draw(
            st.sampled_from(
                [
                    "bitcoin/bitcoin:31.0",
                    "bitcoin/bitcoin:31.0@sha256:" + "0" * 64,
                    "registry.local:5000/btc/core:v29.3",
                ]
            )
        ),
        "txindex": prune == 0 and draw(st.booleans()),
        "prune": prune,
        "rpcPort": chosen[0] if draw(st.booleans()) else None,
        "p2pPort": chosen[1] if draw(st.booleans()) else None,
        "zmqSequencePort": chosen[2],
        "zmqRawBlockPort": chosen[3],
        "zmqRawTxPort": chosen[4],
        "exporter": {"enabled": draw(st.booleans()), "port": chosen[5]},
        "extraConfig": draw(
            st.dictionaries(
                st.sampled_from(["maxconnections", "uacomment", "blocksonly"]),
                st.integers(0, 100),
                max_size=2,
            )
        ),
        "storage": {
            "size": draw(st.sampled_from(["1Gi", "500Gi"])),
            "snapshot": draw(st.sampled_from([None, "snap-1"])),
        },
        "resources": {
            "cpu": draw(quantities),
            "memory": draw(quantities),
            "memoryLimit": draw(quantities),
        },
    }


@st.composite
def stack(draw: st.DrawFn, name: str) -> Obj:
    network = draw(st.sampled_from(NETWORKS))
    s: Obj = {
        "name": name,
        "namespace": draw(names),
        "network": network,
        "secrets": {"rpc": {"existingSecret": f"{name}-rpc"}},
    }
    b = draw(bitcoind())
    s["bitcoind"] = b
    if network in BABYLON_NETWORKS and draw(st.booleans()):
        s["finalityProvider"] = {"keyring": {"existingSecret": "k", "keyName": "fp"}}
        s["secrets"]["eotsHmac"] = {"existingSecret": "h"}
        s["secrets"]["eotsKey"] = {"existingSecret": "e"}
        chain_id = PUBLIC[network].chain_id if network in PUBLIC else "chain-test"
        s["babylonChain"] = {
            "chainId": chain_id,
            "rpcAddr": "http://b:26657",
            "grpcAddr": "http://b:9090",
            "version": "v4.2.7",
        }
    if network == "regtest" and draw(st.booleans()):
        s["miner"] = {"intervalSeconds": draw(st.integers(1, 600))}
        s["secrets"]["wallet"] = {"existingSecret": "w"}
    if b["txindex"] and b["prune"] == 0 and network != "testnet4" and draw(st.booleans()):
        s["electrs"] = {}
    return s


@st.composite
def fleets(draw: st.DrawFn) -> Obj:
    stack_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return {"stacks": [draw(stack(n)) for n in stack_names]}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_valid_specs_parse_roundtrip_and_render(data: Obj) -> None:
    fleet = parse_spec(yaml.safe_dump(data))
    again = FleetSpec.model_validate(fleet.model_dump(by_alias=True))
    assert again == fleet
    r = build(yaml.safe_dump(data))
    assert checks.problems(r.objects, checks.declared_refs(r.fleet)) == []
    assert len(
        {
            o["metadata"]["labels"].get("l2kit.io/stack")
            for o in r.objects
            if o["kind"] == "StatefulSet"
        }
    ) == len(data["stacks"])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_valid_specs_pass_kubernetes_schemas(data: Obj) -> None:
    assert schema_problems(build(yaml.safe_dump(data)).objects) == []


@settings(max_examples=40, deadline=None)
@given(fleets(), st.integers(2, 549))
def test_bad_prune_is_reported_at_its_path(data: Obj, prune: int) -> None:
    data["stacks"][0]["bitcoind"]["prune"] = prune
    data["stacks"][0]["bitcoind"]["txindex"] = False
    data["stacks"][0].pop("electrs", None)
    try:
        parse_spec(yaml.safe_dump(data))
    except SpecError as exc:
        assert any(p.startswith("stacks.0.bitcoind.prune: must be 0") for p in exc.problems)
    else:
        raise AssertionError("prune in 2..549 accepted")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_parser(text: str) -> None:
    try:
        parse_spec(text)
    except SpecError as exc:
        assert exc.problems and all(": " in p for p in exc.problems)


def test_every_spec_field_has_a_description() -> None:
    from pydantic import BaseModel

    import l2kit.spec.model as config

    models = [
        m
        for m in vars(config).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel
    ]
    assert len(models) > 10
    for model in models:
        for field_name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{field_name} has no description"
