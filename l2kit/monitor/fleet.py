"""The fleet file: what ``l2kit monitor`` polls, and the thresholds it judges by.

YAML, validated once by pydantic (frozen, ``extra="forbid"``, a description on every field)::

    settings: {concurrency: 64, target_timeout: 10}
    thresholds: {bitcoind: {tip_age_warn: 7200}}          # global, per kind
    targets:
      - {name: btc, kind: bitcoind, url: "http://10.0.0.5:8332", chain: main,
         auth: {user: monitor, password_file: /run/secrets/rpc}}
      - {name: bbn, kind: babylon, rest_url: "http://bbn:1317", cometbft_url: "http://bbn:26657"}
      - {name: opfgd, kind: gadget, url: "http://opfgd:8080", block_time: 2}
      - {name: fpd, kind: metrics, role: fpd, url: "http://fpd:2112/metrics",
         thresholds: {fp_vote_age_warn: 60}}                # per target, over the global ones
    kubernetes: {namespace: l2kit, label_selector: "app.kubernetes.io/part-of=l2kit"}

Credentials are never inline: a password comes from a file or an environment variable, or a
cookie file is named. An inline ``password`` (or a URL with ``user:pass@``) is a validation error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from l2kit.btc.network import ChainName
from l2kit.errors import InputError, SpecError
from l2kit.inputfiles import BadDocument, load_yaml, read_text
from l2kit.monitor.thresholds import (
    BabylonThresholds,
    BitcoindThresholds,
    GadgetThresholds,
    KubernetesThresholds,
    Level,
    MetricsThresholds,
    Thresholds,
)
from l2kit.redact import read_secret_file, register_basic
from l2kit.validation import error_lines

__all__ = [
    "BabylonTarget",
    "BabylonThresholds",
    "BitcoindTarget",
    "BitcoindThresholds",
    "Fleet",
    "GadgetTarget",
    "GadgetThresholds",
    "KubernetesTarget",
    "KubernetesThresholds",
    "Level",
    "MetricsTarget",
    "MetricsThresholds",
    "RpcAuth",
    "Settings",
    "Thresholds",
    "effective",
    "load",
    "parse",
    "thresholds_help",
    "thresholds_table",
]

CHAINS: tuple[ChainName, ...] = get_args(ChainName)
ROLES = ("fpd", "eotsd", "reporter", "submitter", "monitor", "bstracker", "covd", "exporter")
Role = Literal["fpd", "eotsd", "reporter", "submitter", "monitor", "bstracker", "covd", "exporter"]


class _Model(BaseModel):
    # strict: a YAML `true` is not 1 and "5" is not 5; NaN/inf would hang or disable checks
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, allow_inf_nan=False, str_max_length=4096
    )


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not contain credentials (user:pass@); use auth")
    return value.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_http_url)]


# --- targets ------------------------------------------------------------------------------------


FLEET_MAX_BYTES = 4 * 1024 * 1024
MAX_TARGETS = 10_000

# A path is written as a YAML string; strict mode would want a Path object.
FilePath = Annotated[Path, Field(strict=False)]


class RpcAuth(_Model):
    """bitcoind credentials, by reference only: a password file, a password env var, a cookie."""

    user: str | None = Field(
        default=None, description="RPC user (with password_file or password_env)"
    )
    password_file: FilePath | None = Field(
        default=None, description="file holding the RPC password"
    )
    password_env: str | None = Field(
        default=None, description="environment variable holding the password"
    )
    cookie_file: FilePath | None = Field(
        default=None, description="bitcoind .cookie file (user:password)"
    )
    rpc_json_file: FilePath | None = Field(
        default=None,
        description='JSON file {"user", "password"} (rpc.json of an `l2kit regtest up` datadir)',
    )

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("password", "rpcpassword", "pass"):
                if key in data:
                    raise ValueError(
                        f"inline {key!r} is not allowed: use password_file or password_env"
                    )
        return data

    @model_validator(mode="after")
    def _one_source(self) -> RpcAuth:
        files = (self.password_file, self.password_env, self.cookie_file, self.rpc_json_file)
        if len([s for s in files if s]) != 1:
            raise ValueError(
                "give exactly one of password_file, password_env, cookie_file, rpc_json_file"
            )
        self_contained = self.cookie_file or self.rpc_json_file
        if self_contained and self.user is not None:
            raise ValueError("user comes from the cookie/rpc.json file; do not set it too")
        if not self_contained and not self.user:
            raise ValueError("user is required with password_file or password_env")
        return self

    def resolve(self) -> tuple[str, str]:
        """(user, password), read now and registered for scrubbing (``l2kit.redact``).

        Raises ``InputError`` naming the source, never the secret."""
        user, password = self._resolve()
        register_basic(user, password)
        return user, password

    def _resolve(self) -> tuple[str, str]:
        if self.cookie_file is not None:
            text = _read_secret(self.cookie_file, "cookie_file")
            user, sep, password = text.partition(":")
            if not sep:
                raise SpecError([f"auth.cookie_file: {self.cookie_file}: not user:password"])
            return user, password
        if self.rpc_json_file is not None:
            try:
                raw = json.loads(_read_secret(self.rpc_json_file, "rpc_json_file"))
                return str(raw["user"]), str(raw["password"])
            except (ValueError, KeyError, TypeError) as exc:
                raise SpecError(
                    [f"auth.rpc_json_file: {self.rpc_json_file}: not {{user, password}} JSON"]
                ) from exc
        assert self.user is not None  # checked by the validator
        if self.password_file is not None:
            return self.user, _read_secret(self.password_file, "password_file")
        assert self.password_env is not None
        value = os.environ.get(self.password_env)
        if not value:
            raise SpecError([f"auth.password_env: ${self.password_env} is not set"])
        return self.user, value


def _read_secret(path: Path, field: str) -> str:
    try:
        return read_secret_file(path, f"auth.{field}")
    except InputError as exc:
        raise SpecError([str(exc)]) from None


class _Target(_Model):
    name: str = Field(
        description="unique name; the `target` label", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$"
    )


class BitcoindTarget(_Target):
    """A bitcoind JSON-RPC endpoint."""

    kind: Literal["bitcoind"] = Field(description="target kind")
    url: HttpUrl = Field(description="RPC URL, e.g. http://127.0.0.1:8332 (no credentials)")
    chain: ChainName | None = Field(
        default=None, description="expected chain (getblockchaininfo.chain); unset: not checked"
    )
    auth: RpcAuth | None = Field(default=None, description="credentials by reference")
    wallets: list[str] = Field(
        default_factory=list,
        description="wallets whose balance to judge (e.g. the vigilante submitter's)",
    )
    thresholds: BitcoindThresholds | None = Field(
        default=None, description="overrides of global ones"
    )


class BabylonTarget(_Target):
    """A Babylon node: REST (LCD, :1317) and CometBFT RPC (:26657)."""

    kind: Literal["babylon"] = Field(description="target kind")
    rest_url: HttpUrl = Field(description="REST/LCD URL, e.g. http://babylon:1317")
    cometbft_url: HttpUrl = Field(description="CometBFT RPC URL, e.g. http://babylon:26657")
    bitcoind: str | None = Field(
        default=None,
        description="bitcoind target for btc_lightclient_lag (default: highest fleet tip)",
    )
    finality_providers: list[str] = Field(
        default_factory=list,
        description="BTC pks (64 hex) of providers to judge; empty: every provider",
    )
    block_time: float = Field(
        default=10.0,
        gt=0,
        description="Babylon block time (s) for runways until two polls measured it",
    )
    delegation_fps: list[str] = Field(
        default_factory=list,
        description="BTC pks (64 hex) of providers whose delegations to follow chain-wide",
    )
    stakers: list[str] = Field(
        default_factory=list,
        description="staker bbn addresses or BTC pks whose PENDING/VERIFIED delegations to follow",
    )
    covenant_pks: list[str] = Field(
        default_factory=list,
        description="covenant BTC pks (64 hex) whose unsigned PENDING delegations to count",
    )
    stakes_db: FilePath | None = Field(
        default=None,
        description="stakes.db of `l2kit stake` whose stakes to follow on Babylon (read only)",
    )
    thresholds: BabylonThresholds | None = Field(
        default=None, description="overrides of global ones"
    )

    @field_validator("finality_providers", "delegation_fps", "covenant_pks")
    @classmethod
    def _pks(cls, value: list[str]) -> list[str]:
        for pk in value:
            if len(pk) != 64 or any(c not in "0123456789abcdef" for c in pk):
                raise ValueError(f"{pk!r}: must be 64 lowercase hex characters")
        return value


class GadgetTarget(_Target):
    """An OP-stack finality gadget (opfgd) HTTP listener."""

    kind: Literal["gadget"] = Field(description="target kind")
    url: HttpUrl = Field(description="gadget HTTP URL, e.g. http://opfgd:8080")
    l2_rpc_url: HttpUrl | None = Field(
        default=None,
        description="L2 execution JSON-RPC, for block timestamps (else blocks x block_time)",
    )
    block_time: float = Field(default=2.0, gt=0, description="L2 block time (s) when no timestamps")
    thresholds: GadgetThresholds | None = Field(
        default=None, description="overrides of global ones"
    )


class MetricsTarget(_Target):
    """A Prometheus /metrics endpoint of a component."""

    kind: Literal["metrics"] = Field(description="target kind")
    url: HttpUrl = Field(description="full scrape URL, e.g. http://fpd:2112/metrics")
    role: Role | None = Field(
        default=None, description=f"one of {', '.join(ROLES)}; unset: inferred"
    )
    thresholds: MetricsThresholds | None = Field(
        default=None, description="overrides of global ones"
    )


Target = Annotated[
    BitcoindTarget | BabylonTarget | GadgetTarget | MetricsTarget, Field(discriminator="kind")
]


class KubernetesTarget(_Model):
    """Pods and volumes of one namespace (needs a kubeconfig or in-cluster credentials)."""

    name: str = Field(
        default="kubernetes", description="target label", pattern=r"^[A-Za-z0-9_.:-]+$"
    )
    namespace: str = Field(description="namespace to inspect")
    label_selector: str = Field(
        "app.kubernetes.io/part-of=l2kit", description="pods/PVCs to inspect"
    )
    context: str | None = Field(default=None, description="kubeconfig context; unset: current")
    thresholds: KubernetesThresholds | None = Field(
        default=None, description="overrides of global ones"
    )


class Settings(_Model):
    """How a poll runs."""

    concurrency: int = Field(
        default=64, ge=1, le=4096, description="targets polled at the same time"
    )
    target_timeout: float = Field(
        default=10.0, gt=0, le=600, description="budget for one target per poll (s)"
    )
    request_timeout: float = Field(
        default=5.0, gt=0, le=600, description="budget for one HTTP/RPC request (s)"
    )


class Fleet(_Model):
    """Everything ``l2kit monitor`` polls."""

    settings: Settings = Field(default=Settings(), description="poll settings")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="global thresholds")
    targets: list[Target] = Field(
        default_factory=list, max_length=MAX_TARGETS, description="targets to poll"
    )
    kubernetes: KubernetesTarget | None = Field(
        default=None, description="optional Kubernetes namespace"
    )

    @model_validator(mode="after")
    def _unique_and_linked(self) -> Fleet:
        names = [t.name for t in self.targets]
        if self.kubernetes is not None:
            names.append(self.kubernetes.name)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate target names: {', '.join(dupes)}")
        btc = {t.name for t in self.targets if isinstance(t, BitcoindTarget)}
        for t in self.targets:
            if isinstance(t, BabylonTarget) and t.bitcoind and t.bitcoind not in btc:
                raise ValueError(f"target {t.name}: bitcoind {t.bitcoind!r} is not in the fleet")
        return self


_T = TypeVar("_T", bound=BaseModel)


def effective(global_: _T, override: _T | None) -> _T:
    """Global thresholds with the fields the target set explicitly replaced."""
    if override is None:
        return global_
    return global_.model_copy(update=override.model_dump(exclude_unset=True))


def parse(data: object, source: str = "fleet") -> Fleet:
    """Validate a decoded fleet document; every problem becomes one line of a ``SpecError``."""
    try:
        return Fleet.model_validate(data)
    except ValidationError as exc:
        raise SpecError(error_lines(exc, f"{source}: ")) from None


def load(path: Path) -> Fleet:
    """Read and validate a fleet YAML file (strictly: see ``l2kit.inputfiles``)."""
    try:
        data = load_yaml(read_text(path, FLEET_MAX_BYTES))
    except OSError as exc:
        raise SpecError([f"{path}: {exc.strerror or exc}"]) from None
    except BadDocument as exc:
        raise SpecError([f"{path}: {exc}"]) from None
    return parse(data if data is not None else {}, str(path))


def thresholds_table() -> str:
    """The README's threshold table (markdown), generated from the models like ``--help``."""
    rows = ["| threshold | default | meaning |", "|---|---|---|"]
    defaults = Thresholds()
    for kind in Thresholds.model_fields:
        rows.append(f"| **{kind}** | | |")
        for name, f in type(getattr(defaults, kind)).model_fields.items():
            value = f.default
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            rows.append(f"| `{name}` | {shown} | {f.description} |")
    return "\n".join(rows)


def thresholds_help() -> str:
    """Every threshold with its default, for ``--help`` and the README."""
    lines = []
    defaults = Thresholds()
    for kind in Thresholds.model_fields:
        lines.append(f"{kind}:")
        for name, f in type(getattr(defaults, kind)).model_fields.items():
            lines.append(f"  {name} = {f.default}  ({f.description})")
    return "\n".join(lines)
