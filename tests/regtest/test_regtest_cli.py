"""`l2kit regtest …` end to end: real bitcoind processes, run through the real CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from support.cli import run_process

from l2kit.btc.rpc import RpcClient
from l2kit.regtest.conf import NodePorts
from l2kit.regtest.node import RegtestNode
from l2kit.regtest.ports import free_ports

pytestmark = pytest.mark.regtest


def ok_json(*args: str) -> dict[str, object]:
    proc = run_process(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


@pytest.fixture
def datadirs(tmp_path: Path) -> Iterator[list[Path]]:
    """Datadirs for this test; any node left in them is stopped afterwards."""
    dirs: list[Path] = []
    yield dirs
    for d in dirs:
        if d.exists() and (d / ".l2kit-regtest").exists():
            RegtestNode(d).down(purge=True)


def new_dir(datadirs: list[Path], tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    datadirs.append(d)
    return d


def rpc_for(datadir: Path, wallet: str | None = None) -> RpcClient:
    creds = json.loads((datadir / "rpc.json").read_text())
    state = json.loads((datadir / "l2kit-node.json").read_text())
    return RpcClient(
        state["rpc_url"], user=creds["user"], password=creds["password"], wallet=wallet
    )


def test_lifecycle(tmp_path: Path, datadirs: list[Path]) -> None:
    d = new_dir(datadirs, tmp_path, "node")
    dd = ("--datadir", str(d))

    first = ok_json("regtest", "up", *dd)
    assert first["started"] is True and first["running"] is True
    assert first["chain"] == "regtest" and first["blocks"] == 101
    assert first["wallet_balance"] == 50.0

    again = ok_json("regtest", "up", *dd)  # no-op
    assert again["started"] is False and again["pid"] == first["pid"]
    assert again["rpc_url"] == first["rpc_url"]

    status = ok_json("regtest", "status", *dd)
    for key in ("chain", "blocks", "headers", "rpc_url", "wallet_balance", "running"):
        assert key in status
    assert status["running"] is True and status["headers"] == 101
    assert str(status["rpc_url"]).startswith("http://127.0.0.1:")
    assert set(status["zmq"]) >= {"rawblock", "rawtx", "hashblock"}  # type: ignore[arg-type]
    human = run_process("regtest", "status", *dd)
    assert human.returncode == 0 and "running" in human.stdout and "blocks" in human.stdout

    # secrets: the conf holds only the salted rpcauth hash; rpc.json is owner-only
    creds = json.loads((d / "rpc.json").read_text())
    conf = (d / "bitcoin.conf").read_text()
    assert creds["password"] not in conf
    assert "rpcpassword" not in conf and f"rpcauth={creds['user']}:" in conf
    assert stat.S_IMODE((d / "rpc.json").stat().st_mode) == 0o600
    for proc in (human, run_process("regtest", "up", *dd)):
        assert creds["password"] not in proc.stdout + proc.stderr

    mined = ok_json("regtest", "mine", "5", *dd)
    assert mined["count"] == 5 and mined["height"] == 106
    after_mine = ok_json("regtest", "status", *dd)
    assert after_mine["wallet_balance"] == 300.0  # 6 matured coinbases of 50

    with rpc_for(d) as rpc:
        rpc.call("createwallet", "other")
        other = rpc.wallet("other")
        address = other.getnewaddress()
        funded = ok_json("regtest", "fund", address, "2.5", *dd)
        assert len(str(funded["txid"])) == 64
        assert other.getbalance() == Decimal("2.5")
        tx = other.call("gettransaction", funded["txid"])
        assert tx["confirmations"] == 1
        to = ok_json("regtest", "mine", "1", "--to", address, *dd)
        assert to["height"] == 108
        assert other.call("getbalances")["mine"]["immature"] == Decimal(50)

    # bad input → exit 2, one line naming the field
    bad_address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt081"  # checksum broken
    for args, field in [
        (("mine", "0"), "N"),
        (("mine", "abc"), "N"),
        (("mine", "--", "-3"), "N"),
        (("mine", "--to", "notanaddress", "1"), "address"),
        (("fund", bad_address, "1"), "address"),
        (("fund", "--", address, "-1"), "amount"),
        (("fund", address, "abc"), "amount"),
        (("fund", address, "0.000000001"), "amount"),
    ]:
        bad = run_process("regtest", args[0], *dd, *args[1:])
        assert bad.returncode == 2, (args, bad.stderr)
        assert bad.stderr.startswith(f"error: {field}:"), bad.stderr

    down = ok_json("regtest", "down", *dd)
    assert down["stopped"] is True
    stopped = run_process("regtest", "status", "--json", *dd)
    assert stopped.returncode == 0
    assert json.loads(stopped.stdout)["running"] is False
    assert "not running" in run_process("regtest", "status", *dd).stdout
    down_mine = run_process("regtest", "mine", "1", *dd)
    assert down_mine.returncode == 1 and "l2kit regtest up" in down_mine.stderr

    # restart keeps the chain and wallet
    restarted = ok_json("regtest", "up", *dd)
    assert restarted["started"] is True and restarted["blocks"] == 108

    purged = ok_json("regtest", "down", "--purge", *dd)
    assert purged["stopped"] is True and purged["purged"] is True
    assert not d.exists()


def test_default_datadir_comes_from_data_dir(tmp_path: Path) -> None:
    env = {"L2KIT_DATA_DIR": str(tmp_path / "data")}
    proc = run_process("regtest", "status", "--json", env=env)
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["running"] is False
    assert data["datadir"] == str(tmp_path / "data" / "regtest")


def test_two_nodes_side_by_side(tmp_path: Path, datadirs: list[Path]) -> None:
    a, b = new_dir(datadirs, tmp_path, "a"), new_dir(datadirs, tmp_path, "b")
    sa = ok_json("regtest", "up", "--datadir", str(a))
    sb = ok_json("regtest", "up", "--datadir", str(b))
    assert sa["rpc_url"] != sb["rpc_url"] and sa["pid"] != sb["pid"]
    assert set(sa["zmq"].values()).isdisjoint(sb["zmq"].values())  # type: ignore[union-attr]
    ok_json("regtest", "mine", "3", "--datadir", str(a))
    assert ok_json("regtest", "status", "--datadir", str(a))["blocks"] == 104
    assert ok_json("regtest", "status", "--datadir", str(b))["blocks"] == 101
    ok_json("regtest", "down", "--datadir", str(a))
    assert ok_json("regtest", "status", "--datadir", str(b))["running"] is True


def test_taken_port_is_avoided(tmp_path: Path, datadirs: list[Path]) -> None:
    preferred = NodePorts(*free_ports(4))
    d = new_dir(datadirs, tmp_path, "ports")
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", preferred.rpc))
        holder.listen(1)  # someone else's server on the port we would have picked
        node = RegtestNode(d, preferred_ports=preferred)
        try:
            node.up()
            state = node.state()
            assert state is not None
            assert state.rpc_port != preferred.rpc
            assert state.p2p_port == preferred.p2p  # the free preferred ones are still used
            assert node.rpc().getblockcount() == 101
        finally:
            node.down()
    finally:
        holder.close()


def test_foreign_datadir_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "someone-elses"
    d.mkdir()
    (d / "wallet.dat").write_bytes(b"\x00" * 16)
    (d / "bitcoin.conf").write_text("rpcpassword=theirs\n")
    before = sorted(p.name for p in d.iterdir())
    proc = run_process("regtest", "up", "--datadir", str(d))
    assert proc.returncode == 1
    assert "another program" in proc.stderr
    # down: bad input (exit 2), one line saying why; nothing is purged
    for args in (("down", "--purge"), ("down",)):
        proc = run_process("regtest", *args, "--datadir", str(d))
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
        assert "not an l2kit regtest node" in lines[0] and "pick an empty" not in lines[0]
    assert sorted(p.name for p in d.iterdir()) == before
    assert (d / "bitcoin.conf").read_text() == "rpcpassword=theirs\n"


def test_startup_failure_reports_the_nodes_own_error(tmp_path: Path) -> None:
    d = tmp_path / "broken"
    (d / "regtest").mkdir(parents=True)
    (d / ".l2kit-regtest").touch()
    (d / "regtest" / "settings.json").write_text("{not json")  # bitcoind refuses to start
    proc = run_process("regtest", "up", "--datadir", str(d))
    assert proc.returncode == 1
    assert "exited during startup" in proc.stderr
    assert "Settings file" in proc.stderr  # bitcoind's own words
    assert not (d / "l2kit-node.json").exists()
    assert run_process("regtest", "status", "--json", "--datadir", str(d)).returncode == 0


def test_crashed_node_is_restarted_and_slow_stop_is_killed(
    tmp_path: Path, datadirs: list[Path]
) -> None:
    d = new_dir(datadirs, tmp_path, "crash")
    first = ok_json("regtest", "up", "--datadir", str(d))
    os.kill(int(first["pid"]), signal.SIGKILL)  # type: ignore[call-overload]
    node = RegtestNode(d)
    for _ in range(100):
        if not node.running():
            break
        time.sleep(0.1)
    assert ok_json("regtest", "status", "--datadir", str(d))["running"] is False
    second = ok_json("regtest", "up", "--datadir", str(d))
    assert second["started"] is True and second["pid"] != first["pid"]
    # stop_timeout=0: the graceful stop is not awaited, so the SIGKILL fallback runs
    result = RegtestNode(d, stop_timeout=0).down()
    assert result["stopped"] is True
    assert RegtestNode(d).status()["running"] is False


def test_down_while_still_starting(tmp_path: Path) -> None:
    from l2kit.btc.rpcauth import rpcauth_line
    from l2kit.regtest import build

    node = RegtestNode(tmp_path / "early")
    node.up()  # a wallet and blocks to load make the restart's warm-up longer
    node.down()
    user, password = node.credentials()
    state = node._spawn(build.find_bitcoind(None), "x", rpcauth_line(user, password))
    result = node.down(purge=True)  # RPC stop may answer -28 now: SIGTERM then
    assert result["stopped"] is True and result["purged"] is True
    assert not (tmp_path / "early").exists()
    with pytest.raises(ProcessLookupError):  # exited and reaped (it was our child)
        os.kill(state.pid, 0)


def test_bad_bitcoind_flag_changes_nothing(tmp_path: Path) -> None:
    d = tmp_path / "never"
    proc = run_process("regtest", "up", "--datadir", str(d), "--bitcoind", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --bitcoind:")
    assert not d.exists()
