"""covd <-> covenant-signer authentication and the signer's automatic unlock, run for real.

The shipped scripts run under /bin/sh with the exact arguments the rendered devnet pod gives
them (paths moved to a temp dir) against a small signer on 127.0.0.1 that checks requests the
way covenant-signer v0.16.1 does:
- babylonlabs-io/covenant-emulator@v0.16.1:covenant-signer/signerservice/middlewares/
  hmac_auth.go#L22-L102: no key configured = no check; header X-Covenant-HMAC required, equal
  (constant time) to hex(HMAC-SHA256(key, raw body)), else 401 {"error": {"code":
  "UNAUTHORIZED", ...}};
- .../middlewares/content_length.go#L10: Content-Length above max-content-length = 413;
- .../handlers/signtransactions.go#L58-L75: the body decodes into {"passphrase"} (400 when
  not JSON), a wrong passphrase is 400, success is 200 {"data": {}};
- .../signerservice/server.go#L25-L28: routes POST /v1/unlock, GET /v1/public-key.
"""

from __future__ import annotations

import configparser
import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.http import send_json

from l2kit.render.build import build
from l2kit.render.profiles import init_spec
from l2kit.resources import templates_dir

SCRIPTS = templates_dir() / "scripts"
pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("curl", "jq", "openssl")),
    reason="curl (signer image), jq and openssl (covd image) are needed to run the scripts",
)
KEY = "s3cr3t-HMAC_key.with~all+allowed/chars=:$"


@dataclass
class FakeSigner:
    hmac_key: str
    passphrase: str | None = None  # None: keyring-backend test, any passphrase unlocks
    max_content: int = 10 * 1024 * 1024
    unlocked: bool = False
    seen: list[tuple[str, int]] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)


