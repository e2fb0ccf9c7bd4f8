"""A real HTTP server on 127.0.0.1 serving the replay fixtures, for ``l2kit monitor`` tests.

One ``ThreadingHTTPServer``; each simulated endpoint lives under its own path prefix
(``http://127.0.0.1:PORT/<prefix>``), so one server can play a whole fleet (or 1,000 targets).
Routes can be mutated per prefix (jailed provider, stalled finality, ...) and given faults:
a delay, an HTTP status, a wrong content type, a malformed or truncated body.

The server counts requests in flight (from the request line until the reply is about to be
written, or until the client hangs up on a slow reply), and the maximum ever seen.
"""

from __future__ import annotations

import copy
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from support.paths import DATA

FIXTURES = DATA / "monitor"  # copy of shared/fixtures
JSON = "application/json"
PROM = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
TEXT = "text/plain; charset=utf-8"

# The devnet's signing window is 100 blocks (50 misses allowed): at 10 s a block a provider
# is ~8 minutes from jail once it stops voting, so the fleets that model it say so.
DEVNET_BABYLON_THRESHOLDS = {"fp_jail_runway_warn": 300, "fp_jail_runway_crit": 60}

ALPHA = "c3ce3b1d68f29b40f86906f7fcd8ecc46c682f1b19cc6645640935421a87325d"
BRAVO = "d9beb77562c38822277f96f940d3fe5b95545977353bd07ac65c81b865fded60"
CHARLIE = "1608ece88b3b2a4446b1f8fc8c5c3c045891cdc6a80fdd5c49fd085fb36f4fd0"


@dataclass(frozen=True)
class Route:
    body: bytes
    status: int = 200
    content_type: str = JSON
    delay: float = 0.0
    truncate: bool = False  # promise more bytes than are sent, then hang up


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def jroute(data: Any, **kw: Any) -> Route:
    return Route(json.dumps(data).encode(), **kw)


# --- fleets of routes ---------------------------------------------------------------------------


