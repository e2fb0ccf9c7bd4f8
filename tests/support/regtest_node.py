"""The session regtest node as tests see it (the ``regtest_node`` fixture of tests/conftest.py)."""

from __future__ import annotations

import itertools
import secrets
from decimal import Decimal
from pathlib import Path

from l2kit.btc.rpc import RpcClient
from l2kit.regtest.node import WALLET, RegtestNode

_FUNDING_MINE_LIMIT = 3000  # blocks; regtest halves the subsidy every 150 blocks


class RegtestFixture:
    """The running session node, with helpers for tests."""

    def __init__(self, node: RegtestNode) -> None:
        self.node = node
        self.datadir: Path = node.datadir
        state = node.state()
        if state is None:
            raise RuntimeError("regtest node has no state after up()")
        self.rpc_url: str = state.rpc_url
        self.zmq: dict[str, str] = dict(state.zmq)
        self.rpc_user, self.rpc_password = node.credentials()
        self.rpc: RpcClient = node.rpc()
        self.wallet: RpcClient = self.rpc.wallet(WALLET)
        self._names = itertools.count(1)

    def __repr__(self) -> str:
        return f"RegtestFixture(rpc_url={self.rpc_url!r}, datadir={str(self.datadir)!r})"

    def client(self, wallet: str | None = None, retry_for: float = 30.0) -> RpcClient:
        """A NEW client for this node (the caller closes it)."""
        return RpcClient(
            self.rpc_url,
            user=self.rpc_user,
            password=self.rpc_password,
            wallet=wallet,
            retry_for=retry_for,
        )

    def mine(self, n: int = 1, address: str | None = None) -> list[str]:
        """Mine ``n`` blocks (to ``address`` or to the node's l2kit wallet); the block hashes."""
        return self.node.mine(n, address)

    def _ensure_funds(self, amount: Decimal) -> None:
        mined = 0
        while self.wallet.getbalance() < amount + Decimal(1):
            if mined >= _FUNDING_MINE_LIMIT:
                raise RuntimeError(f"l2kit wallet cannot reach {amount} BTC by mining")
            self.mine(50)
            mined += 50

    def new_wallet(self, name: str | None = None, fund_btc: Decimal | int = 10) -> RpcClient:
        """A fresh descriptor wallet, funded with ``fund_btc`` (confirmed); its RPC client."""
        name = name or f"test-{next(self._names)}-{secrets.token_hex(3)}"
        self.rpc.call_named("createwallet", wallet_name=name)
        client = self.rpc.wallet(name)
        amount = Decimal(fund_btc)
        if amount > 0:
            self._ensure_funds(amount)
            self.wallet.sendtoaddress(client.getnewaddress(), amount)
            self.mine(1)
        return client
