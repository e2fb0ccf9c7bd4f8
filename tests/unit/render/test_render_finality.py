"""The rendered finality provider: contract rules on planted mistakes, secrets only from
Secrets, unlock after every start, single writer, backups and the restore guard."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest
import yaml

from l2kit.contracts.check import check
from l2kit.errors import SpecError
from l2kit.render import profiles
from l2kit.render.build import build, schema_problems
from l2kit.spec import parse_spec

Obj = dict[str, Any]
FP_PROFILES = [(p, n) for p, n in profiles.supported() if p in ("devnet", "finality-provider")]


@cache
def _rendered(
    profile: str = "finality-provider", network: str = "signet", edit: str = ""
) -> tuple[Obj, ...]:
    text = profiles.init_spec(profile, network)
    if edit:
        data = yaml.safe_load(text)
        fp = data["stacks"][0]["finalityProvider"]
        for path, value in json.loads(edit).items():
            *parents, leaf = path.split(".")
            node = fp
            for p in parents:
                node = node[p]
            node[leaf] = value
        text = yaml.safe_dump(data)
    return tuple(build(text).objects)


def objs(edit: dict[str, Any] | None = None) -> list[Obj]:
    return copy.deepcopy(list(_rendered(edit=json.dumps(edit or {}, sort_keys=True))))


def find(items: list[Obj], kind: str, suffix: str) -> Obj:
    return next(o for o in items if o["kind"] == kind and o["metadata"]["name"].endswith(suffix))


def pod(items: list[Obj], comp: str) -> Obj:
    spec: Obj = find(items, "StatefulSet", f"-{comp}")["spec"]["template"]["spec"]
    return spec


def container(items: list[Obj], comp: str, name: str) -> Obj:
    spec = pod(items, comp)
    return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == name)


def problems(items: list[Obj]) -> list[str]:
    """Distinct problems (each container that reads a file reports it: home, eots-key, main)."""
    return sorted({str(p) for p in check(items).problems})


def edit_conf(items: list[Obj], comp: str, old: str, new: str) -> None:
    cm = find(items, "ConfigMap", f"-{comp}")
    key = f"{comp}.conf"
    assert old in cm["data"][key]
    cm["data"][key] = cm["data"][key].replace(old, new)


# --- the contracts hold on every profile/network that runs a finality provider ---------------


@pytest.mark.parametrize(
    ("profile", "network"), FP_PROFILES, ids=[f"{p}-{n}" for p, n in FP_PROFILES]
)
def test_fp_meets_its_contracts(profile: str, network: str) -> None:
    report = check(list(_rendered(profile, network)))
    assert [str(p) for p in report.problems] == []
    assert (
        report.checked["fpd"]
        == report.checked["eotsd"]
        == ("babylonlabs-io/finality-provider@v2.0.2")
    )
    assert not [k for k in report.uncovered if k.split("/")[0] in ("fpd", "eotsd")]


# --- planted mistakes, one per FP rule ------------------------------------------------------


@pytest.mark.parametrize(
    ("comp", "old", "new", "expected"),
    [
        # go-flags gives an empty struct: a left-out key is zero and Validate() refuses it.
        (
            "fpd",
            "BufferSize = 1000\n",
            "",
            "fpd: fpd.conf: chainpollerconfig.BufferSize: missing required key",
        ),
        (
            "fpd",
            "BufferSize = 1000",
            "BufferSize = 0",
            "chainpollerconfig.BufferSize: must be >= 1",
        ),
        (
            "fpd",
            "UpdateInterval = 100ms",
            "UpdateInterval = 0s",
            "fpd: fpd.conf: metrics.UpdateInterval: must be non-zero",
        ),
        ("fpd", "NumPubRand = 50000", "NumPubRand = 0", "NumPubRand: must be >= 1"),
        (
            "eotsd",
            "GRPCMaxContentLength = 16777216\n",
            "",
            "eotsd: eotsd.conf: Application Options.GRPCMaxContentLength: missing required key",
        ),
        # Enums: trace passes go-flags' choice tag but not the logger; keyrings.
        ("eotsd", "LogLevel = info", "LogLevel = trace", "LogLevel: must be one of debug, info"),
        ("eotsd", "KeyringBackend = file", "KeyringBackend = os", "KeyringBackend: must be one of"),
        (
            "fpd",
            "KeyringBackend = test",
            "KeyringBackend = file",
            "fpd: fpd.conf: babylon.KeyringBackend: must be one of test",
        ),
        # Keys match Go field names exactly: a lower-case key is unknown to go-flags.
        (
            "fpd",
            "PollSize = 1000",
            "PollSize = 1000\npollinterval = 1s",
            "fpd: fpd.conf: chainpollerconfig.pollinterval: unknown key",
        ),
        ("eotsd", "[dbconfig]", "[dbconfig]\nDBBackend = bolt", "dbconfig.DBBackend: unknown key"),
        # Auth off: an empty HMAC key disables it in both daemons.
        ("eotsd", "HMACKey = @@HMAC_KEY@@", "HMACKey =", "HMACKey: must be non-zero"),
    ],
)
def test_planted_config_mistake_fails(comp: str, old: str, new: str, expected: str) -> None:
    items = objs()
    edit_conf(items, comp, old, new)
    found = problems(items)
    assert len(found) == 1 and expected in found[0], found


def test_planted_flag_in_the_unlock_hook_fails() -> None:
    items = objs()
    cm = find(items, "ConfigMap", "-scripts")
    cm["data"]["eotsd-unlock.sh"] = cm["data"]["eotsd-unlock.sh"].replace(
        "--rpc-client", "--rpc-address"
    )
    assert problems(items) == [
        "eotsd: script eotsd-unlock.sh: eotsd unlock --rpc-address: "
        "unknown flag (babylonlabs-io/finality-provider@v2.0.2:"
        "eotsmanager/cmd/eotsd/daemon/unlock.go#L63-L72)"
    ]


def test_planted_subcommand_in_the_key_import_fails() -> None:
    items = objs()
    cm = find(items, "ConfigMap", "-scripts")
    cm["data"]["eotsd-key.sh"] = cm["data"]["eotsd-key.sh"].replace("keys show", "keys get")
    found = problems(items)
    assert any(
        "eotsd: script eotsd-key.sh: eotsd keys get: unknown subcommand" in p for p in found
    ), found


def test_planted_wrong_metrics_port_fails() -> None:
    items = objs()
    c = container(items, "eotsd", "eotsd")
    c["ports"][0]["containerPort"] = 2112  # fpd's default, not what eotsd.conf says
    found = problems(items)
    assert any(
        "eotsd: ports: metrics=2112: not served (serves 12582 rpc, 2113 metrics)" in p
        for p in found
    ), found


def test_planted_passphrase_env_literal_fails() -> None:
    items = objs()
    container(items, "eotsd", "eotsd")["env"].append(
        {"name": "EOTSD_KEYRING_PASSWORD", "value": "correct-horse-battery"}
    )
    found = problems(items)
    assert len(found) == 1 and "eotsd: env: EOTSD_KEYRING_PASSWORD:" in found[0], found
    assert "correct-horse-battery" not in found[0]


def test_planted_image_bump_fails_until_the_contract_follows() -> None:
    items = objs()
    for comp in ("fpd", "eotsd"):
        for c in pod(items, comp)["containers"] + pod(items, comp)["initContainers"]:
            c["image"] = "babylonlabs/finality-provider:v2.0.3"
    found = problems(items)
    assert found and all("pinned tag v2.0.3 but the contract is for v2.0.2" in p for p in found)


# --- secrets: only from Secrets, auth really on -----------------------------------------------


def test_hmac_key_reaches_only_the_config_files_in_the_pod() -> None:
    items = objs()
    for comp in ("fpd", "eotsd"):
        conf = find(items, "ConfigMap", f"-{comp}")["data"][f"{comp}.conf"]
        assert "HMACKey = @@HMAC_KEY@@\n" in conf  # the placeholder, never the key
        spec = pod(items, comp)
        hmac_vol = next(v for v in spec["volumes"] if v["name"] == "hmac")
        assert hmac_vol["secret"]["secretName"] == "fp-signet-eots-hmac"
        users = [
            c["name"]
            for c in spec["initContainers"] + spec["containers"]
            if any(m["name"] == "hmac" for m in c.get("volumeMounts", []))
        ]
        assert users == ["render-config"]
        for c in spec["initContainers"] + spec["containers"]:
            names = {e["name"] for e in c.get("env", [])}
            assert "HMAC_KEY" not in names and "EOTSD_KEYRING_PASSWORD" not in names
            assert all("valueFrom" not in e for e in c.get("env", []))


def test_eots_key_comes_from_its_secret_and_is_unlocked_after_every_start() -> None:
    items = objs()
    spec = pod(items, "eotsd")
    key_vol = next(v for v in spec["volumes"] if v["name"] == "eots-key")
    assert key_vol["secret"]["secretName"] == "fp-signet-eots-key"
    names = [c["name"] for c in spec["initContainers"]]
    assert names == ["render-config", "home", "restore-guard", "eots-key"]
    key = container(items, "eotsd", "eots-key")
    assert key["command"][1:4] == [
        "/scripts/eotsd-key.sh",
        "/home/finality-provider/.eotsd",
        "eots",
    ]
    tmp = next(v for v in spec["volumes"] if v["name"] == "key-tmp")
    assert tmp["emptyDir"]["medium"] == "Memory"  # the mnemonic copy never touches a disk
    eotsd = container(items, "eotsd", "eotsd")
    # postStart runs on every start of the container, restarts included.
    assert eotsd["lifecycle"]["postStart"]["exec"]["command"] == [
        "/bin/sh",
        "/scripts/eotsd-unlock.sh",
        "/home/finality-provider/.eotsd",
        "127.0.0.1:12582",
        "/secrets/eots-key/passphrase",
    ]
    conf = find(items, "ConfigMap", "-eotsd")["data"]["eotsd.conf"]
    assert "KeyringBackend = file\n" in conf
    mnemonic_readers = [
        c["name"]
        for c in spec["initContainers"] + spec["containers"]
        if any(m["name"] == "eots-key" for m in c.get("volumeMounts", []))
    ]
    assert mnemonic_readers == ["eots-key"]  # the running daemon gets the passphrase only
    pass_vol = next(v for v in spec["volumes"] if v["name"] == "eots-pass")
    assert pass_vol["secret"]["items"] == [{"key": "passphrase", "path": "passphrase"}]


def test_fpd_finds_eotsd_by_a_name_that_follows_the_pod() -> None:
    conf = find(objs(), "ConfigMap", "-fpd")["data"]["fpd.conf"]
    address = re.search(r"EOTSManagerAddress = (\S+)", conf)
    assert address is not None
    assert address.group(1) == "fp-signet-eotsd-0.fp-signet-eotsd-headless.fp-signet.svc:12582"
    headless = find(objs(), "Service", "-eotsd-headless")["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    # fpd's gRPC has no auth: loopback only; metrics on every interface for Prometheus.
    assert "RPCListener = 127.0.0.1:12581\n" in conf and "Host = 0.0.0.0\n" in conf


# --- single writer ----------------------------------------------------------------------------


@pytest.mark.parametrize("evictable", [False, True])
def test_exactly_one_writer(evictable: bool) -> None:
    items = objs({"allowEviction": evictable})
    for comp in ("fpd", "eotsd"):
        sts = find(items, "StatefulSet", f"-{comp}")["spec"]
        assert sts["replicas"] == 1 and sts["podManagementPolicy"] == "OrderedReady"
        assert sts["updateStrategy"] == {"type": "RollingUpdate"}
        pdb = find(items, "PodDisruptionBudget", f"-{comp}")["spec"]
        assert pdb["maxUnavailable"] == (1 if evictable else 0)
        assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
        assert not [
            o
            for o in items
            if o["kind"] == "Deployment" and o["metadata"]["name"].endswith(f"-{comp}")
        ]
    assert schema_problems(items) == []


# --- backups ----------------------------------------------------------------------------------


def test_backups_snapshot_both_databases_and_never_the_guard() -> None:
    items = objs({"backup.snapshotClass": "csi-snap", "backup.maxCount": 10})
    sched = find(items, "SnapshotSchedule", "-fp-backup")
    assert sched["apiVersion"] == "snapscheduler.backube/v1"
    sel = sched["spec"]["claimSelector"]["matchLabels"]
    assert sched["spec"]["retention"] == {"maxCount": 10}
    assert sched["spec"]["snapshotTemplate"]["snapshotClassName"] == "csi-snap"
    selected = []
    for comp in ("fpd", "eotsd"):
        sts = find(items, "StatefulSet", f"-{comp}")["spec"]
        for claim in sts["volumeClaimTemplates"]:
            claim_labels = {**claim["metadata"].get("labels", {}), **sts["selector"]["matchLabels"]}
            if all(claim_labels.get(k) == v for k, v in sel.items()):
                selected.append(f"{comp}/{claim['metadata']['name']}")
    assert selected == ["fpd/data", "eotsd/data"]
    assert schema_problems(items) == []


def test_backups_off() -> None:
    assert not [o for o in objs({"backup.schedule": None}) if o["kind"] == "SnapshotSchedule"]


@pytest.mark.parametrize("schedule", ["every 6h", "0 */6 * *", "@minutely"])
def test_bad_backup_schedule_is_a_spec_error(schedule: str) -> None:
    data = yaml.safe_load(profiles.init_spec("finality-provider", "signet"))
    data["stacks"][0]["finalityProvider"]["backup"]["schedule"] = schedule
    with pytest.raises(SpecError) as err:
        parse_spec(yaml.safe_dump(data))
    assert "finalityProvider.backup.schedule" in str(err.value)


# --- restore guard ----------------------------------------------------------------------------


def test_restore_guard_runs_before_eots_db_is_opened_on_its_own_volume() -> None:
    items = objs({"restoreGuard.acceptRollback": "150:100"})
    sts = find(items, "StatefulSet", "-eotsd")["spec"]
    claims = {c["metadata"]["name"]: c for c in sts["volumeClaimTemplates"]}
    assert set(claims) == {"data", "guard"}
    assert "dataSource" not in claims["guard"]["spec"]
    assert "l2kit.io/backup" not in claims["guard"]["metadata"].get("labels", {})
    check_cmd = container(items, "eotsd", "restore-guard")["command"]
    assert check_cmd[2:] == [
        "check",
        "/home/finality-provider/data/l2kit-signed-height",
        "/home/finality-provider/guard/l2kit-signed-height",
        "/home/finality-provider/data/eots.db",
        "150:100",
    ]
    recorder = container(items, "eotsd", "sign-guard")["command"]
    assert recorder[2:] == ["record", *check_cmd[3:5], "http://127.0.0.1:2113/metrics", "5"]
    conf = find(items, "ConfigMap", "-eotsd")["data"]["eotsd.conf"]
    assert "DBPath = /home/finality-provider/data\n" in conf  # eots.db beside the data mark
