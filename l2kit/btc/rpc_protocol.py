"""What the staking code needs of a bitcoind JSON-RPC client (``btc.rpc.RpcClient`` is one).

Kept apart from ``btc.rpc`` so that modules typed against it do not import httpx and tenacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Rpc"]


class Rpc(Protocol):
    def call(self, method: str, *params: object) -> Any: ...

    def batch(self, calls: Sequence[tuple[str, Sequence[object]]]) -> list[Any]:
        """Results in order; the first failed call raises."""
        ...

    def batch_results(self, calls: Sequence[tuple[str, Sequence[object]]]) -> list[Any]:
        """Results in order; a failed call is its ``RpcError`` in the list."""
        ...
