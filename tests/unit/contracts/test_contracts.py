"""Every rendered profile x network meets the config contracts of its components, and the
checker fails on each kind of planted mistake (one test per rule)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.paths import ROOT

from l2kit.contracts import Contract, KeyRule, load_all, parse
from l2kit.contracts.argv import script_calls
from l2kit.contracts.check import Report, check, split_image
from l2kit.contracts.formats import parse as parse_format
from l2kit.errors import RenderError
from l2kit.render import profiles
from l2kit.render.build import build

Obj = dict[str, Any]
SUPPORTED = profiles.supported()
# Workloads (app.kubernetes.io/component) whose images have no contract yet. Only shrinks:
# an entry that now has a contract fails below; remove it when you add the contract.
PENDING: set[str] = set()


@cache
def _rendered(profile: str, network: str) -> tuple[Obj, ...]:
    return tuple(build(profiles.init_spec(profile, network)).objects)


def _objs(profile: str = "devnet", network: str = "regtest") -> list[Obj]:
    return copy.deepcopy(list(_rendered(profile, network)))


def _report(profile: str, network: str) -> Report:
    return check(list(_rendered(profile, network)))


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=[f"{p}-{n}" for p, n in SUPPORTED])
def test_rendered_stack_meets_every_contract(profile: str, network: str) -> None:
    report = _report(profile, network)
    assert [str(p) for p in report.problems] == []
    uncovered = {k.split("/", 1)[0] for k in report.uncovered}
    assert uncovered <= PENDING, f"no contract for {sorted(uncovered - PENDING)}"


def test_pending_only_shrinks() -> None:
    uncovered = {k.split("/", 1)[0] for p, n in SUPPORTED for k in _report(p, n).uncovered}
    assert PENDING - uncovered == set(), "these have contracts now: remove them from PENDING"


def test_every_contract_is_used_and_tags_match_the_defaults() -> None:
    used = {c for p, n in SUPPORTED for c in _report(p, n).checked}
    assert used == {c.component for c in load_all()}


# --- planted mistakes -------------------------------------------------------------------------


def _find(objs: list[Obj], kind: str, name_end: str) -> Obj:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"].endswith(name_end))


def _container(objs: list[Obj], workload: str, container: str) -> Obj:
    spec = next(
        o
        for o in objs
        if o["kind"] in ("StatefulSet", "Deployment") and o["metadata"]["name"].endswith(workload)
    )["spec"]["template"]["spec"]
    return next(
        c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == container
    )


def _problems(objs: list[Obj], contracts: tuple[Contract, ...] | None = None) -> list[str]:
    return [str(p) for p in check(objs, contracts).problems]


def _conf(objs: list[Obj], extra: str) -> None:
    cm = _find(objs, "ConfigMap", "-bitcoind")
    cm["data"]["bitcoin.conf"] += extra


def test_unknown_key_fails() -> None:
    objs = _objs()
    _conf(objs, "rpcthreadz=4\n")
    assert _problems(objs) == [
        "bitcoind: bitcoin.conf: rpcthreadz: unknown key "
        "(bitcoin/bitcoin@v31.0:src/common/config.cpp)"
    ]


def test_missing_required_key_fails() -> None:
    objs = _objs()
    cm = _find(objs, "ConfigMap", "-bitcoind")
    cm["data"]["bitcoin.conf"] = cm["data"]["bitcoin.conf"].replace("dbcache=450\n", "")
    base = {c.component: c for c in load_all()}
    cf = base["bitcoind"].config_files[0]
    keys = {**cf.keys, "dbcache": cf.keys["dbcache"].model_copy(update={"required": True})}
    planted = base["bitcoind"].model_copy(
        update={"config_files": [cf.model_copy(update={"keys": keys})]}
    )
    problems = _problems(objs, (planted, *(c for c in load_all() if c.component != "bitcoind")))
    assert problems == [
        "bitcoind: bitcoin.conf: dbcache: missing required key (the loader "
        "applies no default) (bitcoin/bitcoin@v31.0:src/node/caches.h)"
    ]


def test_bad_enum_fails() -> None:
    objs = _objs()
    _conf(objs, "chain=mainnet\n")
    [problem] = _problems(objs)
    assert problem.startswith("bitcoind: bitcoin.conf: chain: must be one of main, test,")


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("dbcache=2\n", "dbcache: must be >= 4, got 2"),
        ("dbcache=lots\n", "dbcache: must be of type int"),
        ("prune=100\n", "prune: must match"),
        ("server=yes\n", "server: must be an integer (Bitcoin Core reads 'yes' as 0, i.e. false)"),
        ("txindex=true\n", "txindex: must be an integer"),
    ],
)
def test_value_rules_fail(line: str, rule: str) -> None:
    objs = _objs()
    cm = _find(objs, "ConfigMap", "-bitcoind")
    key = line.split("=")[0]
    cm["data"]["bitcoin.conf"] = re.sub(rf"(?m)^{key}=.*\n", line, cm["data"]["bitcoin.conf"])
    problems = [p for p in _problems(objs) if rule.split(":")[0] + ":" in p]
    assert any(rule in p for p in problems), problems


def test_nonzero_rule_fails() -> None:
    rule = KeyRule(type="int", nonzero=True)
    from l2kit.contracts.keys import value_problems

    assert list(value_problems(rule, "0")) == [
        "must be non-zero (the loader applies no default and rejects zero)"
    ]
    assert list(value_problems(rule, "3")) == []


def test_unknown_section_fails() -> None:
    objs = _objs()
    _conf(objs, "[mainnet]\n")
    assert any("[mainnet]: unknown section" in p for p in _problems(objs))


def test_wrong_container_port_fails() -> None:
    objs = _objs()
    c = _container(objs, "-bitcoind", "bitcoind")
    c["ports"][0]["containerPort"] = 9999
    problems = _problems(objs)
    assert any(
        p.startswith("bitcoind: ports: rpc=9999: not served (serves 18443 rpc") for p in problems
    ), problems


def test_wrong_service_monitor_path_fails() -> None:
    objs = _objs()
    sm = _find(objs, "ServiceMonitor", "-bitcoind")
    sm["spec"]["endpoints"][0]["path"] = "/stats"
    problems = _problems(objs)
    assert any(
        "exporter: ServiceMonitor/devnet-bitcoind: /stats on port 9332: not an HTTP path" in p
        for p in problems
    ), problems


def test_probe_on_unserved_port_fails() -> None:
    objs = _objs()
    c = _container(objs, "-bitcoind", "exporter")
    c["readinessProbe"]["tcpSocket"]["port"] = 9100
    assert any("exporter: readinessProbe: port 9100: not served" in p for p in _problems(objs))


def test_unknown_flag_fails() -> None:
    objs = _objs()
    _container(objs, "-bitcoind", "bitcoind")["args"].append("-rpcthreadz=4")
    assert _problems(objs) == [
        "bitcoind: argv: bitcoind -rpcthreadz: unknown flag (bitcoin/bitcoin@v31.0:src/init.cpp)"
    ]


def test_unknown_flag_in_a_script_fails() -> None:
    objs = _objs()
    cm = _find(objs, "ConfigMap", "-scripts")
    cm["data"]["miner.sh"] = cm["data"]["miner.sh"].replace("-rpcwait ", "-rpcwaitt ")
    problems = _problems(objs)
    assert any(
        p.startswith("miner: script miner.sh: bitcoin-cli -rpcwaitt: unknown flag")
        for p in problems
    ), problems


def test_unknown_subcommand_in_a_probe_script_fails() -> None:
    objs = _objs()
    cm = _find(objs, "ConfigMap", "-scripts")
    cm["data"]["bitcoind-ready.sh"] = cm["data"]["bitcoind-ready.sh"].replace(
        "getblockchaininfo", "getchaininfo"
    )
    assert (
        "bitcoind: script bitcoind-ready.sh: bitcoin-cli getchaininfo: unknown subcommand "
        "(bitcoin/bitcoin@v31.0:src/bitcoin-cli.cpp)" in _problems(objs)
    )


def test_unknown_env_fails() -> None:
    objs = _objs()
    _container(objs, "-bitcoind", "exporter")["env"].append(
        {"name": "REFRESH_SECONDS", "value": "30"}
    )
    [problem] = _problems(objs)
    assert problem.startswith("exporter: env: REFRESH_SECONDS: not read by the component")


def test_tag_bump_fails_until_the_contract_is_written() -> None:
    objs = _objs("bitcoin", "regtest")
    _container(objs, "-bitcoind", "bitcoind")["image"] = "bitcoin/bitcoin:31.1"
    assert _problems(objs) == [
        "bitcoind: image: bitcoin/bitcoin:31.1: pinned tag 31.1 but the contract is for 31.0 "
        "(write the contract for the new tag) "
        "(willcl-ark/bitcoin-core-docker@cedfeda:31.0/Dockerfile#L41-L55)"
    ]


def test_run_as_other_uid_fails() -> None:
    objs = _objs("bitcoin", "regtest")
    _find(objs, "StatefulSet", "-bitcoind")["spec"]["template"]["spec"]["securityContext"][
        "runAsUser"
    ] = 1000
    assert any(
        "bitcoind: securityContext: bitcoind.runAsUser: runs as 1000, the image's user is 101" in p
        for p in _problems(objs)
    )


def test_registry_and_digest_do_not_change_the_contract() -> None:
    assert split_image("registry.example:5000/bitcoin/bitcoin:31.0@sha256:" + "a" * 64) == (
        "registry.example:5000",
        "bitcoin/bitcoin",
        "31.0",
        "sha256:" + "a" * 64,
    )
    assert split_image("bitcoin/bitcoin:31.0") == (None, "bitcoin/bitcoin", "31.0", None)
    assert split_image("localhost/x") == ("localhost", "x", None, None)


def test_script_calls_follow_wrapper_functions() -> None:
    text = 'cli() { bitcoin-cli -regtest -rpcwait "$@"; }\npw | cli -named getblockcount\n'
    assert list(script_calls(text, {"bitcoin-cli"})) == [
        ("bitcoin-cli", ["-regtest", "-rpcwait", "-named", "getblockcount"])
    ]


# --- the loader -------------------------------------------------------------------------------


def test_contract_without_provenance_is_refused() -> None:
    text = (
        "component: x\nsource: {repo: a/b, tag: v1}\n"
        "image: {repository: a/b, tag: v1, provenance: somewhere}\n"
    )
    with pytest.raises(RenderError, match=r"image.provenance: Value error, must be owner/repo"):
        parse(text, "x.yaml")


def test_contract_with_unknown_field_is_refused() -> None:
    text = (
        "component: x\nsource: {repo: a/b, tag: v1}\n"
        "image: {repository: a/b, tag: v1, provenance: 'a/b@v1:Dockerfile'}\nflagz: []\n"
    )
    with pytest.raises(RenderError, match="flagz: Extra inputs are not permitted"):
        parse(text, "x.yaml")


_KEY = st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True)
_VALUE = st.from_regex(r"[A-Za-z0-9./:_-]{0,20}", fullmatch=True)


@given(st.dictionaries(_KEY, _VALUE, max_size=8), st.sampled_from(["regtest", "main"]))
def test_bitcoin_conf_parser_reads_back_what_was_written(
    conf: dict[str, str], section: str
) -> None:
    text = f"# comment\n[{section}]\n" + "".join(f"{k}={v}\n" for k, v in conf.items())
    flat, sections = parse_format("bitcoin-conf", text, lambda _: False)
    assert flat == conf and sections == [section]


@given(st.dictionaries(_KEY, st.dictionaries(_KEY, st.integers() | _VALUE, max_size=4), max_size=4))
def test_toml_and_ini_flatten_to_dotted_paths(tables: dict[str, dict[str, Any]]) -> None:
    toml = "".join(
        f"[{t}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in kv.items())
        for t, kv in tables.items()
    )
    flat, _ = parse_format("toml", toml, lambda _: False)
    assert flat == {f"{t}.{k}": v for t, kv in tables.items() for k, v in kv.items()}
    ini = "".join(
        f"[{t}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()) for t, kv in tables.items()
    )
    flat_ini, _ = parse_format("ini", ini, lambda _: False)
    assert flat_ini == {
        f"{t}.{k}": str(v).strip() for t, kv in tables.items() for k, v in kv.items()
    }


def test_registry_setting_prefixes_images_without_one() -> None:
    text = (
        profiles.init_spec("bitcoin", "regtest")
        .replace("registry: null", "registry: registry.example:5000/mirror")
        .replace("bitcoin/bitcoin:31.0", "bitcoin/bitcoin:31.0@sha256:" + "ab" * 32)
        .replace(
            '"jvstein/bitcoin-prometheus-exporter:v0.7.0"',
            '"ghcr.io/jvstein/bitcoin-prometheus-exporter:v0.7.0"',
        )
    )
    objs = build(text).objects
    sts = _find(objs, "StatefulSet", "-bitcoind")["spec"]["template"]["spec"]
    images = {c["name"]: c["image"] for c in sts["initContainers"] + sts["containers"]}
    assert images == {
        "render-config": "registry.example:5000/mirror/bitcoin/bitcoin:31.0@sha256:" + "ab" * 32,
        "bitcoind": "registry.example:5000/mirror/bitcoin/bitcoin:31.0@sha256:" + "ab" * 32,
        "exporter": "ghcr.io/jvstein/bitcoin-prometheus-exporter:v0.7.0",  # its own registry
    }
    report = check(objs)
    assert report.problems == [] and set(report.checked) == {"bitcoind", "exporter"}


def test_babylond_bls_password_comes_from_the_secret_only() -> None:
    objs = _objs()
    for name in ("init-devnet", "babylond"):
        c = _container(objs, "-babylond", name)
        [env] = [e for e in c["env"] if e["name"] == "BABYLON_BLS_PASSWORD"]
        assert env == {
            "name": "BABYLON_BLS_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "devnet-babylond-bls", "key": "password"}},
        }
    argv = _container(objs, "-babylond", "babylond")["command"]
    # Both the env var and --bls-password-file would be refused by ValidatePasswordMethods.
    assert not any(a.startswith(("--bls-password-file", "--no-bls-password")) for a in argv)


def test_unknown_flag_of_a_subcommand_names_it() -> None:
    objs = _objs()
    _container(objs, "-babylond", "babylond")["command"].append("--bls-pasword-file=x")
    assert _problems(objs) == [
        "babylond: argv: babylond start --bls-pasword-file: unknown flag "
        "(babylonlabs-io/babylon@v4.2.7:cmd/babylond/cmd/root.go#L240-L247)"
    ]


def test_probe_script_calling_an_unserved_path_fails() -> None:
    objs = _objs()
    cm = _find(objs, "ConfigMap", "-scripts")
    cm["data"]["babylond-ready.sh"] = cm["data"]["babylond-ready.sh"].replace("/status", "/statuz")
    [problem] = _problems(objs)
    assert problem.startswith(
        "babylond: script babylond-ready.sh: /statuz on port 26657: not an HTTP path served there"
    )


def test_electrs_runs_on_testnet4_and_dials_a_stable_address() -> None:
    text = profiles.init_spec("bitcoin", "testnet4").replace(
        "    bitcoind:\n", "    electrs: {}\n    bitcoind:\n", 1
    )
    objs = build(text).objects
    report = check(objs)
    assert report.problems == [] and "electrs" in report.checked
    args = _container(objs, "-electrs", "electrs")["args"]
    assert "--network=testnet4" in args
    assert "--daemon-rpc-addr=btc-testnet4-bitcoind-0.btc-testnet4.svc:48332" in args
    svc = _find(objs, "Service", "-bitcoind-0")
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["publishNotReadyAddresses"]
    assert (
        svc["spec"]["selector"]["statefulset.kubernetes.io/pod-name"] == "btc-testnet4-bitcoind-0"
    )


def test_readme_table_is_generated_from_the_contracts() -> None:

    from l2kit.contracts import readme_block

    readme = (ROOT / "README.md").read_text()
    assert readme_block(load_all()) in readme, "run: python -m l2kit.contracts"


def test_credential_env_as_a_literal_fails() -> None:
    objs = _objs()
    c = _container(objs, "-babylond", "babylond")
    c["env"] = [
        e
        if e["name"] != "BABYLON_BLS_PASSWORD"
        else {"name": "BABYLON_BLS_PASSWORD", "value": "password"}
        for e in c["env"]
    ]
    assert _problems(objs) == [
        "babylond: env: BABYLON_BLS_PASSWORD: a credential: must come from a Secret "
        "(secretKeyRef), not a literal (babylonlabs-io/babylon@v4.2.7:app/signer/bls.go#L29)"
    ]


_FLAG = st.from_regex(r"--[a-z][a-z-]{0,10}", fullmatch=True)


@given(st.lists(_FLAG, min_size=1, max_size=6, unique=True), st.data())
def test_known_flags_in_any_order_and_form_pass_and_unknown_ones_fail(
    flags: list[str], data: st.DataObject
) -> None:
    from l2kit.contracts import Command
    from l2kit.contracts.argv import parse_call

    takes_value = flags[: len(flags) // 2]
    spec = Command(
        provenance="a/b@v1:main.go",
        flags=takes_value,
        switches=flags[len(flags) // 2 :],
        subcommands={"start": {}},
    )
    order = data.draw(st.permutations(flags))
    tokens = ["start"]
    for f in order:
        if f in takes_value:
            tokens += data.draw(st.sampled_from([[f"{f}=v"], [f, "v"]]))
        else:
            tokens.append(f)
    call = parse_call("d", spec, tokens)
    assert call.problems == [] and set(call.values) == set(flags)
    unknown = data.draw(_FLAG.filter(lambda f: f not in flags))
    assert parse_call("d", spec, [*tokens, unknown]).problems == [
        (f"d start {unknown}", "unknown flag", "a/b@v1:main.go")
    ]


def test_script_calls_after_shell_keywords_are_found() -> None:
    text = 'if babylond status --home "$h"; then exit 0; fi\nx=$(timeout 9 babylond version)\n'
    assert list(script_calls(text, {"babylond"})) == [
        ("babylond", ["status", "--home", "$h"]),
        ("babylond", ["version"]),
    ]


def test_render_and_validate_report_each_component_contract(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from l2kit.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("bitcoin", "signet"))
    with pytest.raises(SystemExit) as exc:
        main(["render", str(spec), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out.splitlines()
    assert exc.value.code in (0, None)
    assert out[-2:] == [
        "bitcoind: contract: ok (bitcoin/bitcoin@v31.0)",
        "exporter: contract: ok (jvstein/bitcoin-prometheus-exporter@v0.7.0)",
    ]
    with pytest.raises(SystemExit):
        main(["validate", str(spec), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["contracts"] == {
        "bitcoind": "bitcoin/bitcoin@v31.0",
        "exporter": "jvstein/bitcoin-prometheus-exporter@v0.7.0",
    }
    assert data["contracts_pending"] == []
