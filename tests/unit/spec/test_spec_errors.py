"""One test per spec rule: `l2kit render` exits 2, prints one `error: path: rule` line per
problem, and writes nothing (an existing output directory is left untouched)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.cli import run_main

from l2kit.render import profiles

Obj = dict[str, Any]


def spec(profile: str = "devnet", network: str | None = None) -> Obj:
    data: Obj = yaml.safe_load(profiles.init_spec(profile, network))
    return data


def render_errors(data: Obj | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    out_dir = tmp_path / "out"
    code, out, err = run_main(["render", str(path), "-o", str(out_dir)], capsys)
    assert code == 2, (out, err)
    assert not out_dir.exists()
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    return [line.removeprefix("error: ") for line in lines]


def _s(d: Obj) -> Obj:
    stack: Obj = d["stacks"][0]
    return stack


CASES: dict[str, tuple[Callable[[Obj], None], str, str]] = {
    "unknown-field": (lambda d: _s(d).update(bogus=1), "stacks.0.bogus", "unknown field"),
    "latest-image": (
        lambda d: _s(d)["bitcoind"].update(image="bitcoin/bitcoin:latest"),
        "stacks.0.bitcoind.image",
        "latest",
    ),
    "untagged-image": (
        lambda d: _s(d)["bitcoind"].update(image="bitcoin/bitcoin"),
        "stacks.0.bitcoind.image",
        "pinned by tag",
    ),
    "bad-quantity": (
        lambda d: _s(d)["bitcoind"]["resources"].update(memory="lots"),
        "stacks.0.bitcoind.resources.memory",
        "quantity",
    ),
    "prune-range": (
        lambda d: _s(d)["bitcoind"].update(prune=100, txindex=False),
        "stacks.0.bitcoind.prune",
        ">= 550",
    ),
    "prune-negative": (
        lambda d: _s(d)["bitcoind"].update(prune=-1, txindex=False),
        "stacks.0.bitcoind.prune",
        ">= 550",
    ),
    "prune-txindex": (
        lambda d: _s(d)["bitcoind"].update(prune=550),
        "stacks.0.bitcoind.prune",
        "incompatible with txindex",
    ),
    "duplicate-port": (
        lambda d: _s(d)["bitcoind"].update(zmqRawTxPort=29000),
        "stacks.0.bitcoind.zmqRawTxPort",
        "already used",
    ),
    "exporter-port-clash": (
        lambda d: _s(d)["bitcoind"].update(rpcPort=9332),
        "stacks.0.bitcoind.exporter.port",
        "already used",
    ),
    "extra-config-managed": (
        lambda d: _s(d)["bitcoind"].update(extraConfig={"rpcuser": "x"}),
        "stacks.0.bitcoind.extraConfig.rpcuser",
        "set by l2kit",
    ),
    "image-tag-without-contract": (
        lambda d: _s(d)["bitcoind"].update(image="bitcoin/bitcoin:30.2"),
        "stacks.0.bitcoind.image",
        "no config contract for bitcoin/bitcoin:30.2 (written for 31.0)",
    ),
    "exporter-tag-without-contract": (
        lambda d: _s(d)["bitcoind"]["exporter"].update(
            image="jvstein/bitcoin-prometheus-exporter:v0.6.0"
        ),
        "stacks.0.bitcoind.exporter.image",
        "no config contract for jvstein/bitcoin-prometheus-exporter:v0.6.0",
    ),
    "extra-config-unknown": (
        lambda d: _s(d)["bitcoind"].update(extraConfig={"maxconnectionz": 8}),
        "stacks.0.bitcoind.extraConfig.maxconnectionz",
        "not an option of the pinned bitcoind",
    ),
    "extra-config-newline": (
        lambda d: _s(d)["bitcoind"].update(extraConfig={"uacomment": "a\nrpcauth=x"}),
        "stacks.0.bitcoind.extraConfig.uacomment",
        "single line",
    ),
    "vigilante-needs-txindex": (
        lambda d: _s(d)["bitcoind"].update(txindex=False),
        "stacks.0.bitcoind.txindex",
        "needs txindex=true",
    ),
    "bstracker-needs-electrs": (
        lambda d: _s(d).pop("electrs"),
        "stacks.0.vigilante.roles",
        "bstracker needs electrs",
    ),
    "duplicate-roles": (
        lambda d: _s(d)["vigilante"].update(roles=["reporter", "reporter"]),
        "stacks.0.vigilante.roles",
        "without duplicates",
    ),
    "submitter-needs-address": (
        lambda d: _s(d)["vigilante"].pop("submitterAddress"),
        "stacks.0.vigilante.submitterAddress",
        "required by the submitter",
    ),
    "vigilante-info-level": (
        lambda d: _s(d)["vigilante"].update(logLevel="info"),
        "stacks.0.vigilante.logLevel",
        "'debug'",
    ),
    "miner-needs-bitcoind": (
        lambda d: [_s(d).pop(k) for k in ("bitcoind", "electrs", "vigilante")],
        "stacks.0.miner",
        "needs bitcoind",
    ),
    "rpc-secret-missing": (
        lambda d: _s(d)["secrets"].pop("rpc"),
        "stacks.0.secrets.rpc",
        "required by bitcoind",
    ),
    "wallet-secret-missing": (
        lambda d: _s(d)["secrets"].pop("wallet"),
        "stacks.0.secrets.wallet",
        "required",
    ),
    "eots-hmac-missing": (
        lambda d: _s(d)["secrets"].pop("eotsHmac"),
        "stacks.0.secrets.eotsHmac",
        "required by finalityProvider",
    ),
    "eots-key-missing": (
        lambda d: _s(d)["secrets"].pop("eotsKey"),
        "stacks.0.secrets.eotsKey",
        "required by finalityProvider",
    ),
    "fp-guard-accept-bad": (
        lambda d: _s(d)["finalityProvider"]["restoreGuard"].update(acceptRollback="150-100"),
        "stacks.0.finalityProvider.restoreGuard.acceptRollback",
        "should match pattern",
    ),
    "covenant-hmac-missing": (
        lambda d: _s(d)["secrets"].pop("covenantHmac"),
        "stacks.0.secrets.covenantHmac",
        "required by covenant",
    ),
    "babylon-both": (
        lambda d: _s(d).update(
            babylonChain={
                "chainId": "c",
                "rpcAddr": "http://x",
                "grpcAddr": "http://x",
                "version": "v4.2.0",
            }
        ),
        "stacks.0.babylonChain",
        "not both",
    ),
    "babylon-missing": (
        lambda d: _s(d).pop("babylond"),
        "stacks.0.babylonChain",
        "need babylond or babylonChain",
    ),
    "btc-network-mismatch": (
        lambda d: _s(d)["babylond"].update(btcNetwork="signet"),
        "stacks.0.babylond.btcNetwork",
        "must equal",
    ),
    "babylond-local-regtest-only": (
        lambda d: _s(d).update(network="signet"),
        "stacks.0.babylond",
        "regtest only",
    ),
    "covenant-pk-hex": (
        lambda d: _s(d)["babylond"].update(covenantPks=["zz"]),
        "stacks.0.babylond.covenantPks.0",
        "x-only key",
    ),
    "covenant-quorum-half": (
        lambda d: _s(d)["babylond"].update(
            covenantPks=["2d" * 32, "3e" * 32, "4f" * 32], covenantQuorum=1
        ),
        "stacks.0.babylond.covenantQuorum",
        "more than half of the covenantPks (3 keys need a quorum of at least 2)",
    ),
    "covenant-pk-repeated": (
        lambda d: _s(d)["babylond"].update(covenantPks=["2d" * 32, "2d" * 32], covenantQuorum=2),
        "stacks.0.babylond.covenantPks",
        "must not repeat a key",
    ),
    "covenant-quorum": (
        lambda d: _s(d)["babylond"].update(covenantQuorum=2),
        "stacks.0.babylond.covenantQuorum",
        "<= the number",
    ),
    "genesis-account": (
        lambda d: _s(d)["babylond"].update(genesisAccounts=["cosmos1xyz"]),
        "stacks.0.babylond.genesisAccounts.0",
        "pattern",
    ),
    "shared-snapshot": (
        lambda d: _s(d)["vigilante"]["storage"].update(snapshot="snap"),
        "stacks.0.vigilante.storage.snapshot",
        "several volumes",
    ),
    "stack-name": (lambda d: _s(d).update(name="Bad_Name"), "stacks.0.name", "DNS label"),
    "stack-name-length": (lambda d: _s(d).update(name="a" * 31), "stacks.0.name", "at most 30"),
    "network-value": (lambda d: _s(d).update(network="testnet5"), "stacks.0.network", "Input"),
    "duplicate-stacks": (
        lambda d: d["stacks"].append(copy.deepcopy(_s(d))),
        "stacks.1.name",
        "unique",
    ),
    "empty-fleet": (lambda d: d.update(stacks=[]), "stacks", "at least 1"),
    "storage-snapshot-name": (
        lambda d: _s(d)["bitcoind"]["storage"].update(snapshot="A B"),
        "stacks.0.bitcoind.storage.snapshot",
        "DNS subdomain",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mutate, path, rule = CASES[case]
    data = spec()
    mutate(data)
    lines = render_errors(data, tmp_path, capsys)
    assert any(line.startswith(f"{path}: ") and rule in line for line in lines), lines


def test_miner_only_on_regtest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = spec("bitcoin", "signet")
    _s(data)["miner"] = {"intervalSeconds": 5}
    _s(data)["secrets"]["wallet"] = {"existingSecret": "w"}
    assert any(
        line.startswith("stacks.0.miner: only for network regtest")
        for line in render_errors(data, tmp_path, capsys)
    )


@pytest.mark.parametrize("network", ["testnet4", "testnet"])
def test_a_network_babylon_does_not_run_is_refused(
    network: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spec("finality-provider", "signet")
    _s(data)["network"] = network
    assert render_errors(data, tmp_path, capsys) == [
        f"stacks.0.network: Babylon runs no chain on {network} (supported: mainnet (bbn-1), "
        "signet (bbn-test-6), regtest (private devnets))"
    ]


@pytest.mark.parametrize(
    ("network", "chain_id", "rule"),
    [
        ("signet", "bbn-test-5", "Babylon's signet chain is bbn-test-6"),
        ("mainnet", "bbn-test-6", "Babylon's mainnet chain is bbn-1"),
        ("regtest", "bbn-1", "bbn-1 is Babylon's mainnet chain, not a regtest one"),
    ],
)
def test_babylon_chain_id_must_be_the_real_one(
    network: str, chain_id: str, rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spec("finality-provider", network)
    _s(data)["babylonChain"]["chainId"] = chain_id
    [line] = render_errors(data, tmp_path, capsys)
    assert line.startswith(f"stacks.0.babylonChain.chainId: {rule}")


@pytest.mark.parametrize(
    ("where", "version"),
    [("babylonChain", "v4.2.0"), ("babylonChain", "v4.0.0-rc.0"), ("babylond", "v4.3.1")],
)
def test_gadget_needs_bsn_era_babylon(
    where: str, version: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spec("rollup", "regtest")
    if where == "babylonChain":
        _s(data)["babylonChain"]["version"] = version
        field = "stacks.0.babylonChain.version"
    else:
        _s(data).pop("babylonChain")
        _s(data)["babylond"] = {"image": f"babylonlabs/babylond:{version}"}
        field = "stacks.0.babylond.image"
    lines = render_errors(data, tmp_path, capsys)
    assert any(
        line.startswith(f"{field}: babylond {version} lacks x/btcstkconsumer") for line in lines
    ), lines


def test_rollup_secrets_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = spec("rollup", "regtest")
    for key in ("jwt", "l1", "sequencer"):
        _s(data)["secrets"].pop(key)
    lines = render_errors(data, tmp_path, capsys)
    for key in ("jwt", "l1", "sequencer"):
        assert any(line.startswith(f"stacks.0.secrets.{key}: required") for line in lines)


def test_monitor_needs_genesis_with_external_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spec("finality-provider", "signet")
    s = _s(data)
    s["bitcoind"] = {"txindex": True}
    s["electrs"] = {}
    s["secrets"].update(rpc={"existingSecret": "r"}, wallet={"existingSecret": "w"})
    s["vigilante"] = {"keyring": {"existingSecret": "k", "keyName": "vigilante"}}
    assert any(
        line.startswith("stacks.0.vigilante.genesisConfigMap: monitor needs")
        for line in render_errors(data, tmp_path, capsys)
    )


def test_every_problem_is_reported_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spec()
    _s(data)["bitcoind"].update(prune=100, image="x:latest")
    _s(data)["babylond"]["covenantQuorum"] = 5
    lines = render_errors(data, tmp_path, capsys)
    assert len(lines) == 1 and lines[0].startswith("stacks.0.bitcoind.image")  # field errors first
    _s(data)["bitcoind"]["image"] = "bitcoin/bitcoin:31.0"
    lines = render_errors(data, tmp_path, capsys)
    assert {line.split(":")[0] for line in lines} >= {
        "stacks.0.bitcoind.prune",
        "stacks.0.babylond.covenantQuorum",
    }
    assert len(lines) >= 3


@pytest.mark.parametrize(
    "text", ["stacks: [\n", "stacks:\n  - name: a\n   bad: 1\n", "- 1\n", "stacks: {a: 1"]
)
def test_yaml_errors(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = render_errors(text, tmp_path, capsys)
    assert len(lines) == 1 and lines[0].startswith("<")


def test_invalid_spec_leaves_existing_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(profiles.init_spec("bitcoin"))
    out_dir = tmp_path / "out"
    assert run_main(["render", str(good), "-o", str(out_dir)], capsys)[0] == 0
    before = sorted(p.relative_to(out_dir) for p in out_dir.rglob("*"))
    bad = spec("bitcoin")
    _s(bad)["bitcoind"]["prune"] = 3
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    code, _, err = run_main(["render", str(tmp_path / "bad.yaml"), "-o", str(out_dir)], capsys)
    assert code == 2 and "prune" in err
    assert sorted(p.relative_to(out_dir) for p in out_dir.rglob("*")) == before


def test_validate_and_values_exit_2_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = spec("bitcoin")
    _s(bad)["bitcoind"]["prune"] = 3
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    for cmd in ("validate", "values", "secrets"):
        code, out, err = run_main([cmd, str(path)], capsys)
        assert code == 2 and err.startswith("error: stacks.0.bitcoind.prune: ") and out == ""
