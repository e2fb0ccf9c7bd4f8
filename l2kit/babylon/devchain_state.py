"""The simulated Babylon chain's state: accounts, blocks, Cosmos txs and the ante checks.

What a real node does with a broadcast tx, in the same order and with the same error codes
(cosmos/cosmos-sdk@v0.53.4 ``x/auth/ante/{sigverify,fee,basic}.go``, ``types/errors/errors.go``):
decode (sdk 2) → account exists (sdk 9) → key matches the account (sdk 8) → sequence (sdk 32)
→ signature over SignDoc(chain_id, account_number) (sdk 4) → fee ≥ gas * min gas price
(sdk 13) → balance covers the fee (sdk 5) → then, in the block, the messages run; gas beyond
the limit is sdk 11 (out of gas). A tx that passed the ante handler consumes its fee and
sequence even if a message fails (it is in the block with a non-zero code).

Message handlers (type URL → handler) live elsewhere (``devchain_btcstaking``); this module
knows nothing about staking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from l2kit.babylon import cosmos_tx
from l2kit.errors import InputError

DENOM = "ubbn"
BASE_TX_GAS = 60_000  # ante + signature verification (the order of what babylond reports)
GAS_PER_BYTE = 10  # x/auth params tx_size_cost_per_byte default


class MsgError(Exception):
    """A message handler's refusal: (codespace, code, log) as the chain reports it."""

    def __init__(self, codespace: str, code: int, log: str) -> None:
        super().__init__(log)
        self.codespace, self.code, self.log = codespace, code, log


Handler = Callable[[str, bytes, bool], int]
"""(signer address, message bytes, deliver) → gas used; raises MsgError. ``deliver`` is
False for a simulation (no state change)."""


@dataclass
class Account:
    address: str
    account_number: int
    sequence: int = 0
    balance: int = 0
    pubkey: bytes = b""


@dataclass(frozen=True)
class TxResult:
    txhash: str
    height: int
    code: int
    codespace: str
    log: str
    gas_wanted: int
    gas_used: int

    def json(self) -> dict[str, Any]:
        """``cosmos.base.abci.v1beta1.TxResponse`` as the gateway writes it."""
        return {
            "height": str(self.height),
            "txhash": self.txhash,
            "codespace": self.codespace,
            "code": self.code,
            "data": "",
            "raw_log": self.log,
            "logs": [],
            "info": "",
            "gas_wanted": str(self.gas_wanted),
            "gas_used": str(self.gas_used),
            "tx": None,
            "timestamp": "",
            "events": [],
        }


@dataclass
class ChainState:
    chain_id: str
    min_gas_price: Decimal = Decimal("0.002")
    height: int = 1
    accounts: dict[str, Account] = field(default_factory=dict)
    txs: dict[str, TxResult] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def fund(self, address: str, amount: int) -> Account:
        """Create (or top up) an account, as a faucet / genesis would."""
        with self.lock:
            acc = self.accounts.get(address)
            if acc is None:
                acc = Account(address, account_number=len(self.accounts) + 1)
                self.accounts[address] = acc
            acc.balance += amount
            return acc

    # --- txs ------------------------------------------------------------------------------------

    def _ante(self, raw: bytes, simulate: bool) -> tuple[cosmos_tx.DecodedTx, Account, int]:
        try:
            tx = cosmos_tx.decode_tx(raw)
        except InputError as exc:
            raise MsgError("sdk", 2, f"tx parse error: {exc}") from exc
        acc = self.accounts.get(tx.signer)
        if acc is None:
            raise MsgError("sdk", 9, f"account {tx.signer} not found: unknown address")
        if acc.pubkey and acc.pubkey != tx.pubkey:
            raise MsgError("sdk", 8, "pubkey does not match signer address: invalid pubkey")
        if tx.sequence != acc.sequence:
            raise MsgError(
                "sdk",
                32,
                f"account sequence mismatch, expected {acc.sequence}, got {tx.sequence}: "
                "incorrect account sequence",
            )
        if not simulate and not cosmos_tx.verify_tx(tx, self.chain_id, acc.account_number):
            raise MsgError(
                "sdk",
                4,
                f"signature verification failed; please verify account number "
                f"({acc.account_number}), sequence ({acc.sequence}) and chain-id "
                f"({self.chain_id}): unauthorized",
            )
        fee = sum(c.amount for c in tx.fee if c.denom == DENOM)
        if not simulate:
            required = int((self.min_gas_price * tx.gas_limit).to_integral_value("ROUND_CEILING"))
            if fee < required:
                raise MsgError(
                    "sdk",
                    13,
                    f"insufficient fees; got: {fee}{DENOM} required: "
                    f"{required}{DENOM}: insufficient fee",
                )
            if acc.balance < fee:
                raise MsgError(
                    "sdk",
                    5,
                    f"{acc.balance}{DENOM} is smaller than {fee}{DENOM}: insufficient funds",
                )
        return tx, acc, fee

    def _run(self, tx: cosmos_tx.DecodedTx, raw_len: int, deliver: bool) -> int:
        gas = BASE_TX_GAS + GAS_PER_BYTE * raw_len
        for type_url, value in tx.messages:
            handler = self.handlers.get(type_url)
            if handler is None:
                raise MsgError("sdk", 6, f"unrecognized message type {type_url}: unknown request")
            gas += handler(tx.signer, value, deliver)
        return gas

    def simulate(self, raw: bytes) -> tuple[int, int]:
        """(gas wanted, gas used) of ``raw`` against the current state; nothing changes."""
        with self.lock:
            tx, _, _ = self._ante(raw, simulate=True)
            return tx.gas_limit, self._run(tx, len(raw), deliver=False)

    def broadcast(self, raw: bytes) -> TxResult:
        """CheckTx, then (as the next block) DeliverTx. Returns the CheckTx result."""
        txhash = cosmos_tx.txhash(raw)
        with self.lock:
            if txhash in self.txs:
                return TxResult(txhash, 0, 19, "sdk", "tx already exists in cache", 0, 0)
            try:
                tx, acc, fee = self._ante(raw, simulate=False)
            except MsgError as exc:
                return TxResult(txhash, 0, exc.code, exc.codespace, exc.log, 0, 0)
            acc.pubkey, acc.sequence, acc.balance = tx.pubkey, acc.sequence + 1, acc.balance - fee
            self.height += 1
            result = self._deliver(tx, txhash, len(raw))
            self.txs[txhash] = result
            return TxResult(txhash, 0, 0, "", "", tx.gas_limit, 0)

    def _deliver(self, tx: cosmos_tx.DecodedTx, txhash: str, size: int) -> TxResult:
        try:
            used = self._run(tx, size, deliver=False)  # dry run first: all or nothing
            if used > tx.gas_limit:
                raise MsgError("sdk", 11, f"out of gas: limit {tx.gas_limit}, used {used}")
            self._run(tx, size, deliver=True)
        except MsgError as exc:
            return TxResult(
                txhash, self.height, exc.code, exc.codespace, exc.log, tx.gas_limit, tx.gas_limit
            )
        return TxResult(txhash, self.height, 0, "", "", tx.gas_limit, used)
