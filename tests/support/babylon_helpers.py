"""A simulated Babylon chain following the session's regtest bitcoind (not a test module)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from l2kit.babylon import cosmos_tx
from l2kit.babylon.client import BabylonClient
from l2kit.babylon.devchain import DevChain
from l2kit.babylon.devchain_btcstaking import BtcStaking, FinalityProviderState
from l2kit.btc.network import Network
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.params_model import ParamsSet
from l2kit.staking.registration_flow import Babylon, chain_params
from support.lifecycle_helpers import Env

CHAIN_ID = "bbn-devnet-1"
GAS_PRICE = Decimal("0.002")
PRE_STAKING_GAS = 1_095_000


@dataclass
class Chain:
    dev: DevChain
    staking: BtcStaking
    bbn: Babylon
    key_file: Path
    life: Lifecycle  # the env's lifecycle with the chain's params

    def cli_args(self) -> list[str]:
        return [
            "--babylon-rest",
            self.dev.url,
            "--babylon-key-file",
            str(self.key_file),
            "--chain-id",
            CHAIN_ID,
        ]


def start_chain(env: Env, tmp: Path, *, foreign_sig: bool = False, k: int = 2) -> Chain:
    fp = FinalityProviderState(bytes(env.fp), "bbn1" + "q" * 38)
    # mainnet v1's extra gas for a registration without inclusion proof (release/v1.x
    # app/upgrades/v1/mainnet/btcstaking_params.go)
    params = ParamsSet(
        [
            p.model_copy(update={"delegation_creation_base_gas_fee": PRE_STAKING_GAS})
            for p in env.life.params
        ]
    )
    staking = BtcStaking(
        rpc=env.node.rpc,
        params=params,
        net=Network.REGTEST,
        committee=env.committee,
        fps=[fp],
        confirmation_depth=k,
        foreign_covenant_sig=secrets.token_bytes(32) if foreign_sig else None,
    )
    dev = DevChain(chain_id=CHAIN_ID, staking=staking, block_time=0.2).start()
    key = secrets.token_bytes(32)
    tmp.mkdir(parents=True, exist_ok=True)
    key_file = tmp / "babylon.key"
    key_file.write_text(key.hex())
    key_file.chmod(0o600)
    dev.fund(cosmos_tx.account_address(cosmos_tx.public_key(key)), 50_000_000)
    bbn = Babylon(BabylonClient(dev.url, retry_for=5), CHAIN_ID, key, GAS_PRICE)
    life = Lifecycle(
        env.node.rpc, env.tracker, chain_params(bbn), Network.REGTEST, env.committee, env.wallet
    )
    return Chain(dev, staking, bbn, key_file, life)


def stop_chain(chain: Chain) -> None:
    chain.bbn.client.close()
    chain.dev.stop()


def quiet(_: str) -> None:
    """A progress sink for library-level tests."""


def status_of(chain: Chain, txid: str) -> Any:
    d = chain.bbn.client.delegation(txid)
    return None if d is None else d.status_desc.value
