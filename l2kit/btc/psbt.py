"""PSBT (BIP174 version 0) with the BIP371 taproot fields, as a small strict codec.

Neither python-bitcoinlib 0.12 nor bitcoin-utils 0.8 reads or writes the taproot fields, so
this module does. Layout (all lengths compact-size prefixed)::

    "psbt" 0xff ‖ global map ‖ one map per input ‖ one map per output
    map   = { <keylen> <keytype ‖ keydata> <valuelen> <value> }* 0x00

Typed fields (others are kept verbatim in ``unknown`` and written back):

    global  0x00 UNSIGNED_TX (empty scriptSigs/witnesses)      0xfb VERSION (must be 0)
    input   0x00 NON_WITNESS_UTXO   0x01 WITNESS_UTXO (value 8 ‖ spk)   0x03 SIGHASH_TYPE (u32)
            0x07 FINAL_SCRIPTSIG    0x08 FINAL_SCRIPTWITNESS
            0x13 TAP_KEY_SIG (64|65)
            0x14 TAP_SCRIPT_SIG      key xonly 32 ‖ leaf_hash 32     value sig 64|65
            0x15 TAP_LEAF_SCRIPT     key control block 33+32m        value script ‖ leaf_version
            0x16 TAP_BIP32_DERIVATION key xonly 32
                 value compact n ‖ leaf_hashes 32·n ‖ fingerprint 4 ‖ path u32 LE each
            0x17 TAP_INTERNAL_KEY 32                0x18 TAP_MERKLE_ROOT 32
    output  0x05 TAP_INTERNAL_KEY 32   0x06 TAP_TREE {depth, leaf_version, script}*
            0x07 TAP_BIP32_DERIVATION (as input)

Malformed input raises ``PsbtError`` naming the map, the key type and the rule.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from bitcoin.core import CScript, CTransaction, CTxIn, CTxOut
from bitcoin.core.serialize import SerializationError, SerializationTruncationError

from l2kit.btc.taproot import compact_size, tap_branch_hash, tap_leaf_hash
from l2kit.errors import PsbtError

__all__ = [
    "Psbt",
    "PsbtError",
    "PsbtInput",
    "PsbtOutput",
    "TapDerivation",
    "from_psbt",
    "merkle_root_from_control_block",
    "to_psbt",
]

MAGIC = b"psbt\xff"

G_UNSIGNED_TX, G_VERSION = 0x00, 0xFB
I_NON_WITNESS_UTXO, I_WITNESS_UTXO, I_SIGHASH_TYPE = 0x00, 0x01, 0x03
I_FINAL_SCRIPTSIG, I_FINAL_SCRIPTWITNESS = 0x07, 0x08
I_TAP_KEY_SIG, I_TAP_SCRIPT_SIG, I_TAP_LEAF_SCRIPT = 0x13, 0x14, 0x15
I_TAP_BIP32, I_TAP_INTERNAL_KEY, I_TAP_MERKLE_ROOT = 0x16, 0x17, 0x18
O_TAP_INTERNAL_KEY, O_TAP_TREE, O_TAP_BIP32 = 0x05, 0x06, 0x07


@dataclass(frozen=True)
class TapDerivation:
    """BIP371 tap BIP32 derivation: leaves the key signs for, key origin fingerprint and path."""

    leaf_hashes: tuple[bytes, ...]
    fingerprint: bytes
    path: tuple[int, ...]

    def serialize(self) -> bytes:
        return (
            compact_size(len(self.leaf_hashes))
            + b"".join(self.leaf_hashes)
            + self.fingerprint
            + b"".join(struct.pack("<I", i) for i in self.path)
        )


@dataclass
class PsbtInput:
    """One input map; keys of the dicts are the BIP371 key data."""

    non_witness_utxo: bytes | None = None
    witness_utxo: tuple[int, bytes] | None = None  # (amount sat, scriptPubKey)
    sighash_type: int | None = None
    final_script_sig: bytes | None = None
    final_script_witness: list[bytes] | None = None
    tap_key_sig: bytes | None = None
    tap_script_sigs: dict[tuple[bytes, bytes], bytes] = field(default_factory=dict)
    tap_leaf_scripts: dict[bytes, tuple[bytes, int]] = field(default_factory=dict)
    tap_bip32: dict[bytes, TapDerivation] = field(default_factory=dict)
    tap_internal_key: bytes | None = None
    tap_merkle_root: bytes | None = None
    unknown: dict[bytes, bytes] = field(default_factory=dict)


@dataclass
class PsbtOutput:
    """One output map."""

    tap_internal_key: bytes | None = None
    tap_tree: list[tuple[int, int, bytes]] | None = None  # (depth, leaf_version, script)
    tap_bip32: dict[bytes, TapDerivation] = field(default_factory=dict)
    unknown: dict[bytes, bytes] = field(default_factory=dict)


@dataclass
class Psbt:
    """A version-0 PSBT around an unsigned transaction."""

    tx: CTransaction
    inputs: list[PsbtInput]
    outputs: list[PsbtOutput]
    unknown: dict[bytes, bytes] = field(default_factory=dict)

    def serialize(self) -> bytes:
        return _serialize(self)

    def to_base64(self) -> str:
        return base64.b64encode(self.serialize()).decode()

    @classmethod
    def parse(cls, data: bytes) -> Psbt:
        return _parse(data)

    def prevouts(self) -> list[tuple[int, bytes]]:
        """``(amount, scriptPubKey)`` of every input from WITNESS_UTXO (taproot needs all)."""
        out = []
        for i, psbt_in in enumerate(self.inputs):
            if psbt_in.witness_utxo is None:
                raise PsbtError(
                    "WITNESS_UTXO missing (taproot signing needs every prevout)",
                    field=f"input[{i}]",
                )
            out.append(psbt_in.witness_utxo)
        return out


# --- reading --------------------------------------------------------------------------------


def _read_compact(stream: io.BytesIO, where: str) -> int:
    head = stream.read(1)
    if not head:
        raise PsbtError("truncated (compact size)", field=where)
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}.get(head[0], 0)
    if not size:
        return head[0]
    raw = stream.read(size)
    if len(raw) != size:
        raise PsbtError("truncated (compact size)", field=where)
    value = int.from_bytes(raw, "little")
    if value < (0xFD, 0x10000, 0x100000000)[size.bit_length() - 2]:
        raise PsbtError("non-canonical compact size", field=where)
    return value


def _read_bytes(stream: io.BytesIO, where: str) -> bytes:
    n = _read_compact(stream, where)
    raw = stream.read(n)
    if len(raw) != n:
        raise PsbtError(f"truncated: wanted {n} bytes, got {len(raw)}", field=where)
    return raw


def _read_map(stream: io.BytesIO, where: str) -> list[tuple[int, bytes, bytes]]:
    """(key type, key data, value) entries; duplicate keys are an error (BIP174)."""
    seen: set[bytes] = set()
    entries: list[tuple[int, bytes, bytes]] = []
    while True:
        key = _read_bytes(stream, where)
        if not key:
            return entries
        if key in seen:
            raise PsbtError(f"duplicate key {key.hex()}", field=where)
        seen.add(key)
        key_stream = io.BytesIO(key)
        key_type = _read_compact(key_stream, where)
        entries.append((key_type, key_stream.read(), _read_bytes(stream, where)))


def _need(cond: bool, where: str, key_type: int, rule: str) -> None:
    if not cond:
        raise PsbtError(f"key type 0x{key_type:02x}: {rule}", field=where)


def _parse_derivation(value: bytes, where: str, key_type: int) -> TapDerivation:
    stream = io.BytesIO(value)
    n = _read_compact(stream, where)
    # check the declared count against the bytes there before reading (untrusted input)
    _need(32 * n <= len(value) - stream.tell(), where, key_type, "truncated leaf hashes")
    hashes = tuple(stream.read(32) for _ in range(n))
    rest = stream.read()
    _need(len(rest) >= 4 and len(rest) % 4 == 0, where, key_type, "fingerprint ‖ 4-byte path items")
    path = tuple(struct.unpack("<I", rest[i : i + 4])[0] for i in range(4, len(rest), 4))
    return TapDerivation(hashes, rest[:4], path)


def _parse_witness(value: bytes, where: str) -> list[bytes]:
    stream = io.BytesIO(value)
    items = [_read_bytes(stream, where) for _ in range(_read_compact(stream, where))]
    _need(not stream.read(), where, I_FINAL_SCRIPTWITNESS, "trailing bytes after the stack")
    return items


def _parse_input(entries: list[tuple[int, bytes, bytes]], where: str) -> PsbtInput:
    psbt_in = PsbtInput()
    for key_type, key, value in entries:
        single = key == b""
        if key_type == I_NON_WITNESS_UTXO and single:
            psbt_in.non_witness_utxo = value
        elif key_type == I_WITNESS_UTXO and single:
            try:
                txout = CTxOut.deserialize(value)
            except (SerializationError, SerializationTruncationError, struct.error) as exc:
                raise PsbtError("key type 0x01: not a serialized output", field=where) from exc
            psbt_in.witness_utxo = (int(txout.nValue), bytes(txout.scriptPubKey))
        elif key_type == I_SIGHASH_TYPE and single:
            _need(len(value) == 4, where, key_type, "value must be 4 bytes")
            psbt_in.sighash_type = struct.unpack("<I", value)[0]
        elif key_type == I_FINAL_SCRIPTSIG and single:
            psbt_in.final_script_sig = value
        elif key_type == I_FINAL_SCRIPTWITNESS and single:
            psbt_in.final_script_witness = _parse_witness(value, where)
        elif key_type == I_TAP_KEY_SIG and single:
            _need(len(value) in (64, 65), where, key_type, "signature must be 64 or 65 bytes")
            psbt_in.tap_key_sig = value
        elif key_type == I_TAP_SCRIPT_SIG:
            _need(len(key) == 64, where, key_type, "key must be x-only key 32 ‖ leaf hash 32")
            _need(len(value) in (64, 65), where, key_type, "signature must be 64 or 65 bytes")
            psbt_in.tap_script_sigs[(key[:32], key[32:])] = value
        elif key_type == I_TAP_LEAF_SCRIPT:
            _need(
                len(key) >= 33 and (len(key) - 33) % 32 == 0 and len(key) <= 33 + 128 * 32,
                where,
                key_type,
                "key must be a control block of 33 + 32·m bytes (m ≤ 128)",
            )
            _need(len(value) >= 1, where, key_type, "value must be script ‖ leaf version")
            _need(
                value[-1] & 1 == 0 and value[-1] == key[0] & 0xFE,
                where,
                key_type,
                "leaf version must match the control block",
            )
            psbt_in.tap_leaf_scripts[key] = (value[:-1], value[-1])
        elif key_type == I_TAP_BIP32:
            _need(len(key) == 32, where, key_type, "key must be a 32-byte x-only key")
            psbt_in.tap_bip32[key] = _parse_derivation(value, where, key_type)
        elif key_type == I_TAP_INTERNAL_KEY and single:
            _need(len(value) == 32, where, key_type, "internal key must be 32 bytes")
            psbt_in.tap_internal_key = value
        elif key_type == I_TAP_MERKLE_ROOT and single:
            _need(len(value) == 32, where, key_type, "merkle root must be 32 bytes")
            psbt_in.tap_merkle_root = value
        else:
            _need(key_type not in _INPUT_TYPED, where, key_type, "this key type takes no key data")
            psbt_in.unknown[compact_size(key_type) + key] = value
    return psbt_in


def _parse_tree(value: bytes, where: str) -> list[tuple[int, int, bytes]]:
    stream = io.BytesIO(value)
    leaves = []
    while head := stream.read(2):
        _need(len(head) == 2, where, O_TAP_TREE, "truncated leaf")
        _need(head[0] <= 128, where, O_TAP_TREE, "depth must be ≤ 128")
        _need(head[1] & 1 == 0, where, O_TAP_TREE, "leaf version must be even")
        leaves.append((head[0], head[1], _read_bytes(stream, where)))
    _need(bool(leaves), where, O_TAP_TREE, "empty tree")
    return leaves


def _parse_output(entries: list[tuple[int, bytes, bytes]], where: str) -> PsbtOutput:
    psbt_out = PsbtOutput()
    for key_type, key, value in entries:
        if key_type == O_TAP_INTERNAL_KEY and key == b"":
            _need(len(value) == 32, where, key_type, "internal key must be 32 bytes")
            psbt_out.tap_internal_key = value
        elif key_type == O_TAP_TREE and key == b"":
            psbt_out.tap_tree = _parse_tree(value, where)
        elif key_type == O_TAP_BIP32:
            _need(len(key) == 32, where, key_type, "key must be a 32-byte x-only key")
            psbt_out.tap_bip32[key] = _parse_derivation(value, where, key_type)
        else:
            _need(
                key_type not in (O_TAP_INTERNAL_KEY, O_TAP_TREE),
                where,
                key_type,
                "this key type takes no key data",
            )
            psbt_out.unknown[compact_size(key_type) + key] = value
    return psbt_out


_INPUT_TYPED = {0x00, 0x01, 0x03, 0x07, 0x08, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}


def _parse(data: bytes) -> Psbt:
    if not data.startswith(MAGIC):
        raise PsbtError("missing magic bytes 'psbt' 0xff", field="psbt")
    stream = io.BytesIO(data[len(MAGIC) :])
    tx: CTransaction | None = None
    unknown: dict[bytes, bytes] = {}
    for key_type, key, value in _read_map(stream, "global"):
        if key_type == G_UNSIGNED_TX and key == b"":
            try:
                tx = CTransaction.deserialize(value)
            except (
                SerializationError,
                SerializationTruncationError,
                ValueError,
                struct.error,
            ) as exc:
                raise PsbtError("unsigned tx does not parse", field="global") from exc
        elif key_type == G_VERSION and key == b"":
            _need(
                value == b"\x00\x00\x00\x00", "global", key_type, "only PSBT version 0 is supported"
            )
            unknown[compact_size(key_type)] = value
        else:
            _need(key_type != G_UNSIGNED_TX, "global", key_type, "this key type takes no key data")
            unknown[compact_size(key_type) + key] = value
    if tx is None:
        raise PsbtError("no unsigned transaction (key type 0x00)", field="global")
    if any(len(txin.scriptSig) for txin in tx.vin) or not tx.wit.is_null():
        raise PsbtError("unsigned tx must have empty scriptSigs and witnesses", field="global")
    inputs = [
        _parse_input(_read_map(stream, f"input[{i}]"), f"input[{i}]") for i in range(len(tx.vin))
    ]
    outputs = [
        _parse_output(_read_map(stream, f"output[{i}]"), f"output[{i}]")
        for i in range(len(tx.vout))
    ]
    if stream.read():
        raise PsbtError("trailing bytes after the last output map", field="psbt")
    return Psbt(tx, inputs, outputs, unknown)


# --- writing --------------------------------------------------------------------------------


Entry = tuple[bytes, bytes]  # (full key = keytype ‖ keydata, value)


def _key(key_type: int, key: bytes = b"") -> bytes:
    return compact_size(key_type) + key


def _write_map(entries: list[Entry]) -> bytes:
    """Entries sorted by key (Core writes its maps in key-type order as well), then 0x00."""
    out = bytearray()
    for key, value in sorted(entries):
        out += compact_size(len(key)) + key + compact_size(len(value)) + value
    return bytes(out) + b"\x00"


def _input_entries(p: PsbtInput) -> list[Entry]:
    out: list[Entry] = list(p.unknown.items())
    if p.non_witness_utxo is not None:
        out.append((_key(I_NON_WITNESS_UTXO), p.non_witness_utxo))
    if p.witness_utxo is not None:
        amount, spk = p.witness_utxo
        out.append((_key(I_WITNESS_UTXO), CTxOut(amount, CScript(spk)).serialize()))
    if p.sighash_type is not None:
        out.append((_key(I_SIGHASH_TYPE), struct.pack("<I", p.sighash_type)))
    if p.final_script_sig is not None:
        out.append((_key(I_FINAL_SCRIPTSIG), p.final_script_sig))
    if p.final_script_witness is not None:
        stack = p.final_script_witness
        value = compact_size(len(stack)) + b"".join(compact_size(len(i)) + i for i in stack)
        out.append((_key(I_FINAL_SCRIPTWITNESS), value))
    if p.tap_key_sig is not None:
        out.append((_key(I_TAP_KEY_SIG), p.tap_key_sig))
    out += [(_key(I_TAP_SCRIPT_SIG, x + h), sig) for (x, h), sig in p.tap_script_sigs.items()]
    out += [
        (_key(I_TAP_LEAF_SCRIPT, cb), script + bytes([version]))
        for cb, (script, version) in p.tap_leaf_scripts.items()
    ]
    out += [(_key(I_TAP_BIP32, x), d.serialize()) for x, d in p.tap_bip32.items()]
    if p.tap_internal_key is not None:
        out.append((_key(I_TAP_INTERNAL_KEY), p.tap_internal_key))
    if p.tap_merkle_root is not None:
        out.append((_key(I_TAP_MERKLE_ROOT), p.tap_merkle_root))
    return out


def _output_entries(p: PsbtOutput) -> list[Entry]:
    out: list[Entry] = list(p.unknown.items())
    if p.tap_internal_key is not None:
        out.append((_key(O_TAP_INTERNAL_KEY), p.tap_internal_key))
    if p.tap_tree is not None:
        value = b"".join(bytes([d, v]) + compact_size(len(s)) + s for d, v, s in p.tap_tree)
        out.append((_key(O_TAP_TREE), value))
    out += [(_key(O_TAP_BIP32, x), d.serialize()) for x, d in p.tap_bip32.items()]
    return out


def _serialize(psbt: Psbt) -> bytes:
    if len(psbt.inputs) != len(psbt.tx.vin) or len(psbt.outputs) != len(psbt.tx.vout):
        raise PsbtError("one map per input and per output is required", field="psbt")
    unsigned = CTransaction(psbt.tx.vin, psbt.tx.vout, psbt.tx.nLockTime, psbt.tx.nVersion)
    tx_bytes = unsigned.serialize({"include_witness": False})
    out = bytearray(MAGIC)
    out += _write_map([(_key(G_UNSIGNED_TX), tx_bytes), *psbt.unknown.items()])
    for p in psbt.inputs:
        out += _write_map(_input_entries(p))
    for q in psbt.outputs:
        out += _write_map(_output_entries(q))
    return bytes(out)


# --- the staking entry points ---------------------------------------------------------------


def merkle_root_from_control_block(leaf_script: bytes, control_block: bytes) -> bytes:
    """The script tree's root implied by a leaf and its control block."""
    h = tap_leaf_hash(leaf_script, control_block[0] & 0xFE)
    for i in range(33, len(control_block), 32):
        h = tap_branch_hash(h, control_block[i : i + 32])
    return h


