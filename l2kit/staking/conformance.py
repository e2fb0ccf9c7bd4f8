"""The conformance contract: official-vector ``parameters`` in, ``expected`` fields out.

Input (one JSON object; every field required unless marked):

    covenant_public_keys, finality_provider_public_keys   arrays of 33-byte (or 32-byte) hex keys
    staker_public_key                                       hex key
    covenant_quorum, staking_time, unbonding_time,
    staking_value, unbonding_fee, staking_output_index     integers
    staking_tx_hash                                         display-order txid hex (64)
    unbonding_tx_version                                    2
    tag                                                     4-byte hex
    network                                                 mainnet | signet | testnet3 | regtest
    slashing_pk_script, slashing_rate, slashing_fee        optional, all three together

Output: the vector's ``expected`` fields, plus ``slashing_transaction_hex`` and
``unbonding_slashing_transaction_hex`` (unsigned, non-witness) when slashing fields are given.
Invalid input raises an ``InputError`` whose one-line message names the field and the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from l2kit.btc.keys import XOnlyPubKey, check_unique, parse_pubkey
from l2kit.btc.network import Network, by_kind
from l2kit.btc.tx import MAX_MONEY, OutPoint, serialize, txid_hex
from l2kit.errors import InputError
from l2kit.frozen import frozen
from l2kit.inputfiles import BadDocument
from l2kit.inputfiles import load_json as load_strict_json
from l2kit.staking.identifiable import build_v0_op_return
from l2kit.staking.scripts import (
    MAX_TIMELOCK,
    slashing_change_info,
    staking_info,
    unbonding_info,
)
from l2kit.staking.slashing_rate import parse_slashing_rate
from l2kit.staking.transactions import build_slashing_tx, build_unbonding_tx

if TYPE_CHECKING:  # decimal is imported only when a request has slashing fields (start-up)
    from decimal import Decimal

__all__ = [
    "INPUT_FIELDS",
    "SLASHING_FIELDS",
    "ConformanceInput",
    "answer_line",
    "conformance",
    "load_json",
]

_INT_FIELDS = (
    "covenant_quorum",
    "staking_time",
    "unbonding_time",
    "staking_value",
    "unbonding_fee",
    "staking_output_index",
    "unbonding_tx_version",
)
_STR_FIELDS = ("staker_public_key", "staking_tx_hash", "tag", "network")
_LIST_FIELDS = ("covenant_public_keys", "finality_provider_public_keys")
INPUT_FIELDS = frozenset(_INT_FIELDS + _STR_FIELDS + _LIST_FIELDS)
SLASHING_FIELDS = ("slashing_pk_script", "slashing_rate", "slashing_fee")
# The networks Babylon's vectors (and [btc-config]) name: no testnet4.
_NETWORKS = [name for r in by_kind() if r.babylon_btc_config for name in r.names]

# builder field names -> the input field a user must change
_FIELD_MAP = {
    "staker": "staker_public_key",
    "covenants": "covenant_public_keys",
    "finality_providers": "finality_provider_public_keys",
    "slashing_change": "slashing_fee",
    "input_value": "staking_value",
    "unbonding_value": "unbonding_fee",
    "quorum": "covenant_quorum",
    "covenants_quorum": "covenant_quorum",
}


@frozen
class ConformanceInput:
    covenants: tuple[XOnlyPubKey, ...]
    fps: tuple[XOnlyPubKey, ...]
    staker: XOnlyPubKey
    quorum: int
    staking_time: int
    unbonding_time: int
    staking_value: int
    unbonding_fee: int
    staking_outpoint: OutPoint
    tag: bytes
    net: Network
    slashing: tuple[bytes, Decimal, int] | None


def _int(obj: dict[str, Any], name: str, lo: int, hi: int) -> int:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"must be an integer, got {type(value).__name__}", field=name)
    if not lo <= value <= hi:
        raise InputError(f"must be in {lo}..{hi}, got {value}", field=name)
    return value


def _str(obj: dict[str, Any], name: str) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", field=name)
    return value


def _hex(obj: dict[str, Any], name: str, size: int | None) -> bytes:
    text = _str(obj, name)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise InputError("must be hex", field=name) from None
    if size is not None and len(raw) != size:
        raise InputError(f"must be {size} bytes of hex, got {len(raw)}", field=name)
    return raw


def _keys(obj: dict[str, Any], name: str) -> tuple[XOnlyPubKey, ...]:
    value = obj[name]
    if not isinstance(value, list):
        raise InputError(f"must be an array of hex keys, got {type(value).__name__}", field=name)
    if not value:
        raise InputError("must not be empty", field=name)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError("must be a hex string", field=f"{name}[{i}]")
        out.append(parse_pubkey(item, field=f"{name}[{i}]"))
    return tuple(out)


def parse_input(obj: object) -> ConformanceInput:
    """Validate one request object (fields, types, ranges, keys); raises ``InputError``."""
    if not isinstance(obj, dict):
        raise InputError("must be a JSON object", field="input")
    unknown = sorted(set(obj) - INPUT_FIELDS - set(SLASHING_FIELDS))
    if unknown:
        raise InputError("unknown field", field=unknown[0])
    missing = sorted(INPUT_FIELDS - set(obj))
    if missing:
        raise InputError("missing required field", field=missing[0])
    given = [f for f in SLASHING_FIELDS if f in obj]
    if given and len(given) != len(SLASHING_FIELDS):
        absent = next(f for f in SLASHING_FIELDS if f not in obj)
        raise InputError(
            "slashing_pk_script, slashing_rate and slashing_fee must be given together",
            field=absent,
        )

    covenants = _keys(obj, "covenant_public_keys")
    fps = _keys(obj, "finality_provider_public_keys")
    staker = parse_pubkey(_str(obj, "staker_public_key"), field="staker_public_key")
    check_unique(
        staker,
        fps,
        covenants,
        names=("staker_public_key", "finality_provider_public_keys", "covenant_public_keys"),
    )

    quorum = _int(obj, "covenant_quorum", 1, len(covenants))
    staking_time = _int(obj, "staking_time", 1, MAX_TIMELOCK)
    unbonding_time = _int(obj, "unbonding_time", 1, MAX_TIMELOCK)
    value = _int(obj, "staking_value", 1, MAX_MONEY)
    fee = _int(obj, "unbonding_fee", 1, MAX_MONEY)
    if fee >= value:
        raise InputError(f"must be below staking_value ({value}), got {fee}", field="unbonding_fee")
    index = _int(obj, "staking_output_index", 0, 0xFFFFFFFF)
    version = obj["unbonding_tx_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version != 2:
        raise InputError(f"must be 2, got {version!r}", field="unbonding_tx_version")
    txid = _hex(obj, "staking_tx_hash", 32).hex()
    tag = _hex(obj, "tag", 4)
    network = _str(obj, "network")
    if network not in _NETWORKS:
        raise InputError(f"must be one of {', '.join(_NETWORKS)}; got {network!r}", field="network")
    slashing = None
    if given:
        pk_script = _hex(obj, "slashing_pk_script", None)
        if not pk_script:
            raise InputError("must not be empty", field="slashing_pk_script")
        rate_text = obj["slashing_rate"]
        if not isinstance(rate_text, str):
            raise InputError(
                f"must be a decimal string, got {type(rate_text).__name__}", field="slashing_rate"
            )
        rate = parse_slashing_rate(rate_text)
        slashing_fee = _int(obj, "slashing_fee", 1, MAX_MONEY)
        slashing = (pk_script, rate, slashing_fee)
    return ConformanceInput(
        covenants=covenants,
        fps=fps,
        staker=staker,
        quorum=quorum,
        staking_time=staking_time,
        unbonding_time=unbonding_time,
        staking_value=value,
        unbonding_fee=fee,
        staking_outpoint=OutPoint(txid, index),
        tag=tag,
        net=Network.parse(network),
        slashing=slashing,
    )


def build(req: ConformanceInput) -> dict[str, Any]:
    """The ``expected`` fields for a validated request."""
    si = staking_info(
        req.staker,
        req.fps,
        req.covenants,
        req.quorum,
        req.staking_time,
        req.staking_value,
        req.net,
    )
    ui = unbonding_info(
        req.staker,
        req.fps,
        req.covenants,
        req.quorum,
        req.unbonding_time,
        req.staking_value - req.unbonding_fee,
        req.net,
    )
    unbonding_tx = build_unbonding_tx(req.staking_outpoint, req.staking_value, ui)
    op_return = (
        build_v0_op_return(req.tag, req.staker, req.fps[0], req.staking_time).hex()
        if len(req.fps) == 1
        else ""
    )
    out: dict[str, Any] = {
        "staking_output_pkscript_hex": si.script_pubkey.hex(),
        "staking_output_value": si.value,
        "staking_transaction_timelock_script_hex": si.timelock_script.hex(),
        "staking_transaction_unbonding_script_hex": si.unbonding_script.hex(),
        "staking_transaction_slashing_script_hex": si.slashing_script.hex(),
        "unbonding_transaction_hex": serialize(unbonding_tx, witness=False).hex(),
        "unbonding_transaction_time_lock_script_hex": ui.timelock_script.hex(),
        "unbonding_transaction_slashing_script_hex": ui.slashing_script.hex(),
        "op_return_script_hex": op_return,
    }
    if req.slashing is not None:
        pk_script, rate, fee = req.slashing
        change = slashing_change_info(req.staker, req.unbonding_time, net=req.net)
        slash = build_slashing_tx(
            req.staking_outpoint, req.staking_value, pk_script, rate, fee, change
        )
        unbonding_slash = build_slashing_tx(
            OutPoint(txid_hex(unbonding_tx), 0), ui.value, pk_script, rate, fee, change
        )
        out["slashing_transaction_hex"] = serialize(slash, witness=False).hex()
        out["unbonding_slashing_transaction_hex"] = serialize(unbonding_slash, witness=False).hex()
    return out


def conformance(obj: object) -> dict[str, Any]:
    """Validate and build; every failure is an ``InputError`` naming an input field."""
    req = parse_input(obj)
    try:
        return build(req)
    except InputError as exc:
        field = exc.field.split("[")[0] if exc.field else None
        mapped = _FIELD_MAP.get(field or "", exc.field)
        if mapped == exc.field:
            raise
        rule = str(exc)[len(f"{exc.field}: ") :] if exc.field else str(exc)
        raise InputError(rule, field=mapped) from exc


def load_json(data: bytes | str) -> object:
    """Parse one request document; ``InputError`` (field ``input``) if it is not UTF-8 JSON."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise InputError("not UTF-8", field="input") from None
    try:
        return load_strict_json(text)
    except BadDocument as exc:
        raise InputError(one_line(str(exc)), field="input") from None


def answer_line(line: bytes | str) -> dict[str, Any]:
    """One ``--jsonl`` answer: the result, or ``{"error": message}``."""
    try:
        return conformance(load_json(line))
    except InputError as exc:
        return {"error": one_line(str(exc))}


def one_line(text: str) -> str:
    return " ".join(text.split())
