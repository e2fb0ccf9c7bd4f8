"""`l2kit stake address`: the staking output's address from keys and a staking time.

Defined without click (``argspec.Command``): scripts call it per staker, so it runs through the
fast lane; the covenant committee comes from the bundled params without the params model.
"""

from __future__ import annotations

from l2kit.cli.argspec import JSON, Command
from l2kit.cli.output import emit
from l2kit.cli.stake_args import KEYS, NETWORK, PARAMS, STAKING_TIME, stake_ctx
from l2kit.staking.scripts import staking_info


def address(
    staker: str,
    fps: tuple[str, ...],
    covenants: tuple[str, ...],
    quorum: int | None,
    staking_time: int,
    network: str,
    params_file: str | None,
    params_version: int | None,
    height: int | None,
    as_json: bool,
) -> None:
    """The P2TR address (bech32m) and scriptPubKey of the staking output."""
    c = stake_ctx(
        network,
        params_file,
        params_version,
        height,
        staker,
        fps,
        covenants,
        quorum,
        committee_only=True,
    )
    si = staking_info(c.staker, c.fps, c.covenants, c.quorum, staking_time, 1, c.net)
    emit(
        {
            "address": si.address,
            "script_pubkey": si.script_pubkey.hex(),
            "output_key": si.output.output_key.hex(),
            "network": c.net.value,
        },
        as_json,
    )


COMMANDS = [Command("address", address, (*KEYS, STAKING_TIME, NETWORK, *PARAMS, JSON))]
