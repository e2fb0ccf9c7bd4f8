"""The fast lane (``l2kit.cli.fastlane``, ``l2kit.cli.argspec``): what it accepts it reads as
click does, it takes the plain argument lists scripts use, and a command gives the same output,
errors and exit code through it as through click."""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cli import run_main, run_process

from l2kit.cli import fastlane
from l2kit.cli.argspec import Command, Opt, parse, to_click

STAKER = "8403289db2a2b917573d1a3118e43c689df51e74e6d0dab742a44c1d3c3ec3e0"
FP = "989c0b76cb563971fdc9bef31ec06c3560f3249d6ee9e5d83c57625596e05f6f"
VECTOR = json.loads(
    (
        Path(__file__).parents[2] / "vectors" / "data" / "babylon-btcstaking-testvectors.json"
    ).read_text()
)["vectors"][1]["parameters"]


def _plain_commands() -> list[Command]:
    return [
        c
        for module in sorted(fastlane.PLAIN)
        for c in importlib.import_module(f"l2kit.cli.{module}").COMMANDS
    ]


PLAIN = {c.name: c for c in _plain_commands()}


def test_plain_modules_are_exactly_those_defining_commands_without_click() -> None:
    package = Path(fastlane.__file__).parent
    modules = [
        importlib.import_module(f"l2kit.cli.{m.name}") for m in pkgutil.iter_modules([str(package)])
    ]
    without_click = {
        m.__name__.rsplit(".", 1)[1]
        for m in modules
        if any(isinstance(c, Command) for c in getattr(m, "COMMANDS", []))
    }
    assert without_click == set(fastlane.PLAIN)
    assert all(isinstance(c, Command) for c in _plain_commands())


def _spelled(opt: Opt, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """``--name VALUE``, ``--name=VALUE`` (``-n VALUE``, ``-nVALUE`` for a short name)."""
    if opt.kind == "flag":
        return st.sampled_from(opt.flags).map(lambda n: [n])
    pairs = st.tuples(st.sampled_from(opt.flags), values)
    return st.one_of(
        pairs.map(list),
        pairs.map(lambda t: [f"{t[0]}={t[1]}" if t[0].startswith("--") else t[0] + t[1]]),
    )


def _good(opt: Opt) -> st.SearchStrategy[list[str]]:
    """One option with a value click accepts."""
    if opt.choices is not None:
        return _spelled(opt, st.sampled_from(opt.choices))
    if opt.kind == "int":
        return _spelled(opt, st.integers(0, 10**6).map(str))
    return _spelled(opt, st.sampled_from([STAKER, FP, "abc", "a=b", "/tmp/x"]))


def _odd(opt: Opt) -> st.SearchStrategy[list[str]]:
    """One option spelled or valued in a way click may refuse or read differently."""
    values = st.sampled_from(
        ["", "-", "--json", "x", "1_000", " 7 ", "1.5", "\u0663", "-5", "/tmp", "NOPE"]
    )
    flag = st.sampled_from(opt.flags)
    return st.one_of(
        _spelled(opt, values),
        flag.map(lambda n: [n]),  # value missing (or a flag given one below)
        flag.map(lambda n: [f"{n}=1"]),
        *(
            [_spelled(opt, st.sampled_from([c.upper() for c in opt.choices]))]
            if opt.choices
            else []
        ),
    )


NOISE = st.sampled_from([["--help"], ["-h"], ["--bogus"], ["positional"], ["--"], ["--debug"]])


def _argv(command: Command) -> st.SearchStrategy[list[str]]:
    """The required options with good values, then more options, mostly good, in any order."""
    required = st.tuples(*(_good(o) for o in command.opts if o.required))
    good = st.one_of(*(_good(o) for o in command.opts))
    odd = st.one_of(*(_odd(o) for o in command.opts), NOISE)
    extra = st.lists(st.one_of(good, good, good, odd), max_size=6)
    parts = st.tuples(required, extra).flatmap(lambda t: st.permutations([*t[0], *t[1]]))
    return parts.map(lambda ps: [token for p in ps for token in p])


def _click_params(command: Command, argv: list[str]) -> dict[str, Any] | None:
    made = to_click(command)
    try:
        with made.make_context(command.name, list(argv), resilient_parsing=False) as ctx:
            return dict(ctx.params)
    except (click.exceptions.Exit, click.ClickException):
        return None


@pytest.mark.parametrize("name", sorted(PLAIN))
@given(data=st.data())
def test_what_the_fast_lane_accepts_click_reads_the_same_way(
    name: str, data: st.DataObject
) -> None:
    command = PLAIN[name]
    argv = data.draw(_argv(command))
    ours = parse(argv, command.opts)
    if ours is not None:
        assert ours == _click_params(command, argv), argv


ADDRESS = ["--staker", STAKER, "--fp", FP, "--staking-time", "64000"]
PLAIN_CALLS = [
    ["stake", "conformance"],
    ["stake", "conformance", "--jsonl"],
    ["stake", "address", *ADDRESS, "--network", "mainnet", "--json"],
    ["stake", "address", *ADDRESS, "--network=signet"],
    ["stake", "address", *ADDRESS, "--network", "regtest", "--quorum", "1", "--covenant", FP],
    ["init", "--profile", "devnet"],
    ["init", "-p", "rollup", "-n", "signet"],
]


@pytest.mark.parametrize("argv", PLAIN_CALLS, ids=" ".join)
def test_scripts_plain_calls_take_the_fast_lane(argv: list[str]) -> None:
    assert fastlane.command(argv) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "stake", "conformance"],
        ["stake", "conformance", "--help"],
        ["stake", "address", *ADDRESS, "--params", "/tmp"],
        ["stake", "address", "--staker", STAKER],  # --staking-time missing: click says so
        ["init", "-pdevnet"],
        ["stake", "scripts", *ADDRESS],  # a click command
        [],
    ],
    ids=" ".join,
)
def test_anything_else_goes_to_click(argv: list[str]) -> None:
    assert fastlane.command(argv) is None


