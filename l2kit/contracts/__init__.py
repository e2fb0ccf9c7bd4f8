"""Config contracts: what each daemon really accepts at the image tag we pin (facts as data).

One YAML file per component next to this module (``<component>.yaml``). A contract records,
each fact with its provenance ``owner/repo@tag:path[#Lnn]`` (the component's own source at the
pinned tag, never copied code):

- ``image``: repository, tag (a pinned tag other than this fails: "write the contract for the
  new tag"), the image's USER uid when it has one;
- ``commands``: argv[0] as run in the container -> global flags and subcommands with their flags
  (``flags`` take a value, ``--f=v`` or ``--f v``; ``switches`` take none);
- ``env``: variables the process or its image entrypoint reads (``secret: true``: only from a
  Secret, never a literal);
- ``config_files``: per file name (``path_suffix``) its ``format`` and ``keys`` (dotted paths,
  a ``*`` segment matches any one segment) with type and rules
  (``required``/``enum``/``min``/``max``/``pattern``/``nonzero``);
- ``listens``: ports (default, or from a config key / flag / env var) and HTTP paths really
  served (``paths: []``: any path).

Also: ``workloads`` (the pods' ``app.kubernetes.io/component`` values whose containers of this
image follow the contract; default ``[component]``: one image can carry several contracts, e.g.
fpd and eotsd), ``entrypoint`` (what runs when a container sets no command), per file
``case_insensitive`` (go-flags INI) and ``sections`` (bitcoin.conf), ``notes`` (what the
contract does not cover, and why).

:func:`load_all` reads and validates them (pydantic, ``extra="forbid"``); :mod:`.check` compares
rendered objects against them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from l2kit.errors import RenderError

CONTRACTS_DIR = Path(__file__).resolve().parent
_PROVENANCE = re.compile(r"^[\w.-]+/[\w.-]+@[\w.+-]+:[^\s#]+(#L\d+(-L?\d+)?)?$")


def _provenance(value: str) -> str:
    if not _PROVENANCE.match(value):
        raise ValueError("must be owner/repo@tag:path[#Lnn]")
    return value


Provenance = Annotated[str, AfterValidator(_provenance)]
KeyType = Literal["string", "int", "float", "bool", "duration", "list", "map"]
Format = Literal["ini", "toml", "yaml", "bitcoin-conf", "json"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    tag: str
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")


class User(_Model):
    uid: int = Field(ge=0)
    gid: int = Field(ge=0)


class Image(_Model):
    repository: str  # without registry, as in the pinned reference (bitcoin/bitcoin)
    tag: str
    user: User | None = None  # None: the contract states no uid (the image runs as root)
    provenance: Provenance


class Subcommand(_Model):
    flags: list[str] = Field(default_factory=list)
    switches: list[str] = Field(default_factory=list)
    provenance: Provenance | None = None


class Command(_Model):
    provenance: Provenance
    flags: list[str] = Field(default_factory=list)  # global flags taking a value
    switches: list[str] = Field(default_factory=list)  # global boolean flags
    # None: the command takes no subcommand (flags only); {}: none is known, any is an error.
    subcommands: dict[str, Subcommand] | None = None


class EnvVar(_Model):
    name: str
    secret: bool = False  # a credential: must come from a Secret (secretKeyRef), never a literal
    provenance: Provenance


class KeyRule(_Model):
    type: KeyType
    required: bool = False  # no default is applied by the loader: absent is an error
    enum: list[str | int] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    nonzero: bool = False
    provenance: Provenance | None = None  # defaults to the file's provenance


class ConfigFile(_Model):
    path_suffix: str
    format: Format
    strict_unknown: bool = True
    case_insensitive: bool = False  # go-flags INI matches sections and keys case-insensitively
    provenance: Provenance
    keys: dict[str, KeyRule] = Field(default_factory=dict)
    # bitcoin-conf: section headers the loader accepts (network sections).
    sections: list[str] | None = None


class Listen(_Model):
    name: str
    port: int | None = Field(default=None, ge=1, le=65535)  # None: only when the key/flag sets it
    protocol: Literal["http", "grpc", "tcp", "zmq", "p2p", "jsonrpc"] = "tcp"
    paths: list[str] = Field(default_factory=list)
    from_key: str | None = None  # config key (dotted) whose value carries the port
    from_flag: str | None = None  # flag whose value carries the port
    from_env: str | None = None  # env var whose value carries the port
    provenance: Provenance


class Contract(_Model):
    component: str
    # Workload component labels (app.kubernetes.io/component) whose containers of this image
    # follow this contract; default: [component]. Lets one image serve several contracts.
    workloads: list[str] = Field(default_factory=list)
    source: Source
    image: Image
    entrypoint: str | None = None  # the command the image runs when a container sets no command
    commands: dict[str, Command] = Field(default_factory=dict)
    env: list[EnvVar] = Field(default_factory=list)
    config_files: list[ConfigFile] = Field(default_factory=list)
    listens: list[Listen] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # what the contract does not cover, and why

    @property
    def for_workloads(self) -> list[str]:
        return self.workloads or [self.component]

    @property
    def origin(self) -> str:
        return f"{self.source.repo}@{self.source.tag}"


def parse(text: str, where: str) -> Contract:
    try:
        data = yaml.safe_load(text)
        return Contract.model_validate(data)
    except yaml.YAMLError as exc:
        raise RenderError(f"contract {where}: invalid YAML: {exc}") from exc
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise RenderError(f"contract {where}: " + "; ".join(lines)) from exc


@cache
def load_all(folder: Path = CONTRACTS_DIR) -> tuple[Contract, ...]:
    """Every ``*.yaml`` contract in ``folder``, validated; file stem must equal ``component``."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        c = parse(path.read_text(), path.name)
        if c.component != path.stem:
            raise RenderError(f"contract {path.name}: component must be {path.stem!r}")
        out.append(c)
    return tuple(out)


