"""`l2kit init | render | validate | values | secrets` end to end through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.cli import run_main

from l2kit import __version__
from l2kit.render import manifests, profiles
from l2kit.render.build import build
from l2kit.spec import parse_spec


@pytest.mark.parametrize(("profile", "network"), profiles.supported())
def test_init_prints_a_commented_valid_spec(
    profile: str, network: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(["init", "--profile", profile, "--network", network], capsys)
    assert code == 0 and out.count("#") > 15
    fleet = parse_spec(out)
    assert fleet.stacks[0].network == network


def test_init_refuses_babylon_on_testnet4(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["init", "--profile", "devnet", "--network", "testnet4"], capsys)
    assert code == 2 and "--network" in err


def test_render_tree_summary_and_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("devnet"))
    out_dir = tmp_path / "out"
    code, out, _ = run_main(["render", str(spec), "-o", str(out_dir)], capsys)
    objs = build(spec.read_text()).objects
    files = sorted(out_dir.rglob("*.yaml"))
    assert code == 0 and len(files) == len(objs)
    assert (out_dir / "devnet" / "statefulset-devnet-bitcoind.yaml").is_file()
    assert "devnet/bitcoind" in out and f"wrote {len(objs)} files" in out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert sorted(yaml.safe_load(p.read_text())["metadata"]["name"] for p in files) == sorted(
        o["metadata"]["name"] for o in objs
    )
    code, out, _ = run_main(["render", str(spec), "-o", "-"], capsys)
    assert code == 0 and list(yaml.safe_load_all(out)) == objs


def test_values_render_the_same_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("rollup"))
    code, out, _ = run_main(["values", str(spec)], capsys)
    assert code == 0
    values = yaml.safe_load(out)
    assert values["stacks"][0]["namespace"] == ""  # the Helm release's
    ns = parse_spec(spec.read_text()).stacks[0].namespace
    assert manifests.render_objects(values, namespace=ns) == build(spec.read_text()).objects
    assert values["l2kitVersion"] == __version__ and values["stacks"][0]["statefulSets"]
    code, out, _ = run_main(["values", str(spec), "--pin-namespace"], capsys)
    assert code == 0 and yaml.safe_load(out)["stacks"][0]["namespace"] == ns


def test_generate_secrets_emits_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("devnet"))
    code, out, _ = run_main(["render", str(spec), "-o", "-", "--generate-secrets"], capsys)
    secrets = {o["metadata"]["name"] for o in yaml.safe_load_all(out) if o["kind"] == "Secret"}
    assert code == 0
    assert secrets == {
        "devnet-bitcoind-rpc",
        "devnet-btc-wallet",
        "devnet-eots-hmac",
        "devnet-covenant-hmac",
        "devnet-babylond-bls",
    }
    out_dir = tmp_path / "out"
    assert run_main(["render", str(spec), "-o", str(out_dir), "--generate-secrets"], capsys)[0] == 0
    secret_file = out_dir / "devnet" / "secret-devnet-bitcoind-rpc.yaml"
    assert oct(secret_file.stat().st_mode)[-3:] == "600"


def test_validate_and_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("finality-provider"))
    code, out, _ = run_main(["validate", str(spec)], capsys)
    assert code == 0 and out.startswith("ok: 1 stack(s)") and "schema 1.3" in out
    code, out, _ = run_main(["secrets", str(spec)], capsys)
    assert code == 0 and "Secret fp-signet-eots-hmac  keys: hmac-key" in out
    assert "fp-signet-fpd-keyring" in out
    assert "Secret fp-signet-eots-key  keys: mnemonic, passphrase  (eotsKey)" in out
    assert "--from-file=mnemonic=" in out  # how to make it without the shell history


def test_missing_spec_file_is_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        ["render", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "o")], capsys
    )
    assert code == 2 and "cannot read spec" in err and not (tmp_path / "o").exists()


def test_render_refuses_to_replace_a_foreign_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("bitcoin"))
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    code, _, err = run_main(["render", str(spec), "-o", str(foreign)], capsys)
    assert code == 2 and "not an l2kit render output" in err
    assert (foreign / "precious.txt").read_text() == "keep me"
    out_dir = tmp_path / "out"
    assert run_main(["render", str(spec), "-o", str(out_dir)], capsys)[0] == 0
    assert run_main(["render", str(spec), "-o", str(out_dir)], capsys)[0] == 0  # re-render is fine
    assert (out_dir / ".l2kit-render").is_file()
