"""Hostile files and types at every parser (#12): specs, fleets, params, conformance JSON.
Random bytes and coercible types get one InputError line (exit 2), never a crash or a coerced
value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import run_process
from support.paths import ROOT

from l2kit.errors import InputError
from l2kit.inputfiles import BadDocument, load_json, load_yaml
from l2kit.monitor import fleet as fleet_mod
from l2kit.spec import parse_spec
from l2kit.staking.conformance import load_json as conformance_json
from l2kit.staking.params import params_from_json

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash_the_loaders(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for load in (load_yaml, load_json):
        try:
            load(text)
        except BadDocument as exc:
            assert "\n" not in str(exc)


@FAST
@given(st.text(max_size=2048))
def test_random_text_specs_are_input_errors(text: str) -> None:
    try:
        parse_spec(text)
    except InputError as exc:
        assert all(line for line in str(exc).splitlines())


@FAST
@given(st.binary(max_size=1024))
def test_random_conformance_input_is_one_input_error(data: bytes) -> None:
    from l2kit.staking.conformance import answer_line

    answer = answer_line(data)
    assert set(answer) != {"error"} or "\n" not in answer["error"]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a' at line 2"),
        ("x: [" + ", ".join(["*a"] * 10_001) + "]\n", "more than 10000 YAML aliases"),
        ("".join("- " for _ in range(80)) + "1\n", "nested deeper than 64"),
        ("a: &x [1, *x]\n", "recursive YAML alias"),
        (
            "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n"
                for i in range(8)
            ),
            "with aliases expanded",
        ),
    ],
)
def test_yaml_bombs_and_duplicates_are_refused(text: str, rule: str) -> None:
    with pytest.raises(BadDocument, match=rule):
        load_yaml(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('{"a": 1, "a": 2}', "duplicate key"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": -Infinity}', "Infinity"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_json_duplicates_nan_and_depth_are_refused(text: str, rule: str) -> None:
    with pytest.raises(BadDocument, match=rule):
        load_json(text)


def _spec(bitcoind: str) -> str:
    return f"stacks:\n- name: a\n  namespace: a\n  network: regtest\n  bitcoind:\n{bitcoind}"


@pytest.mark.parametrize(
    ("bitcoind", "field"),
    [
        ("    replicas: true\n", "replicas"),  # a bool is not 1
        ('    replicas: "1"\n', "replicas"),  # a string is not a number
        ("    uid: 1.5\n", "uid"),
        ("    uid: .nan\n", "uid"),
    ],
)
def test_spec_values_are_not_coerced(bitcoind: str, field: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_spec(_spec(bitcoind))
    assert field in str(exc.value)


@pytest.mark.parametrize(
    "target",
    [
        {"name": "x", "kind": "gadget", "url": "http://a:1", "block_time": True},
        {"name": "x", "kind": "gadget", "url": "http://a:1", "block_time": "2"},
        {"name": 5, "kind": "gadget", "url": "http://a:1"},
    ],
)
def test_fleet_values_are_not_coerced(target: dict[str, object]) -> None:
    with pytest.raises(fleet_mod.SpecError):
        fleet_mod.parse({"targets": [target]})


def _phase1() -> dict[str, object]:
    bundled = ROOT / "l2kit/staking/data/bbn-1-phase1-global-params.json"
    return json.loads(bundled.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("key", "value"), [("covenant_quorum", True), ("min_staking_amount", "500000")]
)
def test_params_values_are_not_coerced(key: str, value: object) -> None:
    doc = _phase1()
    doc["versions"][0][key] = value  # type: ignore[index]
    with pytest.raises(InputError, match=key):
        params_from_json(doc)


def test_conformance_refuses_duplicate_keys() -> None:
    with pytest.raises(InputError, match="duplicate key"):
        conformance_json('{"tag": "01020304", "tag": "01020305"}')


def test_bad_spec_file_is_one_line_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"stacks:\n- name: \xff\n")
    out = run_process("validate", str(spec))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
    assert "not UTF-8" in out.stderr
    spec.write_text(_spec("    replicas: true\n"))
    out = run_process("validate", str(spec))
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "replicas" in out.stderr


def test_render_removes_temp_folders_of_killed_renders(tmp_path: Path) -> None:
    import os

    from l2kit.render import manifests

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = tmp_path / "out"
    stale = tmp_path / f".out.l2kit-tmp-{dead.stdout.strip()}-abc"
    stale_old = tmp_path / f".out.l2kit-old-{dead.stdout.strip()}-def"
    live = tmp_path / f".out.l2kit-tmp-{os.getpid()}-ghi"  # a render running right now
    other = tmp_path / ".out.something-else"
    for folder in (stale, stale_old, live, other):
        (folder / "tree").mkdir(parents=True)
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "n"},
        "data": {},
    }
    manifests.write_tree([obj], out)
    assert not stale.exists() and not stale_old.exists()
    assert live.exists() and other.exists()
    assert (out / manifests.MARKER).is_file()


def test_an_echoed_input_cannot_forge_error_lines(tmp_path: Path) -> None:
    forged = tmp_path / "a\nerror: forged\x1b[2J"
    out = run_process("monitor", "check", str(forged))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
    assert "\x1b" not in out.stderr and "\\x0aerror: forged\\x1b[2J" in out.stderr


def test_key_files_are_read_as_capped_utf8_and_never_echoed(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_bytes(b"\xffSECRETKEY" * 3)
    out = run_process("stake", "sign", "--key-file", str(key), "00")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "not valid UTF-8" in out.stderr and "SECRETKEY" not in out.stderr
    key.write_text("ab" * 100_000)
    out = run_process("stake", "sign", "--key-file", str(key), "00")
    assert out.returncode == 2 and "larger than 1024 bytes" in out.stderr


def test_spec_strings_are_bounded() -> None:
    with pytest.raises(InputError, match="at most 4096 characters"):
        parse_spec(_spec(f"    image: bitcoin/bitcoin:{'a' * 5000}\n"))
