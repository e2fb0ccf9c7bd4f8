"""Fleet file model: validation rules, credentials by reference only, threshold overrides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.paths import ROOT

from l2kit.errors import SpecError
from l2kit.monitor import adhoc
from l2kit.monitor import fleet as fleet_mod

EXAMPLE = """
settings: {concurrency: 8, target_timeout: 3}
thresholds:
  bitcoind: {tip_age_warn: 3600}
targets:
  - name: btc
    kind: bitcoind
    url: http://10.0.0.5:8332
    chain: main
    auth: {user: monitor, password_env: BTC_RPC_PASSWORD}
    thresholds: {tip_age_crit: 9000}
  - name: bbn
    kind: babylon
    rest_url: http://bbn:1317/
    cometbft_url: http://bbn:26657
    bitcoind: btc
  - {name: opfgd, kind: gadget, url: "http://opfgd:8080", block_time: 2}
  - {name: fpd, kind: metrics, role: fpd, url: "http://fpd:2112/metrics"}
kubernetes: {namespace: l2kit}
"""


def _problems(doc: Any) -> str:
    with pytest.raises(SpecError) as exc:
        fleet_mod.parse(doc)
    return str(exc.value)


def test_example_loads_and_overrides_merge(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(EXAMPLE)
    fleet = fleet_mod.load(path)
    assert fleet.settings.concurrency == 8 and fleet.settings.request_timeout == 5.0
    btc = fleet.targets[0]
    assert isinstance(btc, fleet_mod.BitcoindTarget)
    merged = fleet_mod.effective(fleet.thresholds.bitcoind, btc.thresholds)
    # global override, target override, default: each from its own level
    assert (merged.tip_age_warn, merged.tip_age_crit, merged.header_lag_warn) == (3600, 9000, 2)
    assert fleet.targets[1].rest_url == "http://bbn:1317"  # type: ignore[union-attr]
    assert fleet.kubernetes is not None
    assert fleet.kubernetes.label_selector == "app.kubernetes.io/part-of=l2kit"


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"user": "u", "password": "s3cret"}, "inline 'password' is not allowed"),
        ({"user": "u", "rpcpassword": "s3cret"}, "inline 'rpcpassword' is not allowed"),
        ({"user": "u"}, "exactly one of"),
        ({"user": "u", "password_file": "/a", "password_env": "B"}, "exactly one of"),
        ({"password_file": "/a"}, "user is required"),
        ({"user": "u", "cookie_file": "/c"}, "do not set it too"),
        ({"user": "u", "password_env": "B", "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_auth_rules(auth: dict[str, Any], message: str) -> None:
    doc = {"targets": [{"name": "b", "kind": "bitcoind", "url": "http://h:1", "auth": auth}]}
    text = _problems(doc)
    assert message in text
    assert "s3cret" not in text


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"targets": [{"name": "a", "kind": "gadget", "url": "http://h"}] * 2}, "duplicate"),
        ({"targets": [{"name": "a", "kind": "nope", "url": "http://h"}]}, "does not match any"),
        ({"targets": [{"name": "a b", "kind": "gadget", "url": "http://h"}]}, "pattern"),
        ({"targets": [{"name": "a", "kind": "metrics", "url": "http://h", "role": "x"}]}, "role"),
        (
            {
                "targets": [
                    {
                        "name": "a",
                        "kind": "babylon",
                        "rest_url": "http://h",
                        "cometbft_url": "http://h",
                        "bitcoind": "zz",
                    }
                ]
            },
            "'zz' is not in the fleet",
        ),
        (
            {
                "targets": [
                    {
                        "name": "a",
                        "kind": "babylon",
                        "rest_url": "http://h",
                        "cometbft_url": "http://h",
                        "finality_providers": ["AB"],
                    }
                ]
            },
            "64 lowercase",
        ),
        ({"settings": {"concurrency": 0}}, "settings.concurrency"),
        ({"thresholds": {"bitcoind": {"tip_age": 1}}}, "thresholds.bitcoind.tip_age"),
        (
            {
                "targets": [
                    {
                        "name": "a",
                        "kind": "gadget",
                        "url": "http://h",
                        "thresholds": {"tip_age_warn": 1},
                    }
                ]
            },
            "Extra inputs",
        ),
    ],
)
def test_invalid_fleets(doc: dict[str, Any], message: str) -> None:
    assert message in _problems(doc)


def test_yaml_errors_are_spec_errors(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("targets: [")
    with pytest.raises(SpecError, match="not valid YAML"):
        fleet_mod.load(path)
    with pytest.raises(SpecError, match="No such file"):
        fleet_mod.load(tmp_path / "missing.yaml")


def test_credentials_resolve_without_leaking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pw = tmp_path / "pw"
    pw.write_text("p4ss\n")
    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:abc")
    rpc_json = tmp_path / "rpc.json"
    rpc_json.write_text(json.dumps({"user": "l2kit", "password": "xyz"}))
    monkeypatch.setenv("PW", "envpass")
    make = fleet_mod.RpcAuth.model_validate
    assert make({"user": "u", "password_file": str(pw)}).resolve() == ("u", "p4ss")
    assert make({"user": "u", "password_env": "PW"}).resolve() == ("u", "envpass")
    assert make({"cookie_file": str(cookie)}).resolve() == ("__cookie__", "abc")
    assert make({"rpc_json_file": str(rpc_json)}).resolve() == ("l2kit", "xyz")
    with pytest.raises(SpecError, match=r"\$NOPE is not set"):
        make({"user": "u", "password_env": "NOPE"}).resolve()
    with pytest.raises(SpecError, match="password_file") as exc:
        make({"user": "u", "password_file": str(tmp_path / "none")}).resolve()
    assert "p4ss" not in str(exc.value)
    assert "p4ss" not in repr(make({"user": "u", "password_file": str(pw)}))


def test_regtest_datadir_target(tmp_path: Path) -> None:
    datadir = tmp_path / "node"
    datadir.mkdir()
    with pytest.raises(Exception, match="not a datadir of `l2kit regtest up`"):
        adhoc.regtest_target(datadir, set())
    (datadir / "rpc.json").write_text('{"user": "l2kit", "password": "x"}')
    (datadir / "bitcoin.conf").write_text("regtest=1\n[regtest]\nrpcport=18555\n")
    stopped = adhoc.regtest_target(datadir, set())
    assert stopped["url"] == "http://127.0.0.1:18555"  # no state file: from bitcoin.conf
    (datadir / "l2kit-node.json").write_text('{"rpc_url": "http://127.0.0.1:18666"}')
    running = adhoc.regtest_target(datadir, set())
    assert running["url"] == "http://127.0.0.1:18666"
    assert running["auth"] == {"rpc_json_file": str(datadir / "rpc.json")}
    fleet_mod.parse({"targets": [running]})


def test_thresholds_help_lists_every_field() -> None:
    text = fleet_mod.thresholds_help()
    for model in (
        fleet_mod.BitcoindThresholds,
        fleet_mod.BabylonThresholds,
        fleet_mod.GadgetThresholds,
        fleet_mod.MetricsThresholds,
        fleet_mod.KubernetesThresholds,
    ):
        for name, field in model.model_fields.items():
            assert f"{name} = " in text
            assert field.description


def test_every_model_field_has_a_description() -> None:
    seen: set[type] = set()

    def walk(model: type) -> None:
        if model in seen or not hasattr(model, "model_fields"):
            return
        seen.add(model)
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            assert field.description, f"{model.__name__}.{name}"
            for arg in getattr(field.annotation, "__args__", ()) or (field.annotation,):
                walk(arg)

    walk(fleet_mod.Fleet)
    for target in (
        fleet_mod.BitcoindTarget,
        fleet_mod.BabylonTarget,
        fleet_mod.GadgetTarget,
        fleet_mod.MetricsTarget,
        fleet_mod.RpcAuth,
    ):
        walk(target)
    assert len(seen) >= 12


def test_example_yaml_round_trips() -> None:
    fleet = fleet_mod.parse(yaml.safe_load(EXAMPLE))
    again = fleet_mod.parse(fleet.model_dump(mode="json", exclude_unset=True))
    assert again == fleet


def test_readme_documents_every_threshold_default() -> None:
    readme = (ROOT / "README.md").read_text()
    defaults = fleet_mod.Thresholds()
    for kind in fleet_mod.Thresholds.model_fields:
        model = getattr(defaults, kind)
        for name, field in type(model).model_fields.items():
            value = field.default
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            assert f"| `{name}` | {shown} | {field.description} |" in readme, name


def test_readme_threshold_table_is_the_generated_one() -> None:
    """Regenerate: replace the README table with ``fleet.thresholds_table()``."""
    readme = (ROOT / "README.md").read_text()
    assert fleet_mod.thresholds_table() + "\n\n" in readme


def test_rpc_clients_are_kept_until_the_credentials_change(tmp_path: Path) -> None:
    import asyncio

    from l2kit.monitor.bitcoind import Clients

    pw = tmp_path / "pw"
    pw.write_text("one")
    target = fleet_mod.BitcoindTarget.model_validate(
        {
            "name": "b",
            "kind": "bitcoind",
            "url": "http://127.0.0.1:1",
            "auth": {"user": "u", "password_file": str(pw)},
        }
    )
    clients = Clients()

    async def run() -> None:
        first = clients.get(target, 5.0)
        assert clients.get(target, 5.0) is first
        pw.write_text("two")  # rotated
        second = clients.get(target, 5.0)
        assert second is not first
        assert "one" not in repr(second) and "two" not in repr(second)
        await clients.aclose()

    asyncio.run(run())
