"""The shipped shell scripts run for real (/bin/sh) against a local fake CometBFT RPC and temp
files: babylond probes, genesis fetch, render-config placeholder filling."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.http import send_json

from l2kit.resources import templates_dir

SCRIPTS = templates_dir() / "scripts"
pytestmark = pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")),
    reason="curl and jq are in the babylond image, not here",
)


class FakeComet:
    def __init__(self) -> None:
        self.height = 10
        self.catching_up = False
        self.up = True


@pytest.fixture
def comet() -> Iterator[tuple[FakeComet, int]]:
    state = FakeComet()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not state.up:
                self.send_error(503)
                return
            if self.path == "/status":
                body = {
                    "result": {
                        "sync_info": {
                            "latest_block_height": str(state.height),
                            "catching_up": state.catching_up,
                        }
                    }
                }
            elif self.path == "/genesis":
                body = {"result": {"genesis": {"chain_id": "chain-test"}}}
            else:
                body = {}
            send_json(self, 200, body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def with_port(script: str, port: int, tmp_path: Path) -> str:
    """The scripts talk to 127.0.0.1:26657 (the pod); point a copy at the fake server."""
    text = (SCRIPTS / script).read_text().replace("127.0.0.1:26657", f"127.0.0.1:{port}")
    path = tmp_path / script
    path.write_text(text)
    return str(path)


def sh(path: str, *args: str, env: dict[str, str]) -> int:
    return subprocess.run(
        ["/bin/sh", path, *args],
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
        check=False,
    ).returncode


def test_babylond_ready_follows_catching_up(comet: tuple[FakeComet, int], tmp_path: Path) -> None:
    state, port = comet
    ready = with_port("babylond-ready.sh", port, tmp_path)
    startup = with_port("babylond-startup.sh", port, tmp_path)
    assert sh(startup, env={}) == 0 and sh(ready, env={}) == 0
    state.catching_up = True
    assert sh(ready, env={}) == 1 and sh(startup, env={}) == 0
    state.up = False
    assert sh(ready, env={}) == 1 and sh(startup, env={}) != 0


def test_babylond_liveness_window(comet: tuple[FakeComet, int], tmp_path: Path) -> None:
    state, port = comet
    live = with_port("babylond-live.sh", port, tmp_path)
    env = {"PROBE_DIR": str(tmp_path)}
    stamp = tmp_path / "babylond-live"
    assert sh(live, "600", env=env) == 0
    assert stamp.read_text().split()[0] == "10"
    stamp.write_text(f"10 {int(time.time()) - 3600}\n")  # same height for an hour
    assert sh(live, "600", env=env) == 1
    state.height = 11  # it moved: alive again, new stamp
    assert sh(live, "600", env=env) == 0 and stamp.read_text().split()[0] == "11"
    state.up = False  # silent but recently seen: not killed
    assert sh(live, "600", env=env) == 0
    stamp.write_text(f"11 {int(time.time()) - 3600}\n")
    assert sh(live, "600", env=env) == 1


def test_fetch_genesis(comet: tuple[FakeComet, int], tmp_path: Path) -> None:
    _, port = comet
    out = tmp_path / "genesis.json"
    result = run("fetch-genesis.sh", f"http://127.0.0.1:{port}", str(out))
    assert result.returncode == 0 and json.loads(out.read_text()) == {"chain_id": "chain-test"}


def test_render_config_fills_every_placeholder(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text('a = "@@PW@@"\nb = "@@PW@@-@@HMAC@@"\nc = 1')
    (tmp_path / "pw").write_text("p4ss:w$rd/+=~.-_\n")
    (tmp_path / "hmac").write_text("k3y")
    out = tmp_path / "out.toml"
    r = run(
        "render-config.sh",
        str(tmp_path / "t.toml"),
        str(out),
        f"PW={tmp_path / 'pw'}",
        f"HMAC={tmp_path / 'hmac'}",
    )
    assert r.returncode == 0, r.stderr
    assert out.read_text() == 'a = "p4ss:w$rd/+=~.-_"\nb = "p4ss:w$rd/+=~.-_-k3y"\nc = 1\n'
    assert oct(out.stat().st_mode)[-3:] == "400"


@pytest.mark.parametrize("value", ['has"quote', "has space", "back\\slash", "", "new\nline"])
def test_render_config_refuses_values_needing_quotes(value: str, tmp_path: Path) -> None:
    (tmp_path / "t").write_text("x=@@V@@\n")
    (tmp_path / "v").write_text(value)
    r = run("render-config.sh", str(tmp_path / "t"), str(tmp_path / "out"), f"V={tmp_path / 'v'}")
    assert r.returncode == 1 and not (tmp_path / "out").exists()
    assert value == "" or value not in r.stderr  # the value itself is never echoed
