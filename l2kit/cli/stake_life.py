"""`l2kit stake create|list|status|unbond|withdraw|slash|funding-address`: the staker lifecycle
against the managed regtest node (``--datadir``), tracked in a crash-safe SQLite DB.

    l2kit stake create --fp FP_PK --amount SATS --time BLOCKS [--op-return] [--key-file F]
    l2kit stake status TXID [--watch]      l2kit stake list
    l2kit stake unbond TXID                l2kit stake withdraw TXID [--to ADDR]
    l2kit stake slash TXID --fp-secret-file F [--from staking|unbonding]

Every command first syncs the DB with the chain (resending recorded txs the node lost), so
re-running any command after a crash resumes where it stopped.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from l2kit.btc.keys import parse_pubkey, read_seckey_file, xonly_of
from l2kit.btc.network import Network
from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.cli.paramtypes import FiniteFloat
from l2kit.cli.stake_build import network_opt
from l2kit.cli.stake_common import FeeRate as FeeRate  # re-exported: stake_babylon uses it
from l2kit.cli.stake_common import (
    Where,
    babylon_rest_option,
    common,
    fee_rate_option,
    max_fee_rate_option,
    opened,
    staker_key_option,
    working,
)
from l2kit.cli.stake_show import human, human_list, left
from l2kit.staking import staker_key, unbonding_sigs
from l2kit.staking.funding import key_path_key
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.request import StakeRequest, check_fee_rate, funding_source
from l2kit.staking.states import State

_stderr = Console(stderr=True)


def notice_new_key(path: Path) -> None:
    """What `staker_key.StakerKey.keep` tells the user when it wrote a new key."""
    _stderr.print(f"generated a new staker key in {path} (mode 0600): back it up")


@click.command("create")
@common
@staker_key_option
@click.option("--fp", "fps", multiple=True, required=True, help="Finality provider public key.")
@click.option("--amount", type=int, required=True, help="Stake in sats.")
@click.option("--time", "staking_time", type=int, required=True, help="Staking time in blocks.")
@click.option("--op-return", is_flag=True, help="Add the phase-1 V0 OP_RETURN (params tag).")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fund from this hex secret's BIP86 P2TR address instead of the wallet.",
)
@fee_rate_option
@max_fee_rate_option("Refuse a funded tx paying more (sat/vB).")
@click.option("--nonce", default="", help="Make an otherwise identical request a new stake.")
def create(
    where: Where,
    as_json: bool,
    staker_key_file: Path | None,
    fps: tuple[str, ...],
    amount: int,
    staking_time: int,
    op_return: bool,
    key_file: Path | None,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
    nonce: str,
) -> None:
    """Build, fund, check and broadcast a staking tx (idempotent per request)."""
    key = staker_key.load_or_generate(staker_key_file)  # a new key is written after the checks
    seckey = key.seckey
    fp_keys = tuple(parse_pubkey(k, f"fp[{i}]") for i, k in enumerate(fps))
    funding_key = None if key_file is None else key_path_key(read_seckey_file(key_file, "key-file"))
    funding = funding_source(where.wallet, funding_key)
    req = StakeRequest(xonly_of(seckey), fp_keys, amount, staking_time, op_return, funding, nonce)
    with opened(where) as life:
        if funding_key is None:
            life.need_wallet()
        # bad input fails here, before the progress line and before a new key is written
        life.precheck(req, fee_rate, max_fee_rate)
        if key.new:
            seckey = key.keep(notice_new_key)
            req = StakeRequest(
                xonly_of(seckey), fp_keys, amount, staking_time, op_return, funding, nonce
            )
        with working("funding, checking and broadcasting the staking tx"):
            stake, existed = life.create(req, seckey, fee_rate, max_fee_rate, funding_key)
        data = life.status(stake, sync=False)
        data["existing"] = existed
        data["fee"] = stake.extra.get("fee")
        emit(data, as_json, human)


def _refresh(life: Lifecycle, rest: str | None, stakes: list[Any]) -> None:
    if rest is not None:
        from l2kit.cli.stake_babylon import refresh  # heavy: only with --babylon-rest

        refresh(life, rest, stakes)


@click.command("list")
@common
@babylon_rest_option
def list_(
    where: Where,
    as_json: bool,
    babylon_rest: str | None,
) -> None:
    """Every tracked stake with its Bitcoin state (synced with the chain) and Babylon state
    (asked now with --babylon-rest, else as last seen)."""
    with opened(where) as life:
        stakes = life.sync()
        _refresh(life, babylon_rest, stakes)
        rows = [life.status(s, sync=False) for s in stakes]

        emit(rows, as_json, human_list)


_SETTLED = {State.WITHDRAWABLE, State.WITHDRAWN, State.EXPIRED, State.ABANDONED}


@click.command("status")
@common
@babylon_rest_option
@click.argument("txid")
@click.option("--watch", is_flag=True, help="Keep syncing until the stake can be withdrawn.")
@click.option(
    "--interval",
    type=FiniteFloat(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between syncs while watching.",
)
@click.option(
    "--timeout",
    type=FiniteFloat(min=0),
    default=0.0,
    help="Stop watching after N s (0: never).",
)
def status(
    where: Where,
    as_json: bool,
    babylon_rest: str | None,
    txid: str,
    watch: bool,
    interval: float,
    timeout: float,
) -> None:
    """State, confirmations and blocks until withdrawable of one stake, and its Babylon
    state (asked now with --babylon-rest, else as last seen)."""
    with opened(where) as life:
        stake = life.get(txid)
        _refresh(life, babylon_rest, [stake])
        data = life.status(stake)
        if watch:
            data = _watch(life, txid, data, interval, timeout)
        emit(data, as_json, human)


def _watch(
    life: Lifecycle, txid: str, data: dict[str, Any], interval: float, timeout: float
) -> dict[str, Any]:
    """Sync until the stake settles; progress on stderr (a spinner, or a line per change)."""
    start = time.monotonic()
    last = ""
    with _stderr.status("") as spinner:
        while State(data["state"]) not in _SETTLED:
            line = f"{data['state']}: {data['confirmations']} conf, withdrawable in {left(data)}"
            if _stderr.is_terminal:
                spinner.update(line)
            elif line != last:
                click.echo(f"watching {txid[:16]}…: {line}", err=True)
            last = line
            if timeout and time.monotonic() - start > timeout:
                break
            time.sleep(interval)
            data = life.status(life.get(txid))
    return data


@click.command("unbond")
@common
@staker_key_option
@babylon_rest_option
@click.argument("txid")
def unbond(
    where: Where,
    as_json: bool,
    staker_key_file: Path | None,
    babylon_rest: str | None,
    txid: str,
) -> None:
    """Unbond early: covenant quorum signatures (from the Babylon chain for a registered
    stake, else the local committee) + staker signature, checked, broadcast."""
    seckey = staker_key.read(staker_key_file)
    with opened(where) as life:
        stake = life.get(txid)  # an unknown txid: one error line, no progress line
        chain_sigs = unbonding_sigs.for_unbond(life.tracker, stake, babylon_rest)
        with working("collecting covenant signatures and broadcasting the unbonding tx"):
            stake = life.unbond(stake, seckey, chain_sigs)
        emit(life.status(stake, sync=False), as_json, human)


@click.command("withdraw")
@common
@staker_key_option
@click.argument("txid")
@click.option(
    "--to", "to", default=None, help="Destination address [default: a new address of --wallet]."
)
@fee_rate_option
@max_fee_rate_option("Refuse a --fee-rate above this (sat/vB).")
def withdraw(
    where: Where,
    as_json: bool,
    staker_key_file: Path | None,
    txid: str,
    to: str | None,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
) -> None:
    """Withdraw after the timelock (staking expiry, unbonding or slashing change)."""
    check_fee_rate(fee_rate, max_fee_rate)  # before the key is read or the node asked
    seckey = staker_key.read(staker_key_file)
    with opened(where) as life:
        stake = life.get(txid)
        if to is None:
            to = str(life.need_wallet().call("getnewaddress"))
        stake = life.withdraw(stake, to, seckey, fee_rate, max_fee_rate)
        emit({**life.status(stake, sync=False), "to": to}, as_json, human)


@click.command("slash")
@common
@click.argument("txid")
@click.option(
    "--fp-secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The finality provider's extracted secret key (hex).",
)
@click.option(
    "--from",
    "source",
    type=click.Choice(["staking", "unbonding"]),
    default="staking",
    show_default=True,
    help="Slash the staking output or the unbonding output.",
)
def slash(
    where: Where,
    as_json: bool,
    txid: str,
    fp_secret_file: Path,
    source: str,
) -> None:
    """Slash with an FP's extracted key: decrypt the covenant adaptor sigs, sign, broadcast."""
    fp_secret = read_seckey_file(fp_secret_file, "fp-secret-file")
    with opened(where) as life:
        stake = life.slash(life.get(txid), fp_secret, source)
        emit(life.status(stake, sync=False), as_json, human)


@click.command("funding-address")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Hex secret key whose BIP86 address funds `create --key-file`.",
)
@network_opt
@json_option
def funding_address(key_file: Path, network: str, as_json: bool) -> None:
    """The BIP86 P2TR address (and descriptor) that `create --key-file` spends from."""
    key = key_path_key(read_seckey_file(key_file, "key-file"))
    net = Network.parse(network)
    emit({"address": key.address(net), "descriptor": key.descriptor}, as_json)


COMMANDS: list[click.Command] = [create, list_, status, unbond, withdraw, slash, funding_address]
