"""RPC client behaviour a real bitcoind cannot be made to show on demand (httpx.MockTransport).

Everything a real node can give (auth failures, -28, batches, large replies) is tested
against one in tests/regtest/test_rpc.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.btc.rpc import AsyncRpcClient, BlockchainInfo, NetworkInfo, RpcClient
from l2kit.errors import (
    InputError,
    NodeUnreachable,
    RpcError,
    RpcOutcomeUnknown,
    RpcWarmup,
)

URL = "http://127.0.0.1:18443"
SECRET = "s3cret-Pa55word"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that replays scripted replies and records requests."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def body(self, i: int = -1) -> object:
        return json.loads(self.requests[i].content)


def ok(result: object, id_: int = 1) -> httpx.Response:
    return httpx.Response(200, json={"result": result, "error": None, "id": id_})


def err(code: int, message: str, status: int = 500) -> httpx.Response:
    return httpx.Response(
        status, json={"result": None, "error": {"code": code, "message": message}}
    )


def client(rec: Recorder, **kwargs: object) -> RpcClient:
    return RpcClient(
        URL,
        user="u",
        password=SECRET,
        transport=httpx.MockTransport(rec),
        **kwargs,  # type: ignore[arg-type]
    )


def test_busy_503_is_retried_then_succeeds() -> None:
    rec = Recorder(httpx.Response(503, text="Work queue depth exceeded"), ok(7))
    with client(rec, retry_for=5.0) as c:
        assert c.call("getblockcount") == 7
    assert len(rec.requests) == 2


def test_warmup_is_retried_until_ready() -> None:
    rec = Recorder(err(-28, "Loading block index…"), err(-28, "Verifying blocks…"), ok(0))
    with client(rec, retry_for=5.0) as c:
        assert c.call("getblockcount") == 0
    assert len(rec.requests) == 3


def test_warmup_with_retries_disabled_raises_once() -> None:
    rec = Recorder(err(-28, "Loading wallet…"))
    with client(rec, retry_for=0) as c, pytest.raises(RpcWarmup) as info:
        c.call("getblockcount")
    assert info.value.code == -28
    assert len(rec.requests) == 1


def test_lost_reply_of_state_changing_call_is_not_retried() -> None:
    rec = Recorder(httpx.ReadTimeout("timed out"))
    with client(rec, retry_for=5.0) as c, pytest.raises(RpcOutcomeUnknown) as info:
        c.call("sendtoaddress", "bcrt1q", Decimal("1"))
    assert len(rec.requests) == 1
    assert info.value.method == "sendtoaddress"
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


def test_lost_reply_of_read_only_call_is_retried() -> None:
    rec = Recorder(httpx.RemoteProtocolError("reset"), ok(5))
    with client(rec, retry_for=5.0) as c:
        assert c.call("getblockcount") == 5
    assert len(rec.requests) == 2


def test_connect_error_maps_to_unreachable_and_chains() -> None:
    rec = Recorder(httpx.ConnectError("refused"))
    with client(rec, retry_for=0) as c, pytest.raises(NodeUnreachable) as info:
        c.call("sendtoaddress", "x", 1)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert SECRET not in str(info.value)


def test_non_json_error_body() -> None:
    rec = Recorder(httpx.Response(500, text="<html>proxy error</html>"))
    with client(rec, retry_for=0) as c, pytest.raises(RpcError) as info:
        c.call("getblockcount")
    assert info.value.code == 500
    assert "proxy error" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [[1, 2], {"id": 1}, {"error": "plain string", "result": None}],
)
def test_malformed_replies_are_rpc_errors(body: object) -> None:
    rec = Recorder(httpx.Response(200, json=body))
    with client(rec, retry_for=0) as c, pytest.raises(RpcError):
        c.call("getblockcount")


def test_batch_reorders_by_id_and_maps_item_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)
        replies = [
            {"id": items[1]["id"], "result": None, "error": {"code": -8, "message": "bad height"}},
            {"id": items[0]["id"], "result": 42, "error": None},
        ]
        return httpx.Response(200, json=replies)

    with RpcClient(URL, transport=httpx.MockTransport(handler), retry_for=0) as c:
        calls = [("getblockcount", []), ("getblockhash", [10**6])]
        results = c.batch_results(calls)
        assert results[0] == 42
        assert isinstance(results[1], RpcError) and results[1].code == -8
        assert results[1].method == "getblockhash"
        with pytest.raises(RpcError, match="bad height"):
            c.batch(calls)
        assert c.batch([]) == []


def test_batch_reply_of_wrong_length() -> None:
    rec = Recorder(httpx.Response(200, json=[{"id": 1, "result": 1, "error": None}]))
    with client(rec, retry_for=0) as c, pytest.raises(RpcError, match="does not match"):
        c.batch([("getblockcount", []), ("getbestblockhash", [])])


def test_amounts_exact_both_ways() -> None:
    rec = Recorder(httpx.Response(200, content=b'{"result": 20999999.99999999, "error": null}'))
    with client(rec) as c:
        got = c.call("sendtoaddress", "addr", Decimal("0.00000001"))
    assert got == Decimal("20999999.99999999")
    assert rec.body()["params"] == ["addr", "0.00000001"]  # type: ignore[index]


def test_unserialisable_param_is_a_type_error() -> None:
    rec = Recorder(ok(1))
    with client(rec) as c, pytest.raises(TypeError):
        c.call("echo", object())


def test_secrets_never_in_repr_or_errors() -> None:
    rec = Recorder(httpx.Response(401))
    c = RpcClient(f"http://alice:{SECRET}@127.0.0.1:18443", transport=httpx.MockTransport(rec))
    with c:
        assert SECRET not in repr(c) and SECRET not in str(c) and "alice" not in c.url
        assert SECRET not in repr(c.wallet("w"))
        with pytest.raises(RpcError) as info:
            c.call("getblockcount")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    # credentials from the URL are used as basic auth, not sent in the URL
    assert rec.requests[0].headers["authorization"].startswith("Basic ")
    assert rec.requests[0].url.userinfo == b""


def test_wallet_path_is_quoted_and_shares_settings() -> None:
    rec = Recorder(httpx.Response(200, content=b'{"result": 1.50000000, "error": null}'))
    with client(rec) as c:
        w = c.wallet("my wallet/x")
        assert w.getbalance() == Decimal("1.5")
        assert w.url.endswith("/wallet/my%20wallet%2Fx")
        assert w.wallet_name == "my wallet/x"
    assert rec.requests[0].url.raw_path == b"/wallet/my%20wallet%2Fx"


def test_cookie_auth_reads_file_per_request(tmp_path: Path) -> None:
    cookie = tmp_path / ".cookie"
    rec = Recorder(ok(1))
    with RpcClient(URL, cookie_file=cookie, transport=httpx.MockTransport(rec), retry_for=0) as c:
        with pytest.raises(NodeUnreachable, match="no cookie file"):
            c.call("getblockcount")
        cookie.write_text("__cookie__:abc")
        assert c.call("getblockcount") == 1
        assert "abc" not in repr(c)
    assert (
        rec.requests[-1].headers["authorization"]
        == httpx.BasicAuth("__cookie__", "abc")._auth_header
    )


@pytest.mark.parametrize("url", ["ftp://x:1", "127.0.0.1:18443", "http://:80", "http://h:99999"])
def test_bad_url_is_input_error(url: str) -> None:
    with pytest.raises(InputError) as info:
        RpcClient(url)
    assert info.value.field == "rpc url"


def test_half_credentials_rejected() -> None:
    with pytest.raises(InputError):
        RpcClient(URL, user="u")


def test_models_accept_old_and_new_warnings() -> None:
    base = {
        "chain": "regtest",
        "blocks": 1,
        "headers": 1,
        "bestblockhash": "00" * 32,
        "verificationprogress": 1,
        "initialblockdownload": False,
        "pruned": False,
    }
    assert BlockchainInfo.model_validate({**base, "warnings": ""}).warnings == ()
    assert BlockchainInfo.model_validate({**base, "warnings": "w"}).warnings == ("w",)
    assert BlockchainInfo.model_validate({**base, "warnings": ["a", "b"]}).warnings == ("a", "b")
    info = BlockchainInfo.model_validate({**base, "future_field": 1})
    with pytest.raises(ValueError):
        info.blocks = 2  # type: ignore[misc]
    net = {
        "version": 280000,
        "subversion": "/Satoshi:28.0.0/",
        "protocolversion": 70016,
        "connections": 3,
        "networkactive": True,
        "relayfee": Decimal("0.00001"),
    }
    assert NetworkInfo.model_validate(net).connections_in is None


def test_async_client_retries_warmup_and_batches() -> None:
    rec = Recorder(err(-28, "Loading"), ok(3))

    async def run() -> tuple[object, object]:
        async with AsyncRpcClient(URL, transport=httpx.MockTransport(rec), retry_for=5.0) as c:
            first = await c.call("getblockcount")
            rec.replies = [
                httpx.Response(
                    200,
                    json=[
                        {"id": 3, "result": "h", "error": None},
                        {"id": 4, "result": 9, "error": None},
                    ],
                )
            ]
            second = await c.batch([("getbestblockhash", []), ("getblockcount", [])])
            return first, second

    first, second = asyncio.run(run())
    assert first == 3
    assert second == ["h", 9]


@given(st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(21_000_000), places=8))
def test_decimal_params_roundtrip(amount: Decimal) -> None:
    rec = Recorder(ok(None))
    with client(rec) as c:
        c.call("sendtoaddress", "a", amount)
    sent = rec.body()["params"][1]  # type: ignore[index]
    assert Decimal(sent) == amount


def test_named_params_sent_as_object() -> None:
    rec = Recorder(ok({"name": "w"}))
    with client(rec) as c:
        assert c.call_named("createwallet", wallet_name="w", load_on_startup=True) == {"name": "w"}
    assert rec.body()["params"] == {"wallet_name": "w", "load_on_startup": True}  # type: ignore[index]

    async def run() -> object:
        fresh = Recorder(ok({"name": "w"}))  # a response object serves one client kind
        async with AsyncRpcClient(URL, transport=httpx.MockTransport(fresh)) as ac:
            return await ac.call_named("createwallet", wallet_name="w")

    assert asyncio.run(run()) == {"name": "w"}


@pytest.mark.parametrize(
    "module", ["l2kit.btc.rpc", "l2kit.btc.rpcauth", "l2kit.regtest.node", "l2kit.regtest.build"]
)
def test_public_names_exist(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), name


def test_tls_verification_kept_for_https_only() -> None:
    with RpcClient(URL) as plain, RpcClient("https://node.example:8332") as tls:
        assert plain._tls is False  # http: no TLS at all, so no CA bundle to load
        assert tls._tls is True
