"""The rendered bitcoind pieces against a real bitcoind: bitcoin.conf (network section,
rpcauth filled from a Secret file by render-config.sh), the sync-aware probe scripts, the
preStop script and the regtest miner. Everything binds 127.0.0.1 (the rendered 0.0.0.0 binds
are rewritten); ports come from the spec so the scripts find them in the conf.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from l2kit.btc.rpcauth import generate_password, rpcauth_line
from l2kit.regtest import build as bitcoind_build
from l2kit.regtest.ports import free_ports
from l2kit.render import profiles
from l2kit.render.build import build
from l2kit.resources import templates_dir

SCRIPTS = templates_dir() / "scripts"
USER = "l2kit"


@dataclass
class Node:
    env: dict[str, str]
    datadir: Path
    conf: Path
    proc: subprocess.Popen[bytes]
    rpc_port: int
    password: str
    secrets: Path

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            ["bitcoin-cli", f"-conf={self.conf}", f"-datadir={self.datadir}", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def script(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", str(SCRIPTS / name), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def rendered_conf(ports: list[int]) -> str:
    spec = yaml.safe_load(profiles.init_spec("bitcoin", "regtest"))
    b = spec["stacks"][0]["bitcoind"]
    b.update(
        replicas=1,
        rpcPort=ports[0],
        p2pPort=ports[1],
        zmqSequencePort=ports[2],
        zmqRawBlockPort=ports[3],
        zmqRawTxPort=ports[4],
    )
    b["exporter"]["port"] = ports[5]
    spec["stacks"][0]["miner"] = {"initialBlocks": 101, "intervalSeconds": 1}
    spec["stacks"][0]["secrets"]["wallet"] = {"existingSecret": "wallet"}
    objs = build(yaml.safe_dump(spec)).objects
    cm = next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-bitcoind")
    )
    conf: str = cm["data"]["bitcoin.conf"]
    return conf


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    bitcoind = bitcoind_build.find_bitcoind()
    root = tmp_path_factory.mktemp("render-bitcoind")
    ports = free_ports(6)
    (root / "config-template").mkdir()
    # The pod binds 0.0.0.0 (NetworkPolicy guards it); tests bind loopback only.
    template = rendered_conf(ports).replace("0.0.0.0", "127.0.0.1")
    assert "rpcbind=127.0.0.1" in template
    (root / "config-template" / "bitcoin.conf").write_text(template)
    password = generate_password()
    secrets = root / "secrets"
    (secrets / "rpc").mkdir(parents=True)
    (secrets / "wallet").mkdir()
    (secrets / "rpc" / "rpcauth").write_text(rpcauth_line(USER, password) + "\n")
    (secrets / "rpc" / "password").write_text(password)
    (secrets / "wallet" / "passphrase").write_text(generate_password())
    conf = root / "config" / "bitcoin.conf"
    conf.parent.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bitcoind.parent}:{os.environ['PATH']}",
        "BITCOIN_CONF": str(conf),
        "BITCOIN_DATA": str(root / "data"),
        "PROBE_DIR": str(root / "probe"),
        "SECRETS_DIR": str(secrets),
    }
    (root / "data").mkdir()
    (root / "probe").mkdir()
    subprocess.run(
        [
            "/bin/sh",
            str(SCRIPTS / "render-config.sh"),
            str(root / "config-template" / "bitcoin.conf"),
            str(conf),
            f"RPCAUTH={secrets / 'rpc' / 'rpcauth'}",
        ],
        env=env,
        check=True,
    )
    loopback = ["-bind=127.0.0.1"]
    proc = subprocess.Popen(
        [
            str(bitcoind),
            f"-conf={conf}",
            f"-datadir={root / 'data'}",
            "-printtoconsole=0",
            *loopback,
        ],
        env=env,
    )
    n = Node(env, root / "data", conf, proc, ports[0], password, secrets)
    try:
        yield n
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)


def wait_for(pred: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(pred) and pred():
            return
        time.sleep(0.5)
    raise AssertionError("condition not reached")


def test_conf_rendered_with_rpcauth_and_no_password(node: Node) -> None:
    text = node.conf.read_text()
    assert "@@" not in text and f"rpcauth={USER}:" in text and node.password not in text
    assert text.index("[regtest]") < text.index("rpcauth=")
    assert oct(node.conf.stat().st_mode)[-3:] == "400"


def test_startup_probe_passes_once_rpc_answers(node: Node) -> None:
    wait_for(lambda: node.script("bitcoind-startup.sh").returncode == 0)


def test_clients_authenticate_with_the_secret_password(node: Node) -> None:
    wait_for(lambda: node.script("bitcoind-startup.sh").returncode == 0)
    out = subprocess.run(
        [
            "bitcoin-cli",
            "-regtest",
            "-rpcconnect=127.0.0.1",
            f"-rpcport={node.rpc_port}",
            f"-rpcuser={USER}",
            "-stdinrpcpass",
            "getblockcount",
        ],
        input=node.password + "\n",
        env=node.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().isdigit()
    bad = subprocess.run(
        [
            "bitcoin-cli",
            "-regtest",
            "-rpcconnect=127.0.0.1",
            f"-rpcport={node.rpc_port}",
            f"-rpcuser={USER}",
            "-stdinrpcpass",
            "getblockcount",
        ],
        input="wrong\n",
        env=node.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0


def test_readiness_on_regtest_and_ibd_rule(node: Node) -> None:
    wait_for(lambda: node.script("bitcoind-startup.sh").returncode == 0)
    assert node.script("bitcoind-ready.sh", "2", "0").returncode == 0
    info = node.cli("getblockchaininfo")
    in_ibd = '"initialblockdownload": true' in info
    assert (node.script("bitcoind-ready.sh", "2", "1").returncode == 0) is (not in_ibd)


def test_miner_mines_into_an_encrypted_wallet(node: Node) -> None:
    wait_for(lambda: node.script("bitcoind-startup.sh").returncode == 0)
    proc = subprocess.Popen(
        [
            "/bin/sh",
            str(SCRIPTS / "miner.sh"),
            "127.0.0.1",
            str(node.rpc_port),
            USER,
            "default",
            "101",
            "1",
        ],
        env=node.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: int(node.cli("getblockcount")) >= 103, timeout=120)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    assert "mining to bcrt1" in out
    wallet = node.cli("-rpcwallet=default", "getwalletinfo")
    assert '"unlocked_until": 0' in wallet  # passphrase-protected and locked
    assert node.script("bitcoind-ready.sh", "2", "1").returncode == 0  # fresh tip: not IBD


def test_liveness_tolerates_a_quiet_tip_and_fails_when_rpc_is_gone(node: Node) -> None:
    wait_for(lambda: node.script("bitcoind-startup.sh").returncode == 0)
    state = Path(node.env["PROBE_DIR"]) / "bitcoind-live"
    assert node.script("bitcoind-live.sh", "600").returncode == 0
    key = state.read_text().split()[0]
    state.write_text(f"{key} {int(time.time()) - 7200}\n")  # same height for 2h, at the tip
    assert node.script("bitcoind-live.sh", "600").returncode == 0
    # preStop: stop and wait for the process, then liveness counts the silence.
    stop = subprocess.Popen(
        ["/bin/sh", str(SCRIPTS / "bitcoind-stop.sh")],
        env={**node.env, "BITCOIND_PID": str(node.proc.pid)},
    )
    node.proc.wait(timeout=120)  # reap it, as the container runtime would
    assert stop.wait(timeout=30) == 0 and node.proc.returncode == 0
    state.write_text(f"{key} {int(time.time())}\n")
    assert node.script("bitcoind-live.sh", "600").returncode == 0  # silent, but recently seen
    state.write_text(f"{key} {int(time.time()) - 7200}\n")
    result = node.script("bitcoind-live.sh", "600")
    assert result.returncode == 1 and "rpc unanswered" in result.stdout
    assert node.script("bitcoind-startup.sh").returncode == 1


def test_shell_scripts_parse() -> None:
    for script in SCRIPTS.glob("*.sh"):
        subprocess.run(["/bin/sh", "-n", str(script)], check=True)
    if shutil.which("dash"):
        for script in SCRIPTS.glob("*.sh"):
            subprocess.run(["dash", "-n", str(script)], check=True)
