"""`l2kit stake register`: register a new stake on the Babylon chain (pre-staking flow).

    l2kit stake register --staker-key-file KEY --fp FP_PK --amount SATS --time BLOCKS
        --babylon-address bbn1… --params FILE --offline [--pop bip322|bip340|ecdsa] [--json]

``--offline`` contacts no Babylon endpoint: it funds the staking tx from the node's wallet
without broadcasting it, locks its inputs, records the stake as REGISTRATION_PENDING and prints
the checked ``MsgCreateBTCDelegation`` (``type_url``, ``msg_hex``) for any Babylon signer.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from l2kit.babylon.address import parse_address
from l2kit.btc.keys import parse_pubkey, xonly_of
from l2kit.cli.output import emit
from l2kit.cli.stake_life import (
    FeeRate,
    Where,
    _need_wallet,
    _save_new_key,
    _working,
    common,
    default_staker_key,
    fee_rate_option,
    opened,
    staker_key,
    staker_key_option,
)
from l2kit.errors import InputError
from l2kit.staking.pop import AddressType, PopType
from l2kit.staking.register_offline import RegisterRequest, precheck, register_offline

__all__ = ["COMMANDS"]


def _human(data: dict[str, Any]) -> None:
    for key in ("staking_txid", "state", "flow", "pop_type", "staker_addr", "params_version",
                "staking_value", "fee", "type_url"):  # fmt: skip
        click.echo(f"{key:<18} {data.get(key)}")
    click.echo(f"{'locked_inputs':<18} {', '.join(data.get('locked_inputs', []))}")
    click.echo(f"{'msg_hex':<18} {data['msg_hex']}")


@click.command("register")
@common
@staker_key_option
@click.option("--fp", "fps", multiple=True, required=True,
              help="Finality provider BTC public key (Babylon accepts exactly one).")  # fmt: skip
@click.option("--amount", type=int, required=True, help="Stake in sats.")
@click.option("--time", "staking_time", type=int, required=True, help="Staking time in blocks.")
@click.option("--babylon-address", required=True,
              help="The staker's Babylon account (bbn1…): signer, gets rewards.")  # fmt: skip
@click.option("--pop", "pop_type", type=click.Choice([p.value for p in PopType]),
              default=PopType.BIP322.value, show_default=True,
              help="Proof-of-possession signature type.")  # fmt: skip
@click.option("--pop-address-type", type=click.Choice([a.value for a in AddressType]),
              default=AddressType.P2TR.value, show_default=True,
              help="BIP-322 address of the staker key (BIP-86 P2TR or P2WPKH).")  # fmt: skip
@click.option("--offline", is_flag=True,
              help="Build, fund (not broadcast), record; print the msg; send nothing.")  # fmt: skip
@fee_rate_option
@click.option("--max-fee-rate", type=FeeRate(), default=Decimal(50), show_default=True,
              help="Refuse a funded tx paying more (sat/vB).")  # fmt: skip
def register(
    where: Where,
    as_json: bool,
    staker_key_file: Path | None,
    fps: tuple[str, ...],
    amount: int,
    staking_time: int,
    babylon_address: str,
    pop_type: str,
    pop_address_type: str,
    offline: bool,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
) -> None:
    """Register a new stake with Babylon (pre-staking flow): build, check, fund, hold."""
    if not offline:
        raise InputError("online registration not available in this build", field="offline")
    address = parse_address(babylon_address)
    fp_keys = tuple(parse_pubkey(k, f"fp[{i}]") for i, k in enumerate(fps))
    if len(fp_keys) != 1:
        raise InputError(f"Babylon accepts exactly one finality provider, got {len(fp_keys)}",
                         field="fp")  # fmt: skip
    key_path = staker_key_file or default_staker_key()
    new_key = not key_path.exists()
    # a missing key is generated in memory and written only after every check passed
    seckey = secrets.token_bytes(32) if new_key else staker_key(key_path, create=False)
    kinds = PopType(pop_type), AddressType(pop_address_type)
    req = RegisterRequest(xonly_of(seckey), fp_keys, amount, staking_time, address, *kinds,
                          wallet=where.wallet)  # fmt: skip
    with opened(where) as ctx:
        _need_wallet(ctx, where.wallet)
        if new_key:
            precheck(ctx.life, req, seckey)  # bad input fails before the key is written
            seckey = _save_new_key(key_path, seckey)
            req = RegisterRequest(xonly_of(seckey), fp_keys, amount, staking_time, address,
                                  *kinds, wallet=where.wallet)  # fmt: skip
        with _working("checking, funding (not broadcasting) and recording the registration"):
            reg, stake, existed = register_offline(ctx.life, req, seckey, fee_rate, max_fee_rate)
        stored = stake.extra.get("registration")
        stored = stored if isinstance(stored, dict) else {}
        data = {
            **reg.to_json(),
            "state": stake.state.value,
            "fee": stake.extra.get("fee"),
            "locked_inputs": stored.get("locked_inputs", []),
            "btc_tip_height": stored.get("btc_tip_height"),
            "existing": existed,
        }
        emit(data, as_json, _human)


COMMANDS: list[click.Command] = [register]
