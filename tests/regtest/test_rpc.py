"""The RPC client against a real bitcoind: auth, retries, warm-up, batches, large replies."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from l2kit.btc.rpc import AsyncRpcClient, BlockchainInfo, RpcClient
from l2kit.errors import NodeUnreachable, RpcAuthError, RpcError, RpcWarmup
from l2kit.regtest import build
from l2kit.regtest.node import RegtestNode
from l2kit.regtest.ports import free_ports

pytestmark = pytest.mark.regtest


class CountingTransport(httpx.HTTPTransport):
    """A real HTTP transport that counts requests and notes RPC error codes in replies."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self.codes: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        response = super().handle_request(request)
        response.read()
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            self.codes.append(int(body["error"]["code"]))
        return response


def test_typed_results(regtest_node) -> None:
    info = regtest_node.rpc.getblockchaininfo()
    assert isinstance(info, BlockchainInfo)
    assert info.chain == "regtest"
    assert info.blocks == info.headers >= 101
    assert info.bestblockhash == regtest_node.rpc.getbestblockhash()
    assert isinstance(info.warnings, tuple)
    assert not info.pruned
    net = regtest_node.rpc.getnetworkinfo()
    assert net.version >= 280000
    assert net.connections_in == 0
    assert regtest_node.rpc.getmempoolinfo().loaded


def test_amounts_are_exact_decimals(regtest_node) -> None:
    wallet = regtest_node.new_wallet(fund_btc=Decimal("1.23456789"))
    balance = wallet.getbalance()
    assert isinstance(balance, Decimal)
    assert balance == Decimal("1.23456789")


def test_wrong_password_fails_fast_without_retries(regtest_node) -> None:
    transport = CountingTransport()
    client = RpcClient(
        regtest_node.rpc_url, user=regtest_node.rpc_user, password="wrong", transport=transport
    )
    with client, pytest.raises(RpcAuthError) as info:
        client.call("getblockcount")
    assert transport.requests == 1  # retry_for defaults to 30 s: auth errors are never retried
    assert info.value.status == 401
    assert "wrong" not in str(info.value)


def test_closed_port_gives_bounded_retries_then_unreachable() -> None:
    (port,) = free_ports(1)  # nothing listens there
    transport = CountingTransport()
    client = RpcClient(
        f"http://127.0.0.1:{port}", user="u", password="p", transport=transport, retry_for=1.0
    )
    with client, pytest.raises(NodeUnreachable) as info:
        client.call("getblockcount")
    assert 2 <= transport.requests <= 30
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    with RpcClient(f"http://127.0.0.1:{port}", retry_for=0, transport=transport) as once:
        before = transport.requests
        with pytest.raises(NodeUnreachable):
            once.call("getblockcount")
        assert transport.requests == before + 1


def test_call_right_after_start_waits_through_warmup(tmp_path: Path) -> None:
    node = RegtestNode(tmp_path / "warm")
    node.up()  # first start: wallet + 101 blocks, so the restart has work to load
    node.down()
    try:
        node._prepare_dir()
        bitcoind = build.find_bitcoind(None)
        user, password = node.credentials()
        from l2kit.btc.rpcauth import rpcauth_line

        state = node._spawn(bitcoind, "x", rpcauth_line(user, password))
        transport = CountingTransport()
        with RpcClient(
            state.rpc_url, user=user, password=password, transport=transport, retry_for=60
        ) as client:
            # Called at once: refused connections and -28 replies are retried until ready.
            assert client.getblockchaininfo().blocks == 101
        assert transport.requests >= 1
        assert set(transport.codes) <= {-28}
    finally:
        node.down(purge=True)


def test_warmup_error_is_typed_when_not_retried(tmp_path: Path) -> None:
    node = RegtestNode(tmp_path / "warm2")
    node.up()
    node.down()
    try:
        bitcoind = build.find_bitcoind(None)
        user, password = node.credentials()
        from l2kit.btc.rpcauth import rpcauth_line

        state = node._spawn(bitcoind, "x", rpcauth_line(user, password))
        seen: set[type] = set()
        with RpcClient(state.rpc_url, user=user, password=password, retry_for=0) as client:
            for _ in range(3000):
                try:
                    client.getblockcount()
                    break
                except (NodeUnreachable, RpcWarmup) as exc:
                    seen.add(type(exc))
        # The node always answers in the end; whatever came before was one of the two types.
        assert seen <= {NodeUnreachable, RpcWarmup}
    finally:
        node.down(purge=True)


def test_batch_in_order_with_item_errors(regtest_node) -> None:
    rpc = regtest_node.rpc
    height = rpc.getblockcount()
    calls = [("getblockcount", []), ("getblockhash", [0]), ("getblockhash", [10**7])]
    results = rpc.batch_results(calls)
    assert results[0] >= height
    assert results[1] == rpc.call("getblockhash", 0)
    assert isinstance(results[2], RpcError) and results[2].code == -8
    assert results[2].method == "getblockhash"
    with pytest.raises(RpcError) as info:
        rpc.batch(calls)
    assert info.value.code == -8
    assert rpc.batch(calls[:2]) == results[:2]


def test_method_errors_carry_code_and_message(regtest_node) -> None:
    with pytest.raises(RpcError) as info:
        regtest_node.rpc.call("nosuchmethod")
    assert info.value.code == -32601
    assert info.value.rpc_message == "Method not found"
    with pytest.raises(RpcError) as info:
        regtest_node.rpc.call("getblockhash", -1)
    assert info.value.code == -8


def test_large_responses(regtest_node) -> None:
    wallet = regtest_node.new_wallet(fund_btc=5)
    addresses = wallet.batch([("getnewaddress", []) for _ in range(1000)])
    assert len(set(addresses)) == 1000
    txid = wallet.call("sendmany", "", {a: Decimal("0.001") for a in addresses})
    (block_hash,) = regtest_node.mine(1)
    block = regtest_node.rpc.call("getblock", block_hash, 2)
    tx = next(t for t in block["tx"] if t["txid"] == txid)
    assert len(tx["vout"]) >= 1000
    assert sum(o["value"] for o in tx["vout"] if o["value"] == Decimal("0.001")) == Decimal("1.0")
    raw = regtest_node.rpc.call("getblock", block_hash, 0)
    assert len(raw) == 2 * block["size"] > 60_000
    assert len(json.dumps(block, default=str)) > 200_000


def test_async_client_against_node(regtest_node) -> None:
    async def run() -> tuple[int, list[object]]:
        async with AsyncRpcClient(
            regtest_node.rpc_url, user=regtest_node.rpc_user, password=regtest_node.rpc_password
        ) as client:
            info = await client.getblockchaininfo()
            pair = await client.batch([("getblockcount", []), ("getblockhash", [0])])
            return info.blocks, pair

    blocks, pair = asyncio.run(run())
    assert pair[0] >= blocks >= 101
    assert pair[1] == regtest_node.rpc.call("getblockhash", 0)


def test_wallet_client_hits_wallet_endpoint(regtest_node) -> None:
    wallet = regtest_node.new_wallet(fund_btc=0)
    assert wallet.call("getwalletinfo")["walletname"] == wallet.wallet_name
    assert wallet.getbalance() == Decimal(0)
