"""`index follow` retries only ``Retryable`` errors; a deterministic RPC error (-8) ends it."""

from __future__ import annotations

from typing import Any

import pytest

from l2kit.errors import NodeNotRunning, NodeUnreachable, RpcError, RpcWarmup
from l2kit.staking import follow as follow_mod
from l2kit.staking.indexer import Stats


class _Rpc:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class _Store:
    def stats(self) -> Stats:
        return Stats(-1, None, 0, 0, 0, 0, 0, 0, 0)


class _Indexer:
    """Raises the queued errors from ``scan`` one per call, then succeeds."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors, self.rpc, self.store = errors, _Rpc(), _Store()

    def scan(self) -> int:
        if self.errors:
            raise self.errors.pop(0)
        return 0


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(follow_mod.time, "sleep", slept.append)
    return slept


def _follow(errors: list[Exception], updates: int = 1) -> list[_Indexer]:
    made: list[_Indexer] = []
    seen: list[Stats] = []

    def make() -> Any:
        made.append(_Indexer(errors))
        return made[-1]

    follow_mod.follow(
        make,
        zmq_endpoint=None,
        poll_interval=0,
        should_stop=lambda: len(seen) >= updates,
        on_update=seen.append,
    )
    return made


def test_invalid_parameter_is_not_retried() -> None:
    errors: list[Exception] = [RpcError("getblockhash", -8, "Block height out of range")]
    with pytest.raises(RpcError) as info:
        _follow(errors)
    assert info.value.code == -8 and "\n" not in str(info.value)
    assert not errors  # raised on the first call, not swallowed and retried


def test_transient_errors_are_retried_with_a_fresh_connection(_no_sleep: list[float]) -> None:
    errors: list[Exception] = [
        NodeUnreachable("http://127.0.0.1:1", "refused"),
        RpcWarmup("getblockcount", -28, "Loading block index"),
        NodeNotRunning("no node running in /x"),
    ]
    made = _follow(errors)
    assert len(made) == 4 and not errors
    assert all(i.rpc.closed == 1 for i in made[:3])  # each failed connection was closed
    assert _no_sleep[:3] == [1.0, 2.0, 4.0]  # backoff between reconnects