def _serve(state: FakeSigner, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _auth(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > state.max_content:
                send_json(self, 413, {"error": "Request Entity Too Large"})
                return None
            body = self.rfile.read(length)
            if state.hmac_key:
                got = self.headers.get("X-Covenant-HMAC", "")
                if not got:
                    send_json(
                        self,
                        401,
                        {
                            "error": {
                                "code": "UNAUTHORIZED",
                                "message": "missing HMAC authentication header",
                            }
                        },
                    )
                    return None
                want = hmac.new(state.hmac_key.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want.encode(), got.encode()):
                    send_json(
                        self,
                        401,
                        {
                            "error": {
                                "code": "UNAUTHORIZED",
                                "message": "invalid HMAC authentication",
                            }
                        },
                    )
                    return None
            return body

        def do_POST(self) -> None:
            body = self._auth()
            if body is None:
                state.seen.append((self.path, 0))
                return
            if self.path != "/v1/unlock":
                send_json(self, 404, {})
                return
            try:
                doc = json.loads(body)
                pp = doc.get("passphrase", "") if isinstance(doc, dict) else None
            except json.JSONDecodeError:
                pp = None
            if not isinstance(pp, str):
                send_json(
                    self, 400, {"errorCode": "BAD_REQUEST", "message": "invalid request payload"}
                )
            elif state.passphrase is not None and pp != state.passphrase:
                send_json(
                    self,
                    400,
                    {"errorCode": "BAD_REQUEST", "message": "failed to unlock the key ring"},
                )
            else:
                state.unlocked = True
                state.passphrases.append(pp)
                send_json(self, 200, {"data": {}})
            state.seen.append((self.path, 200 if state.unlocked else 400))

        def do_GET(self) -> None:
            if self._auth() is None:
                state.seen.append((self.path, 401))
                return
            state.seen.append((self.path, 200 if state.unlocked else 500))
            if self.path == "/v1/public-key" and state.unlocked:
                send_json(self, 200, {"data": {"public_key": "02" + "11" * 32}})
            else:
                send_json(
                    self,
                    500,
                    {"errorCode": "INTERNAL_SERVICE_ERROR", "message": "Internal service error"},
                )

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def signer() -> Iterator[tuple[FakeSigner, int]]:
    state = FakeSigner(hmac_key=KEY)
    server = _serve(state)
    try:
        yield state, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _signer_pod() -> dict[str, object]:
    objs = build(init_spec("devnet")).objects
    dep = next(
        o
        for o in objs
        if o["kind"] == "Deployment" and o["metadata"]["name"] == "devnet-covenant-signer"
    )
    return dep["spec"]["template"]["spec"]  # type: ignore[no-any-return]


@dataclass
class Pod:
    """The rendered unlock steps with their pod paths moved under a temp dir."""

    prepare: list[str]
    post_start: list[str]
    hmac_file: Path
    passphrase_file: Path
    unlock_dir: Path


def _pod(tmp: Path, port: int) -> Pod:
    spec = _signer_pod()
    init = next(c for c in spec["initContainers"] if c["name"] == "unlock-request")  # type: ignore[index, union-attr]
    main = spec["containers"][0]  # type: ignore[index]
    hook = main["lifecycle"]["postStart"]["exec"]["command"]
    (tmp / "unlock").mkdir()
    (tmp / "secrets").mkdir()
    moves = {
        "/secrets/hmac/hmac-key": str(tmp / "secrets" / "hmac-key"),
        "/secrets/unlock/passphrase": str(tmp / "secrets" / "passphrase"),
        "/unlock": str(tmp / "unlock"),
        "http://127.0.0.1:9791": f"http://127.0.0.1:{port}",
    }

    def move(argv: list[str]) -> list[str]:
        out = [moves.get(a, a) for a in argv]
        return [
            a.replace("/scripts/", f"{SCRIPTS}/", 1) if a.startswith("/scripts/") else a
            for a in out
        ]

    return Pod(
        move(init["command"]),
        move(hook),
        tmp / "secrets" / "hmac-key",
        tmp / "secrets" / "passphrase",
        tmp / "unlock",
    )


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


def test_rendered_unlock_steps_unlock_an_hmac_checking_signer(
    signer: tuple[FakeSigner, int], tmp_path: Path
) -> None:
    state, port = signer
    state.passphrase = 'correct horse"battery\\'
    pod = _pod(tmp_path, port)
    pod.hmac_file.write_text(KEY + "\n")  # kubectl create secret --from-file keeps a newline
    pod.passphrase_file.write_text(state.passphrase + "\n")
    prep = _run(pod.prepare)
    assert prep.returncode == 0, prep.stderr
    assert (pod.unlock_dir / "unlock.hdr").stat().st_mode & 0o077 == 0
    assert KEY not in (pod.unlock_dir / "unlock.hdr").read_text()
    assert not state.unlocked
    hook = _run(pod.post_start)
    assert hook.returncode == 0, hook.stderr
    assert state.unlocked and state.passphrases == [state.passphrase]


def test_without_a_passphrase_secret_the_body_is_empty_json(
    signer: tuple[FakeSigner, int], tmp_path: Path
) -> None:
    state, port = signer
    pod = _pod(tmp_path, port)
    pod.hmac_file.write_text(KEY)
    assert _run(pod.prepare).returncode == 0
    assert json.loads((pod.unlock_dir / "unlock.json").read_text()) == {}
    assert _run(pod.post_start).returncode == 0 and state.unlocked


def test_a_different_key_on_the_signer_is_refused_and_reported(
    signer: tuple[FakeSigner, int], tmp_path: Path
) -> None:
    state, port = signer
    pod = _pod(tmp_path, port)
    pod.hmac_file.write_text(KEY + "x")
    assert _run(pod.prepare).returncode == 0
    hook = _run(pod.post_start)
    assert hook.returncode == 1 and "HTTP 401" in hook.stderr and "invalid HMAC" in hook.stderr
    assert not state.unlocked and state.seen == [("/v1/unlock", 0)]  # no blind retries


def test_the_fake_signer_refuses_an_unauthenticated_unlock(signer: tuple[FakeSigner, int]) -> None:
    """The request the previous script sent (no header) fails against the real check."""
    state, port = signer
    out = _run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            "--data-binary",
            '{"passphrase": ""}',
            f"http://127.0.0.1:{port}/v1/unlock",
        ]
    )
    assert out.stdout == "401" and not state.unlocked


