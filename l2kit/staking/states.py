"""The stake state machine: states, allowed transitions, and the state the chain implies.

    CREATED ──► BROADCAST ──► CONFIRMED(k) ──► UNBONDING ──► UNBONDED ──► WITHDRAWABLE ──► WITHDRAWN
                                 │   │                           │            ▲
                                 │   └──► EXPIRED ───────────────┼────────────┼──────────► WITHDRAWN
                                 └──────► SLASHED ◄──────────────┘            │
                                              └──(change matured)─────────────┘

    REGISTRATION_PENDING ──► BROADCAST     (pre-staking registration: funded, signed and
           │                                recorded, held back until the Babylon chain has
           └──► ABANDONED                   verified the delegation; never re-sent by sync;
                                            ABANDONED: given up, inputs unlocked, never sent)

Every forward edge has a backward twin for reorgs (a confirmation that disappears moves the
state back). ``path()`` finds the shortest chain of allowed edges between two states, so a
tracker that was down for many blocks still records each step it skipped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    REGISTRATION_PENDING = "REGISTRATION_PENDING"
    ABANDONED = "ABANDONED"
    CREATED = "CREATED"
    BROADCAST = "BROADCAST"
    CONFIRMED = "CONFIRMED"
    UNBONDING = "UNBONDING"
    UNBONDED = "UNBONDED"
    WITHDRAWABLE = "WITHDRAWABLE"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    SLASHED = "SLASHED"


_FORWARD: dict[State, frozenset[State]] = {
    State.REGISTRATION_PENDING: frozenset({State.BROADCAST, State.ABANDONED}),
    State.ABANDONED: frozenset(),
    State.CREATED: frozenset({State.BROADCAST}),
    State.BROADCAST: frozenset({State.CONFIRMED}),
    State.CONFIRMED: frozenset({State.UNBONDING, State.EXPIRED, State.SLASHED}),
    State.UNBONDING: frozenset({State.UNBONDED}),
    State.UNBONDED: frozenset({State.WITHDRAWABLE, State.SLASHED}),
    State.WITHDRAWABLE: frozenset({State.WITHDRAWN, State.SLASHED}),
    State.EXPIRED: frozenset({State.WITHDRAWN, State.UNBONDING, State.SLASHED}),
    State.SLASHED: frozenset({State.WITHDRAWABLE}),
    State.WITHDRAWN: frozenset(),
}


def _with_reorg_edges(forward: dict[State, frozenset[State]]) -> dict[State, frozenset[State]]:
    edges = {s: set(t) for s, t in forward.items()}
    for src, targets in forward.items():
        for dst in targets:
            edges[dst].add(src)  # a reorg can undo any forward step
    edges[State.BROADCAST].add(State.CREATED)  # evicted from the mempool: send again
    return {s: frozenset(t) for s, t in edges.items()}


TRANSITIONS: dict[State, frozenset[State]] = _with_reorg_edges(_FORWARD)


def allowed(src: State, dst: State) -> bool:
    return dst in TRANSITIONS[src]


def path(src: State, dst: State) -> list[State]:
    """Shortest list of states after ``src`` that reaches ``dst`` by allowed edges ([] if equal)."""
    if src == dst:
        return []
    prev: dict[State, State] = {}
    queue = deque([src])
    while queue:
        cur = queue.popleft()
        for nxt in sorted(TRANSITIONS[cur]):
            if nxt in prev or nxt == src:
                continue
            prev[nxt] = cur
            if nxt == dst:
                out = [dst]
                while prev[out[-1]] != src:
                    out.append(prev[out[-1]])
                return out[::-1]
            queue.append(nxt)
    raise ValueError(f"no path {src} -> {dst}")  # unreachable: the graph is strongly connected


@dataclass(frozen=True)
class TxSeen:
    """What the node says about one of a stake's transactions.

    confirmations: >0 in the best chain, 0 in the mempool, -1 unknown to the node.
    """

    confirmations: int

    @property
    def accepted(self) -> bool:
        return self.confirmations >= 0


UNSEEN = TxSeen(-1)


@dataclass(frozen=True)
class ChainView:
    staking: TxSeen
    unbonding: TxSeen = UNSEEN
    slashing: TxSeen = UNSEEN  # whichever slashing tx (from staking or unbonding) was sent
    withdrawal: TxSeen = UNSEEN


def derive(view: ChainView, *, staking_time: int, unbonding_time: int) -> State:
    """The state the chain implies. A relative timelock of T blocks on an output with c
    confirmations can be spent in the next block iff c >= T (BIP68)."""
    if view.withdrawal.accepted:
        return State.WITHDRAWN
    if view.slashing.accepted:
        matured = view.slashing.confirmations >= unbonding_time
        return State.WITHDRAWABLE if matured else State.SLASHED
    if view.unbonding.confirmations > 0:
        matured = view.unbonding.confirmations >= unbonding_time
        return State.WITHDRAWABLE if matured else State.UNBONDED
    if view.unbonding.accepted:
        return State.UNBONDING
    if view.staking.confirmations > 0:
        return State.EXPIRED if view.staking.confirmations >= staking_time else State.CONFIRMED
    if view.staking.accepted:
        return State.BROADCAST
    return State.CREATED


def blocks_until_withdrawable(
    view: ChainView, *, staking_time: int, unbonding_time: int
) -> int | None:
    """Blocks still to mine before a withdrawal can enter the next block (None: not applicable)."""
    if view.withdrawal.accepted:
        return None
    for seen, lock in (
        (view.slashing, unbonding_time),
        (view.unbonding, unbonding_time),
        (view.staking, staking_time),
    ):
        if seen.accepted:
            return max(0, lock - seen.confirmations) if seen.confirmations > 0 else lock
    return None
