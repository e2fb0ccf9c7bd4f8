"""The bitcoind, bitcoin-cli and miner contracts against the real binaries: every option,
flag and RPC method a contract lists is one the built Bitcoin Core accepts, so a contract
cannot invent a name. Names missing from -help (hidden or debug-only options) must still parse:
`<binary> -name=1 -version` fails with "Invalid parameter" for an unknown one. The binaries are
the v31.99 development tree that py-bitcoinkernel vendors (the regtest build), not the pinned
31.0 release."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from l2kit.contracts import Contract, load_all
from l2kit.regtest import build as bitcoind_build

_OPTION = re.compile(r"^  (-[a-z0-9]+)", re.M)


def _contract(name: str) -> Contract:
    return next(c for c in load_all() if c.component == name)


def _binary(name: str) -> Path:
    bitcoind = bitcoind_build.find_bitcoind()
    return bitcoind if name == "bitcoind" else bitcoind_build.bitcoin_cli(bitcoind)


@cache
def _help(name: str) -> frozenset[str]:
    args = ["-help", "-help-debug"] if name == "bitcoind" else ["-help"]
    out = subprocess.run(
        [str(_binary(name)), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return frozenset(_OPTION.findall(out))


def _unknown(name: str, options: set[str]) -> set[str]:
    """Options the binary rejects: not in its help and not parsed by `-opt=1 -version`."""
    out = set()
    for opt in sorted(options - _help(name)):
        run = subprocess.run(
            [str(_binary(name)), f"{opt}=1", "-version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if "Invalid parameter" in run.stdout + run.stderr:
            out.add(opt)
    return out


def test_bitcoin_conf_keys_and_bitcoind_flags_exist() -> None:
    c = _contract("bitcoind")
    names = {f"-{k}" for k in c.config_files[0].keys} | set(c.commands["bitcoind"].flags)
    assert _unknown("bitcoind", names) == set()


def test_an_unknown_option_is_rejected() -> None:  # the check above can fail
    assert _unknown("bitcoind", {"-rpcthreadz"}) == {"-rpcthreadz"}
    assert _unknown("bitcoin-cli", {"-rpcwaitt"}) == {"-rpcwaitt"}


def test_bitcoin_cli_flags_exist() -> None:
    for name in ("bitcoind", "miner"):
        cli = _contract(name).commands["bitcoin-cli"]
        assert _unknown("bitcoin-cli", set(cli.flags) | set(cli.switches)) == set(), name


def test_rpc_methods_the_scripts_call_exist(regtest_node: Any) -> None:
    for name in ("bitcoind", "miner"):
        subs = set(_contract(name).commands["bitcoin-cli"].subcommands or {})
        assert subs, name
        for method in subs:  # `help METHOD` knows hidden methods (generatetoaddress) too
            text = str(regtest_node.rpc.call("help", method))
            assert not text.startswith("help: unknown command"), (name, method)
