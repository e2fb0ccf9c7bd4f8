"""Finality-gadget (opfgd) probe: ``/health`` and ``/v1/chainSyncStatus``.

opfgd encodes uint64 as bare JSON numbers (Go ``encoding/json``); errors are HTTP 500 plain text.
An empty gadget DB answers ``/v1/chainSyncStatus`` with 500 ``block not found``: the gadget is
up but nothing is BTC-finalized yet. With ``l2_rpc_url`` the lag in seconds comes from the two
blocks' timestamps (``eth_getBlockByNumber``), otherwise from blocks x ``block_time``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from l2kit.errors import ProbeError
from l2kit.monitor.fleet import GadgetTarget
from l2kit.monitor.http import Session, check_status, decode_json, loads_json, parse_model


class ChainSyncStatus(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    latest_block: int
    latest_btc_finalized_block: int
    earliest_btc_finalized_block: int = 0
    latest_eth_finalized_block: int = 0


@dataclass
class GadgetSample:
    healthy: bool | None = None
    health_text: str = ""
    sync: ChainSyncStatus | None = None
    empty_db: bool = False
    timestamps: tuple[int, int] | None = None  # (latest, latest BTC-finalized) unix seconds
    errors: dict[str, str] = field(default_factory=dict)
    answered: bool = False  # any HTTP answer at all (else the gadget could not be asked)


async def probe(target: GadgetTarget, session: Session) -> GadgetSample:
    s = GadgetSample()
    try:
        response = await session.get(target.url + "/health")
        s.answered = True
        s.health_text = response.text.strip()[:120]
        s.healthy = response.status_code == 200
        if not s.healthy:
            s.errors["health"] = f"GET /health: HTTP {response.status_code}: {s.health_text}"
    except ProbeError as exc:
        s.errors["health"] = exc.reason
    try:
        response = await session.get(target.url + "/v1/chainSyncStatus", accept="application/json")
        s.answered = True
        if response.status_code == 500 and "block not found" in response.text:
            s.empty_db = True
        else:
            s.sync = parse_model(ChainSyncStatus, decode_json(response), str(response.url))
    except ProbeError as exc:
        s.errors["sync"] = exc.reason
    if s.sync is not None and target.l2_rpc_url:
        try:
            s.timestamps = (
                await _block_time(session, target.l2_rpc_url, s.sync.latest_block),
                await _block_time(session, target.l2_rpc_url, s.sync.latest_btc_finalized_block),
            )
        except ProbeError as exc:
            s.errors["l2_rpc"] = exc.reason
    return s


async def _block_time(session: Session, url: str, height: int) -> int:
    payload = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_getBlockByNumber",
        "params": [hex(height), False],
    }
    response = await session.post_json(url, payload)
    check_status(response)
    try:
        body = loads_json(response.content, url)
        return int(body["result"]["timestamp"], 16)
    except (ValueError, KeyError, TypeError) as exc:
        raise ProbeError(url, f"eth_getBlockByNumber({height}): no usable timestamp") from exc
