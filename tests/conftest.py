"""Shared test fixtures.

``regtest_node``: ONE real bitcoind regtest node for the whole session (l2kit's own
``RegtestNode`` in a temporary datadir), torn down at the end. If no bitcoind can be found
the fixture FAILS: a skipped money test is a failed one. Build it with
``l2kit regtest install`` (or ``make bitcoind``), or point ``$L2KIT_BITCOIND`` at one.

    def test_x(regtest_node):
        regtest_node.rpc.getblockcount()             # l2kit.btc.rpc.RpcClient (node-level)
        w = regtest_node.new_wallet()                # isolated descriptor wallet, 10 BTC confirmed
        regtest_node.mine(1)                         # to the node's own l2kit wallet
        regtest_node.rpc_url, regtest_node.rpc_user, regtest_node.rpc_password, regtest_node.zmq

Tests that use it (or live in tests/regtest/) get the ``regtest`` marker automatically.

``own_node``: a second, private node for tests that stop, restart or age their node.
Every test runs with the logging configuration it started with (``main()`` reconfigures it),
and with the redaction registry it started with (a secret file one test reads, e.g. a key file
holding ``not hex``, would otherwise be masked in every later test's error lines).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from l2kit import redact
from l2kit.btc.rpc import RpcClient
from l2kit.errors import L2kitError
from l2kit.regtest import build
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


@pytest.fixture(scope="session")
def regtest_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegtestFixture]:
    try:
        build.find_bitcoind(None)
    except L2kitError as exc:
        pytest.fail(f"regtest tests need bitcoind: {exc}", pytrace=False)
    node = RegtestNode(tmp_path_factory.mktemp("regtest-node"))
    try:
        node.up()
        yield RegtestFixture(node)
    finally:
        node.down()


@pytest.fixture
def own_node(tmp_path: Path, regtest_node: RegtestFixture) -> Iterator[RegtestNode]:
    """A private node (``regtest_node`` first: it fails loudly when bitcoind is missing)."""
    node = RegtestNode(tmp_path / "node")
    node.up()
    try:
        yield node
    finally:
        node.down()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(autouse=True)
def _restore_redaction() -> Iterator[None]:
    # l2kit.redact keeps one process-wide registry (a CLI run is one process); tests share one.
    with redact._lock:
        saved = set(redact._secrets), redact._pattern
    yield
    with redact._lock:
        redact._secrets.clear()
        redact._secrets.update(saved[0])
        redact._pattern = saved[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        in_regtest_dir = "tests/regtest/" in item.nodeid.replace("\\", "/")
        if in_regtest_dir or "regtest_node" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.regtest)
