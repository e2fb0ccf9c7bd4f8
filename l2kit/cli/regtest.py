"""`l2kit regtest` commands: build bitcoind and run a managed local regtest node.

l2kit regtest install                 build bitcoind into the cache (no-op if complete)
l2kit regtest up|status|down          start / inspect / stop the node (--datadir DIR)
l2kit regtest mine N [--to ADDR]      mine blocks
l2kit regtest fund ADDR AMOUNT        send BTC from the node wallet and confirm it
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from l2kit import paths
from l2kit.cli import REGTEST
from l2kit.cli.lazy import LazyGroup
from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.errors import InputError

if TYPE_CHECKING:
    from l2kit.regtest.node import RegtestNode


@click.group(cls=LazyGroup, lazy=REGTEST)
def regtest() -> None:
    """Build and run a local Bitcoin Core regtest node."""


datadir_option = click.option(
    "--datadir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Node datadir [default: <l2kit data dir>/regtest].",
)
bitcoind_option = click.option(
    "--bitcoind",
    "bitcoind_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="bitcoind binary to use [default: $L2KIT_BITCOIND, PATH (>= 28), then the cache].",
)


def _node(datadir: Path | None, bitcoind: Path | None = None) -> RegtestNode:
    from l2kit.regtest.node import RegtestNode  # httpx, tenacity: only for commands that use a node

    return RegtestNode(datadir or paths.regtest_datadir(), bitcoind=bitcoind)


def _show_status(data: dict[str, Any]) -> None:
    if not data["running"]:
        click.echo(f"regtest node: not running (datadir {data['datadir']})")
        return
    click.echo(f"regtest node: running (pid {data['pid']}, bitcoind {data['version']})")
    rows = [
        ("datadir", data["datadir"]),
        ("rpc", data["rpc_url"]),
        ("chain", data["chain"]),
        ("blocks", f"{data['blocks']} (headers {data['headers']})"),
        ("wallet", f"{data['wallet']}: {Decimal(data['wallet_balance_sat']) / 10**8:.8f} BTC"),
    ]
    rows += [(f"zmq {topic}", endpoint) for topic, endpoint in data["zmq"].items()]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"  {key:<{width}}  {value}")


def _int_arg(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value, 10)
    except ValueError:
        raise InputError(f"{value!r} is not a whole number", field=name) from None
    if not low <= number <= high:
        raise InputError(f"must be from {low} to {high}, got {number}", field=name)
    return number


@regtest.command()
@click.option("--quiet", is_flag=True, help="Do not stream the build's progress.")
@json_option
def install(quiet: bool, as_json: bool) -> None:
    """Build bitcoind + bitcoin-cli into the cache (a complete install is never rebuilt)."""
    from l2kit.regtest import build

    result = build.install(progress=not quiet)
    data = {
        "bin_dir": str(result.bin_dir),
        "bitcoind": str(result.bitcoind),
        "bitcoin_cli": str(result.bitcoin_cli),
        "cached": result.cached,
    }
    emit(
        data,
        as_json,
        lambda d: click.echo(
            f"bitcoind {'already installed (cached)' if d['cached'] else 'installed'}: "
            f"{d['bitcoind']}"
        ),
    )


@regtest.command()
@datadir_option
@bitcoind_option
@json_option
def up(datadir: Path | None, bitcoind_path: Path | None, as_json: bool) -> None:
    """Start the node (no-op if it is already running): wallet 'l2kit', 101 blocks mined."""
    data = _node(datadir, bitcoind_path).up()

    def human(d: dict[str, Any]) -> None:
        click.echo("started" if d["started"] else "already running")
        _show_status(d)

    emit(data, as_json, human)


@regtest.command()
@datadir_option
@json_option
def status(datadir: Path | None, as_json: bool) -> None:
    """Show the node's chain, height, RPC URL and wallet balance (exit 0 even if down)."""
    emit(_node(datadir).status(), as_json, _show_status)


@regtest.command()
@click.argument("n", metavar="N")
@click.option("--to", "address", default=None, help="Address to mine to [default: node wallet].")
@datadir_option
@json_option
def mine(n: str, address: str | None, datadir: Path | None, as_json: bool) -> None:
    """Mine N blocks (1..10000)."""
    blocks = _int_arg(n, "N", 1, 10_000)
    node = _node(datadir)
    hashes = node.mine(blocks, address)
    height = node.rpc().getblockcount()
    data = {"blocks": hashes, "count": len(hashes), "height": height}
    emit(data, as_json, lambda d: click.echo(f"mined {d['count']} block(s); height {d['height']}"))


@regtest.command()
@click.argument("address")
@click.argument("amount")
@datadir_option
@json_option
def fund(address: str, amount: str, datadir: Path | None, as_json: bool) -> None:
    """Send AMOUNT BTC from the node wallet to ADDRESS and mine 1 block to confirm it."""
    node = _node(datadir)
    txid = node.fund(address, amount)
    data = {"txid": txid, "address": address, "amount": amount, "confirmations": 1}
    emit(
        data,
        as_json,
        lambda d: click.echo(f"sent {d['amount']} BTC to {d['address']}: {d['txid']}"),
    )


@regtest.command()
@click.option("--purge", is_flag=True, help="Also delete the datadir (only an l2kit one).")
@datadir_option
@json_option
def down(purge: bool, datadir: Path | None, as_json: bool) -> None:
    """Stop the node (RPC stop; SIGKILL only after a timeout)."""
    data = _node(datadir).down(purge=purge)

    def human(d: dict[str, Any]) -> None:
        what = "stopped" if d["stopped"] else "was not running"
        click.echo(f"regtest node {what}{'; datadir removed' if d['purged'] else ''}")

    emit(data, as_json, human)


COMMANDS: list[click.Command] = [regtest]