def babylon_rest(
    *,
    finalized: int = 1243,
    epoch: int = 125,
    finalized_epoch: int = 121,
    lightclient: int = 736,
    jail: str | None = None,
    healthy_fps: bool = True,
    missed: dict[str, int] | None = None,
    pub_rand_last: int = 71000,
    votes_at: int = 1244,
    voters: list[str] | None = None,
    ckpt_age: float = 0.0,
    window: int | None = None,
) -> dict[str, Route]:
    """REST routes. ``healthy_fps``: bravo and charlie are active (not jailed/slashed) and vote,
    unless ``jail`` names a pk to jail. Otherwise the fixture's own state (bravo jailed, charlie
    slashed). ``pub_rand_last``: last height with committed randomness (every provider);
    ``votes_at``/``voters``: who voted at that height; ``ckpt_age``: seconds between now and
    the devnet tip's time in the checkpoint lifecycle; ``window``: the signed-blocks window
    (devnet 100; a larger one gives providers a production-sized jail runway)."""
    fps = load("babylon-rest/btcstaking_finality_providers.json")
    active = load("babylon-rest/finality_providers_at_height.json")
    infos = load("babylon-rest/signing_infos.json")
    if healthy_fps:
        for fp in fps["finality_providers"]:
            fp["jailed"] = False
            fp["slashed_babylon_height"], fp["slashed_btc_height"] = "0", 0
            fp["highest_voted_height"] = finalized
        template = active["finality_providers"][0]
        active["finality_providers"] = [
            {**template, "btc_pk_hex": fp["btc_pk"]} for fp in fps["finality_providers"]
        ]
    if jail is not None:
        for fp in fps["finality_providers"]:
            if fp["btc_pk"] == jail:
                fp["jailed"] = True
        active["finality_providers"] = [
            a for a in active["finality_providers"] if a["btc_pk_hex"] != jail
        ]
    for info in infos["signing_infos"]:
        if missed and info["fp_btc_pk_hex"] in missed:
            info["missed_blocks_counter"] = str(missed[info["fp_btc_pk_hex"]])
    latest = load("babylon-rest/finality_blocks_finalized_latest.json")
    latest["blocks"][0]["height"] = str(finalized)
    ckpt = load("babylon-rest/checkpointing_last_raw_checkpoint.json")
    ckpt["raw_checkpoint"]["epoch_num"] = str(finalized_epoch)
    tip = load("babylon-rest/btclightclient_tip.json")
    tip["header"]["height"] = lightclient
    at = f"/babylon/finality/v1/finality_providers/{finalized}"
    if voters is None:
        voters = [a["btc_pk_hex"] for a in active["finality_providers"]]
    commit = load("babylon-rest/finality_pub_rand_commit_list.json")
    commit["pub_rand_commit_map"]["1001"]["num_pub_rand"] = str(pub_rand_last - 1001 + 1)
    pub_rand = {
        f"/babylon/finality/v1/finality_providers/{fp['btc_pk']}/pub_rand_commit_list": jroute(
            commit
        )
        for fp in fps["finality_providers"]
    }
    params = load("babylon-rest/finality_params.json")
    if window is not None:
        params["params"]["signed_blocks_window"] = str(window)
    return {
        **pub_rand,
        f"/babylon/finality/v1/votes/{votes_at}": jroute({"btc_pks": voters}),
        "/babylon/checkpointing/v1/raw_checkpoints": jroute(_checkpoints(ckpt_age)),
        **delegation_routes(),
        "/babylon/finality/v1/params": jroute(params),
        "/babylon/finality/v1/blocks": jroute(latest),
        "/babylon/btcstaking/v1/finality_providers": jroute(fps),
        at: jroute(active),
        "/babylon/finality/v1/signing_infos": jroute(infos),
        "/babylon/epoching/v1/current_epoch": jroute(
            {"current_epoch": str(epoch), "epoch_boundary": str(epoch * 10)}
        ),
        "/babylon/checkpointing/v1/last_raw_checkpoint/CKPT_STATUS_FINALIZED": jroute(ckpt),
        "/babylon/btclightclient/v1/tip": jroute(tip),
    }


TIP_TIME = datetime(2026, 11, 24, 10, 23, 55, 248256, UTC)  # the devnet tip in the fixtures


def _checkpoints(age: float) -> Any:
    """The lifecycle of the recorded checkpoints, moved so that the tip's time is now - age."""
    data = load("babylon-rest/raw_checkpoints.json")
    shift = time.time() - age - TIP_TIME.timestamp()
    for ckpt in data["raw_checkpoints"]:
        for entry in ckpt["lifecycle"]:
            when = datetime.fromisoformat(entry["block_time"]).timestamp() + shift
            stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
            entry["block_time"] = stamp + "Z"
    return data


VERIFIED_TXID = "402cca66eedfbff2bcf2c4e14b3fe2a2bafd839ebd9d3c9ef1324f17b9e124eb"
PENDING_TXID = "fb47209bd020060b27f101f83b425c74068198d750c6c4327fd1eaeb245aab88"
COVENANT = "2d4ccbe538f846a750d82a77cd742895e51afcf23d86d05004a356b783902748"


def delegation_routes(*, pending: bool = True, verified: bool = True) -> dict[str, Route]:
    """Chain-wide PENDING/VERIFIED lists, alpha's delegations, one delegation by hash."""
    empty = {"btc_delegations": [], "pagination": {"next_key": None, "total": "0"}}
    rest = "/babylon/btcstaking/v1"
    return {
        f"{rest}/btc_delegations/PENDING": jroute(
            load("babylon-rest/btc_delegations_pending.json") if pending else empty
        ),
        f"{rest}/btc_delegations/VERIFIED": jroute(
            load("babylon-rest/btc_delegations_verified.json") if verified else empty
        ),
        f"{rest}/finality_providers/{ALPHA}/delegations": jroute(
            load("babylon-rest/fp_delegations.json")
        ),
        f"{rest}/btc_delegation/{VERIFIED_TXID}": jroute(
            load("babylon-rest/btc_delegation_verified.json")
        ),
    }


