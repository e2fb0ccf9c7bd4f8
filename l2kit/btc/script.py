"""Bitcoin script bytes: opcodes, minimal pushes (CScriptNum), and a decoder.

Pure functions over bytes, in the manner of Bitcoin Core's ``test_framework/script.py``.
"""

from __future__ import annotations

from typing import NewType

from l2kit.errors import ScriptError

Script = NewType("Script", bytes)
"""Raw script bytes (a leaf script or a scriptPubKey)."""

__all__ = [
    "OP_0",
    "OP_1",
    "OP_1NEGATE",
    "OP_16",
    "OP_CHECKSEQUENCEVERIFY",
    "OP_CHECKSIG",
    "OP_CHECKSIGADD",
    "OP_CHECKSIGVERIFY",
    "OP_NUMEQUAL",
    "OP_NUMEQUALVERIFY",
    "OP_PUSHDATA1",
    "OP_PUSHDATA2",
    "OP_PUSHDATA4",
    "OP_RETURN",
    "P2TR_PREFIX",
    "P2WPKH_PREFIX",
    "Op",
    "Script",
    "decode",
    "decode_num",
    "encode_num",
    "is_p2tr",
    "is_p2wpkh",
    "p2tr_script",
    "push_bytes",
    "push_int",
    "small_int",
    "to_asm",
]

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_1NEGATE = 0x4F
OP_1 = 0x51
OP_16 = 0x60
OP_RETURN = 0x6A
OP_NUMEQUAL = 0x9C
OP_NUMEQUALVERIFY = 0x9D
OP_CHECKSIG = 0xAC
OP_CHECKSIGVERIFY = 0xAD
OP_CHECKSEQUENCEVERIFY = 0xB2
OP_CHECKSIGADD = 0xBA

P2TR_PREFIX = bytes([OP_1, 0x20])
"""A P2TR scriptPubKey is ``OP_1 0x20 <32-byte output key>`` (34 bytes, BIP341)."""
P2WPKH_PREFIX = bytes([OP_0, 0x14])
"""A P2WPKH scriptPubKey is ``OP_0 0x14 <20-byte key hash>`` (22 bytes, BIP141)."""

_NAMES = {
    OP_0: "OP_0",
    OP_1NEGATE: "OP_1NEGATE",
    OP_RETURN: "OP_RETURN",
    OP_NUMEQUAL: "OP_NUMEQUAL",
    OP_NUMEQUALVERIFY: "OP_NUMEQUALVERIFY",
    OP_CHECKSIG: "OP_CHECKSIG",
    OP_CHECKSIGVERIFY: "OP_CHECKSIGVERIFY",
    OP_CHECKSEQUENCEVERIFY: "OP_CHECKSEQUENCEVERIFY",
    OP_CHECKSIGADD: "OP_CHECKSIGADD",
    **{OP_1 + i - 1: f"OP_{i}" for i in range(1, 17)},
}

Op = int | bytes
"""A decoded script element: an opcode (``int``) or the data of a push (``bytes``)."""


def encode_num(n: int) -> bytes:
    """CScriptNum encoding: minimal little-endian magnitude, sign in the top bit (0 → b"")."""
    if n == 0:
        return b""
    neg, mag = n < 0, abs(n)
    out = bytearray()
    while mag:
        out.append(mag & 0xFF)
        mag >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if neg else 0x00)
    elif neg:
        out[-1] |= 0x80
    return bytes(out)


def decode_num(data: bytes) -> int:
    """Inverse of ``encode_num`` (accepts any encoding, minimal or not)."""
    if not data:
        return 0
    mag = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(mag & ~(0x80 << (8 * (len(data) - 1))))
    return mag


def push_bytes(data: bytes) -> bytes:
    """Minimal push of ``data``: ``len ‖ data`` below 76 bytes, else OP_PUSHDATA1/2/4."""
    n = len(data)
    if n < OP_PUSHDATA1:
        return bytes([n]) + data
    if n <= 0xFF:
        return bytes([OP_PUSHDATA1, n]) + data
    if n <= 0xFFFF:
        return bytes([OP_PUSHDATA2]) + n.to_bytes(2, "little") + data
    return bytes([OP_PUSHDATA4]) + n.to_bytes(4, "little") + data


def push_int(n: int) -> bytes:
    """Minimal number push (btcd ``AddInt64``): 0 → ``00``, -1 → ``4f``, 1..16 → ``51``..``60``,
    else a push of the CScriptNum bytes (e.g. 1000 → ``02e803``, 65535 → ``03ffff00``)."""
    if n == 0:
        return bytes([OP_0])
    if n == -1:
        return bytes([OP_1NEGATE])
    if 1 <= n <= 16:
        return bytes([OP_1 + n - 1])
    return push_bytes(encode_num(n))


def decode(script: bytes) -> list[Op]:
    """Split a script into opcodes (``int``) and push data (``bytes``).

    ``OP_0`` decodes to ``b""`` (it pushes the empty vector); ``OP_1``..``OP_16`` stay opcodes.
    Raises ``ScriptError`` on a truncated push.
    """
    ops: list[Op] = []
    i, n = 0, len(script)
    while i < n:
        op = script[i]
        i += 1
        if op == OP_0:
            ops.append(b"")
            continue
        if op < OP_PUSHDATA1:
            size = op
        elif op in (OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4):
            width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[op]
            if i + width > n:
                raise ScriptError("truncated push length", field="script")
            size = int.from_bytes(script[i : i + width], "little")
            i += width
        else:
            ops.append(op)
            continue
        if i + size > n:
            raise ScriptError("truncated push", field="script")
        ops.append(script[i : i + size])
        i += size
    return ops


def small_int(op: Op) -> int | None:
    """The number an element pushes if it is OP_1..OP_16 or a minimal numeric push, else None."""
    if isinstance(op, int):
        return op - OP_1 + 1 if OP_1 <= op <= OP_16 else None
    if len(op) > 4 or encode_num(decode_num(op)) != op:
        return None
    return decode_num(op)


def to_asm(script: bytes) -> str:
    """Human-readable form: hex for pushes, ``OP_*`` names for opcodes."""
    parts = []
    for op in decode(script):
        if isinstance(op, bytes):
            parts.append(op.hex() if op else "OP_0")
        else:
            parts.append(_NAMES.get(op, f"OP_UNKNOWN_{op:02x}"))
    return " ".join(parts)


def p2tr_script(output_key: bytes) -> Script:
    """``OP_1 0x20 <output_key>`` (34 bytes) for a 32-byte x-only output key."""
    if len(output_key) != 32:
        raise ScriptError("taproot output key must be 32 bytes", field="output_key")
    return Script(P2TR_PREFIX + output_key)


def is_p2tr(script_pubkey: bytes) -> bool:
    """Is this scriptPubKey a P2TR output (witness v1, 32-byte program)?"""
    return len(script_pubkey) == 34 and script_pubkey[:2] == P2TR_PREFIX


def is_p2wpkh(script_pubkey: bytes) -> bool:
    """Is this scriptPubKey a P2WPKH output (witness v0, 20-byte program)?"""
    return len(script_pubkey) == 22 and script_pubkey[:2] == P2WPKH_PREFIX