SAME_CASES = [
    (["stake", "conformance"], json.dumps(VECTOR)),
    (["stake", "conformance"], json.dumps({**VECTOR, "staking_value": -1})),  # exit 2
    (["stake", "conformance", "--jsonl"], json.dumps(VECTOR) + "\nnot json\n"),
    (["stake", "address", *ADDRESS, "--network", "mainnet", "--json"], ""),
    (["stake", "address", *ADDRESS, "--network", "mainnet"], ""),
    (["stake", "address", "--staker", "zz", "--fp", FP, "--staking-time", "9"], ""),  # exit 2
    (["stake", "address", *ADDRESS, "--network", "regtest"], ""),  # no committee: exit 2
    (["init", "--profile", "rollup"], ""),  # warning on stderr
]


@pytest.mark.parametrize(("argv", "stdin"), SAME_CASES, ids=[" ".join(a) for a, _ in SAME_CASES])
def test_same_output_errors_and_exit_code_through_the_fast_lane_and_click(
    argv: list[str],
    stdin: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert fastlane.command(argv) is not None
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    fast = run_main(argv, capsys)
    monkeypatch.setattr(fastlane, "command", lambda args: None)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    slow = run_main(argv, capsys)
    assert fast == slow
    assert fast.output or fast.error


@pytest.mark.parametrize(
    ("argv", "quick"),
    [
        (["--help"], True),
        (["-h"], True),
        (["stake", "--help"], True),
        (["stake", "address", "--help"], True),
        (["stake", "create", "--help"], True),
        (["regtest", "covenant", "-h"], True),
        (["monitor", "--help"], True),
        *((argv, True) for argv in PLAIN_CALLS),
        ([], False),
        (["monitor", "check", "--help"], False),  # monitor's commands are not in a registry
        (["init", "--profile", "--help"], False),
        (["--debug", "--help"], False),
        (["bogus", "--help"], False),
        (["stake", "address", "bogus", "--help"], False),
        (["stake", "scripts", *ADDRESS], False),
        (["stake", "list"], False),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_only_help_requests_and_fast_lane_commands_skip_the_teardown(
    argv: list[str], quick: bool
) -> None:
    assert fastlane.ends_quickly(argv) is quick


def test_quick_exit_loses_no_output_and_keeps_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -m l2kit`` goes through ``l2kit.cli.entry`` (the console script's path)."""
    assert run_process("--help").stdout == run_main(["--help"], capsys).output
    lines = [json.dumps(VECTOR)] * 500 + ["{}"]
    res = run_process("stake", "conformance", "--jsonl", input="\n".join(lines) + "\n")
    answers = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.returncode == 0 and len(answers) == 501
    assert answers[0] == answers[499] and "error" in answers[500]
    bad = run_process("stake", "conformance", input="{}")
    assert (bad.returncode, bad.stdout) == (2, "") and bad.stderr.startswith("error: ")
