"""A tracker record of a stake for tests that need one on disk but no chain behind it."""

from __future__ import annotations

from l2kit.staking.tracker import NewStake


def new_stake(fingerprint: str = "aa" * 32) -> NewStake:
    """A regtest stake with fixed keys and terms; ``fingerprint`` tells two apart."""
    return NewStake(
        fingerprint=fingerprint,
        network="regtest",
        params_version=0,
        staker_pk="11" * 32,
        fp_pks=("22" * 32,),
        covenant_pks=("33" * 32, "44" * 32),
        covenant_quorum=2,
        staking_time=100,
        unbonding_time=10,
        unbonding_fee=1000,
        value=100_000,
        staking_vout=0,
        start_height=200,
    )
