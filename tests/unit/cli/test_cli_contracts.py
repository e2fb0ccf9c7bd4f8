"""CLI contracts checked from outside: one ``error:`` line per problem on stderr, exit 2 for
usage/input, 1 for runtime, no traceback without ``--debug``, nothing written on failure, and
human output without Python reprs (``None``, ``['…']``, raw JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import structlog
from support.cli import click_invoke, run_main

from l2kit.cli.app import cli
from l2kit.cli.output import emit, human_value

FP = "989c0b76cb563971fdc9bef31ec06c3560f3249d6ee9e5d83c57625596e05f6f"
STAKER = "8403289db2a2b917573d1a3118e43c689df51e74e6d0dab742a44c1d3c3ec3e0"


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    saved = structlog.get_config()  # main() points structlog at the captured stderr
    yield
    structlog.configure(**saved)


def _one_error(err: str, *needles: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (
            [
                "stake",
                "scripts",
                "--staker",
                STAKER,
                "--fp",
                FP,
                "--staking-time",
                "64",
                "--network",
                "foo",
            ],
            "--network",
        ),
        (["stake", "build-withdrawal"], "--staker"),
        (
            [
                "stake",
                "build-withdrawal",
                "--staker",
                STAKER,
                "--fp",
                FP,
                "--outpoint",
                "x",
                "--value",
                "1",
                "--dest-address",
                "q",
            ],
            "--from",
        ),
        (["regtest", "mine"], "N"),
        (["stake", "sign", "00", "--key-file", "/nonexistent/key"], "--key-file"),
        (["stake", "status", "ab" * 32, "--interval", "0"], "--interval"),
        (["stake", "status", "ab" * 32, "--timeout", "-1"], "--timeout"),
        (["init"], "--profile"),
        (["init", "--profile", "nope"], "--profile"),
        (["nosuchcommand"], "nosuchcommand"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    _one_error(err, field)


def test_os_error_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_main(["regtest", "up", "--datadir", str(blocker / "node")], capsys)
    assert code == 1 and out == ""
    _one_error(err, str(blocker))
    assert blocker.read_text() == "x"


def _boom() -> None:
    raise RuntimeError("rpcpassword=hunter2")


def test_unexpected_exception_one_line_no_message_traceback_only_with_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cmd = click.Command("boom", callback=_boom)
    monkeypatch.setitem(cli.commands, "boom", cmd)
    code, out, err = run_main(["boom"], capsys)
    assert code == 1 and out == ""
    line = _one_error(err, "internal error", "RuntimeError", "--debug")
    assert "hunter2" not in line
    code, _, err = run_main(["--debug", "boom"], capsys)
    assert code == 1 and "Traceback" in err


def test_stake_create_without_node_writes_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("L2KIT_DATA_DIR", str(tmp_path / "data"))
    code, _, err = run_main(
        [
            "stake",
            "create",
            "--datadir",
            str(tmp_path / "nonode"),
            "--fp",
            FP,
            "--amount",
            "100000",
            "--time",
            "20",
        ],
        capsys,
    )
    assert code == 1
    _one_error(err, "no node running")
    assert not (tmp_path / "data" / "staker.key").exists()
    assert not (tmp_path / "nonode").exists()


def test_human_values_never_repr() -> None:
    assert human_value(None) == "-"
    assert human_value(["a", "b"]) == "a, b"
    assert human_value([]) == "-"
    assert human_value(True) == "yes"
    assert human_value({"a": 1}) == "a=1"


def test_emit_human_nested_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    emit(
        {"a": None, "keys": ["x" * 64, "y" * 64], "out": {"k": 1, "leaves": {"t": {"s": 2}}}},
        as_json=False,
    )
    out = capsys.readouterr().out
    assert "None" not in out and "[" not in out and "{" not in out
    assert out.splitlines() == [
        "a     -",
        "keys",
        "  " + "x" * 64,
        "  " + "y" * 64,
        "out",
        "  k       1",
        "  leaves",
        "    t",
        "      s  2",
    ]


def test_covenant_show_human_lists_keys(tmp_path: Path) -> None:
    d = tmp_path / "cov"
    r = click_invoke(["regtest", "covenant", "init", "--dir", str(d), "--json"])
    keys = json.loads(r.stdout)["public_keys"]
    r = click_invoke(["regtest", "covenant", "show", "--dir", str(d)])
    assert r.exit_code == 0
    assert "['" not in r.stdout
    for key in keys:
        assert f"  {key}" in r.stdout.splitlines()


def test_stake_scripts_human_is_not_json() -> None:
    # mainnet: the bundled params name the covenant committee
    args = [
        "stake",
        "scripts",
        "--staker",
        STAKER,
        "--fp",
        FP,
        "--staking-time",
        "64000",
        "--network",
        "mainnet",
    ]
    human = click_invoke(args)
    machine = click_invoke([*args, "--json"])
    assert human.exit_code == 0 == machine.exit_code, human.output
    assert not human.stdout.lstrip().startswith("{")
    doc = json.loads(machine.stdout)
    assert doc["staking_output"]["address"] in human.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["index", "scan", "--start-height", "-5"],
        ["index", "follow", "--poll-interval", "0"],
        ["index", "follow", "--max-updates", "-1"],
    ],
)
def test_index_ranges(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    _one_error(err, argv[2])


def test_index_scan_without_node_creates_no_db(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("L2KIT_DATA_DIR", str(tmp_path / "data"))
    r = click_invoke(["regtest", "covenant", "init", "--json"])
    assert r.exit_code == 0
    db = tmp_path / "index.db"
    code, _, err = run_main(
        ["index", "scan", "--datadir", str(tmp_path / "nonode"), "--db", str(db)], capsys
    )
    assert code == 1
    _one_error(err, "no node running")
    assert not db.exists()


def test_index_stats_human_empty_db(tmp_path: Path) -> None:
    r = click_invoke(["index", "stats", "--db", str(tmp_path / "i.db")])
    assert r.exit_code == 0
    assert "None" not in r.stdout and "nothing indexed" in r.stdout


def _devnet_spec(tmp_path: Path) -> Path:
    r = click_invoke(["init", "--profile", "devnet"])
    assert r.exit_code == 0
    spec = tmp_path / "spec.yaml"
    spec.write_text(r.stdout)
    return spec


def test_secrets_json(tmp_path: Path) -> None:
    spec = _devnet_spec(tmp_path)
    r = click_invoke(["secrets", str(spec), "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    rpc = next(row for row in rows if row["slot"] == "rpc")
    assert rpc["kind"] == "Secret" and rpc["keys"] == ["password", "rpcauth"]
    human = click_invoke(["secrets", str(spec)]).stdout
    assert f"Secret {rpc['name']}  keys: password, rpcauth  (rpc)" in human


def test_validate_json(tmp_path: Path) -> None:
    r = click_invoke(["validate", str(_devnet_spec(tmp_path)), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["stacks"] == 1 and doc["objects"] > 0


def test_bad_spec_one_line_per_problem_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("stacks:\n  - name: x\n    network: foo\n    bogus: 1\n")
    out_dir = tmp_path / "out"
    code, out, err = run_main(["render", str(spec), "-o", str(out_dir)], capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: stacks.0.") for line in lines)
    assert "Traceback" not in err
    assert not out_dir.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["monitor", "check", "--bitcoind", "http://127.0.0.1:1", "--timeout", "-1"], "--timeout"),
        (
            ["monitor", "check", "--bitcoind", "http://127.0.0.1:1", "--concurrency", "0"],
            "--concurrency",
        ),
        (
            ["monitor", "watch", "--bitcoind", "http://127.0.0.1:1", "--interval", "0", "--once"],
            "--interval",
        ),
        (
            ["monitor", "serve", "--bitcoind", "http://127.0.0.1:1", "--interval", "-5"],
            "--interval",
        ),
    ],
)
def test_monitor_ranges(capsys: pytest.CaptureFixture[str], argv: list[str], field: str) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    _one_error(err, field)


def test_monitor_malformed_fleet_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("targets: [\n")
    code, out, err = run_main(["monitor", "check", str(fleet)], capsys)
    assert code == 2 and out == ""
    _one_error(err, str(fleet), "not valid YAML", "line 2")


def test_fleet_from_missing_output_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _devnet_spec(tmp_path)
    code, out, err = run_main(
        ["monitor", "fleet-from", str(spec), "-o", str(tmp_path / "nodir" / "fleet.yaml")], capsys
    )
    assert code == 2 and out == ""
    _one_error(err, "--output", "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


_UTXO = "ab" * 32 + ":1:200000:0014751e76e8199196d454941c45d1b3a323f1433bd6"


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (
            [
                "stake",
                "build-staking",
                "--staker",
                STAKER,
                "--fp",
                FP,
                "--staking-time",
                "64000",
                "--network",
                "mainnet",
                "--value",
                "100000",
                "--utxo",
                _UTXO,
                "--change-address",
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                "--fee-rate",
                "nan",
            ],
            "--fee-rate",
        ),
        (
            [
                "stake",
                "build-withdrawal",
                "--staker",
                STAKER,
                "--fp",
                FP,
                "--from",
                "staking",
                "--outpoint",
                "ab" * 32 + ":0",
                "--value",
                "100000",
                "--staking-time",
                "64000",
                "--network",
                "mainnet",
                "--dest-address",
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                "--fee-rate",
                "inf",
            ],
            "--fee-rate",
        ),
        (
            ["monitor", "watch", "--bitcoind", "http://127.0.0.1:1", "--interval", "nan"],
            "--interval",
        ),
        (["stake", "status", "ab" * 32, "--timeout", "inf"], "--timeout"),
    ],
)
def test_non_finite_floats_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    _one_error(err, field, "finite")


def test_unbonding_time_zero_is_range_error_not_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(
        [
            "stake",
            "scripts",
            "--staker",
            STAKER,
            "--fp",
            FP,
            "--staking-time",
            "64000",
            "--network",
            "mainnet",
            "--unbonding-time",
            "0",
        ],
        capsys,
    )
    assert code == 2 and out == ""
    _one_error(err, "unbonding_time", "1..65535")


def test_every_option_has_help() -> None:
    missing: list[str] = []

    def walk(cmd: click.Command, path: str) -> None:
        if isinstance(cmd, click.Group):  # lazy groups: list_commands/get_command load them
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None, f"{path} {name}: not loadable"
                walk(sub, f"{path} {name}")
            return
        assert cmd.help, f"{path}: no help"
        missing.extend(
            f"{path} {p.opts[0]}"
            for p in cmd.params
            if isinstance(p, click.Option) and not p.hidden and not p.help
        )

    walk(cli, "l2kit")
    assert missing == []


def test_sign_psbt_missing_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k"
    key.write_text("0b" * 32)
    missing = tmp_path / "nope.psbt"
    code, out, err = run_main(
        ["stake", "sign", "--psbt", str(missing), "--key-file", str(key)], capsys
    )
    assert code == 2 and out == ""
    _one_error(err, "psbt", str(missing), "no such file")


@pytest.mark.parametrize(
    ("name", "text"),
    [("stakes", "no stakes indexed"), ("invalid", "no invalid txs"), ("alarms", "no alarms")],
)
def test_index_rows_empty_human_says_so(tmp_path: Path, name: str, text: str) -> None:
    db = str(tmp_path / "i.db")
    human = click_invoke(["index", name, "--db", db])
    assert human.exit_code == 0 and human.stdout == text + "\n"
    machine = click_invoke(["index", name, "--db", db, "--json"])
    assert json.loads(machine.stdout) == []


def test_validate_schema_problems_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from l2kit.render import build

    spec = _devnet_spec(tmp_path)
    monkeypatch.setattr(
        build,
        "schema_problems",
        lambda objs: ["StatefulSet/a: spec.replicas: bad", "Service/b: x: bad"],
    )
    code, out, err = run_main(["validate", str(spec)], capsys)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "error: schema: StatefulSet/a: spec.replicas: bad",
        "error: schema: Service/b: x: bad",
    ]


def test_click_messages_read_like_ours(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["regtest", "mine"], capsys)
    assert code == 2
    assert err == "error: missing argument 'N' (see 'l2kit regtest mine --help')\n"
