"""Staking-tx inclusion proofs as Babylon's ``btcctypes`` reads them.

    InclusionProof{key: TransactionKey{index, hash}, proof}
    index   the tx's position in the block (0 = coinbase, refused by the chain)
    hash    the block hash, 32 bytes, internal byte order (``BTCHeaderHashBytes``)
    proof   the Merkle branch: sibling hashes from the leaf level up, 32 bytes each, internal
            order, without the txid and the root

Verification is babylon@v4.2.7 ``x/btccheckpoint/types/btcutils.go`` ``verify`` (from
summa-tx bitcoin-spv): ``txid ‖ proof ‖ root`` must be a multiple of 32 bytes and not 64, then
the branch is folded with ``sha256d(left ‖ right)``, the side chosen by the index bits. The
branch is computed here from the block's txid list (bitcoind ``getblock HASH 1``), the way
Bitcoin Core builds its Merkle tree (an odd last node pairs with itself).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from l2kit.babylon.proto import InclusionProof
from l2kit.errors import InputError

__all__ = ["build_inclusion_proof", "merkle_branch", "merkle_root", "verify_inclusion"]


def _h(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(a + b).digest()).digest()


def _check(txids: Sequence[bytes]) -> None:
    if not txids:
        raise InputError("a block has at least one transaction", field="block")
    for i, t in enumerate(txids):
        if len(t) != 32:
            raise InputError(f"txid {i} is not 32 bytes", field="block")


def merkle_root(txids: Sequence[bytes]) -> bytes:
    """The block Merkle root of ``txids`` (internal order)."""
    _check(txids)
    level = list(txids)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [_h(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def merkle_branch(txids: Sequence[bytes], index: int) -> list[bytes]:
    """Sibling hashes of ``txids[index]`` from the leaves up (internal order)."""
    _check(txids)
    if not 0 <= index < len(txids):
        raise InputError(f"index {index} not in a block of {len(txids)} txs", field="index")
    level, idx, branch = list(txids), index, []
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        branch.append(level[idx ^ 1])
        level = [_h(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        idx >>= 1
    return branch


def build_inclusion_proof(
    block_hash_hex: str, txids_hex: Sequence[str], staking_txid_hex: str
) -> InclusionProof:
    """The proof for ``staking_txid_hex`` in the block ``block_hash_hex`` whose txids (display
    hex, block order) are ``txids_hex``, as ``getblock`` returns them."""
    try:
        txids = [bytes.fromhex(t)[::-1] for t in txids_hex]
        block_hash = bytes.fromhex(block_hash_hex)[::-1]
    except ValueError:
        raise InputError("block hash and txids must be hex", field="block") from None
    if len(block_hash) != 32:
        raise InputError("block hash must be 32 bytes", field="block")
    wanted = staking_txid_hex.lower()
    positions = [i for i, t in enumerate(txids_hex) if t.lower() == wanted]
    if len(positions) != 1:
        raise InputError(f"{staking_txid_hex} is not in block {block_hash_hex}", field="block")
    index = positions[0]
    return InclusionProof(index, block_hash, b"".join(merkle_branch(txids, index)))


def verify_inclusion(txid: bytes, root: bytes, proof: bytes, index: int) -> bool:
    """Babylon's ``VerifyInclusionProof(tx, merkleRoot, intermediateNodes, index)``; ``txid``
    and ``root`` in internal order."""
    if txid == root and index == 0 and not proof:
        return True
    data = bytes(txid) + bytes(proof) + bytes(root)
    if len(data) % 32 or len(data) == 64:
        return False
    current, idx = data[:32], index
    for i in range(1, len(data) // 32 - 1):
        node = data[32 * i : 32 * i + 32]
        current = _h(node, current) if idx % 2 == 1 else _h(current, node)
        idx >>= 1
    return current == data[-32:]
