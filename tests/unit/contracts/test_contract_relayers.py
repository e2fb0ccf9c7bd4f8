"""Planted mistakes in the vigilante, covd and covenant-signer objects fail the contract check.

Each mistake is one the pinned daemons would crash on (or silently misread), per their sources
quoted in l2kit/contracts/{vigilante,covd,covenant-signer}.yaml; the unmodified devnet render
passes (tests/unit/contracts/test_contracts.py covers every profile x network).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from l2kit.contracts.check import check
from l2kit.render import profiles
from l2kit.render.build import build

Obj = dict[str, Any]
VIG = "devnet-vigilante", "vigilante.yml"
COVD = "devnet-covd", "covd.conf"
SIGNER = "devnet-covenant-signer", "config.toml"


@cache
def _devnet() -> tuple[Obj, ...]:
    return tuple(build(profiles.init_spec("devnet")).objects)


def _objs() -> list[Obj]:
    return copy.deepcopy(list(_devnet()))


def _problems(objs: list[Obj]) -> set[str]:
    return {str(p) for p in check(objs).problems}


def _edit_file(objs: list[Obj], where: tuple[str, str], old: str, new: str) -> None:
    cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == where[0])
    text = cm["data"][where[1]]
    assert old in text, f"{old!r} not in {where}"
    cm["data"][where[1]] = text.replace(old, new, 1)


def _pod(objs: list[Obj], workload: str) -> Obj:
    return next(
        o
        for o in objs
        if o["kind"] in ("StatefulSet", "Deployment") and o["metadata"]["name"] == workload
    )["spec"]["template"]["spec"]


def test_devnet_relayers_meet_their_contracts() -> None:
    report = check(list(_devnet()))
    mine = {"vigilante", "covd", "covenant-signer"}
    assert mine <= set(report.checked)
    assert [str(p) for p in report.problems if p.component in mine] == []
    assert not [
        k
        for k in report.uncovered
        if k.split("/")[0].startswith(("vigilante", "covd", "covenant-signer"))
    ]


# (file, old text, new text, the one problem expected)
FILE_MISTAKES: dict[str, tuple[tuple[str, str], str, str, str]] = {
    "vigilante-log-level-info": (
        VIG,
        "log-level: debug",
        "log-level: info",
        "vigilante: vigilante.yml: common.log-level: must be one of debug, warn, error, panic, "
        "fatal, got 'info' (babylonlabs-io/vigilante@v0.24.3:config/common.go#L45)",
    ),
    "vigilante-missing-indexer": (
        VIG,
        "  indexer-addr: http://devnet-electrs.devnet.svc:3000\n",
        "",
        "vigilante: vigilante.yml: btcstaking-tracker.indexer-addr: missing required key (the "
        "loader applies no default) "
        "(babylonlabs-io/vigilante@v0.24.3:config/btcstaking_tracker.go#L84)",
    ),
    "vigilante-indexer-without-scheme": (  # vigilante's own sample-vigilante.yml form
        VIG,
        "indexer-addr: http://devnet-electrs.devnet.svc:3000",
        "indexer-addr: localhost:3000",
        "vigilante: vigilante.yml: btcstaking-tracker.indexer-addr: must match https?://[^/]+, "
        "got 'localhost:3000' "
        "(babylonlabs-io/vigilante@v0.24.3:config/btcstaking_tracker.go#L84)",
    ),
    "vigilante-misspelt-key": (
        VIG,
        "max-slashing-concurrency:",
        "max-slashing-concurency:",
        "vigilante: vigilante.yml: btcstaking-tracker.max-slashing-concurency: unknown key "
        "(babylonlabs-io/vigilante@v0.24.3:config/config.go#L108-L135)",
    ),
    "vigilante-zero-retry": (
        VIG,
        "retry-sleep-time: 5s",
        "retry-sleep-time: 0s",
        "vigilante: vigilante.yml: common.retry-sleep-time: must be non-zero (the loader "
        "applies no default and rejects zero) "
        "(babylonlabs-io/vigilante@v0.24.3:config/common.go#L48)",
    ),
    "vigilante-duration-as-number": (  # 60 would be read as 60ns
        VIG,
        "fetch-evidence-interval: 30s",
        "fetch-evidence-interval: 60",
        "vigilante: vigilante.yml: btcstaking-tracker.fetch-evidence-interval: must be of type "
        "duration, got 60 "
        "(babylonlabs-io/vigilante@v0.24.3:config/btcstaking_tracker.go#L60)",
    ),
    "vigilante-monitor-depth": (
        VIG,
        "btc-confirmation-depth: 6",
        "btc-confirmation-depth: 3",
        "vigilante: vigilante.yml: monitor.btc-confirmation-depth: must be >= 6, got 3 "
        "(babylonlabs-io/vigilante@v0.24.3:config/monitor.go#L43)",
    ),
    "vigilante-metrics-hostname": (
        VIG,
        "host: 0.0.0.0",
        "host: localhost",
        "vigilante: vigilante.yml: metrics.host: must match [0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*,"
        " got 'localhost' (babylonlabs-io/vigilante@v0.24.3:config/metrics.go#L26-L29)",
    ),
    "covd-log-level": (
        COVD,
        "LogLevel = info",
        "LogLevel = verbose",
        "covd: covd.conf: Application Options.LogLevel: must be one of trace, debug, info, warn,"
        " error, fatal, got 'verbose' "
        "(babylonlabs-io/covenant-emulator@v0.16.1:config/config.go#L38)",
    ),
    "covd-missing-batch-size": (
        COVD,
        "SigsBatchSize = 30\n",
        "",
        "covd: covd.conf: Application Options.SigsBatchSize: missing required key (the loader "
        "applies no default) (babylonlabs-io/covenant-emulator@v0.16.1:config/config.go#L41)",
    ),
    "covd-hmac-key-lowercase": (  # go-flags keys are the Go field names, case-sensitive
        COVD,
        "HMACKey = ",
        "HmacKey = ",
        "covd: covd.conf: remotesigner.HmacKey: unknown key "
        "(babylonlabs-io/covenant-emulator@v0.16.1:config/config.go#L62-L85)",
    ),
    "covd-keyring-backend": (
        COVD,
        "KeyringBackend = test",
        "KeyringBackend = file",
        "covd: covd.conf: babylon.KeyringBackend: must be one of test, got 'file' "
        "(babylonlabs-io/covenant-emulator@v0.16.1:cmd/covd/start.go#L47-L49)",
    ),
    "signer-no-hmac": (
        SIGNER,
        'hmac-key = "@@HMAC_KEY@@"\n',
        "",
        "covenant-signer: config.toml: server-config.hmac-key: missing required key (the loader "
        "applies no default) "
        "(babylonlabs-io/covenant-emulator@v0.16.1:covenant-signer/config/server.go#L12)",
    ),
    "signer-empty-hmac": (
        SIGNER,
        'hmac-key = "@@HMAC_KEY@@"',
        'hmac-key = ""',
        "covenant-signer: config.toml: server-config.hmac-key: must be non-zero (the loader "
        "applies no default and rejects zero) "
        "(babylonlabs-io/covenant-emulator@v0.16.1:covenant-signer/config/server.go#L12)",
    ),
    "signer-metrics-port": (
        SIGNER,
        "port = 2112",
        "port = 812",
        "covenant-signer: config.toml: metrics.port: must be >= 1024, got 812 "
        "(babylonlabs-io/covenant-emulator@v0.16.1:covenant-signer/config/metrics.go#L22-L24)",
    ),
}


@pytest.mark.parametrize("case", sorted(FILE_MISTAKES))
def test_planted_config_mistake_fails(case: str) -> None:
    where, old, new, expected = FILE_MISTAKES[case]
    objs = _objs()
    _edit_file(objs, where, old, new)
    problems = _problems(objs)
    assert expected in problems, sorted(problems)
    assert all(p.startswith(expected.split(":")[0] + ":") for p in problems), sorted(problems)


def _bstracker_flag(objs: list[Obj]) -> None:
    _pod(objs, "devnet-vigilante-bstracker")["containers"][0]["args"].append(
        "--babylon-key-dir=/x"
    )  # the reporter's flag; bstracker's is --babylon-key


def _vigilante_tag(objs: list[Obj]) -> None:
    _pod(objs, "devnet-vigilante-reporter")["containers"][0]["image"] = (
        "babylonlabs/vigilante:v0.24.4"
    )


def _covd_probe_path(objs: list[Obj]) -> None:
    _pod(objs, "devnet-covd")["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/ready"


def _signer_monitor_port(objs: list[Obj]) -> None:
    sm = next(
        o
        for o in objs
        if o["kind"] == "ServiceMonitor" and o["metadata"]["name"] == "devnet-covenant-signer"
    )
    sm["spec"]["endpoints"][0]["port"] = "http"


def _vigilante_port(objs: list[Obj]) -> None:
    _pod(objs, "devnet-vigilante-monitor")["containers"][0]["ports"][0]["containerPort"] = 9090


def _signer_subcommand(objs: list[Obj]) -> None:
    _pod(objs, "devnet-covenant-signer")["containers"][0]["command"][1] = "serve"


POD_MISTAKES: dict[str, tuple[Callable[[list[Obj]], None], str]] = {
    "bstracker-reporter-flag": (
        _bstracker_flag,
        "vigilante: argv: vigilante bstracker --babylon-key-dir: unknown flag "
        "(babylonlabs-io/vigilante@v0.24.3:cmd/vigilante/cmd/btcstaking_tracker.go#L137-L139)",
    ),
    "vigilante-tag-bump": (
        _vigilante_tag,
        "vigilante: image: babylonlabs/vigilante:v0.24.4: pinned tag v0.24.4 but the contract "
        "is for v0.24.3 (write the contract for the new tag) "
        "(babylonlabs-io/vigilante@v0.24.3:Dockerfile#L44-L58)",
    ),
    "covd-readiness-path": (
        _covd_probe_path,
        "covd: readinessProbe: /ready on port 2112: not an HTTP path served there (http "
        "/metrics, /health) "
        "(babylonlabs-io/covenant-emulator@v0.16.1:covenant/service/prometheus.go#L32-L60)",
    ),
    "signer-scraped-on-api-port": (
        _signer_monitor_port,
        "covenant-signer: ServiceMonitor/devnet-covenant-signer: /metrics on port 9791: not an "
        "HTTP path served there (http /v1/sign-transactions, /v1/unlock, /v1/lock, "
        "/v1/public-key) (babylonlabs-io/covenant-emulator@v0.16.1:covenant-signer/"
        "signerservice/server.go#L23-L29)",
    ),
    "vigilante-container-port": (
        _vigilante_port,
        "vigilante: ports: metrics=9090: not served (serves 2112 metrics) (contract "
        "vigilante.yaml from babylonlabs-io/vigilante@v0.24.3)",
    ),
    "signer-unknown-subcommand": (
        _signer_subcommand,
        "covenant-signer: argv: covenant-signer serve: unknown subcommand "
        "(babylonlabs-io/covenant-emulator@v0.16.1:covenant-signer/cmd/root.go#L27-L51)",
    ),
}


@pytest.mark.parametrize("case", sorted(POD_MISTAKES))
def test_planted_pod_mistake_fails(case: str) -> None:
    plant, expected = POD_MISTAKES[case]
    objs = _objs()
    plant(objs)
    problems = _problems(objs)
    assert expected in problems, sorted(problems)


def _relayer_stack(network: str, chain_id: str) -> str:
    """vigilante + covenant against a public Babylon chain (no init profile has them there)."""
    data = yaml.safe_load(profiles.init_spec("devnet"))
    s = data["stacks"][0]
    s.update(name=f"rel-{network}", namespace=f"rel-{network}", network=network)
    for k in ("miner", "babylond", "finalityProvider"):
        s.pop(k)
    s["secrets"].pop("eotsHmac")
    s["babylonChain"] = {
        "chainId": chain_id,
        "version": "v4.2.7",
        "rpcAddr": "http://babylond.babylon.svc:26657",
        "grpcAddr": "http://babylond.babylon.svc:9090",
    }
    s["vigilante"]["genesisConfigMap"] = f"rel-{network}-genesis"
    s["vigilante"]["walletName"] = "checkpoints"
    s["vigilante"]["startHeight"] = 1_500_000
    return str(yaml.safe_dump(data))


@pytest.mark.parametrize(("network", "chain_id"), [("signet", "bbn-test-6"), ("mainnet", "bbn-1")])
def test_relayers_on_public_babylon_chains_meet_their_contracts(
    network: str, chain_id: str
) -> None:
    objs = build(_relayer_stack(network, chain_id)).objects
    report = check(objs)
    assert {"vigilante", "covd", "covenant-signer"} <= set(report.checked)
    assert [str(p) for p in report.problems] == []
    cms = {o["metadata"]["name"]: o["data"] for o in objs if o["kind"] == "ConfigMap"}
    vig = yaml.safe_load(cms[f"rel-{network}-vigilante"]["vigilante.yml"])
    assert vig["btc"]["net-params"] == vig["submitter"]["netparams"] == network
    assert vig["babylon"]["chain-id"] == chain_id and vig["btc"]["wallet-name"] == "checkpoints"
    assert vig["babylon"]["rpc-addr"] == "http://babylond.babylon.svc:26657"
    assert f"BitcoinNetwork = {network}\n" in cms[f"rel-{network}-covd"]["covd.conf"]
    bst = next(
        o
        for o in objs
        if o["metadata"]["name"] == f"rel-{network}-vigilante-bstracker"
        and o["kind"] == "StatefulSet"
    )["spec"]["template"]["spec"]["containers"][0]
    assert bst["args"][0] == "bstracker" and "--start-height=1500000" in bst["args"]
    assert f'chain-id = "{chain_id}"' in cms[f"rel-{network}-covenant-signer"]["config.toml"]


_ROLES = ["reporter", "submitter", "monitor", "bstracker"]


@settings(max_examples=20, deadline=None)
@given(
    network=st.sampled_from(["regtest", "signet", "mainnet"]),
    roles=st.lists(st.sampled_from(_ROLES), min_size=1, max_size=4, unique=True),
    level=st.sampled_from(["debug", "warn", "error", "panic", "fatal"]),
    start=st.integers(min_value=0, max_value=10**7),
    address=st.none() | st.just("bbn1v6k7k9s8md3k29cu9runasstq5zaa0lpznk27w"),
)
def test_any_valid_vigilante_spec_renders_what_vigilante_accepts(
    network: str, roles: list[str], level: str, start: int, address: str | None
) -> None:
    chain = {"signet": "bbn-test-6", "mainnet": "bbn-1"}.get(network)
    data = yaml.safe_load(
        profiles.init_spec("devnet") if chain is None else _relayer_stack(network, chain)
    )
    v = data["stacks"][0]["vigilante"]
    v.update(roles=roles, logLevel=level, startHeight=start, submitterAddress=address)
    assume(address is not None or "submitter" not in roles)
    objs = build(yaml.safe_dump(data)).objects
    report = check(objs)
    assert [str(p) for p in report.problems] == []
    assert {f"vigilante-{r}" for r in roles} == {
        o["metadata"]["labels"]["app.kubernetes.io/component"]
        for o in objs
        if o["kind"] == "StatefulSet" and "vigilante" in o["metadata"]["name"]
    }


def test_only_the_submitter_gets_the_wallet_passphrase() -> None:
    """Least privilege: the wallet Secret reaches the one role that calls walletpassphrase."""
    objs = list(_devnet())
    for role in _ROLES:
        spec = _pod(objs, f"devnet-vigilante-{role}")
        secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        [render] = [c for c in spec["initContainers"] if c["name"] == "render-config"]
        has_wallet = "devnet-btc-wallet" in secrets
        assert has_wallet == (role == "submitter"), role
        assert any(a.startswith("WALLET_PASSPHRASE=") for a in render["command"]) == has_wallet
        assert "devnet-bitcoind-rpc" in secrets and "devnet-vigilante-keyring" in secrets
