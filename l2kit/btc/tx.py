"""Thin helpers over python-bitcoinlib transactions: build, (de)serialize, size, dust.

Other modules build and read transactions through these helpers, so python-bitcoinlib stays
behind ``l2kit/btc``. Txids are shown in display (reversed) hex; ``Txid`` bytes are internal order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from struct import error as struct_error

from bitcoin.core import (
    CMutableTransaction,
    CMutableTxIn,
    CMutableTxOut,
    COutPoint,
    CScript,
    CTransaction,
    CTxInWitness,
    CTxWitness,
    b2lx,
    lx,
)
from bitcoin.core.script import CScriptWitness
from bitcoin.core.serialize import SerializationError, SerializationTruncationError

from l2kit.btc.script import OP_RETURN, Script
from l2kit.btc.taproot import compact_size
from l2kit.errors import InputError
from l2kit.frozen import frozen

__all__ = [
    "DUST_RELAY_FEE",
    "MAX_MONEY",
    "SEQUENCE_FINAL",
    "CTransaction",
    "OutPoint",
    "dust_threshold",
    "input_outpoint",
    "is_dust",
    "new_tx",
    "output",
    "outputs",
    "parse",
    "serialize",
    "set_witness",
    "txid_hex",
    "vsize",
    "weight",
    "witness",
]

SEQUENCE_FINAL = 0xFFFFFFFF
MAX_MONEY = 21_000_000 * 100_000_000
DUST_RELAY_FEE = 3000
"""Bitcoin Core's default ``-dustrelayfee`` (sat/kvB)."""


@frozen
class OutPoint:
    """A transaction output reference: ``txid_hex`` in display order, ``vout`` index."""

    txid_hex: str
    vout: int

    def __post_init__(self) -> None:
        try:
            raw = bytes.fromhex(self.txid_hex)
        except (ValueError, TypeError) as exc:
            raise InputError("txid must be 64 hex characters", field="txid") from exc
        if len(raw) != 32:
            raise InputError("txid must be 64 hex characters", field="txid")
        vout = self.vout
        if isinstance(vout, bool) or not isinstance(vout, int) or not 0 <= vout <= 0xFFFFFFFF:
            raise InputError("vout must be an integer in 0..4294967295", field="vout")
        object.__setattr__(self, "txid_hex", self.txid_hex.lower())

    @classmethod
    def parse(cls, text: str, field: str = "outpoint") -> OutPoint:
        """Parse ``TXID:VOUT``."""
        txid, sep, vout = text.partition(":")
        if not sep or not vout.isdigit():
            raise InputError("must be TXID:VOUT", field=field)
        return cls(txid, int(vout))

    def __str__(self) -> str:
        return f"{self.txid_hex}:{self.vout}"


def new_tx(
    version: int,
    inputs: Sequence[tuple[OutPoint, int]],
    outputs: Sequence[tuple[bytes, int]],
    locktime: int = 0,
) -> CMutableTransaction:
    """An unsigned transaction: ``inputs`` are (outpoint, nSequence) with empty scriptSig,
    ``outputs`` are (scriptPubKey, value in sats)."""
    vin = [
        CMutableTxIn(COutPoint(lx(op.txid_hex), op.vout), CScript(), nSequence=seq)
        for op, seq in inputs
    ]
    vout = []
    for i, (spk, value) in enumerate(outputs):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MONEY:
            raise InputError(f"output value must be 0..{MAX_MONEY} sats", field=f"outputs[{i}]")
        vout.append(CMutableTxOut(value, CScript(bytes(spk))))
    return CMutableTransaction(vin, vout, nLockTime=locktime, nVersion=version)


def serialize(tx: CTransaction, witness: bool = True) -> bytes:
    """Consensus serialization; ``witness=False`` gives the txid (non-witness) form."""
    return bytes(tx.serialize({"include_witness": witness}))


