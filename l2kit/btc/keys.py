"""secp256k1 public keys as the staking scripts use them: 32-byte BIP340 x-only keys.

Input keys may be 33-byte compressed (``02``/``03`` ‖ x) or 32-byte x-only; both are checked
once, on the curve (libsecp256k1 through coincurve), and reduced to the x coordinate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NewType

import coincurve

from l2kit.errors import BadKey, InputError
from l2kit.redact import read_secret_file

if TYPE_CHECKING:
    from pathlib import Path

XOnlyPubKey = NewType("XOnlyPubKey", bytes)
"""32-byte x coordinate of a point with (implicitly) even y (BIP340)."""

Txid = NewType("Txid", bytes)
"""32-byte transaction id in internal (little-endian, serialized) byte order."""

__all__ = [
    "Txid",
    "XOnlyPubKey",
    "check_unique",
    "is_on_curve",
    "parse_pubkey",
    "parse_pubkeys",
    "read_seckey_file",
    "xonly_of",
]


def is_on_curve(x: bytes) -> bool:
    """BIP340 ``lift_x``: does the 32-byte ``x`` (< p) name a point on secp256k1?"""
    if len(x) != 32:
        return False
    try:
        coincurve.PublicKey(b"\x02" + x)
    except ValueError:
        return False
    return True


def parse_pubkey(value: str | bytes, field: str = "key") -> XOnlyPubKey:
    """Parse a 33-byte compressed or 32-byte x-only key (hex or bytes) into its x-only form.

    Raises ``BadKey`` naming ``field`` for bad hex, a wrong length, a prefix other than
    ``02``/``03``, or a point that is not on the curve.
    """
    if isinstance(value, str):
        try:
            raw = bytes.fromhex(value)
        except ValueError as exc:
            raise BadKey("not hex", field=field) from exc
    elif isinstance(value, bytes | bytearray):
        raw = bytes(value)
    else:
        raise BadKey("must be a hex string", field=field)
    if len(raw) == 33:
        if raw[0] not in (2, 3):
            raise BadKey(f"bad compressed-key prefix {raw[0]:02x} (want 02 or 03)", field=field)
        x = raw[1:]
    elif len(raw) == 32:
        x = raw
    else:
        raise BadKey(
            f"must be 33 bytes (compressed) or 32 bytes (x-only), got {len(raw)}", field=field
        )
    if not is_on_curve(x):
        raise BadKey("not a point on the secp256k1 curve", field=field)
    return XOnlyPubKey(x)


def parse_pubkeys(values: Iterable[str | bytes], field: str) -> tuple[XOnlyPubKey, ...]:
    """Parse a list of keys; errors name ``field[i]``."""
    return tuple(parse_pubkey(v, field=f"{field}[{i}]") for i, v in enumerate(values))


def check_unique(
    staker: XOnlyPubKey,
    fps: Sequence[XOnlyPubKey],
    covenants: Sequence[XOnlyPubKey],
    names: tuple[str, str, str] = ("staker", "finality_providers", "covenants"),
) -> None:
    """Reject any key that appears twice across staker + FPs + covenant (Go and TS do too).

    ``names``: the fields the three inputs come from, for the error (e.g. ``covenants[2]``).
    """
    staker_name, fps_name, covenants_name = names
    seen: dict[bytes, str] = {}
    named = [(staker_name, staker)]
    named += [(f"{fps_name}[{i}]", k) for i, k in enumerate(fps)]
    named += [(f"{covenants_name}[{i}]", k) for i, k in enumerate(covenants)]
    for field, key in named:
        if key in seen:
            raise BadKey(f"duplicate key (same as {seen[key]})", field=field)
        seen[key] = field


def xonly_of(seckey32: bytes) -> XOnlyPubKey:
    """The x-only public key of a 32-byte secret key (the secret is never put in the error)."""
    if len(seckey32) != 32:
        raise BadKey("secret key must be 32 bytes", field="seckey")
    try:
        pub = coincurve.PrivateKey(seckey32).public_key.format(compressed=True)
    except ValueError as exc:
        raise BadKey("secret key out of range", field="seckey") from exc
    return XOnlyPubKey(pub[1:])


def read_seckey_file(path: Path, field: str) -> bytes:
    """The 32-byte secret key in a file of 64 hex characters; errors name ``field``, never a
    byte of the content (the text is registered for scrubbing by ``read_secret_file``)."""
    text = read_secret_file(path, field, max_bytes=1024)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise InputError(f"{path} does not hold a hex secret key", field=field) from None
    if len(raw) != 32:
        raise InputError(f"{path} must hold a 32-byte hex secret key", field=field)
    xonly_of(raw)  # range check (BadKey names the field, not the value)
    return raw
