"""The slashing rate rule, shared by the params models and the builders.

Its own module (no pydantic) so that builders and ``l2kit stake conformance`` do not load the
params models (start-up time of offline commands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from l2kit.errors import InputError

if TYPE_CHECKING:
    from decimal import Decimal


def parse_slashing_rate(value: str | Decimal | float, field: str = "slashing_rate") -> Decimal:
    """A slashing rate in (0, 1) with at most 4 decimal places (Go ``IsSlashingRateValid``).

    Accepts ``"0.1"`` and the chain's 18-decimal form ``"0.100000000000000000"``.
    """
    from decimal import Decimal, InvalidOperation  # here: most commands never meet a rate

    if isinstance(value, bool) or not isinstance(value, str | Decimal | float | int):
        raise InputError("must be a decimal string like 0.1", field=field)
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(f"not a decimal number: {value!r}", field=field) from None
    if not rate.is_finite() or not Decimal(0) < rate < Decimal(1):
        raise InputError(f"must be strictly between 0 and 1, got {value}", field=field)
    if (rate * 10_000) != (rate * 10_000).to_integral_value():
        raise InputError(f"at most 4 decimal places, got {value}", field=field)
    return rate.normalize()
