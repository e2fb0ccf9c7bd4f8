"""`l2kit stake register`: register a stake on the Babylon chain.

    l2kit stake register --staker-key-file KEY --fp FP_PK --amount SATS --time BLOCKS
        --babylon-address bbn1… --params FILE --offline [--pop bip322|bip340|ecdsa] [--json]
    l2kit stake register --stake TXID --confirmation-depth K --babylon-address bbn1… --offline
        (post-staking: a tracked, k-deep stake; prints the message with its inclusion proof)
    l2kit stake register --fp FP_PK --amount SATS --time BLOCKS --babylon-address bbn1…
        --babylon-rest URL --babylon-key-file F [--chain-id ID] [--no-inclusion-proof]
    l2kit stake register --stake TXID --babylon-address bbn1… --babylon-rest URL
        --babylon-key-file F     (online post-staking, or resume any registration)
    l2kit stake abandon TXID      give up a held registration: unlock its inputs
    l2kit stake pop --babylon-address bbn1… (--staker-key-file K | --psbt-for ADDR |
        --from-psbt SIGNED --address ADDR --btc-pk PK | --verify POP_HEX --btc-pk PK)

Online (``cli/stake_register_online.py``, ``staking/registration_flow.py``): sends the
registration and follows it to ACTIVE.

``--offline`` contacts no Babylon endpoint: it funds the staking tx from the node's wallet
without broadcasting it, locks its inputs, records the stake as REGISTRATION_PENDING and prints
the checked ``MsgCreateBTCDelegation`` (``type_url``, ``msg_hex``) for any Babylon signer.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from l2kit.babylon.address import BabylonAddress, parse_address
from l2kit.babylon.proto import decode_pop, encode_pop
from l2kit.btc.keys import parse_pubkey, xonly_of
from l2kit.btc.network import Network
from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.cli.stake_build import network_opt
from l2kit.cli.stake_common import (
    Where,
    common,
    fee_rate_option,
    max_fee_rate_option,
    opened,
    staker_key_option,
    working,
)
from l2kit.cli.stake_life import notice_new_key
from l2kit.cli.stake_register_online import (
    Online,
    need_new_stake_options,
    online_options,
    run_online,
)
from l2kit.errors import InputError
from l2kit.staking import staker_key
from l2kit.staking.pop import (
    AddressType,
    PopType,
    bip322_psbt,
    pop_from_psbt,
    sign_pop,
    verify_pop,
)
from l2kit.staking.register_offline import (
    RegisterRequest,
    abandon_held,
    check_one_fp,
    precheck,
    register_offline,
    register_post_staking,
)
from l2kit.staking.request import check_fee_rate

__all__ = ["COMMANDS"]


def _human(data: dict[str, Any]) -> None:
    for key in (
        "staking_txid",
        "state",
        "flow",
        "pop_type",
        "staker_addr",
        "params_version",
        "staking_value",
        "fee",
        "type_url",
    ):
        if data.get(key) is not None:
            click.echo(f"{key:<18} {data[key]}")
    if data.get("locked_inputs"):
        click.echo(f"{'locked_inputs':<18} {', '.join(data['locked_inputs'])}")
    click.echo(f"{'msg_hex':<18} {data['msg_hex']}")


def pop_options(type_flag: str, type_help: str, key: str) -> Callable[[Any], Any]:
    """The PoP signature type (``pop_type``) and BIP-322 address type options."""

    def add(f: Any) -> Any:
        f = click.option(
            "--pop-address-type",
            type=click.Choice([a.value for a in AddressType]),
            default=AddressType.P2TR.value,
            show_default=True,
            help=f"BIP-322 address of {key} (BIP-86 P2TR or P2WPKH).",
        )(f)
        return click.option(
            type_flag,
            "pop_type",
            type=click.Choice([p.value for p in PopType]),
            default=PopType.BIP322.value,
            show_default=True,
            help=type_help,
        )(f)

    return add


@click.command("register")
@common
@staker_key_option
@click.option(
    "--fp",
    "fps",
    multiple=True,
    help="Finality provider BTC public key (Babylon accepts exactly one).",
)
@click.option("--amount", type=int, help="Stake in sats (a new stake).")
@click.option("--time", "staking_time", type=int, help="Staking time in blocks (a new stake).")
@click.option(
    "--stake",
    "stake_txid",
    metavar="TXID",
    help="Post-staking flow: register this tracked, k-deep stake (with its inclusion "
    "proof) instead of a new one.",
)
@click.option(
    "--confirmation-depth",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Babylon's btc_confirmation_depth (post-staking; mainnet: 30).",
)
@click.option(
    "--babylon-address",
    required=True,
    help="The staker's Babylon account (bbn1…): signer, gets rewards.",
)
@pop_options("--pop", "Proof-of-possession signature type.", "the staker key")
@click.option(
    "--offline",
    is_flag=True,
    help="Build, fund (not broadcast), record; print the msg; send nothing.",
)
@fee_rate_option
@max_fee_rate_option("Refuse a funded tx paying more (sat/vB).")
@online_options
def register(
    where: Where,
    as_json: bool,
    staker_key_file: Path | None,
    fps: tuple[str, ...],
    amount: int | None,
    staking_time: int | None,
    stake_txid: str | None,
    confirmation_depth: int,
    babylon_address: str,
    pop_type: str,
    pop_address_type: str,
    offline: bool,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
    online: Online,
) -> None:
    """Register a stake with Babylon: a new one (pre-staking flow) or, with --stake, a tracked,
    k-deep one (post-staking flow). Online: send it and follow it (VERIFIED → broadcast →
    inclusion proof → ACTIVE). --offline: build, check, fund, hold and print the message."""
    if not offline:
        run_online(
            where,
            as_json,
            staker_key_file,
            fps,
            amount,
            staking_time,
            babylon_address,
            stake_txid,
            pop_type,
            pop_address_type,
            fee_rate,
            max_fee_rate,
            online,
        )
        return
    address = parse_address(babylon_address)
    kinds = PopType(pop_type), AddressType(pop_address_type)
    if stake_txid is not None:
        if fps or amount is not None or staking_time is not None:
            raise InputError(
                "--stake takes the FP, amount and time from the tracked stake", field="stake"
            )
        _post_staking(
            where, as_json, staker_key_file, stake_txid, address, confirmation_depth, *kinds
        )
        return
    need_new_stake_options(fps, amount, staking_time)
    assert amount is not None and staking_time is not None  # checked just above
    fp_keys = tuple(parse_pubkey(k, f"fp[{i}]") for i, k in enumerate(fps))
    check_one_fp(fp_keys)
    key = staker_key.load_or_generate(staker_key_file)  # a new key is written after the checks
    seckey = key.seckey
    req = RegisterRequest(
        xonly_of(seckey), fp_keys, amount, staking_time, address, *kinds, wallet=where.wallet
    )
    with opened(where) as life:
        life.need_wallet()
        # bad input fails here: before the progress line, the key file and any coin
        check_fee_rate(fee_rate, max_fee_rate)
        if (
            key.new
            or life.tracker.find_by_fingerprint(req.stake_request().fingerprint(life.net)) is None
        ):
            precheck(life, req, seckey)
        if key.new:
            seckey = key.keep(notice_new_key)
            req = RegisterRequest(
                xonly_of(seckey),
                fp_keys,
                amount,
                staking_time,
                address,
                *kinds,
                wallet=where.wallet,
            )
        with working("checking, funding (not broadcasting) and recording the registration"):
            reg, stake, existed = register_offline(life, req, seckey, fee_rate, max_fee_rate)
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


def _post_staking(
    where: Where,
    as_json: bool,
    key_file: Path | None,
    txid: str,
    address: BabylonAddress,
    depth: int,
    pop_type: PopType,
    address_type: AddressType,
) -> None:
    seckey = staker_key.read(key_file)
    with opened(where) as life:
        stake = life.get(txid)
        reg = register_post_staking(
            life, stake, seckey, address, depth, pop_type=pop_type, address_type=address_type
        )
        emit({**reg.to_json(), "state": stake.state.value}, as_json, _human)


@click.command("abandon")
@common
@click.argument("txid")
def abandon(where: Where, as_json: bool, txid: str) -> None:
    """Give up a REGISTRATION_PENDING stake: unlock its inputs; its staking tx is never sent."""
    with opened(where) as life:
        stake = abandon_held(life, life.get(txid))
        emit({"staking_txid": stake.staking_txid, "state": stake.state.value}, as_json)


@click.command("pop")
@click.option("--babylon-address", required=True, help="The Babylon account (bbn1…) to prove.")
@network_opt
@click.option(
    "--staker-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign with this hex secret key.",
)
@pop_options("--type", "PoP signature type.", "the key")
@click.option(
    "--psbt-for", metavar="ADDRESS", help="Print a BIP-322 PSBT for ADDRESS's external signer."
)
@click.option("--from-psbt", metavar="SIGNED", help="Finish a PoP from a signed PSBT or tx hex.")
@click.option("--address", help="The BIP-322 address of --from-psbt.")
@click.option("--btc-pk", help="The staker's BTC key (x-only or compressed hex) to verify with.")
@click.option(
    "--verify",
    "pop_hex",
    metavar="POP_HEX",
    help="Check an encoded ProofOfPossessionBTC as the chain would.",
)
@json_option
def pop(
    babylon_address: str,
    network: str,
    staker_key_file: Path | None,
    pop_type: str,
    pop_address_type: str,
    psbt_for: str | None,
    from_psbt: str | None,
    address: str | None,
    btc_pk: str | None,
    pop_hex: str | None,
    as_json: bool,
) -> None:
    """Proof of possession of a BTC key for a Babylon account: sign (key file), export a
    BIP-322 PSBT for an external signer and finish from it, or verify as the chain does."""
    staker, net = parse_address(babylon_address), Network.parse(network)
    modes = [m for m in (staker_key_file, psbt_for, from_psbt, pop_hex) if m is not None]
    if len(modes) != 1:
        raise InputError(
            "give exactly one of --staker-key-file, --psbt-for, --from-psbt, --verify", field="pop"
        )
    if psbt_for is not None:
        emit({"psbt": bip322_psbt(staker, psbt_for, net), "address": psbt_for}, as_json)
        return
    if staker_key_file is not None:
        seckey = staker_key.read(staker_key_file)
        made = sign_pop(
            seckey, staker, net, PopType(pop_type), address_type=AddressType(pop_address_type)
        )
        key = xonly_of(seckey)
    else:
        if btc_pk is None:
            raise InputError("needed with --from-psbt and --verify", field="btc-pk")
        key = parse_pubkey(btc_pk, "btc-pk")
        if from_psbt is not None:
            if address is None:
                raise InputError("needed with --from-psbt", field="address")
            made = pop_from_psbt(from_psbt, staker, key, address, net)
        else:
            assert pop_hex is not None  # the one mode left
            try:
                made = decode_pop(bytes.fromhex(pop_hex))
            except ValueError:
                raise InputError("not hex", field="verify") from None
            verify_pop(made, staker, key, net)
    emit(
        {
            "babylon_address": staker.text,
            "btc_pk": key.hex(),
            "pop_type": made.btc_sig_type.name.lower(),
            "btc_sig": made.btc_sig.hex(),
            "pop_hex": encode_pop(made).hex(),
            "valid": True,
        },
        as_json,
    )


COMMANDS: list[click.Command] = [register, abandon, pop]
