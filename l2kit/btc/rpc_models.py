"""Frozen models of common bitcoind RPC results (amounts are exact ``Decimal`` BTC).

Unknown fields are ignored so that newer Core versions parse; fields that older versions
lack default to ``None``. ``warnings`` is a string before Core 28 and a list since; both
become a tuple of non-empty strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["BlockchainInfo", "MempoolInfo", "NetworkInfo"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def _warnings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value if item)
    raise ValueError("warnings must be a string or a list of strings")


class BlockchainInfo(_Result):
    """``getblockchaininfo``."""

    chain: str
    blocks: int
    headers: int
    bestblockhash: str
    difficulty: Decimal | None = None
    time: int | None = None
    mediantime: int | None = None
    verificationprogress: Decimal
    initialblockdownload: bool
    size_on_disk: int | None = None
    pruned: bool
    warnings: tuple[str, ...] = ()

    _norm_warnings = field_validator("warnings", mode="before")(_warnings)


class NetworkInfo(_Result):
    """``getnetworkinfo``."""

    version: int
    subversion: str
    protocolversion: int
    connections: int
    connections_in: int | None = None
    connections_out: int | None = None
    networkactive: bool
    relayfee: Decimal
    incrementalfee: Decimal | None = None
    warnings: tuple[str, ...] = ()

    _norm_warnings = field_validator("warnings", mode="before")(_warnings)


class MempoolInfo(_Result):
    """``getmempoolinfo``."""

    loaded: bool
    size: int
    bytes: int
    usage: int
    total_fee: Decimal | None = None
    maxmempool: int
    mempoolminfee: Decimal
    minrelaytxfee: Decimal
    unbroadcastcount: int | None = None
