"""The node's conf text, port picking, amount parsing and datadir guards (no bitcoind)."""

from __future__ import annotations

import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.errors import InputError, NodeError
from l2kit.regtest.conf import NodePorts, render_conf, zmq_endpoints
from l2kit.regtest.node import NodeState, RegtestNode, parse_amount
from l2kit.regtest.ports import free_ports, is_free

PORTS = NodePorts(rpc=20001, p2p=20002, zmq_block=20003, zmq_tx=20004)
AUTH = "l2kit:" + "ab" * 16 + "$" + "cd" * 32
NETWORK_ONLY = ("rpcport", "port", "bind", "rpcbind")


def test_conf_sections_and_loopback() -> None:
    text = render_conf(PORTS, AUTH)
    lines = text.splitlines()
    section = lines.index("[regtest]")
    assert "regtest=1" in lines[:section]
    keys_before = {line.split("=")[0] for line in lines[:section] if "=" in line}
    assert keys_before == {"regtest"}
    body = dict(line.split("=", 1) for line in lines[section + 1 :] if "=" in line)
    for key in NETWORK_ONLY:
        assert key in body
    assert body["rpcport"] == "20001" and body["port"] == "20002"
    assert body["rpcbind"] == body["rpcallowip"] == body["bind"] == "127.0.0.1"
    assert body["rpcauth"] == AUTH and "rpcpassword" not in text and "rpcuser" not in text
    assert body["server"] == body["txindex"] == "1"
    assert body["fallbackfee"] == "0.0002"
    assert body["zmqpubrawblock"] == "tcp://127.0.0.1:20003"
    assert body["zmqpubrawtx"] == "tcp://127.0.0.1:20004"
    assert "0.0.0.0" not in text
    assert "listen=0" in render_conf(PORTS, AUTH, listen=False)


def test_conf_refuses_multiline_auth() -> None:
    with pytest.raises(ValueError):
        render_conf(PORTS, AUTH + "\nrpcallowip=0.0.0.0/0")


def test_zmq_endpoints_cover_topics() -> None:
    eps = zmq_endpoints(PORTS)
    assert eps["rawblock"] == eps["hashblock"] != eps["rawtx"]


def test_free_ports_distinct_and_bindable() -> None:
    ports = free_ports(6)
    assert len(set(ports)) == 6
    assert all(is_free(p) for p in ports)


def test_free_ports_keeps_free_preferred_and_skips_taken() -> None:
    preferred = free_ports(3)
    with socket.socket() as held:
        held.bind(("127.0.0.1", preferred[1]))
        held.listen(1)
        got = free_ports(3, preferred=preferred)
    assert got[0] == preferred[0] and got[2] == preferred[2]
    assert got[1] != preferred[1] and len(set(got)) == 3


def test_free_ports_avoid() -> None:
    first = free_ports(2)
    assert not set(free_ports(2, preferred=first, avoid=first)) & set(first)


@given(st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(21_000_000), places=8))
def test_parse_amount_accepts_sat_precision(amount: Decimal) -> None:
    assert parse_amount(str(amount)) == amount


@pytest.mark.parametrize(
    "text", ["0", "-1", "abc", "", "NaN", "inf", "1e-9", "0.000000001", "21000000.00000001"]
)
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_amount(text)
    assert info.value.field == "amount"


def test_foreign_datadir_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "blocks").mkdir()
    node = RegtestNode(tmp_path)
    with pytest.raises(NodeError, match="another program"):
        node.up()
    with pytest.raises(InputError, match="not an l2kit regtest node"):
        node.down(purge=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocks"]


def test_status_of_missing_datadir_creates_nothing(tmp_path: Path) -> None:
    status = RegtestNode(tmp_path / "nope").status()
    assert status["running"] is False and status["rpc_url"] is None
    assert not (tmp_path / "nope").exists()


def test_node_down_when_never_started(tmp_path: Path) -> None:
    result = RegtestNode(tmp_path / "nope").down(purge=True)
    assert result == {"datadir": str(tmp_path / "nope"), "stopped": False, "purged": False}


def test_corrupt_state_is_reported(tmp_path: Path) -> None:
    (tmp_path / "l2kit-node.json").write_text("{not json")
    with pytest.raises(NodeError, match="unreadable node state"):
        NodeState.load(tmp_path / "l2kit-node.json")
    (tmp_path / "l2kit-node.json").write_text(json.dumps({"pid": 1}))
    with pytest.raises(NodeError):
        NodeState.load(tmp_path / "l2kit-node.json")


def test_mine_rejects_bad_counts_without_a_node(tmp_path: Path) -> None:
    node = RegtestNode(tmp_path)
    for n in (0, -1, 10_001):
        with pytest.raises(InputError):
            node.mine(n)
