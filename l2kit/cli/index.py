"""`l2kit index scan|follow|stats|stakes|invalid|alarms`: the phase-1 staking indexer.

    l2kit index scan   [--start-height H]       index confirmed blocks up to the tip, then exit
    l2kit index follow [--textfile F]           keep indexing (ZMQ hashblock, fallback polling)
    l2kit index stats  --json                   counts and active TVL (for the monitor)
    l2kit index stakes|invalid|alarms --json    the rows

Params: ``--params FILE`` (phase-1 global-params format) or the local covenant committee's
regtest params. DB: ``--db`` / ``$L2KIT_INDEX_DB`` / ``<data dir>/index.db``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from l2kit import paths
from l2kit.btc.network import Network
from l2kit.cli.options import json_option
from l2kit.cli.output import emit, human_value
from l2kit.cli.paramtypes import FiniteFloat
from l2kit.cli.regtest import datadir_option
from l2kit.regtest.node import RegtestNode
from l2kit.staking.follow import follow as follow_loop
from l2kit.staking.follow import write_textfile
from l2kit.staking.indexer import Indexer, IndexStore, Stats
from l2kit.staking.params import ParamsSet, resolve

_stderr = Console(stderr=True)


def _params(params_file: Path | None) -> ParamsSet:
    return resolve(params_file=params_file, committee_dir=paths.covenant_dir())


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Index DB [default: ${paths.INDEX_DB_ENV} or <data dir>/index.db].",
)
params_option = click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Params file [default: the local committee's regtest params].",
)
start_option = click.option(
    "--start-height",
    type=click.IntRange(min=0),
    default=None,
    help="First height to index on an empty DB [default: first params activation height].",
)


@contextmanager
def _store(db: Path | None, *, create: bool = True) -> Iterator[IndexStore]:
    store = IndexStore(db or paths.index_db(), create=create)
    try:
        yield store
    finally:
        store.close()


def _make_indexer(
    store: IndexStore, datadir: Path | None, params: ParamsSet, start: int | None
) -> Indexer:
    rpc = RegtestNode(datadir or paths.regtest_datadir()).rpc()
    net = Network.parse(rpc.getblockchaininfo().chain)
    first = store.first_height()
    if first is None:
        first = start if start is not None else params.versions[0].activation_height
    return Indexer(store, rpc, params, net, first)


def _human_stats(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key == "height" and value == -1:
            value = "- (nothing indexed yet)"
        click.echo(f"{key:<18} {human_value(value)}")


textfile_option = click.option(
    "--textfile",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the l2kit_index_* gauges to this file (node-exporter textfile collector).",
)


def _check_node(datadir: Path | None) -> None:
    """Fail on a missing/stopped node before the index DB is created."""
    node = RegtestNode(datadir or paths.regtest_datadir())
    try:
        node.rpc()
    finally:
        node.close()


@click.group()
def index() -> None:
    """Phase-1 staking indexer over the node's blocks."""


@index.command("scan")
@datadir_option
@db_option
@params_option
@start_option
@textfile_option
@json_option
def scan(
    datadir: Path | None,
    db: Path | None,
    params_file: Path | None,
    start_height: int | None,
    textfile: Path | None,
    as_json: bool,
) -> None:
    """Index every confirmed block not yet indexed, then print the stats."""
    params = _params(params_file)
    _check_node(datadir)
    with _store(db) as store:
        indexer = _make_indexer(store, datadir, params, start_height)
        with _stderr.status("indexing") as spinner:
            indexer.scan(on_block=_progress(spinner))
        stats = store.stats()
        if textfile is not None:
            write_textfile(textfile, stats)
        emit(stats.as_dict(), as_json, _human_stats)


def _progress(spinner: Any) -> Callable[[int, object], None]:
    """A spinner on a terminal; otherwise an "indexing block H" line at most every 10 s."""
    last = [0.0]

    def on_block(height: int, _result: object) -> None:
        if _stderr.is_terminal:
            spinner.update(f"indexing block {height}")
        elif time.monotonic() - last[0] >= 10:
            last[0] = time.monotonic()
            click.echo(f"indexing block {height}", err=True)

    return on_block


@index.command("follow")
@datadir_option
@db_option
@params_option
@start_option
@click.option("--zmq", "zmq_endpoint", default=None, help="ZMQ endpoint [default: the node's].")
@click.option("--no-zmq", is_flag=True, help="Poll instead of listening to ZMQ.")
@click.option(
    "--poll-interval",
    type=FiniteFloat(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between polls without ZMQ (and the reconnect pace).",
)
@textfile_option
@click.option(
    "--max-updates",
    type=click.IntRange(min=0),
    default=0,
    help="Exit after N updates (0: never).",
)
@json_option
def follow(
    datadir: Path | None,
    db: Path | None,
    params_file: Path | None,
    start_height: int | None,
    zmq_endpoint: str | None,
    no_zmq: bool,
    poll_interval: float,
    textfile: Path | None,
    max_updates: int,
    as_json: bool,
) -> None:
    """Follow the tip (ZMQ hashblock, polling fallback); survives node restarts and reorgs."""
    params = _params(params_file)
    node = RegtestNode(datadir or paths.regtest_datadir())
    if zmq_endpoint is None and not no_zmq:
        state = node.state()
        zmq_endpoint = state.zmq.get("hashblock") if state else None
    stop = {"flag": False, "updates": 0}

    def on_signal(_sig: int, _frame: object) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)

    def on_update(stats: Stats) -> None:
        stop["updates"] += 1
        if as_json:
            emit(stats.as_dict(), True)
        else:  # progress for people, on stderr
            click.echo(
                f"indexed to height {stats.height}: {stats.stakes_active} active stakes, "
                f"active TVL {stats.active_tvl_sat} sat, {stats.alarms} alarms",
                err=True,
            )
        if max_updates and stop["updates"] >= max_updates:
            stop["flag"] = True

    with _store(db) as store:
        follow_loop(
            lambda: _make_indexer(store, datadir, params, start_height),
            zmq_endpoint=zmq_endpoint,
            poll_interval=poll_interval,
            textfile=textfile,
            should_stop=lambda: bool(stop["flag"]),
            on_update=on_update,
        )


@index.command("stats")
@db_option
@textfile_option
@json_option
def stats(db: Path | None, textfile: Path | None, as_json: bool) -> None:
    """Counts and active TVL of the index (no node needed)."""
    with _store(db, create=False) as store:
        data = store.stats()
        if textfile is not None:
            write_textfile(textfile, data)
        emit(data.as_dict(), as_json, _human_stats)


_EMPTY = {"stakes": "no stakes indexed", "invalid": "no invalid txs", "alarms": "no alarms"}


def _rows_command(name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @db_option
    @json_option
    def command(db: Path | None, as_json: bool) -> None:
        with _store(db, create=False) as store:
            rows = getattr(store, name)()

            def human(data: list[dict[str, Any]]) -> None:
                if not data:
                    click.echo(_EMPTY[name])
                for row in data:
                    click.echo("  ".join(f"{k}={v}" for k, v in row.items() if v is not None))

            emit(rows, as_json, human)

    return command


for _name, _help in (
    ("stakes", "Indexed staking txs (active and overflow) with their spends."),
    ("invalid", "Tagged txs that broke a phase-1 rule, with the reason."),
    ("alarms", "Spends of staking/unbonding outputs by an unexpected path."),
):
    index.add_command(_rows_command(_name, _help))


COMMANDS: list[click.Command] = [index]