README_BEGIN = "<!-- contracts:begin (python -m l2kit.contracts) -->"
README_END = "<!-- contracts:end -->"


def _sources(c: Contract) -> list[str]:
    """Distinct ``repo@ref:path`` the contract's facts were read from (line numbers dropped)."""
    provs = [
        c.image.provenance,
        *(x.provenance for x in c.commands.values()),
        *(
            s.provenance
            for x in c.commands.values()
            for s in (x.subcommands or {}).values()
            if s.provenance
        ),
        *(e.provenance for e in c.env),
        *(f.provenance for f in c.config_files),
        *(k.provenance for f in c.config_files for k in f.keys.values() if k.provenance),
        *(ls.provenance for ls in c.listens),
    ]
    return list(dict.fromkeys(p.split("#", 1)[0] for p in provs if p))


def markdown_table(contracts: tuple[Contract, ...]) -> str:
    """The README table: component, pinned image, source release, files the facts came from."""
    rows = ["| component | pinned image | contract source | facts read from |", "|---|---|---|---|"]
    for c in sorted(contracts, key=lambda c: c.component):
        commit = f" ({c.source.commit[:7]})" if c.source.commit else ""
        by_ref: dict[str, list[str]] = {}
        for src in _sources(c):
            ref, _, path = src.partition(":")
            by_ref.setdefault(ref, []).append(path)
        files = "; ".join(
            f"{ref}: " + ", ".join(f"`{p}`" for p in paths) for ref, paths in by_ref.items()
        )
        rows.append(
            f"| {c.component} | `{c.image.repository}:{c.image.tag}` | "
            f"{c.origin}{commit} | {files} |"
        )
    return "\n".join(rows) + "\n"


def readme_block(contracts: tuple[Contract, ...]) -> str:
    return f"{README_BEGIN}\n{markdown_table(contracts)}{README_END}"
