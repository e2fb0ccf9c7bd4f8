"""The rollup stack's wiring that flag lists cannot express, from the contracts' facts.

- op-node starts only with --l1, --l2, --l2.jwt-secret, one of --rollup.config/--network and
  --l1.beacon set, by flag or by its OP_NODE_* variable (contract op-node.yaml, notes);
- engine auth is really on: op-geth's --authrpc.jwtsecret and op-node's --l2.jwt-secret are the
  same key of the spec's jwt Secret (an unreadable file makes op-node invent its own key), and
  op-node dials op-geth's authrpc port; the L1 endpoints (URLs with API keys) come from a Secret;
- the gadget authenticates to bitcoind with the RPC Secret (an empty user or password makes it
  fall back to user/pass);
- `geth init` in our init script uses only init's own flags (urfave/cli takes the app's flags
  only before the subcommand, a leniency of the generic checker).

Each rule is one function returning problems; each has a planted-mistake test.
"""

from __future__ import annotations

import copy
import re
import shlex
from functools import cache
from typing import Any

import pytest
import yaml
from support.paths import ROOT

from l2kit.contracts.check import check
from l2kit.render import profiles
from l2kit.render.build import build
from l2kit.spec import StackSpec, parse_spec

Obj = dict[str, Any]
CONTRACTS = ROOT / "l2kit" / "contracts"
# op-node's start-up requirements, each flag with the variable that sets it too (both are the
# contract's facts: op-node/flags/flags.go#L49-L72, op-service/flags/flags.go#L75-L92).
OP_NODE_REQUIRED = {
    "--l1": "OP_NODE_L1_ETH_RPC",
    "--l2": "OP_NODE_L2_ENGINE_RPC",
    "--l2.jwt-secret": "OP_NODE_L2_ENGINE_AUTH",
    "--rollup.config": "OP_NODE_ROLLUP_CONFIG",
    "--l1.beacon": "OP_NODE_L1_BEACON",
}
EXCLUSIVE = ("--rollup.config", "--network")  # exactly one (op-service/flags/flags.go#L101-L113)


def contract(component: str) -> Obj:
    data: Obj = yaml.safe_load((CONTRACTS / f"{component}.yaml").read_text())
    return data


def rollup_specs() -> dict[str, str]:
    """The rollup profile on every network Babylon has: regtest as `l2kit init` writes it;
    signet and mainnet against a private BSN-era chain, acknowledged as experimental."""
    specs = {
        net: profiles.init_spec("rollup", net) for p, net in profiles.supported() if p == "rollup"
    }
    for net in ("signet", "mainnet"):
        data = yaml.safe_load(profiles.init_spec("rollup"))
        data["stacks"][0].update(network=net, name=f"rollup-{net}", namespace=f"rollup-{net}")
        data["stacks"][0]["rollup"]["acknowledgeExperimental"] = True
        specs[net] = yaml.safe_dump(data)
    return specs


SPECS = rollup_specs()


@cache
def rendered(network: str) -> tuple[StackSpec, tuple[Obj, ...]]:
    text = SPECS[network]
    return parse_spec(text).stacks[0], tuple(build(text).objects)


def objects(network: str) -> tuple[StackSpec, list[Obj]]:
    stack, objs = rendered(network)
    return stack, copy.deepcopy(list(objs))


def pod(objs: list[Obj], component: str) -> Obj:
    spec: Obj = next(
        o
        for o in objs
        if o["kind"] == "StatefulSet"
        and o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
    )["spec"]["template"]["spec"]
    return spec


def main_container(objs: list[Obj], component: str) -> Obj:
    c: Obj = pod(objs, component)["containers"][0]
    return c


def flag_values(c: Obj) -> dict[str, str]:
    out = {}
    for a in c.get("args", []):
        name, _, value = str(a).partition("=")
        if name.startswith("--"):
            out[name] = value
    return out


