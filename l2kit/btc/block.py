"""Blocks as the staking indexer reads them: python-bitcoinlib ``CBlock`` behind small helpers.

Hashes and txids are given in display (RPC) order hex; outpoints in internal order bytes, which
is what ``CTxIn.prevout.hash`` holds, so spends are matched without converting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bitcoin.core import CBlock, CTransaction, b2lx

__all__ = ["Block", "parse_block", "prevout_key", "txid_hex", "witness_stack"]


@dataclass(frozen=True)
class Block:
    hash: str  # display-order hex
    prev_hash: str
    txs: Sequence[CTransaction]


def parse_block(raw: bytes) -> Block:
    """Deserialize a full block (``getblock HASH 0`` bytes)."""
    block = CBlock.deserialize(raw)
    return Block(hash=b2lx(block.GetHash()), prev_hash=b2lx(block.hashPrevBlock), txs=block.vtx)


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
