"""Babylon REST (LCD, gRPC-gateway) client: queries, simulate, broadcast, wait for inclusion.

    chain = BabylonClient("http://127.0.0.1:1317")
    version, params = chain.params_by_btc_height(chain.tip().height)
    chain.delegation(staking_txid)             # None until registered
    chain.broadcast(tx_raw)                    # BROADCAST_MODE_SYNC: CheckTx result
    chain.wait_tx(txhash)                      # until it is in a block

Errors are mapped here (``raise … from exc``): no connection or HTTP 502/503/504 →
``BabylonUnreachable`` (Retryable, retried for ``retry_for`` seconds); HTTP 404 (gRPC NotFound)
or a module "not found" error (gRPC Unknown → HTTP 500) → ``BabylonNotFound``; any other error
body → ``BabylonError`` with the node's message; an answer without the sources' shape →
``BabylonBadResponse`` (one line naming the path and the field). A CheckTx/DeliverTx code other
than 0 → ``BabylonTxFailed``. Request bodies (signed txs) are never logged.

Paths: babylonlabs-io/babylon@v4.3.1 ``proto/babylon/btcstaking/v1/query.proto``,
``proto/babylon/btclightclient/v1/query.proto``; cosmos/cosmos-sdk@v0.53.4
``proto/cosmos/{auth,bank,tx}/v1beta1/{query,service}.proto`` (google.api.http options).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_before_delay, wait_exponential

from l2kit import log
from l2kit.babylon.models import (
    AccountAnswer,
    BalanceAnswer,
    BaseAccount,
    CheckpointParamsAnswer,
    Delegation,
    DelegationAnswer,
    ErrorBody,
    FinalityProvider,
    FinalityProviderAnswer,
    HeaderInfo,
    NodeInfoAnswer,
    ParamsByHeight,
    ParamsVersions,
    SimulateAnswer,
    Tip,
    TxAnswer,
    TxResponse,
)
from l2kit.errors import (
    BabylonBadResponse,
    BabylonError,
    BabylonNotFound,
    BabylonTxFailed,
    BabylonUnreachable,
    ParamsError,
    Retryable,
)
from l2kit.staking.params import Phase2Params

__all__ = ["BabylonClient"]

_log = log.get(__name__)
M = TypeVar("M", bound=BaseModel)
_TX_IN_MEMPOOL = 19  # sdk ErrTxInMempoolCache: the same bytes were already accepted


class BabylonClient:
    def __init__(self, url: str, *, timeout: float = 10.0, retry_for: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._retry_for = retry_for

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BabylonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type(Retryable),
            stop=stop_before_delay(self._retry_for),
            wait=wait_exponential(multiplier=0.2, max=3),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._once(method, path, body)
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        where = f"{method} {self.url}{path}"
        try:
            resp = self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise BabylonUnreachable(f"{where}: unreachable ({type(exc).__name__})") from exc
        if resp.status_code in (502, 503, 504):
            raise BabylonUnreachable(f"{where}: HTTP {resp.status_code}", status=resp.status_code)
        try:
            data = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BabylonBadResponse(
                f"{where}: HTTP {resp.status_code}, body is not JSON", status=resp.status_code
            ) from exc
        if resp.status_code != 200:
            self._raise_error(where, resp.status_code, data)
        return data

    @staticmethod
    def _raise_error(where: str, status: int, data: Any) -> None:
        try:
            err = ErrorBody.model_validate(data)
        except ValidationError as exc:
            raise BabylonBadResponse(
                f"{where}: HTTP {status} without an error body", status=status
            ) from exc
        message = " ".join(err.message.split())[:300]
        kind = BabylonNotFound if status == 404 or "not found" in message else BabylonError
        raise kind(
            f"{where}: {message} (HTTP {status}, code {err.code})", status=status, code=err.code
        )

    def _get(self, path: str, model: type[M]) -> M:
        return _parse(f"GET {self.url}{path}", self._request("GET", path), model)

    # --- babylon queries ------------------------------------------------------------------------

    def tip(self) -> HeaderInfo:
        """The Babylon BTC light client's tip (the height pre-staking params are chosen by)."""
        return self._get("/babylon/btclightclient/v1/tip", Tip).header

    def params_by_btc_height(self, height: int) -> Phase2Params:
        """The btcstaking params version in force at BTC height ``height``."""
        path = f"/babylon/btcstaking/v1/params/btc_height/{height}"
        got = self._get(path, ParamsByHeight)
        return self._params(path, got.params, got.version)

    def params_versions(self) -> list[Phase2Params]:
        path = "/babylon/btcstaking/v1/params_versions"
        return [
            self._params(path, p.params, p.version) for p in self._get(path, ParamsVersions).params
        ]

    def _params(self, path: str, data: dict[str, Any], version: int) -> Phase2Params:
        try:
            return Phase2Params.from_chain(data, version)
        except ParamsError as exc:
            raise BabylonBadResponse(f"GET {self.url}{path}: malformed params: {exc}") from exc

    def confirmation_depth(self) -> int:
        """k: how deep a staking tx must be before its inclusion proof is accepted."""
        path = "/babylon/btccheckpoint/v1/params"
        return self._get(path, CheckpointParamsAnswer).params.btc_confirmation_depth

    def finality_provider(self, fp_pk_hex: str) -> FinalityProvider:
        path = f"/babylon/btcstaking/v1/finality_providers/{fp_pk_hex}/finality_provider"
        return self._get(path, FinalityProviderAnswer).finality_provider

    def delegation(self, staking_txid: str) -> Delegation | None:
        """The delegation registered for this staking tx (display hex), or None."""
        try:
            path = f"/babylon/btcstaking/v1/btc_delegation/{staking_txid}"
            return self._get(path, DelegationAnswer).btc_delegation
        except BabylonNotFound:
            return None

    # --- cosmos sdk -----------------------------------------------------------------------------

    def chain_id(self) -> str:
        path = "/cosmos/base/tendermint/v1beta1/node_info"
        return self._get(path, NodeInfoAnswer).default_node_info.network

    def account(self, address: str) -> BaseAccount | None:
        """Account number and sequence; None for an address the chain has never seen."""
        try:
            return self._get(f"/cosmos/auth/v1beta1/accounts/{address}", AccountAnswer).account
        except BabylonNotFound:
            return None

    def balance(self, address: str, denom: str) -> int:
        path = f"/cosmos/bank/v1beta1/balances/{address}/by_denom?denom={denom}"
        return self._get(path, BalanceAnswer).balance.amount

    def simulate(self, tx_raw: bytes) -> int:
        """Gas used by ``tx_raw`` when run against the current state."""
        path = "/cosmos/tx/v1beta1/simulate"
        data = self._request("POST", path, {"tx_bytes": _b64(tx_raw)})
        return _parse(f"POST {self.url}{path}", data, SimulateAnswer).gas_info.gas_used

    def broadcast(self, tx_raw: bytes) -> TxResponse:
        """BROADCAST_MODE_SYNC: returns after CheckTx; ``BabylonTxFailed`` if it failed."""
        path = "/cosmos/tx/v1beta1/txs"
        body = {"tx_bytes": _b64(tx_raw), "mode": "BROADCAST_MODE_SYNC"}
        resp = _parse(f"POST {self.url}{path}", self._request("POST", path, body), TxAnswer)
        if resp.tx_response.code not in (0, _TX_IN_MEMPOOL):
            r = resp.tx_response
            raise BabylonTxFailed(r.txhash, r.codespace, r.code, r.raw_log)
        _log.info("babylon tx broadcast", txhash=resp.tx_response.txhash)
        return resp.tx_response

    def get_tx(self, txhash: str) -> TxResponse | None:
        try:
            return self._get(f"/cosmos/tx/v1beta1/txs/{txhash}", TxAnswer).tx_response
        except BabylonNotFound:
            return None

    def wait_tx(
        self,
        txhash: str,
        *,
        timeout: float = 60.0,
        interval: float = 1.0,
        progress: Callable[[str], None] | None = None,
    ) -> TxResponse:
        """Poll until ``txhash`` is in a block; ``BabylonTxFailed`` if it failed there."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.get_tx(txhash)
            if found is not None:
                if found.code != 0:
                    raise BabylonTxFailed(txhash, found.codespace, found.code, found.raw_log)
                return found
            if time.monotonic() > deadline:
                raise BabylonError(f"tx {txhash} not in a block after {timeout:.0f} s")
            if progress is not None:
                progress(f"waiting for Babylon tx {txhash[:12]}… to be included")
                progress = None  # one line, not one per poll
            time.sleep(interval)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _parse(where: str, data: Any, model: type[M]) -> M:
    """``model`` from ``data``; the first problem as one line (path.to.field: rule)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "body"
        raise BabylonBadResponse(f"{where}: malformed response: {loc}: {first['msg']}") from exc
