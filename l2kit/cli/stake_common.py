"""The options every `l2kit stake` node command shares, and how they open a ``Lifecycle``.

``common`` adds the node/wallet/DB/committee/params options and hands them to the command as
one ``where: Where``; ``opened(where)`` is ``Lifecycle.open`` on the managed regtest node or on
any bitcoind by URL. Everything the lifecycle decides lives in ``l2kit.staking``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from l2kit import paths
from l2kit.btc.network import Network
from l2kit.cli.options import json_option
from l2kit.cli.regtest import datadir_option
from l2kit.errors import InputError
from l2kit.regtest.node import WALLET, RegtestNode
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.params import ParamsSet
from l2kit.staking.request import DEFAULT_FEE_RATE, DEFAULT_MAX_FEE_RATE

__all__ = [
    "FeeRate",
    "Where",
    "babylon_rest_option",
    "common",
    "fee_rate_option",
    "max_fee_rate_option",
    "opened",
    "staker_key_option",
    "working",
]

RPC_PASSWORD_ENV = "L2KIT_RPC_PASSWORD"
_stderr = Console(stderr=True)


@dataclass(frozen=True)
class Where:
    """The node, wallet, stake DB, committee and params a lifecycle command works against."""

    datadir: Path | None
    wallet: str
    db: Path | None
    covenant_dir: Path | None
    params_file: Path | None
    rpc_url: str | None = None  # any bitcoind instead of the managed regtest node
    rpc_cookie_file: Path | None = None
    rpc_user: str | None = None  # the password comes from $L2KIT_RPC_PASSWORD only


@contextmanager
def opened(
    where: Where, chain_params: Callable[[Network], ParamsSet] | None = None
) -> Iterator[Lifecycle]:
    """``Lifecycle.open`` on the managed regtest node, or on any bitcoind by URL (cookie, or
    user + $L2KIT_RPC_PASSWORD). ``chain_params``: the params come from the Babylon chain."""
    password = os.environ.get(RPC_PASSWORD_ENV)
    if where.rpc_url is not None and where.rpc_user is not None and password is None:
        raise InputError(f"--rpc-user needs ${RPC_PASSWORD_ENV}", field="rpc-user")
    node = None if where.rpc_url else RegtestNode(where.datadir or paths.regtest_datadir())
    try:
        with Lifecycle.open(
            node.rpc() if node else str(where.rpc_url),
            cookie_file=where.rpc_cookie_file,
            user=where.rpc_user,
            password=password,
            label=str(node.datadir) if node else None,
            wallet=where.wallet,
            db=where.db,
            covenant_dir=where.covenant_dir,
            params_file=where.params_file,
            chain_params=chain_params,
        ) as life:
            yield life
    finally:
        if node is not None:
            node.close()


def _path(kind: str, name: str, *decls: str, help: str) -> Callable[[Any], Any]:
    ptype = click.Path(dir_okay=kind == "dir", file_okay=kind == "file", path_type=Path)
    return click.option(name, *decls, type=ptype, default=None, help=help)


_WHERE_OPTIONS = [
    datadir_option,
    click.option(
        "--rpc-url",
        default=None,
        help="Any bitcoind (http://host:port) instead of the managed node.",
    ),
    _path("file", "--rpc-cookie-file", help="bitcoind .cookie for --rpc-url."),
    click.option(
        "--rpc-user", default=None, help=f"RPC user for --rpc-url (password: ${RPC_PASSWORD_ENV})."
    ),
    click.option("--wallet", default=WALLET, show_default=True, help="bitcoind wallet."),
    _path(
        "file", "--db", help=f"Stake DB [default: ${paths.STAKE_DB_ENV} or <data dir>/stakes.db]."
    ),
    _path("dir", "--covenant-dir", help="Local covenant committee [default: <data dir>/covenant]."),
    _path(
        "file",
        "--params",
        "params_file",
        help="Staking params file [default: the committee's regtest params].",
    ),
    json_option,
]


def common(command: Callable[..., None]) -> Any:
    """Options every lifecycle command takes; the node/DB/committee/params ones arrive as one
    ``where: Where``."""

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        where = Where(**{f.name: kwargs.pop(f.name) for f in fields(Where)})
        command(where=where, **kwargs)

    wrapped: Any = run
    for option in reversed(_WHERE_OPTIONS):
        wrapped = option(wrapped)
    return wrapped


if TYPE_CHECKING:  # click >= 8.2 types ParamType as generic; older versions are not subscriptable
    _DecimalParam = click.ParamType[Decimal, Any]
else:
    _DecimalParam = click.ParamType


class FeeRate(_DecimalParam):
    """A positive decimal number of sat/vB (click's own Decimal handling crashes on junk)."""

    name = "SAT/VB"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            rate = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not rate.is_finite() or rate <= 0:
            self.fail(f"{value!r} must be a positive number", param, ctx)
        return rate


staker_key_option = _path(
    "file",
    "--staker-key-file",
    help="Hex secret of the staker key [default: <data dir>/staker.key].",
)
fee_rate_option = click.option(
    "--fee-rate", type=FeeRate(), default=DEFAULT_FEE_RATE, show_default=True, help="sat/vB."
)
babylon_rest_option = click.option(
    "--babylon-rest", default=None, help="Babylon REST URL (registered stakes: the chain's state)."
)


def max_fee_rate_option(help: str) -> Callable[[Any], Any]:
    """``--max-fee-rate``: the cap ``staking.request.check_fee_rate`` holds the tx to."""
    return click.option(
        "--max-fee-rate", type=FeeRate(), default=DEFAULT_MAX_FEE_RATE, show_default=True, help=help
    )


@contextmanager
def working(what: str) -> Iterator[None]:
    """A spinner on a terminal; otherwise one ``what…`` line on stderr (logs, CI)."""
    if _stderr.is_terminal:
        with _stderr.status(what):
            yield
    else:
        click.echo(f"{what}…", err=True)
        yield
