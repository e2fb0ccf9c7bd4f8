"""Where an unbond's covenant signatures come from: the chain for a registered stake (which
then needs --babylon-rest), the local committee (None) for any other stake."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.stakes import new_stake

from l2kit.babylon.devchain import DevChain
from l2kit.errors import BabylonError, InputError
from l2kit.staking.tracker import Tracker
from l2kit.staking.unbonding_sigs import for_unbond


def test_only_a_registered_stake_asks_the_chain(tmp_path: Path) -> None:
    with Tracker(tmp_path / "s.db") as tr:
        stake = tr.add_stake(new_stake(), "ab" * 32, "0200")
        assert for_unbond(tr, stake, None) is None  # the local committee signs
        assert for_unbond(tr, stake, "http://127.0.0.1:9") is None  # the chain is not asked
        tr.link_babylon(stake.id, "bbn-devnet-1", "online")
        with pytest.raises(InputError, match="come from the chain") as err:
            for_unbond(tr, stake, None)
        assert err.value.field == "babylon-rest"
        with (
            DevChain(chain_id="bbn-devnet-1", block_time=3600) as chain,
            pytest.raises(BabylonError, match=f"btc_delegation/{'ab' * 32}"),  # asked
        ):
            for_unbond(tr, stake, chain.url)
