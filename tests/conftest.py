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

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from support.regtest_node import RegtestFixture

from l2kit import redact
from l2kit.errors import L2kitError
from l2kit.regtest import build
from l2kit.regtest.node import RegtestNode


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
