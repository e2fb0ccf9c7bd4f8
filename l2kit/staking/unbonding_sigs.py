"""Which covenant unbonding signatures an early unbond uses: a stake registered on Babylon
unbonds with the signatures the chain's covenant committee gave it; any other stake (a
regtest-only stake) is signed by the local committee inside ``Lifecycle.unbond``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from l2kit.errors import InputError

if TYPE_CHECKING:  # the chain client (httpx, pydantic models) loads only for registered stakes
    from l2kit.btc.keys import XOnlyPubKey
    from l2kit.staking.tracker import Stake, Tracker


def for_unbond(
    tracker: Tracker, stake: Stake, babylon_rest: str | None
) -> dict[XOnlyPubKey, bytes] | None:
    """The chain's covenant unbonding signatures for a registered stake (asked at
    ``babylon_rest``, which it then needs), or None: the local committee signs."""
    if tracker.babylon(stake.id) is None:
        return None
    if babylon_rest is None:
        raise InputError(
            "the stake is registered on Babylon: its covenant signatures come from the chain",
            field="babylon-rest",
        )
    from l2kit.babylon.client import BabylonClient
    from l2kit.staking.registration_flow import chain_unbonding_sigs

    with BabylonClient(babylon_rest) as client:
        return chain_unbonding_sigs(client, stake.staking_txid)
