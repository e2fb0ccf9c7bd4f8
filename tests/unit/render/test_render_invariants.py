"""Invariants over every profile x network: schemas, client models, security, wiring, secrets.

Every rendered object validates against the Kubernetes OpenAPI schema (kubernetes-validate,
newest bundled version), deserialises into the kubernetes client's models, and the stack
obeys the rules in l2kit.render.checks (selectors, ports, references, restricted pods,
pinned images). Generated secret values never appear outside Secret objects.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from l2kit.btc.network import record
from l2kit.render import checks, profiles
from l2kit.render.build import Rendered, build, kubernetes_version, schema_problems
from l2kit.spec import parse_spec

Obj = dict[str, Any]
SUPPORTED = profiles.supported()
IDS = [f"{p}-{n}" for p, n in SUPPORTED]
MODELS = {
    "ConfigMap": "V1ConfigMap",
    "Secret": "V1Secret",
    "Service": "V1Service",
    "StatefulSet": "V1StatefulSet",
    "Deployment": "V1Deployment",
    "PodDisruptionBudget": "V1PodDisruptionBudget",
    "NetworkPolicy": "V1NetworkPolicy",
}


@cache
def rendered(profile: str, network: str, generate: bool = False) -> Rendered:
    return build(profiles.init_spec(profile, network), generate_secrets=generate)


def workloads(objs: list[Obj]) -> list[Obj]:
    return [o for o in objs if o["kind"] in ("StatefulSet", "Deployment")]


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=IDS)
def test_kubernetes_schema_and_client_models(profile: str, network: str) -> None:
    assert kubernetes_version() is not None and kubernetes_version().startswith("1.3")
    objs = rendered(profile, network).objects
    assert schema_problems(objs) == []
    client = ApiClient()
    for o in objs:
        if o["kind"] in MODELS:
            model = client._ApiClient__deserialize(o, MODELS[o["kind"]])  # type: ignore[attr-defined]
            assert model.metadata.name == o["metadata"]["name"]


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=IDS)
def test_checks_hold(profile: str, network: str) -> None:
    r = rendered(profile, network)
    assert checks.problems(r.objects, checks.declared_refs(r.fleet)) == []


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=IDS)
def test_every_container_restricted_and_pinned(profile: str, network: str) -> None:
    for w in workloads(rendered(profile, network).objects):
        spec = w["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec["automountServiceAccountToken"] is False
        for c in checks.containers(w["spec"]["template"]):
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert sc["seccompProfile"]["type"] == "RuntimeDefault"
            image_tag = c["image"].rsplit(":", 1)[1]
            assert image_tag != "latest" and "/" not in image_tag
            assert c["resources"]["limits"]["memory"]


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=IDS)
def test_every_workload_has_pdb_netpol_and_labels(profile: str, network: str) -> None:
    objs = rendered(profile, network).objects
    by_kind: dict[str, set[str]] = {}
    for o in objs:
        by_kind.setdefault(o["kind"], set()).add(o["metadata"]["name"])
        lab = o["metadata"]["labels"]
        assert lab["app.kubernetes.io/part-of"] == "l2kit"
        assert lab["app.kubernetes.io/managed-by"] == "l2kit"
    for w in workloads(objs):
        assert w["metadata"]["name"] in by_kind["PodDisruptionBudget"]
        assert w["metadata"]["name"] in by_kind["NetworkPolicy"]
        assert w["metadata"]["labels"]["l2kit.io/stack"]
    assert any(n.endswith("-default-deny") for n in by_kind["NetworkPolicy"])


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=IDS)
def test_stateful_nodes(profile: str, network: str) -> None:
    for s in rendered(profile, network).objects:
        if s["kind"] != "StatefulSet":
            continue
        assert s["spec"]["volumeClaimTemplates"], s["metadata"]["name"]
        pod = s["spec"]["template"]
        main = pod["spec"]["containers"][0]
        if main["name"] in ("bitcoind", "babylond"):
            assert pod["spec"]["terminationGracePeriodSeconds"] >= 600
            assert "preStop" in main["lifecycle"]
            assert "checksum/config" in pod["metadata"]["annotations"]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert main[probe]["exec"]["command"][1].startswith("/scripts/")


@pytest.mark.parametrize("network", ["mainnet", "testnet", "testnet4", "signet", "regtest"])
def test_bitcoin_conf_network_section_and_ports(network: str) -> None:
    spec = profiles.init_spec("bitcoin", "regtest").replace(
        "network: regtest", f"network: {network}"
    )
    objs = build(spec).objects
    conf = next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-bitcoind")
    )["data"]["bitcoin.conf"]
    net = record(network)
    head, _, body = conf.partition(f"\n[{net.section}]\n")
    assert body, conf
    for key in ("rpcport", "rpcbind", "rpcallowip", "port", "rpcauth", "zmqpubrawblock"):
        assert re.search(rf"^{key}=", body, re.M) and not re.search(rf"^{key}=", head, re.M)
    assert f"rpcport={net.rpc_port}\n" in body and f"port={net.p2p_port}\n" in body
    sts = next(o for o in objs if o["kind"] == "StatefulSet")
    ports = {
        p["name"]: p["containerPort"]
        for p in sts["spec"]["template"]["spec"]["containers"][0]["ports"]
    }
    assert ports["rpc"] == net.rpc_port and ports["p2p"] == net.p2p_port


def test_generated_secrets_never_leave_secret_objects() -> None:
    r = build(profiles.init_spec("devnet"), generate_secrets=True)
    secrets = [o for o in r.objects if o["kind"] == "Secret"]
    values = {v for s in secrets for k, v in s["stringData"].items() if k != "rpcauth"}
    assert len(values) >= 4
    for o in r.objects:
        if o["kind"] == "Secret":
            continue
        text = json.dumps(o)
        for v in values:
            assert v not in text, f"{o['kind']}/{o['metadata']['name']} leaks a secret"
    rpc = next(s for s in secrets if s["metadata"]["name"] == "devnet-bitcoind-rpc")
    assert rpc["stringData"]["rpcauth"].startswith("l2kit:")


def test_rpc_clients_read_password_from_secret() -> None:
    objs = rendered("devnet", "regtest").objects
    for w in workloads(objs):
        for c in checks.containers(w["spec"]["template"]):
            for e in c.get("env", []):
                assert "PASSWORD" not in e["name"] or "valueFrom" in e
    cms = [o for o in objs if o["kind"] == "ConfigMap"]
    vig = next(o for o in cms if o["metadata"]["name"] == "devnet-vigilante")
    doc = yaml.safe_load(vig["data"]["vigilante.yml"])
    assert doc["btc"]["password"] == "@@BTC_RPC_PASSWORD@@"
    assert doc["metrics"]["host"] == "0.0.0.0"


def test_metrics_bound_to_all_interfaces() -> None:
    cms = {
        o["metadata"]["name"]: o["data"]
        for o in rendered("devnet", "regtest").objects
        if o["kind"] == "ConfigMap"
    }
    for n, key in (
        ("devnet-fpd", "fpd.conf"),
        ("devnet-eotsd", "eotsd.conf"),
        ("devnet-covd", "covd.conf"),
    ):
        assert "[metrics]\nHost = 0.0.0.0\n" in cms[n][key]
    assert 'host = "0.0.0.0"' in cms["devnet-covenant-signer"]["config.toml"]


def test_fleet_of_100_stacks_renders() -> None:
    base = yaml.safe_load(profiles.init_spec("bitcoin", "signet"))["stacks"][0]
    stacks = [{**base, "name": f"btc-{i}", "namespace": f"btc-{i}"} for i in range(100)]
    r = build(yaml.safe_dump({"stacks": stacks}))
    assert (
        len(
            {
                o["metadata"]["labels"]["l2kit.io/stack"]
                for o in r.objects
                if "l2kit.io/stack" in o["metadata"]["labels"]
            }
        )
        == 100
    )
    assert parse_spec(yaml.safe_dump({"stacks": stacks})).stacks[99].name == "btc-99"


def _policies(profile: str, network: str) -> dict[str, Obj]:
    return {
        o["metadata"]["name"]: o["spec"]
        for o in rendered(profile, network).objects
        if o["kind"] == "NetworkPolicy"
    }


def test_default_deny_in_and_out_with_dns_and_in_stack_egress() -> None:
    deny = _policies("devnet", "regtest")["devnet-default-deny"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and deny["ingress"] == []
    assert {"to": [{"podSelector": {"matchLabels": {"l2kit.io/stack": "devnet"}}}]} in deny[
        "egress"
    ]
    assert any(
        p.get("ports") == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
        for p in deny["egress"]
    )
    # regtest devnet: nothing needs to leave the stack
    assert all(
        "egress" not in spec
        for n, spec in _policies("devnet", "regtest").items()
        if n != "devnet-default-deny"
    )


def test_external_egress_only_where_needed() -> None:
    fp = _policies("finality-provider", "signet")
    assert fp["fp-signet-fpd"]["egress"] == [{}] and "egress" not in fp["fp-signet-eotsd"]
    assert _policies("bitcoin", "mainnet")["btc-mainnet-bitcoind"]["egress"] == [{}]
    assert "egress" not in _policies("bitcoin", "regtest")["btc-regtest-bitcoind"]


def test_rpc_and_zmq_only_from_clients() -> None:
    rules = _policies("devnet", "regtest")["devnet-bitcoind"]["ingress"]
    rpc_rule = next(r for r in rules if {"protocol": "TCP", "port": 18443} in r["ports"])
    allowed = rpc_rule["from"][0]["podSelector"]["matchExpressions"][0]["values"]
    assert "vigilante-submitter" in allowed and "miner" in allowed and "fpd" not in allowed
    assert {"protocol": "TCP", "port": 29001} in rpc_rule["ports"]
    metrics = next(r for r in rules if {"protocol": "TCP", "port": 9332} in r["ports"])
    assert metrics["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]


def test_devnet_genesis_accounts_reach_the_init_container() -> None:
    data = yaml.safe_load(profiles.init_spec("devnet"))
    addr = "bbn1" + "q" * 38
    data["stacks"][0]["babylond"]["genesisAccounts"] = [addr]
    objs = build(yaml.safe_dump(data)).objects
    sts = next(
        o for o in objs if o["metadata"]["name"] == "devnet-babylond" and o["kind"] == "StatefulSet"
    )
    init = sts["spec"]["template"]["spec"]["initContainers"][0]
    assert {"name": "GENESIS_ACCOUNTS", "value": addr} in init["env"]
    assert "--additional-sender-account" in init["command"]
    assert "--btc-network=regtest" in init["command"]


def test_longest_stack_name_keeps_object_names_within_kubernetes_limits() -> None:
    data = yaml.safe_load(profiles.init_spec("devnet"))
    data["stacks"][0]["name"] = "d" * 30
    objs = build(yaml.safe_dump(data)).objects  # checks.problems enforces the limits
    assert max(len(o["metadata"]["name"]) for o in objs if o["kind"] == "Service") <= 63
    rollup = yaml.safe_load(profiles.init_spec("rollup"))
    rollup["stacks"][0]["name"] = "r" * 30
    assert build(yaml.safe_dump(rollup)).objects


def test_snapshot_restores_only_the_volume_it_belongs_to() -> None:
    data = yaml.safe_load(profiles.init_spec("rollup"))
    data["stacks"][0]["rollup"]["storage"]["snapshot"] = "geth-snap"
    sources = {
        o["metadata"]["name"]: o["spec"]["volumeClaimTemplates"][0]["spec"].get("dataSource")
        for o in build(yaml.safe_dump(data)).objects
        if o["kind"] == "StatefulSet"
    }
    assert sources["rollup-regtest-op-geth"] == {
        "apiGroup": "snapshot.storage.k8s.io",
        "kind": "VolumeSnapshot",
        "name": "geth-snap",
    }
    assert sources["rollup-regtest-op-node"] is None
    assert sources["rollup-regtest-finality-gadget"] is None


def test_bitcoind_replicas_peer_with_each_other() -> None:
    objs = rendered("bitcoin", "regtest").objects
    conf = next(
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "btc-regtest-bitcoind"
    )["data"]["bitcoin.conf"]
    body = conf.partition("[regtest]")[2]
    for i in range(3):
        host = f"btc-regtest-bitcoind-{i}.btc-regtest-bitcoind-headless.btc-regtest.svc"
        assert f"addnode={host}:18444" in body
