"""The rollup profile's honest scope (issue #10 section 5): experimental notices in init and
render, and one `error: path: rule` line (exit 2, nothing written) for what cannot work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.cli import run_main

from l2kit.render import profiles
from l2kit.spec import parse_spec
from l2kit.spec.rules import GADGET_BABYLON_BUILDS, NO_BSN_CHAINS, gadget_compatible

Obj = dict[str, Any]


def rollup_spec(network: str = "regtest") -> Obj:
    data: Obj = yaml.safe_load(profiles.init_spec("rollup", network))
    return data


def stack(data: Obj) -> Obj:
    s: Obj = data["stacks"][0]
    return s


def render(data: Obj, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return run_main(["render", str(path), "-o", str(tmp_path / "out")], capsys)


def refused(data: Obj, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line of a refused spec; nothing is written."""
    code, out, err = render(data, tmp_path, capsys)
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1 and out == "", (out, err)
    assert not (tmp_path / "out").exists()
    return errors[0].removeprefix("error: ")


def test_init_marks_the_profile_experimental(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["init", "--profile", "rollup"], capsys)
    assert code == 0
    assert out.startswith("# EXPERIMENTAL.") and "proof of concept" in out
    assert err.strip() == f"warning: {profiles.EXPERIMENTAL_NOTICE}"
    rollup = parse_spec(out).stacks[0].rollup
    assert rollup is not None and rollup.acknowledge_experimental is False


@pytest.mark.parametrize("profile", ["devnet", "bitcoin", "finality-provider"])
def test_other_profiles_carry_no_notice(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["init", "--profile", profile], capsys)
    assert code == 0 and err == "" and "EXPERIMENTAL" not in out


@pytest.mark.parametrize("network", ["signet", "mainnet"])
def test_init_writes_rollup_for_regtest_only(
    network: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(["init", "--profile", "rollup", "--network", network], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(
        "error: --network: the rollup profile is experimental"
    )
    assert ("rollup", network) not in profiles.supported()


def acknowledged(network: str) -> Obj:
    """The init spec moved to ``network`` with its private BSN-era chain, acknowledged."""
    data = rollup_spec()
    stack(data)["network"] = network
    stack(data)["rollup"]["acknowledgeExperimental"] = True
    return data


@pytest.mark.parametrize("network", ["regtest", "signet", "mainnet"])
def test_render_warns_but_renders(
    network: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = rollup_spec() if network == "regtest" else acknowledged(network)
    code, out, err = render(data, tmp_path, capsys)
    assert code == 0 and "wrote" in out
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert warnings == [line for line in err.splitlines() if line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: stacks.0.rollup: experimental")


def test_validate_warns_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(profiles.init_spec("rollup"))
    code, _, err = run_main(["validate", str(path)], capsys)
    assert code == 0 and err.startswith("warning: stacks.0.rollup: experimental")


@pytest.mark.parametrize(("chain_id", "network"), [("bbn-1", "mainnet"), ("bbn-test-6", "signet")])
def test_refuses_public_chains_without_bsn(
    chain_id: str, network: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert chain_id in NO_BSN_CHAINS
    data = acknowledged(network)
    stack(data)["babylonChain"]["chainId"] = chain_id
    line = refused(data, tmp_path, capsys)
    assert line.startswith(f"stacks.0.babylonChain.chainId: {chain_id} (")
    assert "has no BSN registration" in line


def test_bbn1_on_mainnet_is_refused_even_when_acknowledged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = rollup_spec("regtest")
    stack(data).update(network="mainnet")
    stack(data)["babylonChain"]["chainId"] = "bbn-1"
    stack(data)["rollup"]["acknowledgeExperimental"] = True
    assert refused(data, tmp_path, capsys).startswith("stacks.0.babylonChain.chainId: bbn-1 ")


@pytest.mark.parametrize("network", ["signet", "mainnet"])
def test_public_btc_networks_need_the_acknowledgement(
    network: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = acknowledged(network)
    stack(data)["rollup"]["acknowledgeExperimental"] = False
    assert refused(data, tmp_path, capsys) == (
        f"stacks.0.rollup.acknowledgeExperimental: must be true on network {network}: Babylon's "
        "public chain there has no BSN registration, so the rollup needs a private BSN-era "
        "chain, and the finality gadget is a proof of concept upstream"
    )


def test_without_rollup_a_private_chain_on_signet_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the exemption from Babylon's public chain ids is the rollup's alone
    data = acknowledged("signet")
    del stack(data)["rollup"]
    for key in ("jwt", "l1", "sequencer"):
        del stack(data)["secrets"][key]
    stack(data)["finalityProvider"] = yaml.safe_load(
        profiles.init_spec("finality-provider", "signet")
    )["stacks"][0]["finalityProvider"]
    stack(data)["secrets"]["eotsHmac"] = {"existingSecret": "h"}
    stack(data)["secrets"]["eotsKey"] = {"existingSecret": "k"}
    assert refused(data, tmp_path, capsys).startswith(
        "stacks.0.babylonChain.chainId: Babylon's signet chain is bbn-test-6"
    )


@pytest.mark.parametrize(
    "version", ["v3.0.0-rc.3", "v3.0.0-snapshot.250805", "v4.0.0-snapshot.250925", "v4.2.0"]
)
def test_refuses_babylon_builds_the_gadget_cannot_query(
    version: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # These all lack x/btcstkconsumer Query/FinalityProviders (the v3 snapshots and rcs have
    # the module without that query; 250925 and v4 releases have no module at all).
    data = rollup_spec()
    stack(data)["babylonChain"]["version"] = version
    assert refused(data, tmp_path, capsys).startswith(
        f"stacks.0.babylonChain.version: babylond {version} lacks x/btcstkconsumer"
    )


@pytest.mark.parametrize("version", [*sorted(GADGET_BABYLON_BUILDS), "076f27d5c1a0"])
def test_accepts_builds_with_the_query(version: str) -> None:
    assert gadget_compatible(version)