def secret_file(p: Obj, c: Obj, path: str) -> tuple[str, str] | None:
    """(Secret name, key) behind a file path the container reads, or None."""
    vols = {v["name"]: v for v in p.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        mount = m["mountPath"].rstrip("/") + "/"
        src = vols.get(m["name"], {}).get("secret")
        if src is None or not path.startswith(mount):
            continue
        rel = path[len(mount) :]
        items = {i["path"]: i["key"] for i in src.get("items", [])} or {rel: rel}
        if rel in items:
            return src["secretName"], items[rel]
    return None


# --- rules ------------------------------------------------------------------------------------


def op_node_start_problems(objs: list[Obj]) -> list[str]:
    c = main_container(objs, "op-node")
    flags = flag_values(c)
    env = {e["name"] for e in c.get("env", [])}
    known_env = {e["name"] for e in contract("op-node")["env"]}
    out = []
    for flag, var in OP_NODE_REQUIRED.items():
        assert var in known_env  # the mapping itself is a contract fact
        if flag in EXCLUSIVE:
            continue
        if flag not in flags and var not in env:
            out.append(f"{flag}: required (flag or {var})")
    given = [f for f in EXCLUSIVE if f in flags or OP_NODE_REQUIRED.get(f, "-") in env]
    if len(given) != 1:
        out.append(f"{'|'.join(EXCLUSIVE)}: exactly one must be set, got {given}")
    return out


def engine_auth_problems(stack: StackSpec, objs: list[Obj]) -> list[str]:
    assert stack.secrets.jwt is not None
    want = (stack.secrets.jwt.existing_secret, "jwt.hex")
    out = []
    for comp, flag in (("op-geth", "--authrpc.jwtsecret"), ("op-node", "--l2.jwt-secret")):
        c, p = main_container(objs, comp), pod(objs, comp)
        path = flag_values(c).get(flag)
        got = secret_file(p, c, path) if path else None
        if got != want:
            out.append(f"{comp} {flag}: must be key jwt.hex of Secret {want[0]}, got {got}")
    auth_port = flag_values(main_container(objs, "op-geth")).get("--authrpc.port", "8551")
    l2 = flag_values(main_container(objs, "op-node")).get("--l2", "")
    if not re.fullmatch(rf"https?://[^/]*-op-geth-0\.[^/]*:{auth_port}", l2):
        out.append(f"op-node --l2: must dial op-geth's authrpc port {auth_port}, got {l2!r}")
    return out


def l1_secret_problems(stack: StackSpec, objs: list[Obj]) -> list[str]:
    assert stack.secrets.l1 is not None
    out = []
    secret = stack.secrets.l1.existing_secret
    env = {e["name"]: e for e in main_container(objs, "op-node").get("env", [])}
    for var in ("OP_NODE_L1_ETH_RPC", "OP_NODE_L1_BEACON"):
        ref = env.get(var, {}).get("valueFrom", {}).get("secretKeyRef", {})
        if ref.get("name") != secret:
            out.append(f"op-node env {var}: must come from Secret {secret}")
    return out


def gadget_btc_auth_problems(stack: StackSpec, objs: list[Obj]) -> list[str]:
    rpc = stack.secrets.rpc
    assert rpc is not None
    cm = next(
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == f"{stack.name}-finality-gadget"
    )
    conf = cm["data"]["config.toml"]
    out = []
    if f'BitcoinRPCUser = "{rpc.user}"' not in conf:
        out.append(f"BitcoinRPCUser: must be the rpcauth user {rpc.user}")
    m = re.search(r'^BitcoinRPCPass = "@@(\w+)@@"$', conf, re.M)
    p = pod(objs, "finality-gadget")
    init: Obj = next((c for c in p.get("initContainers", []) if c["name"] == "render-config"), {})
    subs = dict(str(a).split("=", 1) for a in init.get("command", [])[4:])
    path = subs.get(m.group(1)) if m else None
    if path is None or secret_file(p, init, path) != (rpc.existing_secret, rpc.password_key):
        out.append("BitcoinRPCPass: must be filled from the RPC Secret's password at start")
    return out


def geth_init_problems(objs: list[Obj]) -> list[str]:
    init = contract("op-geth")["commands"]["geth"]["subcommands"]["init"]
    allowed = set(init.get("flags", [])) | set(init.get("switches", []))
    scripts = next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-scripts")
    )["data"]
    calls = [
        shlex.split(line)
        for line in scripts["op-geth-init.sh"].splitlines()
        if line.strip().startswith("geth ")
    ]
    if not calls:
        return ["op-geth-init.sh: no geth init call"]
    return [
        f"geth init {tok.split('=')[0]}: not a flag of init (app flags go before init)"
        for argv in calls
        for tok in argv[2:]
        if tok.startswith("-") and tok.split("=")[0] not in allowed
    ]


