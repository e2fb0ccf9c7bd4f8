"""`index follow` on its own regtest node: wakes on ZMQ hashblock, survives a bitcoind restart.

Waits below are bounded polls for an outcome, not timing assertions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network
from l2kit.regtest.conf import NodePorts
from l2kit.regtest.node import RegtestNode
from l2kit.staking.follow import follow
from l2kit.staking.indexer import Indexer, IndexStore
from l2kit.staking.params import ParamsSet, regtest_params

PARAMS = ParamsSet([regtest_params([xonly_of(bytes([i]) * 32) for i in (1, 2, 3)], 2)])


def _wait(cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.2)


def _run(node_dir: Path, db: Path, zmq: str | None, poll: float) -> tuple[threading.Thread, dict]:
    flags = {"stop": False, "updates": 0}
    stores: list[IndexStore] = []  # one per thread (sqlite), reused across reconnects

    def make() -> Indexer:
        if not stores:
            stores.append(IndexStore(db))
        rpc = RegtestNode(node_dir).rpc()
        return Indexer(stores[0], rpc, PARAMS, Network.REGTEST, 1)

    def run() -> None:
        try:
            follow(
                make,
                zmq_endpoint=zmq,
                poll_interval=poll,
                should_stop=lambda: bool(flags["stop"]),
                on_update=on_update,
            )
        finally:
            for store in stores:
                store.close()

    def on_update(_stats: object) -> None:
        flags["updates"] += 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, flags


def test_follow_wakes_on_zmq_and_survives_restart(own_node: RegtestNode, tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    reader = IndexStore(db)
    state = own_node.state()
    assert state is not None
    tip = lambda: int(own_node.rpc().call("getblockcount"))  # noqa: E731
    indexed = lambda: (reader.tip() or (-1, ""))[0]  # noqa: E731

    # 1. ZMQ: with a 10-minute poll interval only a hashblock message can wake the loop
    thread, flags = _run(own_node.datadir, db, state.zmq["hashblock"], poll=600)
    _wait(lambda: flags["updates"] >= 1)
    own_node.mine(3)
    _wait(lambda: indexed() == tip() - 1)  # confirmation_depth 2
    flags["stop"] = True
    own_node.mine(1)  # wake it so that it sees the stop flag
    thread.join(timeout=60)
    assert not thread.is_alive()

    # 2. polling + a bitcoind restart on the same ports: the loop reconnects and catches up
    thread, flags = _run(own_node.datadir, db, None, poll=0.5)
    _wait(lambda: indexed() == tip() - 1)
    ports = NodePorts(
        state.rpc_port,
        state.p2p_port,
        *(int(state.zmq[t].rsplit(":", 1)[1]) for t in ("hashblock", "hashtx")),
    )
    own_node.down()
    time.sleep(1.0)
    restarted = RegtestNode(own_node.datadir, preferred_ports=ports)
    restarted.up()
    restarted.mine(4)
    _wait(lambda: indexed() == int(restarted.rpc().call("getblockcount")) - 1)
    flags["stop"] = True
    thread.join(timeout=60)
    assert not thread.is_alive()
    heights = [h for h in range(1, indexed() + 1)]
    assert all(reader.hash_at(h) == restarted.rpc().call("getblockhash", h) for h in heights)
    reader.close()
    restarted.close()
