"""Stake tracker: the state machine (property tests) and the SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.stakes import new_stake

from l2kit.errors import StoreError
from l2kit.staking.states import (
    TRANSITIONS,
    ChainView,
    State,
    TxSeen,
    allowed,
    blocks_until_withdrawable,
    derive,
    path,
)
from l2kit.staking.tracker import SCHEMA_VERSION, Tracker

STATES = list(State)


@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_path_uses_only_allowed_edges(src: State, dst: State) -> None:
    steps = path(src, dst)
    cur = src
    for step in steps:
        assert allowed(cur, step)
        cur = step
    assert cur == dst


def test_every_forward_edge_has_a_reorg_twin() -> None:
    for src, targets in TRANSITIONS.items():
        for dst in targets:
            assert allowed(dst, src), (src, dst)


def test_lifecycle_edges() -> None:
    assert allowed(State.CREATED, State.BROADCAST)
    assert not allowed(State.CREATED, State.WITHDRAWN)
    assert not allowed(State.BROADCAST, State.UNBONDING)
    assert path(State.BROADCAST, State.WITHDRAWABLE) == [
        State.CONFIRMED,
        State.UNBONDING,
        State.UNBONDED,
        State.WITHDRAWABLE,
    ] or path(State.BROADCAST, State.WITHDRAWABLE) == [
        State.CONFIRMED,
        State.SLASHED,
        State.WITHDRAWABLE,
    ]


seen = st.integers(min_value=-1, max_value=300).map(TxSeen)


@given(seen, seen, seen, seen)
def test_derive_is_consistent_with_blocks_remaining(
    s: TxSeen, u: TxSeen, x: TxSeen, w: TxSeen
) -> None:
    view = ChainView(staking=s, unbonding=u, slashing=x, withdrawal=w)
    state = derive(view, staking_time=100, unbonding_time=10)
    left = blocks_until_withdrawable(view, staking_time=100, unbonding_time=10)
    if state in (State.WITHDRAWABLE, State.EXPIRED):
        assert left == 0
    if state in (State.CONFIRMED, State.UNBONDED, State.UNBONDING, State.SLASHED):
        assert left is not None and left > 0
    if state == State.WITHDRAWN:
        assert left is None


def test_derive_examples() -> None:
    t = {"staking_time": 100, "unbonding_time": 10}
    assert derive(ChainView(TxSeen(-1)), **t) == State.CREATED
    assert derive(ChainView(TxSeen(0)), **t) == State.BROADCAST
    assert derive(ChainView(TxSeen(99)), **t) == State.CONFIRMED
    assert derive(ChainView(TxSeen(100)), **t) == State.EXPIRED
    assert derive(ChainView(TxSeen(5), unbonding=TxSeen(0)), **t) == State.UNBONDING
    assert derive(ChainView(TxSeen(5), unbonding=TxSeen(9)), **t) == State.UNBONDED
    assert derive(ChainView(TxSeen(15), unbonding=TxSeen(10)), **t) == State.WITHDRAWABLE
    assert derive(ChainView(TxSeen(15), slashing=TxSeen(3)), **t) == State.SLASHED
    view = ChainView(TxSeen(15), unbonding=TxSeen(12), withdrawal=TxSeen(0))
    assert derive(view, **t) == State.WITHDRAWN
    assert blocks_until_withdrawable(ChainView(TxSeen(7), unbonding=TxSeen(3)), **t) == 7


def test_store_roundtrip_and_unique_fingerprint(tmp_path: Path) -> None:
    with Tracker(tmp_path / "s.db") as tr:
        assert tr.schema_version() == SCHEMA_VERSION
        stake = tr.add_stake(new_stake(), "ab" * 32, "0200")
        assert stake.state == State.CREATED
        assert tr.find("AB" * 32) == stake
        assert tr.find_by_fingerprint("aa" * 32) == stake
        with pytest.raises(StoreError):
            tr.add_stake(new_stake(), "cd" * 32, "0200")
        assert tr.txs(stake.id)["staking"].raw_hex == "0200"
    # reopening keeps everything (and does not re-run migrations)
    with Tracker(tmp_path / "s.db") as tr:
        assert [s.staking_txid for s in tr.all()] == ["ab" * 32]
        db = sqlite3.connect(str(tmp_path / "s.db"))
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()


def test_store_is_created_only_by_a_write(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "s.db"
    with Tracker(path) as tr:  # reads on an absent store: empty, nothing created
        assert tr.all() == [] and tr.find("ab" * 32) is None
        assert tr.schema_version() == SCHEMA_VERSION
    assert not path.exists() and not path.parent.exists()
    with Tracker(path) as tr:
        tr.add_stake(new_stake(), "ab" * 32, "00")
    assert path.exists()


def test_store_refuses_newer_schema(tmp_path: Path) -> None:
    with Tracker(tmp_path / "s.db") as tr:
        tr.add_stake(new_stake(), "ab" * 32, "00")
    db = sqlite3.connect(str(tmp_path / "s.db"))
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Tracker(tmp_path / "s.db")


def test_tx_intent_cannot_be_replaced_once_seen(tmp_path: Path) -> None:
    with Tracker(tmp_path / "s.db") as tr:
        sid = tr.add_stake(new_stake(), "ab" * 32, "00").id
        tr.put_tx(sid, "unbonding", "01" * 32, "aa")
        tr.put_tx(sid, "unbonding", "02" * 32, "bb")  # never seen: replaceable
        tr.note_seen(sid, "unbonding", 0, None)
        with pytest.raises(StoreError, match="already on the node"):
            tr.put_tx(sid, "unbonding", "03" * 32, "cc")
        assert tr.txs(sid)["unbonding"].txid == "02" * 32
        tr.put_sigs(sid, "slashing", {("c1", "f1"): "5151"})
        assert tr.sigs(sid, "slashing") == {("c1", "f1"): "5151"}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(STATES), max_size=25))
def test_store_enforces_transitions(
    tmp_path_factory: pytest.TempPathFactory, moves: list[State]
) -> None:
    db = tmp_path_factory.mktemp("t") / "s.db"
    with Tracker(db) as tr:
        sid = tr.add_stake(new_stake(), "ab" * 32, "00").id
        expected = State.CREATED
        for move in moves:
            if move == expected or allowed(expected, move):
                tr.transition(sid, move, "test", 1)
                expected = move
            else:
                with pytest.raises(StoreError):
                    tr.transition(sid, move, "test", 1)
            assert tr.get(sid).state == expected
        # move_to reaches any state, recording only allowed steps
        tr.move_to(sid, State.WITHDRAWN, "sync", 3)
        cur = State.CREATED
        for src, dst, _ in tr.history(sid):
            assert src == cur and allowed(src, dst)
            cur = dst
        assert cur == State.WITHDRAWN == tr.get(sid).state