def test_the_hook_retries_until_the_signer_answers(tmp_path: Path) -> None:
    """A listener that drops the first connection (signer still starting), then the signer."""
    with socket.create_server(("127.0.0.1", 0)) as early:
        port = early.getsockname()[1]
        pod = _pod(tmp_path, port)
        pod.hmac_file.write_text(KEY)
        assert _run(pod.prepare).returncode == 0
        hook = subprocess.Popen(
            pod.post_start, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        conn, _ = early.accept()
        conn.close()
    state = FakeSigner(hmac_key=KEY)
    server = _serve(state, port)
    try:
        _, err = hook.communicate(timeout=300)
        assert hook.returncode == 0, err
        assert state.unlocked
    finally:
        if hook.poll() is None:
            hook.kill()
            hook.wait()
        server.shutdown()
        server.server_close()


def test_an_empty_hmac_key_stops_the_pod_before_the_signer_starts(tmp_path: Path) -> None:
    pod = _pod(tmp_path, 9)
    pod.hmac_file.write_text("\n")
    prep = _run(pod.prepare)
    assert prep.returncode == 1 and "empty" in prep.stderr
    assert list(pod.unlock_dir.iterdir()) == []


def test_covd_and_signer_configs_carry_the_same_hmac_key(tmp_path: Path) -> None:
    """Both config files, as render-config.sh writes them in the pods, hold the same key."""
    objs = build(init_spec("devnet")).objects
    cms = {o["metadata"]["name"]: o["data"] for o in objs if o["kind"] == "ConfigMap"}
    key_file = tmp_path / "hmac-key"
    key_file.write_text(KEY + "\n")
    out: dict[str, str] = {}
    for cm, conf in (("devnet-covd", "covd.conf"), ("devnet-covenant-signer", "config.toml")):
        (tmp_path / conf).write_text(cms[cm][conf])
        res = _run(
            [
                "/bin/sh",
                str(SCRIPTS / "render-config.sh"),
                str(tmp_path / conf),
                str(tmp_path / f"out-{conf}"),
                f"HMAC_KEY={key_file}",
            ]
        )
        assert res.returncode == 0, res.stderr
        out[conf] = (tmp_path / f"out-{conf}").read_text()
    ini = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read_string(out["covd.conf"])
    signer_cfg = tomllib.loads(out["config.toml"])
    assert ini["remotesigner"]["HMACKey"] == KEY
    assert signer_cfg["server-config"]["hmac-key"] == KEY
    assert ini["remotesigner"]["URL"] == "http://devnet-covenant-signer.devnet.svc:9791"
    # covd reaches the signer's Service port, and both pods mount the same Secret key.
    pods = {
        o["metadata"]["name"]: o["spec"]["template"]["spec"]
        for o in objs
        if o["kind"] == "Deployment"
    }
    for n in ("devnet-covd", "devnet-covenant-signer"):
        vol = next(v for v in pods[n]["volumes"] if v["name"] == "hmac")
        assert vol["secret"] == {
            "secretName": "devnet-covenant-hmac",
            "defaultMode": 0o400,
            "items": [{"key": "hmac-key", "path": "hmac-key"}],
        }


def _covd_wait(tmp: Path, port: int) -> list[str]:
    objs = build(init_spec("devnet")).objects
    dep = next(
        o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "devnet-covd"
    )
    init = next(
        c for c in dep["spec"]["template"]["spec"]["initContainers"] if c["name"] == "wait-signer"
    )
    argv: list[str] = init["command"]
    assert argv[2] == "http://devnet-covenant-signer.devnet.svc:9791"
    (tmp / "hmac-key").write_text(KEY + "\n")
    return [
        argv[0],
        str(SCRIPTS / "signer-wait.sh"),
        f"http://127.0.0.1:{port}",
        str(tmp / "hmac-key"),
    ]


def test_covd_waits_for_an_unlocked_signer(signer: tuple[FakeSigner, int], tmp_path: Path) -> None:
    state, port = signer
    wait = subprocess.Popen(
        _covd_wait(tmp_path, port), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while not state.seen and wait.poll() is None:  # a first, locked answer (500)
            threading.Event().wait(0.05)
        state.unlocked = True
        _, err = wait.communicate(timeout=300)
        assert wait.returncode == 0, err
        assert state.seen[0] == ("/v1/public-key", 500) and "HTTP 500" in err
        assert state.seen[-1] == ("/v1/public-key", 200)
    finally:
        if wait.poll() is None:
            wait.kill()
            wait.wait()


def test_covd_wait_stops_on_a_key_mismatch(signer: tuple[FakeSigner, int], tmp_path: Path) -> None:
    state, port = signer
    state.hmac_key = KEY + "-other"
    out = _run(_covd_wait(tmp_path, port))
    assert out.returncode == 1 and "refuses our HMAC" in out.stderr
    assert state.seen == [("/v1/public-key", 401)]