# --- every network: all rules hold ------------------------------------------------------------


@pytest.mark.parametrize("network", sorted(SPECS))
def test_rollup_meets_its_contracts_on_every_network(network: str) -> None:
    # test_contracts.py covers the `l2kit init` specs (regtest); these add signet and mainnet.
    report = check(list(rendered(network)[1]))
    assert [str(p) for p in report.problems] == []
    assert {"op-geth", "op-node", "finality-gadget"} <= set(report.checked)
    assert not [
        k for k in report.uncovered if k.split("/")[0] in ("op-geth", "op-node", "finality-gadget")
    ]


@pytest.mark.parametrize("network", sorted(SPECS))
def test_rollup_wiring_holds(network: str) -> None:
    stack, objs = objects(network)
    assert op_node_start_problems(objs) == []
    assert engine_auth_problems(stack, objs) == []
    assert l1_secret_problems(stack, objs) == []
    assert gadget_btc_auth_problems(stack, objs) == []
    assert geth_init_problems(objs) == []


def test_every_rollup_network_is_covered() -> None:
    assert set(SPECS) == {"regtest", "signet", "mainnet"}


# --- planted mistakes -------------------------------------------------------------------------


def test_missing_beacon_is_found() -> None:
    _, objs = objects("regtest")
    c = main_container(objs, "op-node")
    c["env"] = [e for e in c["env"] if e["name"] != "OP_NODE_L1_BEACON"]
    assert op_node_start_problems(objs) == ["--l1.beacon: required (flag or OP_NODE_L1_BEACON)"]


def test_both_rollup_config_and_network_is_found() -> None:
    _, objs = objects("regtest")
    main_container(objs, "op-node")["args"].append("--network=op-sepolia")
    assert op_node_start_problems(objs) == [
        "--rollup.config|--network: exactly one must be set, got ['--rollup.config', '--network']"
    ]


def test_jwt_outside_the_secret_is_found() -> None:
    stack, objs = objects("regtest")
    c = main_container(objs, "op-node")
    c["args"] = [
        a if not a.startswith("--l2.jwt-secret=") else "--l2.jwt-secret=/tmp/jwt.hex"
        for a in c["args"]
    ]
    assert engine_auth_problems(stack, objs) == [
        f"op-node --l2.jwt-secret: must be key jwt.hex of Secret "
        f"{stack.secrets.jwt.existing_secret if stack.secrets.jwt else ''}, got None"
    ]


def test_engine_on_the_wrong_port_is_found() -> None:
    stack, objs = objects("mainnet")
    c = main_container(objs, "op-node")
    c["args"] = [re.sub(r":8551$", ":8545", a) if a.startswith("--l2=") else a for a in c["args"]]
    problems = engine_auth_problems(stack, objs)
    assert len(problems) == 1 and problems[0].startswith("op-node --l2: must dial op-geth's")


def test_l1_url_as_a_literal_is_found() -> None:
    stack, objs = objects("regtest")
    c = main_container(objs, "op-node")
    c["env"] = [
        e
        if e["name"] != "OP_NODE_L1_ETH_RPC"
        else {"name": e["name"], "value": "https://eth.example/KEY"}
        for e in c["env"]
    ]
    assert l1_secret_problems(stack, objs) == [
        "op-node env OP_NODE_L1_ETH_RPC: must come from Secret rollup-regtest-l1"
    ]


def test_gadget_password_not_from_the_secret_is_found() -> None:
    stack, objs = objects("regtest")
    cm = next(
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "rollup-regtest-finality-gadget"
    )
    cm["data"]["config.toml"] = cm["data"]["config.toml"].replace(
        '"@@BTC_RPC_PASSWORD@@"', '"pass"'
    )
    assert gadget_btc_auth_problems(stack, objs) == [
        "BitcoinRPCPass: must be filled from the RPC Secret's password at start"
    ]


def test_app_flag_after_geth_init_is_found() -> None:
    _, objs = objects("regtest")
    scripts = next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-scripts")
    )["data"]
    scripts["op-geth-init.sh"] = scripts["op-geth-init.sh"].replace(
        "geth init ", "geth init --networkid=706114 "
    )
    assert geth_init_problems(objs) == [
        "geth init --networkid: not a flag of init (app flags go before init)"
    ]
