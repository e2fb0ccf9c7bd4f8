"""Blocks as the staking indexer reads them: python-bitcoinlib ``CBlock`` behind small helpers,
and a raw-bytes walk that finds the few transactions worth a full parse.

Hashes and txids are given in display (RPC) order hex; outpoints in internal order bytes, which
is what ``CTxIn.prevout.hash`` holds, so spends are matched without converting.

Why the walk: building a ``CTransaction`` costs ~30 µs, and an indexer cares about a handful of
the ~3,000 transactions of a mainnet block. ``select_txs`` steps over the serialization
(BIP144: version, [marker 00 flag 01], inputs, outputs, [witnesses], locktime) reading only
lengths, input prevout txids and output script heads, and fully parses only the transactions
that carry a chosen output script or spend a chosen txid.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import NamedTuple, overload

from bitcoin.core import CBlock, CTransaction, b2lx
from bitcoin.core.serialize import DeserializationExtraDataError, SerializationTruncationError

__all__ = [
    "Block",
    "IndexedTx",
    "RawTxs",
    "parse_block",
    "prevout_key",
    "select_txs",
    "txid_hex",
    "witness_stack",
]


class IndexedTx(NamedTuple):
    position: int  # in the block
    tx: CTransaction
    txid: bytes  # internal order (what ``CTxIn.prevout.hash`` holds)


@dataclass(frozen=True)
class Block:
    hash: str  # display-order hex
    prev_hash: str
    txs: Sequence[CTransaction]
    raw: bytes | None = field(default=None, repr=False)  # the serialized block, when known

    def select(
        self, script_head: bytes | None, script_len: int, spends: Container[bytes]
    ) -> list[IndexedTx]:
        """The transactions that may matter (see ``select_txs``); every one without ``raw``."""
        if self.raw is None:
            return [IndexedTx(i, tx, tx.GetTxid()) for i, tx in enumerate(self.txs)]
        return select_txs(self.raw, script_head, script_len, spends)


def parse_block(raw: bytes) -> Block:
    """A block from its serialization (``getblock HASH 0`` bytes): hashes now, transactions
    parsed on demand (``Block.txs``) or selectively (``Block.select``)."""
    if len(raw) < 81:
        raise SerializationTruncationError(f"block of {len(raw)} bytes")
    block_hash = sha256(sha256(raw[:80]).digest()).digest()
    return Block(
        hash=block_hash[::-1].hex(), prev_hash=raw[4:36][::-1].hex(), txs=RawTxs(raw), raw=raw
    )


class RawTxs(Sequence[CTransaction]):
    """Every transaction of a serialized block, parsed on first access (python-bitcoinlib)."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._txs: tuple[CTransaction, ...] | None = None

    def _all(self) -> tuple[CTransaction, ...]:
        if self._txs is None:
            self._txs = tuple(CBlock.deserialize(self._raw).vtx)
        return self._txs

    @overload
    def __getitem__(self, index: int) -> CTransaction: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CTransaction]: ...
    def __getitem__(self, index: int | slice) -> CTransaction | Sequence[CTransaction]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[CTransaction]:
        return iter(self._all())


def select_txs(
    raw: bytes, script_head: bytes | None, script_len: int, spends: Container[bytes]
) -> list[IndexedTx]:
    """The transactions of serialized block ``raw`` that have an output script of
    ``script_len`` bytes starting with ``script_head``, or (coinbase aside) an input spending
    a txid in ``spends`` or a txid selected earlier in this block; fully parsed, with their
    positions. Everything else is stepped over: the same bytes python-bitcoinlib reads, the
    same errors for truncated or over-long data.
    """
    mv = memoryview(raw)
    end = len(raw)
    head_len = len(script_head) if script_head else 0
    selected: list[IndexedTx] = []
    chosen: set[bytes] = set()  # txids selected in this block: their spends are selected too
    try:
        p, n_tx = _varint(raw, 80)
        for index in range(n_tx):
            start = p
            p += 4
            segwit = raw[p] == 0 and raw[p + 1] == 1
            if segwit:
                p += 2
            body = p
            n_in = raw[p]
            p += 1
            if n_in >= 0xFD:
                p, n_in = _varint(raw, p - 1)
            hit = False
            for _ in range(n_in):
                if index and not hit:
                    txid = raw[p : p + 32]
                    hit = txid in spends or txid in chosen
                p += 36
                n = raw[p]
                p += 1 + n if n < 0xFD else 0
                if n >= 0xFD:
                    p, n = _varint(raw, p)
                    p += n
                p += 4  # nSequence
            n_out = raw[p]
            p += 1
            if n_out >= 0xFD:
                p, n_out = _varint(raw, p - 1)
            for _ in range(n_out):
                p += 8  # nValue
                n = raw[p]
                p += 1
                if n >= 0xFD:
                    p, n = _varint(raw, p - 1)
                if n == script_len and head_len and raw[p : p + head_len] == script_head:
                    hit = True
                p += n
            body_end = p
            if segwit:
                for _ in range(n_in):
                    items = raw[p]
                    p += 1
                    if items >= 0xFD:
                        p, items = _varint(raw, p - 1)
                    for _ in range(items):
                        n = raw[p]
                        p += 1 + n if n < 0xFD else 0
                        if n >= 0xFD:
                            p, n = _varint(raw, p)
                            p += n
            p += 4  # nLockTime
            if p > end:
                raise IndexError(p)
            if hit:
                # txid = hash of the serialization without marker, flag and witnesses
                stripped = (
                    raw[start:p]
                    if not segwit
                    else raw[start : start + 4] + mv[body:body_end] + raw[p - 4 : p]
                )
                txid = sha256(sha256(stripped).digest()).digest()
                selected.append(IndexedTx(index, CTransaction.deserialize(mv[start:p]), txid))
                chosen.add(txid)
    except IndexError:
        raise SerializationTruncationError("block truncated") from None
    if p != end:
        raise DeserializationExtraDataError(
            "Not all bytes consumed during deserialization", None, raw[p:]
        )
    return selected


def _varint(raw: bytes, p: int) -> tuple[int, int]:
    """(position after, value) of the CompactSize at ``p`` (python-bitcoinlib's reading: no
    minimality check)."""
    first = raw[p]
    if first < 0xFD:
        return p + 1, first
    size = 2 if first == 0xFD else 4 if first == 0xFE else 8
    if p + 1 + size > len(raw):
        raise IndexError(p)
    return p + 1 + size, int.from_bytes(raw[p + 1 : p + 1 + size], "little")


def txid_hex(tx: CTransaction) -> str:
    return str(b2lx(tx.GetTxid()))


def prevout_key(txid_display_hex: str, vout: int) -> tuple[bytes, int]:
    """The (internal-order txid, index) pair that ``CTxIn.prevout`` compares equal to."""
    return bytes.fromhex(txid_display_hex)[::-1], vout


def witness_stack(tx: CTransaction, index: int) -> list[bytes]:
    """Witness items of input ``index`` (empty when the tx has no witness)."""
    if index >= len(tx.wit.vtxinwit):
        return []
    return [bytes(item) for item in tx.wit.vtxinwit[index].scriptWitness.stack]
