"""`l2kit monitor fleet-from SPEC`: every derived URL points at a Service (or StatefulSet pod)
and port that the same spec renders, for every profile x network."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from l2kit.cli import main
from l2kit.monitor import fleet as fleet_mod
from l2kit.render import profiles
from l2kit.render.build import build


@pytest.mark.parametrize(("profile", "network"), profiles.supported())
def test_urls_match_rendered_services(
    profile: str, network: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec(profile, network))
    with pytest.raises(SystemExit) as exc:
        main(["monitor", "fleet-from", str(spec)])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    fleet = fleet_mod.parse(yaml.safe_load(out))
    assert fleet.targets

    services = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): {p["port"] for p in o["spec"]["ports"]}
        for o in build(spec.read_text()).objects
        if o["kind"] == "Service"
    }
    for target in fleet.targets:
        urls = [getattr(target, f, None) for f in ("url", "rest_url", "cometbft_url", "l2_rpc_url")]
        for url in filter(None, urls):
            parts = urlsplit(url)
            assert parts.hostname is not None and parts.hostname.endswith(".svc"), url
            labels = parts.hostname.removesuffix(".svc").split(".")
            # <svc>.<ns> or <pod>.<svc-headless>.<ns>
            service, namespace = labels[-2], labels[-1]
            assert (namespace, service) in services, (url, sorted(services))
            assert parts.port in services[(namespace, service)], url
    assert fleet.kubernetes is not None
    for target in fleet.targets:
        if isinstance(target, fleet_mod.BitcoindTarget) and target.auth is not None:
            assert target.auth.password_file is not None
            assert str(target.auth.password_file).startswith("/var/run/secrets/l2kit/")


def test_output_file_and_secrets_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(profiles.init_spec("devnet", "regtest"))
    out = tmp_path / "fleet.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["monitor", "fleet-from", str(spec), "-o", str(out), "--secrets-dir", "/s"])
    assert exc.value.code == 0
    fleet = fleet_mod.load(out)
    kinds = {t.kind for t in fleet.targets}
    assert kinds == {"bitcoind", "babylon", "metrics"}
    roles = {t.role for t in fleet.targets if isinstance(t, fleet_mod.MetricsTarget)}
    assert roles == {
        "exporter",
        "fpd",
        "eotsd",
        "reporter",
        "submitter",
        "monitor",
        "bstracker",
        "covd",
    }
    btc = next(t for t in fleet.targets if isinstance(t, fleet_mod.BitcoindTarget))
    assert btc.auth is not None and str(btc.auth.password_file).startswith("/s/")
    bbn = next(t for t in fleet.targets if isinstance(t, fleet_mod.BabylonTarget))
    assert bbn.bitcoind == btc.name
