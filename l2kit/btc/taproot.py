"""BIP341 taproot outputs with a script tree and an unspendable (NUMS) internal key.

The tree shape is data: a tree is a ``Script`` (a leaf) or a 2-tuple of trees (a branch).
``(( timelock, unbonding ), slashing)`` is btcd's ``AssembleTaprootScriptTree`` of three leaves.

    TapLeaf   = tagged("TapLeaf",   0xc0 ‖ compactsize(len(script)) ‖ script)      32 bytes
    TapBranch = tagged("TapBranch", min(a, b) ‖ max(a, b))                          32 bytes
    TapTweak  = tagged("TapTweak",  P_x ‖ merkle_root)                               32 bytes
    Q         = lift_x(P_x) + TapTweak·G;  scriptPubKey = OP_1 0x20 Q_x             34 bytes
    control block = (0xc0 | parity(Q)) ‖ P_x ‖ sibling hashes, leaf upward         33 + 32·depth
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Union

import coincurve

from l2kit.btc.keys import XOnlyPubKey
from l2kit.btc.script import Script, p2tr_script
from l2kit.errors import ScriptError
from l2kit.frozen import frozen

__all__ = [
    "LEAF_VERSION",
    "NUMS_X",
    "TaprootOutput",
    "Tree",
    "compact_size",
    "tagged_hash",
    "tap_branch_hash",
    "tap_leaf_hash",
    "taproot_output",
    "verify_control_block",
]

NUMS_X = XOnlyPubKey(
    bytes.fromhex("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")
)
"""BIP341 "H": x-only key with no known discrete log (sha256 of the uncompressed G)."""

LEAF_VERSION = 0xC0
"""BIP342 tapscript leaf version."""

_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

Tree = Union[Script, tuple["Tree", "Tree"]]  # noqa: UP007 - recursive alias needs Union


def tagged_hash(tag: str, data: bytes) -> bytes:
    """BIP340 tagged hash: sha256(sha256(tag) ‖ sha256(tag) ‖ data)."""
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + data).digest()


def compact_size(n: int) -> bytes:
    """Bitcoin CompactSize (varint) encoding of ``n``."""
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def tap_leaf_hash(script: bytes, leaf_version: int = LEAF_VERSION) -> bytes:
    """TapLeaf hash of a script (32 bytes)."""
    return tagged_hash("TapLeaf", bytes([leaf_version]) + compact_size(len(script)) + script)


def tap_branch_hash(a: bytes, b: bytes) -> bytes:
    """TapBranch hash of two child hashes, sorted lexicographically (32 bytes)."""
    lo, hi = (a, b) if a < b else (b, a)
    return tagged_hash("TapBranch", lo + hi)


@lru_cache(maxsize=1024)  # one EC addition; callers often rebuild the same output (the
# indexer recognises a stake, then describes it with its value: the same tree twice)
def _tweak(internal_key: bytes, merkle_root: bytes) -> tuple[XOnlyPubKey, int]:
    t = tagged_hash("TapTweak", internal_key + merkle_root)
    if int.from_bytes(t, "big") >= _ORDER:  # probability ~2^-128
        raise ScriptError("taproot tweak out of range", field="tree")
    q = coincurve.PublicKey(b"\x02" + internal_key).add(t).format(compressed=True)
    return XOnlyPubKey(q[1:]), q[0] & 1


@frozen
class TaprootOutput:
    """A P2TR output committing to a script tree; holds what a script-path spend needs.

    ``leaves[i]`` is spent with ``control_block(leaves[i])``; ``paths[i]`` are its sibling
    hashes from the leaf upward.
    """

    internal_key: XOnlyPubKey
    merkle_root: bytes
    output_key: XOnlyPubKey
    parity: int
    leaves: tuple[Script, ...]
    paths: tuple[tuple[bytes, ...], ...]

    @property
    def script_pubkey(self) -> Script:
        """``OP_1 0x20 <Q_x>`` (34 bytes, ``5120…``)."""
        return p2tr_script(self.output_key)

    def leaf_hash(self, script: bytes) -> bytes:
        self._index(script)
        return tap_leaf_hash(script)

    def control_block(self, script: bytes) -> bytes:
        """``(0xc0 | parity) ‖ internal_key ‖ path`` for ``script`` (33 + 32·depth bytes)."""
        path = self.paths[self._index(script)]
        return bytes([LEAF_VERSION | self.parity]) + self.internal_key + b"".join(path)

    def _index(self, script: bytes) -> int:
        try:
            return self.leaves.index(Script(script))
        except ValueError:
            raise ScriptError("script is not a leaf of this output", field="leaf_script") from None


def _walk(tree: Tree) -> tuple[bytes, list[tuple[Script, list[bytes]]]]:
    if isinstance(tree, bytes):
        return tap_leaf_hash(tree), [(tree, [])]
    if not (isinstance(tree, tuple) and len(tree) == 2):
        raise ScriptError("a tree is a script or a pair of trees", field="tree")
    ha, la = _walk(tree[0])
    hb, lb = _walk(tree[1])
    for _, path in la:
        path.append(hb)
    for _, path in lb:
        path.append(ha)
    return tap_branch_hash(ha, hb), la + lb


def taproot_output(tree: Tree, internal_key: XOnlyPubKey = NUMS_X) -> TaprootOutput:
    """Build the P2TR output for ``tree`` (leaves in left-to-right order)."""
    root, leaves = _walk(tree)
    output_key, parity = _tweak(internal_key, root)
    return TaprootOutput(
        internal_key=internal_key,
        merkle_root=root,
        output_key=output_key,
        parity=parity,
        leaves=tuple(s for s, _ in leaves),
        paths=tuple(tuple(p) for _, p in leaves),
    )


def verify_control_block(output_key: bytes, script: bytes, control_block: bytes) -> bool:
    """Recompute the BIP341 commitment from a control block and leaf; True iff it yields Q."""
    size = len(control_block)
    if size < 33 or (size - 33) % 32 or size > 33 + 128 * 32:
        return False
    leaf_version = control_block[0] & 0xFE
    internal = control_block[1:33]
    h = tap_leaf_hash(script, leaf_version)
    for i in range(33, len(control_block), 32):
        h = tap_branch_hash(h, control_block[i : i + 32])
    try:
        q, parity = _tweak(internal, h)
    except (ScriptError, ValueError):
        return False
    return q == output_key and parity == control_block[0] & 1
