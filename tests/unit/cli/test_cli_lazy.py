"""Lazy command loading (issue #14): the registries in ``l2kit.cli`` match the commands they
stand for, and ``--help`` and the offline commands do not import the heavy libraries or the
monitor/render packages (checked in a fresh interpreter through ``sys.modules``, not by time)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from support.paths import ROOT

from l2kit.cli import REGTEST, STAKE, TOP, Registry
from l2kit.cli.app import cli
from l2kit.cli.lazy import LazyGroup

VECTOR = json.loads(
    (ROOT / "tests" / "vectors" / "data" / "babylon-btcstaking-testvectors.json").read_text()
)["vectors"][1]["parameters"]
STAKER = "8403289db2a2b917573d1a3118e43c689df51e74e6d0dab742a44c1d3c3ec3e0"
FP = "989c0b76cb563971fdc9bef31ec06c3560f3249d6ee9e5d83c57625596e05f6f"

GROUPS: list[tuple[str, Registry]] = [("l2kit", TOP), ("stake", STAKE), ("regtest", REGTEST)]


def _group(path: str) -> click.Group:
    group = cli if path == "l2kit" else cli.get_command(click.Context(cli), path)
    assert isinstance(group, click.Group)
    return group


@pytest.mark.parametrize(("path", "registry"), GROUPS)
def test_registry_names_module_and_short_help_of_each_command(
    path: str, registry: Registry
) -> None:
    group = _group(path)
    for name, (module, short_help) in registry.items():
        command = group.get_command(click.Context(group), name)
        assert command is not None, f"{path} {name}"
        assert command.callback is not None
        assert command.callback.__module__ == f"l2kit.cli.{module}" or isinstance(
            command, click.Group
        )
        # what --help prints before the module is loaded is what the command itself says
        assert command.get_short_help_str(limit=10_000) == short_help, f"{path} {name}"


@pytest.mark.parametrize("registry", [TOP, STAKE, REGTEST])
def test_every_command_of_a_registered_module_is_registered(registry: Registry) -> None:
    """A command appended to a module's COMMANDS without its registry line would be invisible."""
    for module in {m for m, _ in registry.values()}:
        names = {c.name for c in importlib.import_module(f"l2kit.cli.{module}").COMMANDS}
        assert names <= set(registry), (module, names - set(registry))


def test_every_cli_module_with_commands_is_in_a_registry() -> None:
    """A new module under l2kit/cli with a COMMANDS list but no registry line would never load."""
    registered = {m for registry in (TOP, STAKE, REGTEST) for m, _ in registry.values()}
    package = Path(importlib.import_module("l2kit.cli").__file__ or "").parent
    with_commands = {
        info.name
        for info in pkgutil.iter_modules([str(package)])
        if hasattr(importlib.import_module(f"l2kit.cli.{info.name}"), "COMMANDS")
    }
    assert with_commands == registered


def test_help_lists_a_command_without_loading_it() -> None:
    group = LazyGroup("fresh", lazy={"init": TOP["init"]})
    text = group.get_help(click.Context(group))
    assert "  init  Print a complete, commented stack spec for PROFILE." in text.splitlines()
    assert "init" not in group.commands
    assert group.get_command(click.Context(group), "init") is not None
    assert "init" in group.commands


BASE_FORBIDDEN = ("kubernetes", "prometheus_client", "httpx", "l2kit.monitor", "l2kit.render")
LIGHT = ("structlog", "rich", "jinja2", "yaml", "tenacity")
# What the offline paths stopped importing (issue #14: start-up time): the params models and
# what pydantic loads with them, python-bitcoinlib where no transaction is built, pathlib
# (with urllib.parse and ipaddress), decimal/fractions where no rate is given.
PARAMS_MODEL = (
    "pydantic",
    "importlib.metadata",
    "importlib.resources",
    "l2kit.staking.params",
    "l2kit.staking.params_model",
)
STDLIB_SLOW = ("pathlib", "decimal", "fractions")
EC_TX = ("coincurve", "bitcoin")  # libsecp256k1 bindings; python-bitcoinlib
# What the fast lane's commands never load: click (l2kit.cli.fastlane) and dataclasses with the
# inspect module it pulls in (l2kit.frozen stands in on their paths).
NO_CLICK = ("click", "l2kit.cli.app", "dataclasses", "inspect")

# Modules the interpreter loaded before l2kit (site hooks, coverage …) are not l2kit's doing.
_PROBE = """
import json, sys
before = set(sys.modules)
from l2kit.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(set(sys.modules) - before)}, f)
"""


def _modules(tmp_path: Path, argv: list[str], stdin: str = "") -> set[str]:
    out = tmp_path / "modules.json"
    res = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    data = json.loads(out.read_text())
    assert data["code"] in (0, None), res.stderr
    return set(data["modules"])


def _imported(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


ADDRESS = ["stake", "address", "--staker", STAKER, "--fp", FP, "--staking-time", "64000"]
OFFLINE = (*BASE_FORBIDDEN, *LIGHT, *PARAMS_MODEL, *STDLIB_SLOW)


@pytest.mark.parametrize(
    ("argv", "stdin", "forbidden"),
    [
        (["--help"], "", (*OFFLINE, *EC_TX, "l2kit.staking", "l2kit.btc", "l2kit.redact")),
        (["stake", "--help"], "", (*OFFLINE, *EC_TX, "l2kit.staking")),
        # conformance builds its txs with python-bitcoinlib, but not through the other stake
        # builders' module, and never reads an address (bitcoin.base58)
        (
            ["stake", "conformance"],
            json.dumps(VECTOR),
            (
                *OFFLINE,
                *NO_CLICK,
                "l2kit.cli.stake_build",
                "l2kit.cli.paramtypes",
                "bitcoin.base58",
            ),
        ),
        # bundled committee read without the params model; no bundled params: none looked for
        ([*ADDRESS, "--network", "mainnet"], "", (*OFFLINE, *NO_CLICK, "bitcoin.base58")),
        (
            [
                *ADDRESS,
                "--network",
                "regtest",
                "--quorum",
                "2",
                *(a for k in VECTOR["covenant_public_keys"][:3] for a in ("--covenant", k)),
            ],
            "",
            (*OFFLINE, *NO_CLICK, "bitcoin.base58"),
        ),
    ],
)
def test_offline_commands_import_no_heavy_library(
    tmp_path: Path, argv: list[str], stdin: str, forbidden: tuple[str, ...]
) -> None:
    assert _imported(_modules(tmp_path, argv, stdin), forbidden) == []


def test_init_imports_only_the_profiles_text(tmp_path: Path) -> None:
    """``init`` prints text from ``l2kit.render.profiles`` (plain strings): that module and its
    package are the only render modules it loads; nothing of the rendering pipeline."""
    modules = _modules(tmp_path, ["init", "--profile", "devnet"])
    assert _imported(modules, ("l2kit.render",)) == ["l2kit.render", "l2kit.render.profiles"]
    heavy = (
        "kubernetes",
        "prometheus_client",
        "httpx",
        "l2kit.monitor",
        *LIGHT,
        *PARAMS_MODEL,
        *STDLIB_SLOW,
        *EC_TX,
        *NO_CLICK,
        "hashlib",
    )
    assert _imported(modules, heavy) == []
