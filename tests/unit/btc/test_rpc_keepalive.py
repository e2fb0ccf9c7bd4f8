"""The sync client's plain-http transport (``l2kit.btc.rpc_http``) against a real HTTP server on
127.0.0.1 that can misbehave on demand: one kept-alive connection, an idle connection the node
closed is replaced before a request is written, a connection lost after the request is
``RpcOutcomeUnknown`` for state-changing calls (never repeated) and retried for reads,
refused/timeouts/401/503 mapped as with httpx, credentials never in errors."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from l2kit.btc.rpc import RpcClient
from l2kit.errors import NodeUnreachable, RpcAuthError, RpcOutcomeUnknown

SECRET = "s3cret-Pa55word"


@dataclass
class Seen:
    method: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Action:
    """What the server does with one request: reply, drop the connection, or stall."""

    kind: str = "reply"  # reply | drop | sleep
    status: int = 200
    result: object = None  # a JSON-RPC result, or bytes sent as the raw body
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def reply(result: object, status: int = 200, **headers: str) -> Action:
    return Action("reply", status, result, headers)


DROP = Action("drop")


@dataclass
class Script:
    act: Callable[[int, str], Action]  # (request number from 0, method) -> action
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    close_after_reply: bool = False  # like bitcoind closing an idle connection


def _ok(result: object, id_: object) -> bytes:
    return json.dumps({"result": result, "error": None, "id": id_}).encode()


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        script = self.server.script
        script.connections += 1
        while True:
            request_line = self.rfile.readline()
            if not request_line:
                return
            headers: dict[str, str] = {}
            while (line := self.rfile.readline().decode()) not in ("\r\n", ""):
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            body = json.loads(self.rfile.read(int(headers["content-length"])))
            n = len(script.seen)
            script.seen.append(Seen(body["method"], headers))
            action = script.act(n, body["method"])
            if action.kind == "drop":
                return
            if action.kind == "sleep":
                time.sleep(action.delay)
                return
            payload = (
                action.result
                if isinstance(action.result, bytes)
                else _ok(action.result, body["id"])
            )
            head = [
                f"HTTP/1.1 {action.status} X",
                f"Content-Length: {len(payload)}",
                *(f"{k}: {v}" for k, v in action.headers.items()),
            ]
            self.wfile.write(("\r\n".join([*head, "", ""])).encode() + payload)
            self.wfile.flush()
            if script.close_after_reply or "Connection" in action.headers:
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    script: Script


@pytest.fixture
def serve() -> Iterator[Callable[[Script], str]]:
    servers: list[_Server] = []

    def start(script: Script) -> str:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.script = script
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _answer(result: object) -> Callable[[int, str], Action]:
    return lambda n, method: reply(result)


def test_calls_share_one_connection_and_authenticate(serve: Callable[[Script], str]) -> None:
    script = Script(lambda n, method: reply(n))
    with RpcClient(serve(script), user="u", password=SECRET) as c:
        assert [c.call("getblockhash", i) for i in range(20)] == list(range(20))
        assert c.wallet("w 1").call("getbalance") == 20
    assert script.connections == 1
    expected = "Basic " + base64.b64encode(f"u:{SECRET}".encode()).decode()
    assert {s.headers["authorization"] for s in script.seen} == {expected}
    assert script.seen[0].headers["content-type"] == "application/json"


def test_idle_connection_closed_by_the_node_is_replaced_before_sending(
    serve: Callable[[Script], str],
) -> None:
    script = Script(_answer("txid"), close_after_reply=True)
    with RpcClient(serve(script), user="u", password="p", retry_for=0) as c:
        assert c.call("sendtoaddress", "addr", 1) == "txid"
        time.sleep(0.05)  # the server has closed its end
        assert c.call("sendtoaddress", "addr", 1) == "txid"  # not RpcOutcomeUnknown
    assert [s.method for s in script.seen] == ["sendtoaddress", "sendtoaddress"]
    assert script.connections == 2


def test_lost_after_sending_state_changing_call_is_unknown_and_not_repeated(
    serve: Callable[[Script], str],
) -> None:
    script = Script(lambda n, method: DROP)
    with (
        RpcClient(serve(script), user="u", password=SECRET, retry_for=5) as c,
        pytest.raises(RpcOutcomeUnknown) as exc,
    ):
        c.call("sendtoaddress", "addr", 1)
    assert [s.method for s in script.seen] == ["sendtoaddress"]
    assert SECRET not in str(exc.value)


def test_lost_read_only_call_is_retried(serve: Callable[[Script], str]) -> None:
    script = Script(lambda n, method: DROP if n == 0 else reply(7))
    with RpcClient(serve(script), user="u", password="p", retry_for=5) as c:
        assert c.call("getblockcount") == 7
    assert len(script.seen) == 2 and script.connections == 2


def test_connection_close_reply_opens_a_new_connection(serve: Callable[[Script], str]) -> None:
    script = Script(lambda n, method: reply(n, Connection="close"))
    with RpcClient(serve(script), user="u", password="p", retry_for=0) as c:
        assert [c.call("getblockcount") for _ in range(3)] == [0, 1, 2]
    assert script.connections == 3


def test_refused_is_unreachable_without_secret() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with RpcClient(f"http://u:{SECRET}@127.0.0.1:{port}", retry_for=0) as c:
        with pytest.raises(NodeUnreachable) as exc:
            c.call("sendtoaddress", "addr", 1)  # never sent: safe to say unreachable
        assert SECRET not in str(exc.value) and SECRET not in repr(c)


def test_auth_failure_not_retried_and_busy_retried(serve: Callable[[Script], str]) -> None:
    denied = Script(lambda n, method: reply(b"", 401))
    with (
        RpcClient(serve(denied), user="u", password="p", retry_for=5) as c,
        pytest.raises(RpcAuthError),
    ):
        c.call("getblockcount")
    assert len(denied.seen) == 1
    busy = Script(
        lambda n, method: reply(b"Work queue depth exceeded", 503) if n == 0 else reply(9)
    )
    with RpcClient(serve(busy), user="u", password="p", retry_for=5) as c:
        assert c.call("getblockcount") == 9
    assert len(busy.seen) == 2


def test_read_timeout_maps_by_method(serve: Callable[[Script], str]) -> None:
    script = Script(lambda n, method: Action("sleep", delay=1.0))
    with RpcClient(serve(script), user="u", password="p", timeout=0.2, retry_for=0) as c:
        with pytest.raises(NodeUnreachable):
            c.call("getblockcount")
        with pytest.raises(RpcOutcomeUnknown):
            c.call("sendtoaddress", "addr", 1)


def test_cookie_read_per_request(serve: Callable[[Script], str], tmp_path: Path) -> None:
    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:one")
    script = Script(_answer(1))
    with RpcClient(serve(script), cookie_file=cookie, retry_for=0) as c:
        c.call("getblockcount")
        cookie.write_text("__cookie__:two")  # the node restarted
        c.call("getblockcount")
    got = [base64.b64decode(s.headers["authorization"].split()[1]) for s in script.seen]
    assert got == [b"__cookie__:one", b"__cookie__:two"]
