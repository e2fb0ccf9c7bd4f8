"""The Babylon side of `l2kit stake`: options and helpers shared by register, unbond, status.

    --babylon-rest URL          Babylon REST (LCD) endpoint, e.g. http://127.0.0.1:1317
    --babylon-key-file FILE     hex secp256k1 secret of the staker's Babylon account (0600)
    --chain-id ID               must be the node's; bbn-1 with mainnet, bbn-test-6 with signet,
                                a private devnet (not those) with regtest
    --gas-price DEC             ubbn per gas unit       --gas-adjustment DEC  x simulated gas

Money-moving commands on mainnet also need ``--yes-mainnet`` (refused in one line otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from l2kit.babylon_networks import chain_id_problem
from l2kit.btc.keys import read_seckey_file
from l2kit.btc.network import Network
from l2kit.cli.stake_life import FeeRate
from l2kit.errors import InputError

if TYPE_CHECKING:  # the chain client (httpx, pydantic models) loads only when a command runs
    from l2kit.staking.lifecycle import Lifecycle
    from l2kit.staking.registration_flow import Babylon
    from l2kit.staking.tracker import Stake

DEFAULT_GAS_PRICE = Decimal("0.002")  # ubbn; Babylon's documented minimum gas price


class PositiveDecimal(FeeRate):
    name = "DECIMAL"


def babylon_options(required: bool) -> Callable[[Any], Any]:
    def add(f: Any) -> Any:
        for option in reversed(
            [
                click.option(
                    "--babylon-rest",
                    default=None,
                    required=False,
                    help="Babylon REST (LCD) URL"
                    + ("" if required else " (refresh the Babylon state)"),
                ),
                click.option(
                    "--babylon-key-file",
                    type=click.Path(dir_okay=False, path_type=Path),
                    default=None,
                    help="Hex secret of the Babylon account key (0600).",
                ),
                click.option(
                    "--chain-id",
                    default=None,
                    help="Babylon chain id [default: the node's; checked].",
                ),
                click.option(
                    "--gas-price",
                    type=PositiveDecimal(),
                    default=DEFAULT_GAS_PRICE,
                    show_default=True,
                    help="ubbn per gas unit.",
                ),
                click.option(
                    "--gas-adjustment",
                    type=PositiveDecimal(),
                    default=Decimal("1.5"),
                    show_default=True,
                    help="Gas limit = simulated gas x this.",
                ),
            ]
        ):
            f = option(f)
        return f

    return add


yes_mainnet_option = click.option(
    "--yes-mainnet", is_flag=True, help="Required to move real BTC / BABY on mainnet."
)


def confirm_mainnet(net: Network, yes: bool) -> None:
    if net is Network.MAINNET and not yes:
        raise InputError("this moves real BTC on mainnet: add --yes-mainnet", field="yes-mainnet")


def open_babylon(
    net: Network,
    rest: str | None,
    key_file: Path | None,
    chain_id: str | None,
    gas_price: Decimal,
    gas_adjustment: Decimal,
) -> Babylon:
    """A checked Babylon connection: the node's chain id matches ``--chain-id`` and the
    Bitcoin network, and the key file holds a valid secret."""
    if rest is None:
        raise InputError("needed to talk to the Babylon chain", field="babylon-rest")
    if key_file is None:
        raise InputError("needed to sign Babylon txs", field="babylon-key-file")
    from l2kit.babylon.client import BabylonClient
    from l2kit.staking.registration_flow import Babylon

    key = read_seckey_file(key_file, "babylon-key-file")
    client = BabylonClient(rest)
    try:
        actual = client.chain_id()
        if chain_id is not None and chain_id != actual:
            raise InputError(f"{chain_id} but the node at {rest} runs {actual}", field="chain-id")
        if (problem := chain_id_problem(net.value, actual)) is not None:
            raise InputError(problem.on_node(), field="chain-id")
    except BaseException:
        client.close()
        raise
    return Babylon(client, actual, key, gas_price, gas_adjustment)


def refresh(life: Lifecycle, rest: str | None, stakes: list[Stake]) -> None:
    """With ``--babylon-rest``: the Babylon state of each registered stake, asked now."""
    if rest is None:
        return
    from l2kit.babylon.client import BabylonClient
    from l2kit.staking.registration_flow import refresh_state

    with BabylonClient(rest) as client:
        for stake in stakes:
            refresh_state(life, client, stake)