def parse(data: str | bytes, field: str = "tx") -> CMutableTransaction:
    """Parse a (witness or non-witness) transaction from hex or bytes."""
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data.strip())
        except ValueError as exc:
            raise InputError("not hex", field=field) from exc
    try:
        tx = CTransaction.deserialize(bytes(data))
    except (SerializationError, SerializationTruncationError, ValueError, struct_error) as exc:
        raise InputError(f"not a transaction ({exc.__class__.__name__})", field=field) from exc
    return CMutableTransaction.from_tx(tx)


def txid_hex(tx: CTransaction) -> str:
    """Display-order txid (non-witness hash)."""
    return str(b2lx(tx.GetTxid()))


def weight(tx: CTransaction) -> int:
    """BIP141 weight: 3·stripped size + total size."""
    return 3 * len(serialize(tx, witness=False)) + len(serialize(tx, witness=True))


def vsize(tx: CTransaction) -> int:
    """Virtual size: ceil(weight / 4)."""
    return math.ceil(weight(tx) / 4)


def output(tx: CTransaction, index: int) -> tuple[Script, int]:
    """(scriptPubKey, value) of output ``index``."""
    out = tx.vout[index]
    return Script(bytes(out.scriptPubKey)), int(out.nValue)


def outputs(tx: CTransaction) -> list[tuple[Script, int]]:
    return [output(tx, i) for i in range(len(tx.vout))]


def input_outpoint(tx: CTransaction, index: int) -> OutPoint:
    prev = tx.vin[index].prevout
    return OutPoint(str(b2lx(prev.hash)), int(prev.n))


def witness(tx: CTransaction, index: int) -> list[bytes]:
    """Witness stack items of input ``index`` (empty list if none)."""
    if tx.wit.is_null() or index >= len(tx.wit.vtxinwit):
        return []
    return [bytes(item) for item in tx.wit.vtxinwit[index].scriptWitness.stack]


def set_witness(tx: CTransaction, index: int, items: Sequence[bytes]) -> CMutableTransaction:
    """A copy of ``tx`` with the witness stack of input ``index`` replaced by ``items``."""
    out = CMutableTransaction.from_tx(tx)
    wits = [CTxInWitness(CScriptWitness(witness(tx, i))) for i in range(len(tx.vin))]
    wits[index] = CTxInWitness(CScriptWitness([bytes(b) for b in items]))
    out.wit = CTxWitness(wits)
    return out


def _is_witness_program(spk: bytes) -> bool:
    return (
        4 <= len(spk) <= 42 and (spk[0] == 0 or 0x51 <= spk[0] <= 0x60) and spk[1] == len(spk) - 2
    )


def dust_threshold(script_pubkey: bytes, dust_relay_fee: int = DUST_RELAY_FEE) -> int:
    """Bitcoin Core ``GetDustThreshold``: the spend+output size at ``dust_relay_fee`` sat/kvB.

    Unspendable outputs (OP_RETURN, > 10000 bytes) → 0. Witness programs add 67 bytes of
    spending input (P2TR → 330, P2WPKH → 294 sat); others add 148 (P2PKH → 546 sat).
    """
    if (script_pubkey and script_pubkey[0] == OP_RETURN) or len(script_pubkey) > 10_000:
        return 0
    size = 8 + len(compact_size(len(script_pubkey))) + len(script_pubkey)
    # spending input: outpoint 36 + scriptSig len 1 + sequence 4 + scriptSig/witness 107
    witness_program = _is_witness_program(script_pubkey)
    size += (32 + 4 + 1 + 107 // 4 + 4) if witness_program else (32 + 4 + 1 + 107 + 4)
    return math.ceil(size * dust_relay_fee / 1000)


def is_dust(script_pubkey: bytes, value: int, dust_relay_fee: int = DUST_RELAY_FEE) -> bool:
    """True iff Bitcoin Core's relay policy would call this output dust."""
    return value < dust_threshold(script_pubkey, dust_relay_fee)
