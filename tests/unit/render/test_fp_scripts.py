"""The finality-provider scripts run for real (/bin/sh): restore guard and signed-height
recorder against a real HTTP server serving eotsd's metrics, EOTS key import and unlock.

eotsd itself (a Go binary with cgo deps) is not available here; the key and unlock scripts run
against ``fake-eotsd`` below, which refuses argv the eotsd contract does not accept and copies
the behaviour of v2.0.2 that the scripts rely on: keyring passphrase prompts read from stdin
(twice for a new file keyring, 8+ characters), ``keys add`` of a key already mapped in eots.db
fails (store/eotsstore.go#L75-L83), ``unlock`` reads EOTSD_KEYRING_PASSWORD.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.http import send

from l2kit.contracts import load_all
from l2kit.resources import templates_dir

SCRIPTS = templates_dir() / "scripts"
MNEMONIC = " ".join(["abandon"] * 23 + ["art"])
PASS = "correct-horse-battery"
PK = hashlib.sha256(MNEMONIC.encode()).hexdigest()
# curl is in the finality-provider image (Dockerfile#L42); the recorder uses it.
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is in the image only")

FAKE_EOTSD = """#!{python}
import hashlib, json, os, pathlib, sys
state = pathlib.Path(os.environ["FAKE_STATE"])
argv = sys.argv[1:]
with open(state / "calls.jsonl", "a") as log:
    env_pass = os.environ.get("EOTSD_KEYRING_PASSWORD")
    log.write(json.dumps({{"argv": argv, "env_pass": env_pass}}) + "\\n")
spec = json.loads((state / "contract.json").read_text())
words = [a for a in argv if not a.startswith("-")]
longest_first = sorted(spec, key=len, reverse=True)
sub = next((k for k in longest_first if words[:len(k.split())] == k.split()), None)
if sub is None:
    sys.exit("fake-eotsd: unknown subcommand " + " ".join(words))
flags = [a.split("=")[0] for a in argv if a.startswith("--")]
bad = [f for f in flags if f not in spec[sub]]
if bad:
    sys.exit("fake-eotsd: unknown flag " + " ".join(bad))
def opt(name):
    return argv[argv.index(name) + 1]
home = pathlib.Path(opt("--home"))
ring = home / "keyring-file"
def prompt(n):
    lines = sys.stdin.read().split("\\n")
    if len(lines) < n or any(len(l) < 8 for l in lines[:n]):
        sys.exit("password must be at least 8 characters")
    return lines[:n]
def check_pass(p):
    if hashlib.sha256(p.encode()).hexdigest() != (ring / "keyhash").read_text():
        sys.exit("incorrect passphrase")
if sub == "keys add":
    name = words[2]
    if (ring / (name + ".info")).exists():
        sys.exit("override the existing name " + name + " [y/N]: aborted")
    if (ring / "keyhash").exists():
        check_pass(prompt(1)[0])
    else:
        first, again = prompt(2)
        if first != again:
            sys.exit("passphrases don't match")
        (ring / "keyhash").write_text(hashlib.sha256(first.encode()).hexdigest())
    mnemonic = pathlib.Path(opt("--source")).read_text()
    if len(mnemonic.split(" ")) != 24 or any(not w.isalpha() for w in mnemonic.split(" ")):
        sys.exit("invalid mnemonic")
    pk = hashlib.sha256(mnemonic.encode()).hexdigest()
    (ring / (name + ".info")).write_text(pk)
    db = state / "eots-db.json"
    mapping = json.loads(db.read_text()) if db.exists() else {{}}
    if mapping.get(pk) == name:
        sys.exit("key name already exists in the database for a different eotsPK")
    mapping[pk] = name
    db.write_text(json.dumps(mapping))
    print(json.dumps({{"name": name, "pubkey_hex": pk}}))
elif sub == "keys show":
    check_pass(prompt(1)[0])
    print(json.dumps({{"name": words[2], "pubkey_hex": (ring / (words[2] + ".info")).read_text()}}))
elif sub == "unlock":
    down = state / "down"
    if down.exists() and int(down.read_text()) > 0:
        down.write_text(str(int(down.read_text()) - 1))
        sys.exit("failed to unlock keyring: connection refused")
    check_pass(os.environ["EOTSD_KEYRING_PASSWORD"])
    (state / "unlocked").write_text(opt("--eots-pk"))
    print("Successfully unlocked keystore")
