"""Following the tip: wake on ZMQ ``hashblock`` (fallback: polling), index, export metrics.

The loop survives bitcoind restarts: ``Retryable`` errors (unreachable, warming up, busy, no
node running yet) are logged and retried with backoff; any other error (e.g. RPC -8) ends it
as one error line. A ZMQ SUB socket reconnects by itself. Reorgs are handled by ``Indexer.scan``.

Metrics (Prometheus textfile, for node_exporter's textfile collector or the l2kit monitor):
    l2kit_index_height                        last indexed (confirmed) height
    l2kit_index_stakes{status=…}              active | overflow | unbonded | withdrawn
    l2kit_index_invalid                 tagged txs that broke a rule
    l2kit_index_alarms                  unexpected spends of staking/unbonding outputs
    l2kit_index_active_tvl_sat                confirmed TVL as staking-indexer counts it
                                              (active stakes minus unbonded ones)
    l2kit_index_last_update_timestamp_seconds
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from l2kit import log
from l2kit.errors import Retryable
from l2kit.staking.indexer import Indexer, Stats

_log = log.get(__name__)


def write_textfile(path: Path, stats: Stats) -> None:
    """Write the gauges atomically (prometheus_client writes a temp file and renames)."""
    registry = CollectorRegistry()
    Gauge("l2kit_index_height", "Last indexed confirmed height", registry=registry).set(
        stats.height
    )
    stakes = Gauge("l2kit_index_stakes", "Indexed stakes by status", ["status"], registry=registry)
    stakes.labels("active").set(stats.stakes_active)
    stakes.labels("overflow").set(stats.stakes_overflow)
    stakes.labels("unbonded").set(stats.stakes_unbonded)
    stakes.labels("withdrawn").set(stats.stakes_withdrawn)
    Gauge("l2kit_index_invalid", "Tagged txs that broke a rule", registry=registry).set(
        stats.invalid
    )
    Gauge("l2kit_index_alarms", "Unexpected spends", registry=registry).set(stats.alarms)
    Gauge("l2kit_index_active_tvl_sat", "Active TVL (sat)", registry=registry).set(
        stats.active_tvl_sat
    )
    Gauge(
        "l2kit_index_last_update_timestamp_seconds", "Time of the last update", registry=registry
    ).set(time.time())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)


class _Waker:
    """Blocks until a ZMQ hashblock/rawblock message or the timeout, whichever comes first."""

    def __init__(self, endpoint: str | None) -> None:
        self._sock: Any = None
        if endpoint:
            import zmq  # lazy: only `follow` needs it

            sock: Any = zmq.Context.instance().socket(zmq.SUB)
            sock.setsockopt(zmq.SUBSCRIBE, b"hashblock")
            sock.setsockopt(zmq.SUBSCRIBE, b"rawblock")
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(endpoint)
            self._sock = sock

    def wait(self, timeout: float) -> bool:
        """True if a block notification arrived."""
        if self._sock is None:
            time.sleep(timeout)
            return False
        got = False
        if self._sock.poll(int(timeout * 1000)):
            while self._sock.poll(0):  # drain: one scan covers all queued blocks
                self._sock.recv_multipart()
                got = True
        return got

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()


def follow(
    make_indexer: Callable[[], Indexer],
    *,
    zmq_endpoint: str | None,
    poll_interval: float = 5.0,
    textfile: Path | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_update: Callable[[Stats], None] | None = None,
) -> None:
    """Index to the tip, then after every block notification (or ``poll_interval``)."""
    waker = _Waker(zmq_endpoint)
    indexer: Indexer | None = None
    backoff = 1.0
    try:
        while not should_stop():
            try:
                indexer = indexer or make_indexer()
                done = indexer.scan()
                backoff = 1.0
                stats = indexer.store.stats()
                if done:
                    _log.info("indexed", blocks=done, height=stats.height)
                if textfile is not None:
                    write_textfile(textfile, stats)
                if on_update is not None:
                    on_update(stats)
            except Retryable as exc:
                # only transient trouble (unreachable, warming up, busy, not running yet);
                # a deterministic RPC error (e.g. -8) would fail forever: let it propagate
                _log.warning("node unavailable; retrying", error=str(exc), in_s=backoff)
                _close_rpc(indexer)
                indexer = None  # reconnect (bitcoind may have restarted on new ports)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            waker.wait(poll_interval)
    finally:
        waker.close()
        _close_rpc(indexer)


def _close_rpc(indexer: Indexer | None) -> None:
    close = getattr(indexer.rpc, "close", None) if indexer is not None else None
    if callable(close):
        close()