def cometbft(
    *, height: int = 1247, catching_up: bool = False, block_age: float = 2.0
) -> dict[str, Route]:
    status = load("babylon-rest/cometbft_status.json")
    sync = status["result"]["sync_info"]
    sync["latest_block_height"] = str(height)
    sync["catching_up"] = catching_up
    when = datetime.fromtimestamp(time.time() - block_age, UTC)
    sync["latest_block_time"] = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # 9 digits
    return {"/status": jroute(status)}


def gadget(*, latest: int = 58213, finalized: int = 58207, empty: bool = False) -> dict[str, Route]:
    health = Route((FIXTURES / "finality-gadget/health.txt").read_bytes(), content_type=TEXT)
    if empty:
        sync = Route(b"block not found\n", status=500, content_type=TEXT)
    else:
        data = load("finality-gadget/chainSyncStatus.json")
        data.update(latest_block=latest, latest_btc_finalized_block=finalized)
        sync = Route(json.dumps(data, separators=(",", ":")).encode())
    return {"/health": health, "/v1/chainSyncStatus": sync}


def metrics(name: str, content_type: str = PROM) -> dict[str, Route]:
    return {
        "/metrics": Route((FIXTURES / "metrics" / name).read_bytes(), content_type=content_type)
    }


def faulty(routes: dict[str, Route], **kw: Any) -> dict[str, Route]:
    """The same routes with a fault applied to each (delay=, status=, content_type=, ...)."""
    return {path: replace(route, **kw) for path, route in routes.items()}


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Stats:
    in_flight: int = 0
    max_in_flight: int = 0
    requests: int = 0
    hangups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 2048
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up (timeouts, pool churn) are part of the tests


class MonitorServer:
    """``with MonitorServer() as srv: srv.add("bbn", babylon_rest()); url = srv.url("bbn")``."""

    def __init__(self) -> None:
        self.prefixes: dict[str, dict[str, Route]] = {}
        self.stats = Stats()
        self.on_request: Callable[[str], None] | None = None
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.port}/{prefix}"

    def add(self, prefix: str, routes: dict[str, Route]) -> str:
        self.prefixes[prefix] = copy.copy(routes)
        return self.url(prefix)

    def __enter__(self) -> MonitorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def find(self, path: str) -> Route | None:
        prefix, _, rest = path.lstrip("/").partition("/")
        routes = self.prefixes.get(prefix)
        if routes is None:
            return None
        return routes.get("/" + rest)


def _client_gone(sock: socket.socket, timeout: float) -> bool:
    """Wait up to ``timeout``; True as soon as the client closes its end."""
    readable, _, _ = select.select([sock], [], [], timeout)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _handler(server: MonitorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers + body in two segments cost 40 ms

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            server.stats.enter()
            left = True
            try:
                route = server.find(urlsplit(self.path).path)
                if route is None:
                    route = Route(b'{"code":5,"message":"Not Found","details":[]}', status=404)
                if route.delay:
                    deadline = time.monotonic() + route.delay
                    while (wait := deadline - time.monotonic()) > 0:
                        if _client_gone(self.connection, wait):
                            server.stats.hangups += 1
                            self.close_connection = True
                            return
                server.stats.leave()
                left = False
                self._reply(route)
            finally:
                if left:
                    server.stats.leave()

        def _reply(self, route: Route) -> None:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.truncate:
                self.send_header("Content-Length", str(len(route.body) + 100))
                self.end_headers()
                self.wfile.write(route.body[: len(route.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        do_GET = _serve
        do_POST = _serve

    return Handler


def wait_until(condition: Callable[[], bool], limit: float = 30.0) -> bool:
    """Poll a state condition (not a timing assertion: ``limit`` only bounds a hang)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def dead_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
