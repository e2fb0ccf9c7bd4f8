"""One version of Babylon staking parameters, the ordered set of versions, and the checks a
stake, unbonding or slashing tx must pass against a version.

``StakingParams`` carries the phase-1 field names; ``Phase2Params.from_chain`` maps the chain's
names. ``build_params`` validates a mapping into a version (``ParamsError`` naming the version
and field). Documents and files are read by ``l2kit.staking.params``, which re-exports all of
this.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from l2kit.btc.keys import XOnlyPubKey, parse_pubkey
from l2kit.btc.tx import MAX_MONEY
from l2kit.errors import BadKey, InputError, ParamsError
from l2kit.staking.slashing_rate import parse_slashing_rate

__all__ = [
    "ParamsSet",
    "Phase1Params",
    "Phase2Params",
    "StakingParams",
    "build_params",
    "check_slashing",
    "check_stake",
    "check_unbonding",
    "parse_slashing_rate",
]


def _hex_bytes(value: object) -> object:
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise ValueError("not hex") from None
    return value


_PHASE1_NUMBERS = frozenset(
    {
        "version",
        "activation_height",
        "covenant_quorum",
        "min_staking_amount",
        "max_staking_amount",
        "min_staking_time",
        "max_staking_time",
        "unbonding_time",
        "unbonding_fee",
        "staking_cap",
        "cap_height",
        "confirmation_depth",
    }
)


class StakingParams(BaseModel):
    """One version of staking parameters (phase-1 names; phase-specific fields optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    phase: ClassVar[int] = 0

    version: int
    activation_height: int
    covenant_pks: tuple[XOnlyPubKey, ...]
    covenant_quorum: int
    min_staking_amount: int
    max_staking_amount: int
    min_staking_time: int
    max_staking_time: int
    unbonding_time: int
    unbonding_fee: int
    # phase-1 (global-params.json); tag also used on regtest for V0 OP_RETURNs
    tag: bytes | None = None
    staking_cap: int | None = None
    cap_height: int | None = None
    confirmation_depth: int | None = None
    # phase-2 (x/btcstaking)
    slashing_pk_script: bytes | None = None
    slashing_rate: Decimal | None = None
    min_slashing_tx_fee_sat: int | None = None
    min_commission_rate: Decimal | None = None
    delegation_creation_base_gas_fee: int | None = None
    allow_list_expiration_height: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: object) -> object:
        """No bool-as-int, no NaN/inf; numbers as strings only where the chain's JSON writes
        int64 that way (phase 2)."""
        if not isinstance(data, dict):
            return data
        version = data.get("version") if isinstance(data.get("version"), int) else None
        for key, value in data.items():
            bad_float = isinstance(value, float) and not math.isfinite(value)
            if isinstance(value, bool) or bad_float:
                raise ParamsError(f"must be a number, got {value!r}", version=version, field=key)
            if cls.phase == 1 and isinstance(value, str) and key in _PHASE1_NUMBERS:
                raise ParamsError("must be a JSON number, got a string", version=version, field=key)
        return data

    @field_validator("covenant_pks", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of keys")
        try:
            return tuple(parse_pubkey(k, field=f"covenant_pks[{i}]") for i, k in enumerate(value))
        except BadKey as exc:
            raise ValueError(str(exc)) from None

    @field_validator("tag", "slashing_pk_script", mode="before")
    @classmethod
    def _hex(cls, value: object) -> object:
        return _hex_bytes(value)

    @field_validator("slashing_rate", mode="before")
    @classmethod
    def _rate(cls, value: object) -> object:
        if value is None:
            return None
        try:
            return parse_slashing_rate(value)  # type: ignore[arg-type]
        except InputError as exc:
            raise ValueError(str(exc)) from None

    # phase-2 chain names, read-only
    @property
    def min_staking_value_sat(self) -> int:
        return self.min_staking_amount

    @property
    def max_staking_value_sat(self) -> int:
        return self.max_staking_amount

    @property
    def min_staking_time_blocks(self) -> int:
        return self.min_staking_time

    @property
    def max_staking_time_blocks(self) -> int:
        return self.max_staking_time

    @property
    def unbonding_time_blocks(self) -> int:
        return self.unbonding_time

    @property
    def unbonding_fee_sat(self) -> int:
        return self.unbonding_fee

    @property
    def btc_activation_height(self) -> int:
        return self.activation_height

    @property
    def has_slashing(self) -> bool:
        return self.slashing_pk_script is not None and self.slashing_rate is not None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (bytes as hex, decimals as strings, unset fields left out)."""
        out: dict[str, Any] = {"phase": self.phase}
        for name, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, bytes):
                value = value.hex()
            elif isinstance(value, tuple):
                value = [bytes(k).hex() for k in value]
            elif isinstance(value, Decimal):
                value = str(value)
            out[name] = value
        return out


class Phase1Params(StakingParams):
    """A version of a phase-1 ``global-params.json`` (lock-only; tag and cap; no slashing)."""

    phase: ClassVar[int] = 1


_P = TypeVar("_P", bound="StakingParams")

_PHASE2_NAMES = {
    "btc_activation_height": "activation_height",
    "min_staking_value_sat": "min_staking_amount",
    "max_staking_value_sat": "max_staking_amount",
    "min_staking_time_blocks": "min_staking_time",
    "max_staking_time_blocks": "max_staking_time",
    "unbonding_time_blocks": "unbonding_time",
    "unbonding_fee_sat": "unbonding_fee",
}


class Phase2Params(StakingParams):
    """A version of Babylon ``x/btcstaking`` Params (has slashing; no tag or cap)."""

    phase: ClassVar[int] = 2

    @classmethod
    def from_chain(cls, data: Mapping[str, Any], version: int) -> Phase2Params:
        """From the chain's JSON (base64 ``slashing_pk_script``, int64 numbers maybe strings);
        fields this model does not know (added by later chain versions) are ignored."""
        mapped: dict[str, Any] = {"version": version}
        for key, value in data.items():
            name = _PHASE2_NAMES.get(key, key)
            if name not in cls.model_fields or name == "version":
                continue
            if name == "slashing_pk_script" and isinstance(value, str):
                try:
                    value = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise ParamsError(
                        "not base64", version=version, field="slashing_pk_script"
                    ) from None
            mapped[name] = value
        return build_params(cls, mapped, version)


def build_params(cls: type[_P], data: Mapping[str, Any], version: int | None) -> _P:
    try:
        params = cls.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise ParamsError(err["msg"], version=version, field=field) from None
    _check_version(params)
    return params


def _check_version(p: StakingParams) -> None:
    """Bounds within one version (networks ``parameters/README.md`` rules + script limits)."""

    def bad(field: str, rule: str) -> ParamsError:
        return ParamsError(rule, version=p.version, field=field)

    if p.version < 0:
        raise bad("version", "must be >= 0")
    if p.activation_height < 0:
        raise bad("activation_height", "must be >= 0")
    if not p.covenant_pks:
        raise bad("covenant_pks", "must not be empty")
    if len(set(p.covenant_pks)) != len(p.covenant_pks):
        raise bad("covenant_pks", "duplicate key")
    if not 0 < p.covenant_quorum <= len(p.covenant_pks):
        raise bad("covenant_quorum", f"must be in 1..{len(p.covenant_pks)}")
    if not 0 < p.min_staking_amount <= p.max_staking_amount <= MAX_MONEY:
        raise bad("min_staking_amount", "need 0 < min_staking_amount <= max_staking_amount")
    if not 0 < p.min_staking_time <= p.max_staking_time <= 0xFFFF:
        raise bad("min_staking_time", "need 0 < min_staking_time <= max_staking_time <= 65535")
    if not 0 < p.unbonding_time <= 0xFFFF:
        raise bad("unbonding_time", "must be in 1..65535")
    if not 0 < p.unbonding_fee < p.min_staking_amount:
        raise bad("unbonding_fee", "must be > 0 and below min_staking_amount")
    if p.tag is not None and len(p.tag) != 4:
        raise bad("tag", "must be 4 bytes")
    if p.staking_cap is not None and p.cap_height is not None:
        raise bad("staking_cap", "staking_cap and cap_height are exclusive")
    if p.staking_cap is not None and p.staking_cap <= p.max_staking_amount:
        raise bad("staking_cap", "must be > max_staking_amount")
    if p.confirmation_depth is not None and not 1 < p.confirmation_depth <= 0xFFFF:
        raise bad("confirmation_depth", "must be in 2..65535")
    slashing = (p.slashing_pk_script, p.slashing_rate, p.min_slashing_tx_fee_sat)
    if any(v is not None for v in slashing) and any(v is None for v in slashing):
        raise bad(
            "slashing_pk_script",
            "slashing_pk_script, slashing_rate and min_slashing_tx_fee_sat go together",
        )
    if p.min_slashing_tx_fee_sat is not None and p.min_slashing_tx_fee_sat <= 0:
        raise bad("min_slashing_tx_fee_sat", "must be > 0")
    if p.slashing_pk_script is not None and not p.slashing_pk_script:
        raise bad("slashing_pk_script", "must not be empty")


class ParamsSet:
    """The versions of one network's params, ascending; pick one by BTC height or number."""

    def __init__(self, versions: Sequence[StakingParams], source: str = "") -> None:
        if not versions:
            raise ParamsError("no params versions", field="versions")
        self.versions: tuple[StakingParams, ...] = tuple(versions)
        self.source = source
        for prev, cur in zip(self.versions, self.versions[1:], strict=False):
            if cur.version != prev.version + 1:
                raise ParamsError(
                    "versions must increase by 1", version=cur.version, field="version"
                )
            if cur.activation_height <= prev.activation_height:
                raise ParamsError(
                    "activation_height must increase strictly",
                    version=cur.version,
                    field="activation_height",
                )
            if (
                prev.staking_cap is not None
                and cur.staking_cap is not None
                and cur.staking_cap < prev.staking_cap
            ):
                raise ParamsError(
                    "staking_cap must not decrease", version=cur.version, field="staking_cap"
                )

    def to_json(self) -> dict[str, Any]:
        """``{"versions": [...]}``; ``params_from_json`` reads it back."""
        return {"versions": [p.to_json() for p in self.versions]}

    def __iter__(self) -> Iterator[StakingParams]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    @property
    def latest(self) -> StakingParams:
        return self.versions[-1]

    def for_height(self, height: int) -> Any:
        """The version in force at BTC ``height`` (last with activation_height <= height)."""
        chosen = None
        for p in self.versions:
            if p.activation_height <= height:
                chosen = p
        if chosen is None:
            first = self.versions[0]
            raise ParamsError(
                f"height {height} is below activation_height {first.activation_height}",
                version=first.version,
                field="activation_height",
            )
        return chosen

    def by_version(self, version: int) -> Any:
        for p in self.versions:
            if p.version == version:
                return p
        raise ParamsError(f"no params version {version}", field="version")


# --- checks against one version ---------------------------------------------------------------


def check_stake(params: StakingParams, value: int, staking_time: int) -> None:
    """min_staking_amount <= value <= max_staking_amount and the same for staking_time."""
    if not params.min_staking_amount <= value <= params.max_staking_amount:
        raise ParamsError(
            f"staking value {value} outside [{params.min_staking_amount}, "
            f"{params.max_staking_amount}] (min/max_staking_amount)",
            version=params.version,
            field="staking_value",
        )
    if not params.min_staking_time <= staking_time <= params.max_staking_time:
        raise ParamsError(
            f"staking time {staking_time} outside [{params.min_staking_time}, "
            f"{params.max_staking_time}] (min/max_staking_time)",
            version=params.version,
            field="staking_time",
        )


def check_unbonding(params: StakingParams, unbonding_time: int, unbonding_fee: int) -> None:
    """Unbonding time and fee must equal the version's values exactly."""
    if unbonding_time != params.unbonding_time:
        raise ParamsError(
            f"unbonding time {unbonding_time} != unbonding_time {params.unbonding_time}",
            version=params.version,
            field="unbonding_time",
        )
    if unbonding_fee != params.unbonding_fee:
        raise ParamsError(
            f"unbonding fee {unbonding_fee} != unbonding_fee {params.unbonding_fee}",
            version=params.version,
            field="unbonding_fee",
        )


def check_slashing(
    params: StakingParams, slashing_pk_script: bytes, slashing_rate: Decimal, fee: int
) -> None:
    """A slashing tx's pkScript and rate must be the version's; its fee at least the minimum."""
    if not params.has_slashing:
        raise ParamsError(
            "this params version has no slashing fields (phase 1)",
            version=params.version,
            field="slashing_pk_script",
        )
    if bytes(slashing_pk_script) != params.slashing_pk_script:
        raise ParamsError(
            "slashing pkScript differs from slashing_pk_script",
            version=params.version,
            field="slashing_pk_script",
        )
    if slashing_rate != params.slashing_rate:
        raise ParamsError(
            f"slashing rate {slashing_rate} != slashing_rate {params.slashing_rate}",
            version=params.version,
            field="slashing_rate",
        )
    if fee < (params.min_slashing_tx_fee_sat or 0):
        raise ParamsError(
            f"slashing fee {fee} < min_slashing_tx_fee_sat {params.min_slashing_tx_fee_sat}",
            version=params.version,
            field="slashing_fee",
        )
