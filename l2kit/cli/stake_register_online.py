"""`l2kit stake register` without ``--offline``: send the registration and follow it.

Progress goes to stderr (one line per change); the result (stake status with its Babylon
state) to stdout, JSON with ``--json``. ``--timeout`` stops following after N seconds (the
stake stays recorded; rerun with ``--stake TXID`` to resume); 0 follows until ACTIVE.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from l2kit.babylon.address import parse_address
from l2kit.btc.keys import parse_pubkey, xonly_of
from l2kit.btc.network import Network
from l2kit.cli.output import emit
from l2kit.cli.paramtypes import FiniteFloat
from l2kit.cli.stake_babylon import (
    babylon_options,
    confirm_mainnet,
    open_babylon,
    yes_mainnet_option,
)
from l2kit.cli.stake_common import Where, opened
from l2kit.cli.stake_life import notice_new_key
from l2kit.cli.stake_show import human as status_human
from l2kit.errors import InputError
from l2kit.staking import staker_key
from l2kit.staking.params_model import ParamsSet
from l2kit.staking.pop import AddressType, PopType
from l2kit.staking.register_offline import RegisterRequest, precheck

if TYPE_CHECKING:  # the chain client loads only when the command runs
    from l2kit.staking.registration_flow import Babylon

__all__ = ["Online", "need_new_stake_options", "online_options", "run_online"]

_KEYS = (
    "babylon_rest",
    "babylon_key_file",
    "chain_id",
    "gas_price",
    "gas_adjustment",
    "no_inclusion_proof",
    "timeout",
    "interval",
    "yes_mainnet",
)


@dataclass(frozen=True)
class Online:
    babylon_rest: str | None
    babylon_key_file: Path | None
    chain_id: str | None
    gas_price: Decimal
    gas_adjustment: Decimal
    no_inclusion_proof: bool
    timeout: float
    interval: float
    yes_mainnet: bool


def online_options(f: Callable[..., None]) -> Callable[..., None]:
    """The online options, handed to the command as one ``online: Online``."""

    @functools.wraps(f)
    def run(**kwargs: Any) -> None:
        f(online=Online(*(kwargs.pop(k) for k in _KEYS)), **kwargs)

    wrapped: Any = run
    for option in reversed(
        [
            babylon_options(required=True),
            click.option(
                "--no-inclusion-proof",
                is_flag=True,
                help="Someone else (e.g. vigilante) submits the inclusion proof.",
            ),
            click.option(
                "--timeout",
                type=FiniteFloat(min=0),
                default=0.0,
                help="Stop following after N s (0: until ACTIVE); rerun to resume.",
            ),
            click.option(
                "--interval",
                type=FiniteFloat(min=0.05),
                default=2.0,
                show_default=True,
                help="Seconds between polls while following.",
            ),
            yes_mainnet_option,
        ]
    ):
        wrapped = option(wrapped)
    return wrapped  # type: ignore[no-any-return]


def need_new_stake_options(
    fps: tuple[str, ...], amount: int | None, staking_time: int | None
) -> None:
    """A new stake needs --fp, --amount and --time (one line otherwise)."""
    for value, name in ((fps, "fp"), (amount, "amount"), (staking_time, "time")):
        if value is None or value == ():
            raise InputError("required for a new stake (or --stake TXID)", field=name)


def _progress(line: str) -> None:
    click.echo(line, err=True)


def run_online(
    where: Where,
    as_json: bool,
    staker_key_file: Path | None,
    fps: tuple[str, ...],
    amount: int | None,
    staking_time: int | None,
    babylon_address: str,
    stake_txid: str | None,
    pop_type: str,
    pop_address_type: str,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
    online: Online,
) -> None:
    if online.babylon_rest is None:
        raise InputError(
            "needed to register online (or --offline: build and record only)", field="babylon-rest"
        )
    if online.babylon_key_file is None:
        raise InputError("needed to sign the Babylon txs", field="babylon-key-file")
    address = parse_address(babylon_address)
    if stake_txid is None:
        need_new_stake_options(fps, amount, staking_time)
    elif fps or amount is not None or staking_time is not None:
        raise InputError(
            "--stake takes the FP, amount and time from the tracked stake", field="stake"
        )
    from l2kit.staking.registration_flow import (
        chain_params,
        follow,
        register_new,
        register_tracked,
    )

    opened_bbn: list[Babylon] = []

    def from_chain(net: Network) -> ParamsSet:
        confirm_mainnet(net, online.yes_mainnet)  # before anything is asked or moved
        bbn = open_babylon(
            net,
            online.babylon_rest,
            online.babylon_key_file,
            online.chain_id,
            online.gas_price,
            online.gas_adjustment,
        )
        opened_bbn.append(bbn)
        return chain_params(bbn)

    try:
        with opened(where, from_chain) as life:
            bbn = opened_bbn[0]
            existed: bool | None = None  # a new-stake request recorded before (rerun)
            if stake_txid is not None:
                stake = life.get(stake_txid)
                bbn.check_signer(address)
                seckey = staker_key.read(staker_key_file)
                stake = register_tracked(life, bbn, stake, seckey, _progress)
            else:
                assert amount is not None and staking_time is not None
                life.need_wallet()
                key = staker_key.load_or_generate(staker_key_file)
                seckey = key.seckey
                kinds = PopType(pop_type), AddressType(pop_address_type)
                fp_keys = tuple(parse_pubkey(k, f"fp[{i}]") for i, k in enumerate(fps))

                def request(sk: bytes) -> RegisterRequest:
                    return RegisterRequest(
                        xonly_of(sk),
                        fp_keys,
                        amount,
                        staking_time,
                        address,
                        *kinds,
                        wallet=where.wallet,
                    )

                if key.new:  # bad input fails before the key is written
                    precheck(life, request(seckey), seckey, bbn.client.tip().height)
                    seckey = key.keep(notice_new_key)
                _progress("pre-flight checks, funding (not broadcasting) and registering")
                stake, existed = register_new(
                    life, bbn, request(seckey), seckey, fee_rate, max_fee_rate, _progress
                )
            stake = follow(
                life,
                bbn,
                stake,
                submit_proof=not online.no_inclusion_proof,
                timeout=online.timeout,
                interval=online.interval,
                progress=_progress,
            )
            data = life.status(stake, sync=False)
            if existed is not None:
                data["existing"] = existed
            emit(data, as_json, human)
    finally:
        for bbn in opened_bbn:
            bbn.client.close()


def human(data: dict[str, Any]) -> None:
    status_human(data)
    b = data.get("babylon")
    if b:
        for purpose, txhash in b.get("cosmos_txs", {}).items():
            click.echo(f"  {purpose + ' (cosmos)':<24} {txhash}")
