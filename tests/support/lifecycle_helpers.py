"""Shared setup for the lifecycle and indexer regtest tests (not a test module)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network
from l2kit.btc.rpc import RpcClient
from l2kit.cli.regtest_covenant import write_params
from l2kit.staking.covenant import LocalCommittee
from l2kit.staking.lifecycle import Lifecycle
from l2kit.staking.params import load_global_params
from l2kit.staking.request import StakeRequest
from l2kit.staking.tracker import Tracker
from support.cli import run_process

FP_SECRET = bytes.fromhex("07" * 32)
STAKER_SECRET = bytes.fromhex("0b" * 32)
FEE = Decimal(2)
MAX_FEE = Decimal(50)


@dataclass
class Env:
    node: Any  # tests.conftest.RegtestFixture
    data_dir: Path
    wallet_name: str
    wallet: RpcClient
    committee: LocalCommittee
    life: Lifecycle
    tracker: Tracker

    @property
    def fp(self) -> XOnlyPubKey:
        return xonly_of(FP_SECRET)

    @property
    def staker(self) -> XOnlyPubKey:
        return xonly_of(STAKER_SECRET)

    def request(self, value: int = 100_000, time: int = 20, **kw: Any) -> StakeRequest:
        args: dict[str, Any] = {
            "staker_pk": self.staker,
            "fp_pks": (self.fp,),
            "value": value,
            "staking_time": time,
            "op_return": True,
            "funding": f"wallet:{self.wallet_name}",
        }
        args.update(kw)
        return StakeRequest(**args)

    def new_address(self) -> str:
        return str(self.wallet.call("getnewaddress"))

    def cli(self, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        common = ["--datadir", str(self.node.datadir), "--wallet", self.wallet_name]
        env = {"L2KIT_DATA_DIR": str(self.data_dir), "L2KIT_TEST_CRASH_AT": crash_at or None}
        return run_process("stake", *args, *common, env=env)


def make_env(node: Any, tmp: Path, name: str) -> Env:
    committee = LocalCommittee.create(tmp / "covenant", members=3, quorum=2)
    params = load_global_params(write_params(tmp / "covenant", committee))
    (tmp / "staker.key").write_text(STAKER_SECRET.hex())
    wallet = node.new_wallet(name=name)
    tracker = Tracker(tmp / "stakes.db")
    life = Lifecycle(node.rpc, tracker, params, Network.REGTEST, committee, wallet)
    return Env(node, tmp, name, wallet, committee, life, tracker)
