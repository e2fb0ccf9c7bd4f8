"""Babylon account addresses: bech32 (BIP-173, not bech32m) of a 20-byte account id, HRP ``bbn``.

    bbn1 <32 data chars: 20 bytes in 5-bit groups> <6 checksum chars>   (42 characters)

The chain signs and verifies over ``AccAddress.String()``, the lowercase form, so every
address is normalised to lowercase here (cosmos-sdk ``types/address.go``
``AccAddressFromBech32`` / ``String``; HRP ``bbn`` from babylon@v4.2.7 ``app/params/config.go``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bitcoinutils import bech32

from l2kit.errors import InputError

__all__ = ["HRP", "BabylonAddress", "parse_address"]

HRP = "bbn"
ACCOUNT_LEN = 20


@dataclass(frozen=True)
class BabylonAddress:
    """A checked account address: ``text`` (lowercase bech32) and its 20 ``account`` bytes."""

    text: str
    account: bytes

    @classmethod
    def from_account(cls, account: bytes, hrp: str = HRP) -> BabylonAddress:
        if len(account) != ACCOUNT_LEN:
            raise InputError(f"an account id is {ACCOUNT_LEN} bytes", field="babylon-address")
        data = bech32.convertbits(list(account), 8, 5)
        return cls(bech32.bech32_encode(hrp, data, bech32.Encoding.BECH32), bytes(account))

    def __str__(self) -> str:
        return self.text


def parse_address(text: str, field: str = "babylon-address", hrp: str = HRP) -> BabylonAddress:
    """Check the HRP, the bech32 (not bech32m) checksum and the 20-byte payload."""
    if not isinstance(text, str) or not text:
        raise InputError("must be a bech32 address (bbn1…)", field=field)
    got_hrp, data, spec = bech32.bech32_decode(text.strip())
    if got_hrp is None or data is None:
        raise InputError("not a valid bech32 string (bad character, case or checksum)", field=field)
    if spec != bech32.Encoding.BECH32:
        raise InputError("bech32m checksum; account addresses use bech32", field=field)
    if got_hrp != hrp:
        raise InputError(f"prefix {got_hrp!r} is not {hrp!r}", field=field)
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != ACCOUNT_LEN:
        raise InputError(f"payload must be {ACCOUNT_LEN} bytes", field=field)
    return BabylonAddress.from_account(bytes(raw), hrp)
