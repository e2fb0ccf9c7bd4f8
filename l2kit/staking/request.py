"""A staking request and the checks every path makes before a coin or a file moves.

``Lifecycle.create``, ``Lifecycle.withdraw``, the offline/online registration and the CLI all
check through here, so a library caller gets the same protection as ``l2kit stake``:

- the fee cap: a tx never pays more than ``max_fee_rate`` sat/vB (bitcoind's own cap is
  10000 sat/vB, far above what a staker means to pay);
- the params bounds (``check_stake``: amount and staking time of the version in force) and
  distinct keys (staker, finality providers, covenant committee);
- the duplicate request: a request whose fingerprint is recorded is the stake made before
  (``create`` returns it instead of staking twice), see ``StakeRequest.fingerprint``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from l2kit.btc.keys import XOnlyPubKey, check_unique
from l2kit.btc.network import Network
from l2kit.errors import InputError
from l2kit.staking.funding import KeyPathKey
from l2kit.staking.params import StakingParams, check_stake
from l2kit.staking.tracker import NewStake

__all__ = [
    "DEFAULT_FEE_RATE",
    "DEFAULT_MAX_FEE_RATE",
    "StakeRequest",
    "check_fee_rate",
    "check_stake_request",
    "funding_source",
]

DEFAULT_FEE_RATE = Decimal(2)
DEFAULT_MAX_FEE_RATE = Decimal(50)


@dataclass(frozen=True)
class StakeRequest:
    staker_pk: XOnlyPubKey
    fp_pks: tuple[XOnlyPubKey, ...]
    value: int
    staking_time: int
    op_return: bool
    funding: str  # ``funding_source``: "wallet:<name>" or "key:<internal key hex>"
    nonce: str = ""

    def fingerprint(self, net: Network) -> str:
        """What makes two requests the same stake (``create`` is idempotent by it)."""
        doc = {
            "network": net.value,
            "staker": self.staker_pk.hex(),
            "fps": sorted(k.hex() for k in self.fp_pks),
            "value": self.value,
            "staking_time": self.staking_time,
            "op_return": self.op_return,
            "funding": self.funding,
            "nonce": self.nonce,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def new_stake(
        self,
        net: Network,
        params: StakingParams,
        staking_vout: int,
        start_height: int,
        extra: dict[str, object],
    ) -> NewStake:
        """The tracker row of this request staked under ``params`` (what every later spend is
        rebuilt from)."""
        return NewStake(
            fingerprint=self.fingerprint(net),
            network=net.value,
            params_version=params.version,
            staker_pk=self.staker_pk.hex(),
            fp_pks=tuple(k.hex() for k in self.fp_pks),
            covenant_pks=tuple(k.hex() for k in params.covenant_pks),
            covenant_quorum=params.covenant_quorum,
            staking_time=self.staking_time,
            unbonding_time=params.unbonding_time,
            unbonding_fee=params.unbonding_fee,
            value=self.value,
            staking_vout=staking_vout,
            start_height=start_height,
            extra=extra,
        )


def funding_source(wallet: str | None = None, key: KeyPathKey | None = None) -> str:
    """What pays for a stake, as its request (and so its fingerprint) names it: a bitcoind
    wallet by name, or a BIP86 key by its internal key."""
    if key is not None:
        return f"key:{key.internal.hex()}"
    if wallet is None:
        raise InputError("no wallet and no key to fund the stake", field="wallet")
    return f"wallet:{wallet}"


def check_fee_rate(fee_rate: Decimal, max_fee_rate: Decimal = DEFAULT_MAX_FEE_RATE) -> None:
    """The fee cap every tx l2kit funds or builds for the staker is held to."""
    if fee_rate > max_fee_rate:
        raise InputError(f"{fee_rate} > --max-fee-rate {max_fee_rate}", field="fee-rate")


def check_stake_request(
    params: StakingParams,
    staker_pk: XOnlyPubKey,
    fp_pks: tuple[XOnlyPubKey, ...],
    value: int,
    staking_time: int,
) -> None:
    """Amount and time within the params version's bounds; staker, FP and covenant keys all
    distinct."""
    check_stake(params, value, staking_time)
    check_unique(staker_pk, fp_pks, tuple(params.covenant_pks))
