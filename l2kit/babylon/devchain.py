"""A simulated Babylon chain on 127.0.0.1 for tests and ``make demo`` (no babylond runs here).

A real HTTP server (``ThreadingHTTPServer``) answering the REST paths l2kit uses with the
shapes of Babylon's and the Cosmos SDK's sources (see ``l2kit.babylon.models``). Submitted
Cosmos txs are decoded, their signature, account number and sequence checked
(``devchain_state``), and the staking messages run through the chain's rules
(``devchain_btcstaking``); a ticker thread plays the covenant committee and the vigilante and
follows the real regtest bitcoind for the BTC light-client tip.

    with DevChain(rpc=node_rpc, params=params_set, committee=committee) as chain:
        chain.fund(address, 10_000_000)         # ubbn
        chain.url                               # http://127.0.0.1:PORT
        chain.fault("/babylon/btclightclient/v1/tip", 200, b"{}")   # malformed answers

Errors are grpc-gateway bodies ``{"code", "message", "details"}`` with the HTTP status of the
gRPC code (NotFound 404; Babylon module errors are gRPC Unknown → 500).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from l2kit.babylon.devchain_state import DENOM, ChainState, MsgError

__all__ = ["DevChain", "NotFound"]


class NotFound(Exception):
    """→ HTTP 404/500 with a gRPC error body."""

    def __init__(self, message: str, status: int = 404, code: int = 5) -> None:
        super().__init__(message)
        self.status, self.code = status, code


Route = Callable[[re.Match[str], dict[str, list[str]], Any], Any]


class DevChain:
    def __init__(
        self,
        *,
        chain_id: str = "bbn-devnet-1",
        staking: Any = None,
        block_time: float = 0.3,
    ) -> None:
        """``staking``: a ``devchain_btcstaking.BtcStaking`` (None: accounts and txs only)."""
        self.state = ChainState(chain_id)
        self.staking = staking
        if staking is not None:
            staking.install(self.state)
        self.block_time = block_time
        self._faults: dict[str, tuple[int, bytes]] = {}
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []
        self._add_routes()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> DevChain:
        serve = threading.Thread(target=self._server.serve_forever, daemon=True)
        tick = threading.Thread(target=self._ticker, daemon=True)
        self._threads = [serve, tick]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        for t in self._threads:
            t.join(timeout=10)

    def __enter__(self) -> DevChain:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ticker(self) -> None:
        while not self._stop.wait(self.block_time):
            self.tick()

    def tick(self) -> None:
        """One Babylon block: covenant signatures, light-client tip, BTC spends, expiry."""
        with self.state.lock:
            self.state.height += 1
            if self.staking is not None:
                self.staking.tick(self.state.height)

    # --- test knobs -----------------------------------------------------------------------------

    def fund(self, address: str, amount: int) -> None:
        self.state.fund(address, amount)

    def fault(self, path: str, status: int, body: bytes) -> None:
        """Answer ``path`` (exact, without query) with this status and raw body from now on."""
        self._faults[path] = (status, body)

    def clear_faults(self) -> None:
        self._faults.clear()

    # --- routes ---------------------------------------------------------------------------------

    def _route(self, method: str, pattern: str) -> Callable[[Route], Route]:
        def add(fn: Route) -> Route:
            self._routes.append((method, re.compile(pattern + r"\Z"), fn))
            return fn

        return add

    def _add_routes(self) -> None:
        st = self.state

        def get(pattern: str) -> Callable[[Route], Route]:
            return self._route("GET", pattern)

        def post(pattern: str) -> Callable[[Route], Route]:
            return self._route("POST", pattern)

        @get(r"/cosmos/auth/v1beta1/accounts/(?P<addr>[^/]+)")
        def account(m: re.Match[str], q: dict[str, list[str]], body: Any) -> Any:
            acc = st.accounts.get(m["addr"])
            if acc is None:
                raise NotFound(f"account {m['addr']} not found")
            pub = None
            if acc.pubkey:
                pub = {
                    "@type": "/cosmos.crypto.secp256k1.PubKey",
                    "key": base64.b64encode(acc.pubkey).decode(),
                }
            return {
                "account": {
                    "@type": "/cosmos.auth.v1beta1.BaseAccount",
                    "address": acc.address,
                    "pub_key": pub,
                    "account_number": str(acc.account_number),
                    "sequence": str(acc.sequence),
                }
            }

        @get(r"/cosmos/base/tendermint/v1beta1/node_info")
        def node_info(m: re.Match[str], q: dict[str, list[str]], body: Any) -> Any:
            return {
                "default_node_info": {
                    "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                    "default_node_id": "00" * 20,
                    "listen_addr": "tcp://127.0.0.1:26656",
                    "network": st.chain_id,
                    "version": "0.38.22",
                    "channels": "QCAhIiMwOGBhAA==",
                    "moniker": "l2kit-devchain",
                    "other": {"tx_index": "on", "rpc_address": ""},
                },
                "application_version": None,
            }

        @get(r"/cosmos/bank/v1beta1/balances/(?P<addr>[^/]+)/by_denom")
        def balance(m: re.Match[str], q: dict[str, list[str]], body: Any) -> Any:
            acc = st.accounts.get(m["addr"])
            denom = (q.get("denom") or [DENOM])[0]
            amount = acc.balance if acc is not None and denom == DENOM else 0
            return {"balance": {"denom": denom, "amount": str(amount)}}

        @post(r"/cosmos/tx/v1beta1/simulate")
        def simulate(m: re.Match[str], q: dict[str, list[str]], body: Any) -> Any:
            try:
                wanted, used = st.simulate(_tx_bytes(body))
            except MsgError as exc:
                raise NotFound(f"{exc.log}: {exc.codespace} code {exc.code}", 500, 2) from exc
            result = {"data": "", "log": "", "events": [], "msg_responses": []}
            return {
                "gas_info": {"gas_wanted": str(wanted), "gas_used": str(used)},
                "result": result,
            }

        @post(r"/cosmos/tx/v1beta1/txs")
        def broadcast(m: re.Match[str], q: dict[str, list[str]], body: Any) -> Any:
            if body.get("mode") != "BROADCAST_MODE_SYNC":
                raise NotFound("this simulated node only serves BROADCAST_MODE_SYNC", 400, 3)
            return {"tx_response": st.broadcast(_tx_bytes(body)).json()}

        @get(r"/cosmos/tx/v1beta1/txs/(?P<hash>[0-9A-Fa-f]{64})")
        def get_tx(m: re.Match[str], q: dict[str, list[str]], body: Any) -> Any:
            found = st.txs.get(m["hash"].upper())
            if found is None:
                raise NotFound(f"tx not found: {m['hash']}")
            return {"tx": None, "tx_response": found.json()}

        if self.staking is not None:
            for method, pattern, fn in self.staking.routes():
                self._route(method, pattern)(fn)

    def _dispatch(self, method: str, target: str, raw_body: bytes) -> tuple[int, bytes]:
        split = urlsplit(target)
        if split.path in self._faults:
            return self._faults[split.path]
        for m_, pattern, fn in self._routes:
            match = pattern.match(split.path)
            if m_ != method or match is None:
                continue
            try:
                body = json.loads(raw_body) if raw_body else {}
                with self.state.lock:
                    data = fn(match, parse_qs(split.query), body)
            except NotFound as exc:
                return exc.status, _error(exc.code, str(exc))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                return 400, _error(3, f"invalid request: {type(exc).__name__}: {exc}")
            return 200, json.dumps(data, separators=(",", ":")).encode()
        return 501, _error(12, f"Not Implemented: {method} {split.path}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        chain = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, body = chain._dispatch(method, self.path, self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Cosmos-Block-Height", str(chain.state.height))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        return Handler


def _tx_bytes(body: Any) -> bytes:
    return base64.b64decode(str(body["tx_bytes"]), validate=True)


def _error(code: int, message: str) -> bytes:
    return json.dumps({"code": code, "message": message, "details": []}).encode()
