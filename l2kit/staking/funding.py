"""Funding a staking transaction, two ways, each checked output by output before signing.

wallet  bitcoind descriptor wallet through PSBT: ``walletcreatefundedpsbt`` with the staking
        (and OP_RETURN) outputs → l2kit checks EVERY output of the unsigned tx (requested
        outputs exact, at most one change output that ``getaddressinfo`` says is ours, nothing
        else) → ``walletprocesspsbt`` → finalize → the signed tx must have the checked txid
        and a fee rate ≤ ``max_fee_rate``.
key     a 32-byte secret the user holds (``--key-file``): its BIP86 P2TR key-path address
        (``tr(<xonly>)``), UTXOs found with ``scantxoutset`` (confirmed only), largest first,
        change back to the same address, key-path Schnorr signatures.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import coincurve

from l2kit.btc import tx as btx
from l2kit.btc.keys import xonly_of
from l2kit.btc.network import Network, p2tr_address, script_to_address
from l2kit.btc.rpc_protocol import Rpc
from l2kit.btc.script import p2tr_script
from l2kit.btc.sign import schnorr_sign, taproot_sighash
from l2kit.btc.taproot import tagged_hash
from l2kit.errors import InputError, RpcError, TxRejected

SATS = Decimal(100_000_000)
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class Funded:
    raw_hex: str
    txid: str
    fee: int
    vsize: int
    inputs: tuple[str, ...]  # "txid:vout" of the funding inputs

    @property
    def fee_rate(self) -> Decimal:
        return Decimal(self.fee) / Decimal(self.vsize)


def to_sats(btc: Decimal | int | str) -> int:
    value = Decimal(str(btc)) * SATS
    if value != value.to_integral_value():
        raise InputError(f"amount {btc} has more than 8 decimals", field="amount")
    return int(value)


def check_outputs(
    tx: Any, wanted: Sequence[tuple[bytes, int]], is_mine: Callable[[bytes], bool]
) -> None:
    """Each wanted (script, value) exactly once; at most one other output, and it is ours."""
    missing = list(wanted)
    extra: list[tuple[bytes, int]] = []
    for spk, value in btx.outputs(tx):
        if (bytes(spk), value) in missing:
            missing.remove((bytes(spk), value))
        else:
            extra.append((bytes(spk), value))
    if missing:
        raise TxRejected(f"funded tx lacks requested output(s) {missing[0][0].hex()}", field="tx")
    if len(extra) > 1:
        raise TxRejected(f"funded tx has {len(extra)} unexpected outputs", field="tx")
    for script, amount in extra:
        if script[:1] == b"\x6a" or not is_mine(script):
            raise TxRejected(
                f"funded tx pays {amount} sat to {script.hex()}, which is not this wallet's change",
                field="tx",
            )


def check_fee(fee: int, vsize: int, max_fee_rate: Decimal) -> None:
    if fee <= 0:
        raise TxRejected(f"fee {fee} sat is not positive", field="fee")
    if Decimal(fee) / Decimal(vsize) > max_fee_rate:
        raise TxRejected(
            f"fee rate {Decimal(fee) / Decimal(vsize):.2f} sat/vB > --max-fee-rate {max_fee_rate}",
            field="max-fee-rate",
        )


def _psbt_unsigned_tx(psbt_b64: str) -> Any:
    """The global unsigned tx (key type 0x00) of a BIP174 v0 PSBT."""
    raw = base64.b64decode(psbt_b64)
    if raw[:5] != b"psbt\xff":
        raise TxRejected("not a PSBT", field="psbt")
    pos = 5

    def varint() -> int:
        nonlocal pos
        first = raw[pos]
        pos += 1
        if first < 0xFD:
            return first
        size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        value = int.from_bytes(raw[pos : pos + size], "little")
        pos += size
        return value

    while pos < len(raw):
        klen = varint()
        if klen == 0:
            break
        key = raw[pos : pos + klen]
        pos += klen
        vlen = varint()
        value = raw[pos : pos + vlen]
        pos += vlen
        if key == b"\x00":
            return btx.parse(value, field="psbt")
    raise TxRejected("PSBT has no unsigned tx", field="psbt")


def fund_from_wallet(
    wallet: Rpc,
    outputs: Sequence[tuple[bytes, int]],
    net: Network,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
    *,
    before_lock: Callable[[Sequence[str]], None] | None = None,
    lock: bool = True,
) -> Funded:
    """Fund ``outputs`` (script, value) from the wallet; checked, signed, not broadcast.

    The chosen coins are locked *persistently* (they stay locked across node restarts until
    the stake is broadcast or abandoned), and only after ``before_lock`` recorded them durably:
    a crash at any point leaves either no lock or a lock the next command can find and release.
    ``lock=False``: no lock at all, for a caller that records the tx first and then locks the
    inputs itself (``register_offline``).
    """
    rpc_outputs: list[dict[str, object]] = []
    for spk, value in outputs:
        if spk[:2] == b"\x6a\x47" and len(spk) == 73:
            rpc_outputs.append({"data": spk[2:].hex()})
            continue
        address = script_to_address(spk, net)
        if address is None:
            raise TxRejected(f"cannot express output {spk.hex()} as an address", field="tx")
        rpc_outputs.append({address: Decimal(value) / SATS})
    options = {"fee_rate": fee_rate, "lockUnspents": False, "replaceable": False}
    psbt = wallet.call("walletcreatefundedpsbt", [], rpc_outputs, 0, options)["psbt"]
    unsigned = _psbt_unsigned_tx(psbt)
    inputs = [str(btx.input_outpoint(unsigned, i)) for i in range(len(unsigned.vin))]
    if lock:
        if before_lock is not None:
            before_lock(inputs)
        lock_coins(wallet, inputs)
    try:
        return _check_and_sign(wallet, psbt, unsigned, outputs, net, max_fee_rate)
    except BaseException:
        if lock:
            unlock(wallet, inputs)
        raise


def _outpoints(inputs: Sequence[str]) -> list[dict[str, object]]:
    return [{"txid": o.txid_hex, "vout": o.vout} for o in map(btx.OutPoint.parse, inputs)]


def lock_coins(wallet: Rpc, inputs: Sequence[str], *, skip_gone: bool = False) -> None:
    """Lock coins persistently (the lock survives a node restart). ``skip_gone``: one coin at a
    time, leaving alone any the wallet refuses with -8 (spent or unknown) — re-taking the locks
    of a held stake after a crash."""
    if not skip_gone:
        wallet.call("lockunspent", False, _outpoints(inputs), True)
        return
    for out in _outpoints(inputs):
        _unless_gone(wallet, False, out)


def unlock(wallet: Rpc, inputs: Sequence[str]) -> None:
    """Unlock those of ``inputs`` the wallet still has locked and unspent (Core refuses to
    unlock an unlocked or a spent output with -8); a lock left on a spent coin is harmless."""
    locked = {(str(o["txid"]), int(o["vout"])) for o in wallet.call("listlockunspent")}
    for out in _outpoints(inputs):
        if (out["txid"], out["vout"]) in locked:
            _unless_gone(wallet, True, out)


def _unless_gone(wallet: Rpc, unlock_it: bool, out: dict[str, object]) -> None:
    """``lockunspent`` of one coin; -8 (spent, unknown or already in that state) is not an error."""
    try:
        wallet.call("lockunspent", unlock_it, [out], *(() if unlock_it else (True,)))
    except RpcError as exc:
        if exc.code != -8:
            raise


def _check_and_sign(
    wallet: Rpc,
    psbt: str,
    unsigned: Any,
    outputs: Sequence[tuple[bytes, int]],
    net: Network,
    max_fee_rate: Decimal,
) -> Funded:
    decoded = wallet.call("decodepsbt", psbt)
    in_values = []
    for i, item in enumerate(decoded["inputs"]):
        utxo = item.get("witness_utxo")
        if utxo is None:
            raise TxRejected(f"funding input {i} is not segwit (no witness_utxo)", field="tx")
        in_values.append(to_sats(utxo["amount"]))

    def is_mine(spk: bytes) -> bool:
        address = script_to_address(spk, net)
        return address is not None and bool(wallet.call("getaddressinfo", address)["ismine"])

    check_outputs(unsigned, outputs, is_mine)
    fee = sum(in_values) - sum(v for _, v in btx.outputs(unsigned))
    processed = wallet.call("walletprocesspsbt", psbt, True, "DEFAULT", True, True)
    final = processed.get("hex") or wallet.call("finalizepsbt", processed["psbt"]).get("hex")
    if not final:
        raise TxRejected("the wallet could not sign every input (locked or watch-only?)")
    signed = btx.parse(final, field="tx")
    txid = btx.txid_hex(signed)
    if txid != btx.txid_hex(unsigned):
        raise TxRejected("the signed tx differs from the checked one", field="tx")
    vsize = btx.vsize(signed)
    check_fee(fee, vsize, max_fee_rate)
    inputs = tuple(str(btx.input_outpoint(signed, i)) for i in range(len(signed.vin)))
    return Funded(final, txid, fee, vsize, inputs)


# --- key file (BIP86 P2TR key path) -------------------------------------------------------------


@dataclass(frozen=True)
class KeyPathKey:
    """A BIP86 key: internal x-only key P, output key Q = P + H_TapTweak(P)·G."""

    internal: bytes
    output: bytes
    tweaked_secret: bytes

    def __repr__(self) -> str:
        return f"KeyPathKey(internal={self.internal.hex()})"

    @property
    def script_pubkey(self) -> bytes:
        return bytes(p2tr_script(self.output))

    def address(self, net: Network) -> str:
        return p2tr_address(self.output, net)  # type: ignore[arg-type]

    @property
    def descriptor(self) -> str:
        return f"tr({self.internal.hex()})"


def key_path_key(seckey: bytes) -> KeyPathKey:
    internal = xonly_of(seckey)
    tweak = tagged_hash("TapTweak", internal)
    d = int.from_bytes(seckey, "big")
    if coincurve.PrivateKey(seckey).public_key.format()[0] == 3:
        d = _N - d  # BIP340: the x-only key stands for the even-y point
    tweaked = ((d + int.from_bytes(tweak, "big")) % _N).to_bytes(32, "big")
    output = coincurve.PublicKey.from_secret(tweaked).format()[1:]
    return KeyPathKey(internal, output, tweaked)


def fund_from_key(
    rpc: Rpc,
    key: KeyPathKey,
    outputs: Sequence[tuple[bytes, int]],
    net: Network,
    fee_rate: Decimal,
    max_fee_rate: Decimal,
) -> Funded:
    scan = rpc.call("scantxoutset", "start", [key.descriptor])
    utxos = sorted(
        ((u["txid"], int(u["vout"]), to_sats(u["amount"])) for u in scan.get("unspents", [])),
        key=lambda u: (-u[2], u[0], u[1]),
    )
    target = sum(v for _, v in outputs)
    chosen: list[tuple[str, int, int]] = []
    for utxo in utxos:
        chosen.append(utxo)
        funded = _build_key_spend(key, chosen, outputs, fee_rate)
        if funded is not None:
            check_fee(funded.fee, funded.vsize, max_fee_rate)
            return funded
    have = sum(u[2] for u in utxos)
    raise InputError(
        f"{key.address(net)} holds {have} sat in confirmed UTXOs; {target} sat plus fee "
        "needed: fund that address first",
        field="key-file",
    )


def _build_key_spend(
    key: KeyPathKey,
    chosen: Sequence[tuple[str, int, int]],
    outputs: Sequence[tuple[bytes, int]],
    fee_rate: Decimal,
) -> Funded | None:
    """The signed spend of ``chosen`` paying ``outputs`` (+ change if not dust), or None if
    they cannot pay the fee. Signatures are always 64 bytes, so the size does not depend on
    the change value."""
    total_in = sum(u[2] for u in chosen)
    spent = sum(v for _, v in outputs)
    inputs = [(btx.OutPoint(t, n), 0xFFFFFFFD) for t, n, _ in chosen]
    prevouts = [(v, key.script_pubkey) for _, _, v in chosen]
    spk = key.script_pubkey
    for with_change in (True, False):
        if total_in <= spent:
            return None
        outs = [*outputs, (spk, total_in - spent)] if with_change else list(outputs)
        vsize = btx.vsize(_sign_key_spend(key, btx.new_tx(2, inputs, outs), prevouts))
        fee = math.ceil(Decimal(vsize) * fee_rate)
        change = total_in - spent - fee
        if with_change and (change <= 0 or btx.is_dust(spk, change)):
            continue
        if change < 0:
            return None
        if with_change:
            outs = [*outputs, (spk, change)]
        signed = _sign_key_spend(key, btx.new_tx(2, inputs, outs), prevouts)
        paid = total_in - sum(v for _, v in outs)
        return Funded(
            btx.serialize(signed).hex(),
            btx.txid_hex(signed),
            paid,
            btx.vsize(signed),
            tuple(f"{t}:{n}" for t, n, _ in chosen),
        )
    return None


def _sign_key_spend(key: KeyPathKey, tx: Any, prevouts: list[tuple[int, bytes]]) -> Any:
    out = tx
    for i in range(len(tx.vin)):
        msg = taproot_sighash(tx, i, prevouts)
        out = btx.set_witness(out, i, [schnorr_sign(key.tweaked_secret, msg)])
    return out