"""


@pytest.fixture
def pod(tmp_path: Path) -> dict[str, Path]:
    """A pod's directories: emptyDir home, data and guard volumes, secret dir, fake eotsd."""
    dirs = {n: tmp_path / n for n in ("home", "data", "guard", "secret", "keytmp", "bin", "state")}
    for d in dirs.values():
        d.mkdir()
    (dirs["secret"] / "mnemonic").write_text(MNEMONIC.replace(" art", "\n  art") + "\n")
    (dirs["secret"] / "passphrase").write_text(PASS + "\n")
    eotsd = next(c for c in load_all() if c.component == "eotsd").commands["eotsd"]
    subs = eotsd.subcommands or {}
    (dirs["state"] / "contract.json").write_text(
        json.dumps({k: [*eotsd.flags, *s.flags, *s.switches] for k, s in subs.items()})
    )
    fake = dirs["bin"] / "eotsd"
    fake.write_text(FAKE_EOTSD.format(python=sys.executable))
    fake.chmod(0o755)
    return dirs


def sh(
    script: str,
    *args: str | Path,
    pod: dict[str, Path] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pod is not None:
        env |= {"PATH": f"{pod['bin']}:{env['PATH']}", "FAKE_STATE": str(pod["state"])}
    return subprocess.run(
        ["/bin/sh", str(SCRIPTS / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def calls(pod: dict[str, Path]) -> list[dict[str, object]]:
    log = pod["state"] / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def start_eotsd_home(pod: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    """The init steps before the key: fp-home.sh links logs and the keyring dir."""
    r = sh("fp-home.sh", pod["home"], "eotsd", pod["data"] / "keyring-file")
    assert r.returncode == 0, r.stderr
    return sh("eotsd-key.sh", pod["home"], "eots", pod["secret"], pod["keytmp"], pod=pod)


# --- fp-home.sh ----------------------------------------------------------------------------


def test_home_links_log_to_dev_null_and_keyring_to_the_data_volume(tmp_path: Path) -> None:
    home, keyring = tmp_path / "home", tmp_path / "data" / "keyring-file"
    home.mkdir()
    for _ in range(2):  # every start: idempotent
        assert sh("fp-home.sh", home, "fpd", keyring).returncode == 0
    assert os.readlink(home / "logs" / "fpd.log") == "/dev/null"
    with (home / "logs" / "fpd.log").open("a") as log:  # what fpd does (O_APPEND)
        log.write("a log line\n")
    assert os.readlink(home / "keyring-file") == str(keyring) and keyring.is_dir()
    assert oct(keyring.stat().st_mode)[-3:] == "700"


# --- eotsd-key.sh --------------------------------------------------------------------------


def test_key_imported_once_then_read_back_after_restarts(pod: dict[str, Path]) -> None:
    r = start_eotsd_home(pod)
    assert r.returncode == 0, r.stderr
    assert (pod["home"] / "eots-pk").read_text() == PK + "\n"
    assert (pod["data"] / "keyring-file" / "eots.info").read_text() == PK  # on the volume
    assert not any(pod["keytmp"].iterdir())  # the mnemonic copy is gone
    (pod["home"] / "eots-pk").unlink()  # a restart: new emptyDir home, same data volume
    for _ in range(2):
        r = start_eotsd_home(pod)
        assert r.returncode == 0, r.stderr
    subs = [" ".join(w for w in c["argv"][:2]) for c in calls(pod)]  # type: ignore[index]
    assert subs == ["keys add", "keys show", "keys show", "keys show"]
    assert (pod["home"] / "eots-pk").read_text() == PK + "\n"
    for c in calls(pod):
        assert PASS not in json.dumps(c["argv"]) and MNEMONIC not in json.dumps(c["argv"])
    assert PASS not in r.stdout + r.stderr and "abandon" not in r.stdout + r.stderr


def test_key_wrong_passphrase_fails_before_eotsd_starts(pod: dict[str, Path]) -> None:
    assert start_eotsd_home(pod).returncode == 0
    (pod["home"] / "eots-pk").unlink()
    (pod["secret"] / "passphrase").write_text("another-passphrase")
    r = start_eotsd_home(pod)
    assert r.returncode == 1 and "wrong passphrase" in r.stderr
    assert not (pod["home"] / "eots-pk").exists()


@pytest.mark.parametrize("passphrase", ["short", "has space inside"])
def test_key_refuses_passphrases_the_keyring_would_mangle(
    pod: dict[str, Path], passphrase: str
) -> None:
    (pod["secret"] / "passphrase").write_text(passphrase)
    r = start_eotsd_home(pod)
    assert r.returncode == 1 and calls(pod) == [] and passphrase not in r.stderr


# --- eotsd-unlock.sh -----------------------------------------------------------------------


def test_unlock_waits_for_eotsd_then_unlocks_without_a_terminal(pod: dict[str, Path]) -> None:
    assert start_eotsd_home(pod).returncode == 0
    (pod["state"] / "down").write_text("2")  # eotsd not listening yet for two tries
    r = sh(
        "eotsd-unlock.sh",
        pod["home"],
        "127.0.0.1:12582",
        pod["secret"] / "passphrase",
        "5",
        "0",
        pod=pod,
    )
    assert r.returncode == 0, r.stderr
    assert (pod["state"] / "unlocked").read_text() == PK
    unlocks = [c for c in calls(pod) if c["argv"][0] == "unlock"]  # type: ignore[index]
    assert len(unlocks) == 3
    assert unlocks[-1]["argv"] == [
        "unlock",
        "--eots-pk",
        PK,
        "--rpc-client",
        "127.0.0.1:12582",
        "--home",
        str(pod["home"]),
    ]
    assert unlocks[-1]["env_pass"] == PASS  # from the Secret file, trailing newline dropped


def test_unlock_gives_up_so_the_kubelet_restarts_eotsd(pod: dict[str, Path]) -> None:
    assert start_eotsd_home(pod).returncode == 0
    (pod["state"] / "down").write_text("99")
    r = sh(
        "eotsd-unlock.sh",
        pod["home"],
        "127.0.0.1:12582",
        pod["secret"] / "passphrase",
        "3",
        "0",
        pod=pod,
    )
    assert r.returncode == 1 and "giving up after 3 tries" in r.stderr
    assert PASS not in r.stderr


# --- fp-sign-guard.sh check ----------------------------------------------------------------


def guard(
    tmp_path: Path,
    data: int | None,
    kept: int | None,
    *accept: str,
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Run the check on a data volume (mark + eots.db when ``data`` is set) and a guard."""
    d, g = tmp_path / "data-mark", tmp_path / "guard-mark"
    for path, value in ((d, data), (g, kept)):
        if value is not None:
            path.write_text(f"{value}\n")
    if data is not None:
        (tmp_path / "eots.db").write_bytes(b"bolt")
    return sh("fp-sign-guard.sh", "check", d, g, tmp_path / "eots.db", *accept), d, g


def test_guard_first_start_and_current_volume_pass(tmp_path: Path) -> None:
    r, _, g = guard(tmp_path, None, None)
    assert r.returncode == 0 and not g.exists()
    r, _, g = guard(tmp_path, 120, 120)
    assert r.returncode == 0 and g.read_text() == "120\n"


def test_guard_refuses_an_old_snapshot_and_a_blank_volume(tmp_path: Path) -> None:
    r, _, g = guard(tmp_path, 100, 150)
    assert r.returncode == 1
    assert "signed up to 150" in r.stderr and 'acceptRollback: "150:100"' in r.stderr
    assert g.read_text() == "150\n"  # unchanged
    (tmp_path / "data-mark").unlink()  # a blank data volume
    r = sh("fp-sign-guard.sh", "check", tmp_path / "data-mark", g, tmp_path / "eots.db")
    assert r.returncode == 1 and 'acceptRollback: "150:0"' in r.stderr


def test_guard_refuses_a_deleted_eots_db_despite_its_mark(tmp_path: Path) -> None:
    r, d, g = guard(tmp_path, 150, 150)
    assert r.returncode == 0
    (tmp_path / "eots.db").unlink()  # eotsd would start a fresh DB without sign records
    r = sh("fp-sign-guard.sh", "check", d, g, tmp_path / "eots.db")
    assert r.returncode == 1 and 'acceptRollback: "150:0"' in r.stderr


def test_guard_accepts_exactly_the_named_rollback_once(tmp_path: Path) -> None:
    r, d, g = guard(tmp_path, 100, 150, "150:90")  # not this one
    assert r.returncode == 1
    db = tmp_path / "eots.db"
    r = sh("fp-sign-guard.sh", "check", d, g, db, "150:100")
    assert r.returncode == 0 and g.read_text() == "100\n"
    g.write_text("180\n")  # signed on; the stale setting must not let an old volume in again
    r = sh("fp-sign-guard.sh", "check", d, g, db, "150:100")
    assert r.returncode == 1


def test_guard_follows_a_newer_volume_and_rejects_garbage(tmp_path: Path) -> None:
    r, d, g = guard(tmp_path, 200, 150)
    assert r.returncode == 0 and g.read_text() == "200\n"
    d.write_text("12a\n")
    r = sh("fp-sign-guard.sh", "check", d, g, tmp_path / "eots.db")
    assert r.returncode == 1 and "not a height" in r.stderr


@settings(max_examples=60, deadline=None)
@given(
    data=st.one_of(st.none(), st.integers(0, 10**12)),
    kept=st.one_of(st.none(), st.integers(0, 10**12)),
    accept=st.booleans(),
)
def test_guard_decision_rule(
    tmp_path_factory: pytest.TempPathFactory, data: int | None, kept: int | None, accept: bool
) -> None:
    """Starts iff the data volume is not behind the guard, or exactly that rollback is accepted;
    the guard then holds the data volume's height (never lower unless accepted)."""
    tmp = tmp_path_factory.mktemp("guard")
    d, g = data or 0, kept or 0
    r, _, guard_file = guard(tmp, data, kept, *([f"{g}:{d}"] if accept else []))
    assert r.returncode == (0 if d >= g or accept else 1), r.stderr
    after = int(guard_file.read_text()) if guard_file.exists() else 0
    assert after == (d if r.returncode == 0 and (d > g or accept) else g)


# --- fp-sign-guard.sh record: a real HTTP server with eotsd's metrics --------------------------


class Metrics:
    def __init__(self) -> None:
        self.heights: dict[str, float] = {}
        self.scrapes = 0


@pytest.fixture
def eotsd_metrics() -> Iterator[tuple[Metrics, int]]:
    state = Metrics()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # client_golang text format: floats in Go's shortest 'g' form (1.2345e+06).
            lines = [
                "# HELP eots_fp_last_eots_sign_height Height of the last EOTS signature made",
                "# TYPE eots_fp_last_eots_sign_height gauge",
            ]
            lines += [
                f'eots_fp_last_eots_sign_height{{fp_btc_pk_hex="{pk}"}} {_go_float(h)}'
                for pk, h in state.heights.items()
            ]
            lines += ['eots_fp_last_generated_randomness_height{fp_btc_pk_hex="aa"} 9.9e+07']
            body = ("\n".join(lines) + "\n").encode()
            state.scrapes += 1
            send(self, 200, body, "text/plain; version=0.0.4")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _go_float(v: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64): exponent form from 1e21... and, shortest, from 1e6."""
    text = repr(float(v))
    if v >= 1e6:
        mantissa, exp = f"{v:e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}e+{int(exp):02d}"
    elif text.endswith(".0"):
        text = text[:-2]
    return text


def _wait(cond: object, what: str) -> None:
    deadline = time.monotonic() + 30  # a bound against hanging, not a speed assertion
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@needs_curl
def test_record_then_restore_an_old_snapshot_is_refused(
    eotsd_metrics: tuple[Metrics, int], tmp_path: Path
) -> None:
    metrics, port = eotsd_metrics
    data, guard_vol = tmp_path / "data", tmp_path / "guard"
    data.mkdir()
    guard_vol.mkdir()
    (data / "eots.db").write_bytes(b"bolt")  # eotsd's DB beside the mark
    d, g = data / "l2kit-signed-height", guard_vol / "l2kit-signed-height"
    proc = subprocess.Popen(
        [
            "/bin/sh",
            str(SCRIPTS / "fp-sign-guard.sh"),
            "record",
            str(d),
            str(g),
            f"http://127.0.0.1:{port}/metrics",
            "1",
        ]
    )
    try:
        _wait(lambda: metrics.scrapes >= 2, "scrapes before any signature")
        assert not d.exists()  # eotsd has not signed since its start: nothing recorded
        metrics.heights = {"a" * 64: 1_234_567.0, "b" * 64: 1_234_560.0}
        _wait(lambda: g.exists() and g.read_text() == "1234567\n", "the first height")
        assert d.read_text() == "1234567\n"  # the data volume is written first
        snapshot = tmp_path / "snapshot"
        shutil.copytree(data, snapshot)  # a VolumeSnapshot of the data volume
        metrics.heights = {"a" * 64: 1_234_600.0}
        _wait(lambda: g.read_text() == "1234600\n", "a higher height")
        metrics.heights = {"a" * 64: 7.0}  # gauge restarts low after an eotsd restart
        seen = metrics.scrapes
        _wait(lambda: metrics.scrapes >= seen + 2, "two more scrapes")
        assert d.read_text() == g.read_text() == "1234600\n"  # never lowered
    finally:
        proc.kill()
        proc.wait()
    r = sh("fp-sign-guard.sh", "check", snapshot / "l2kit-signed-height", g, snapshot / "eots.db")
    assert r.returncode == 1 and "signed up to 1234600" in r.stderr
    # the current volume starts
    assert sh("fp-sign-guard.sh", "check", d, g, data / "eots.db").returncode == 0