def to_psbt(
    tx: CTransaction,
    prevouts: Sequence[tuple[int, bytes]],
    leaf_script: bytes | None = None,
    control_block: bytes | None = None,
    *,
    input_index: int = 0,
    tap_script_sigs: dict[tuple[bytes, bytes], bytes] | None = None,
    tap_bip32: dict[bytes, TapDerivation] | None = None,
) -> str:
    """Base64 PSBT for ``tx``: WITNESS_UTXO for every input and, for ``input_index``, the
    revealed leaf (TAP_LEAF_SCRIPT), internal key and merkle root from the control block."""
    if len(prevouts) != len(tx.vin):
        raise PsbtError(f"need {len(tx.vin)} prevouts, got {len(prevouts)}", field="prevouts")
    inputs = [PsbtInput(witness_utxo=(int(a), bytes(s))) for a, s in prevouts]
    if leaf_script is not None:
        if control_block is None or len(control_block) < 33 or (len(control_block) - 33) % 32:
            raise PsbtError(
                "a leaf needs its control block (33 + 32·m bytes)", field="control_block"
            )
        target = inputs[input_index]
        target.tap_leaf_scripts[bytes(control_block)] = (
            bytes(leaf_script),
            control_block[0] & 0xFE,
        )
        target.tap_internal_key = bytes(control_block[1:33])
        target.tap_merkle_root = merkle_root_from_control_block(leaf_script, control_block)
        target.tap_script_sigs.update(tap_script_sigs or {})
        target.tap_bip32.update(tap_bip32 or {})
    empty = CTransaction(
        [CTxIn(txin.prevout, CScript(), txin.nSequence) for txin in tx.vin],
        tx.vout,
        tx.nLockTime,
        tx.nVersion,
    )
    return Psbt(empty, inputs, [PsbtOutput() for _ in tx.vout]).to_base64()


def from_psbt(text: str | bytes) -> Psbt:
    """Parse a PSBT given as base64 text, hex text or raw bytes."""
    if isinstance(text, bytes) and text.startswith(MAGIC):
        return _parse(text)
    raw_text = (text.decode(errors="replace") if isinstance(text, bytes) else text).strip()
    if raw_text.lower().startswith(MAGIC.hex()):  # hex text; base64 PSBTs start "cHNidP8"
        try:
            hex_data = bytes.fromhex(raw_text)
        except ValueError as exc:
            raise PsbtError("bad hex", field="psbt") from exc
        return _parse(hex_data)
    try:
        data = base64.b64decode(raw_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PsbtError("neither base64 nor hex", field="psbt") from exc
    return _parse(data)
