"""Parse a rendered config file the way its daemon reads it, into ``dotted.path -> value``.

Nested tables (TOML, YAML, JSON) become dotted paths; a path the contract types as ``map`` is
kept whole. INI (go-flags) and bitcoin.conf values stay strings, repeated keys become lists.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from typing import Any

import yaml

Flat = dict[str, Any]


class FormatError(ValueError):
    """The file does not parse in its format (the daemon would refuse it too)."""


def parse(fmt: str, text: str, keep: Callable[[str], bool]) -> tuple[Flat, list[str]]:
    """(flat keys, sections seen); ``keep(path)`` is true for paths not to descend into."""
    if fmt == "ini":
        return _ini(text), []
    if fmt == "bitcoin-conf":
        return _bitcoin_conf(text)
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
        elif fmt == "yaml":
            data = yaml.safe_load(text)
        elif fmt == "json":
            data = json.loads(text)
        else:
            raise FormatError(f"unknown format {fmt}")
    except (tomllib.TOMLDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise FormatError(str(exc).splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise FormatError("top level must be a mapping")
    out: Flat = {}
    _flatten(data, "", keep, out)
    return out, []


def _flatten(node: dict[str, Any], prefix: str, keep: Callable[[str], bool], out: Flat) -> None:
    for k, v in node.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and not keep(path):  # an empty table sets no key
            _flatten(v, path + ".", keep, out)
        else:
            out[path] = v


def _add(out: Flat, key: str, value: str) -> None:
    if key in out:
        prev = out[key]
        out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
    else:
        out[key] = value


def _ini(text: str) -> Flat:
    """go-flags INI: ``[Group]`` headers, ``key = value``, ``;``/``#`` comments."""
    out: Flat = {}
    section = ""
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise FormatError(f"line {n}: unterminated section header")
            section = line[1:-1].strip()
            continue
        if "=" not in line:
            raise FormatError(f"line {n}: expected key = value")
        key, value = (s.strip() for s in line.split("=", 1))
        _add(out, f"{section}.{key}" if section else key, value)
    return out


def _bitcoin_conf(text: str) -> tuple[Flat, list[str]]:
    """bitcoin.conf: ``key=value`` lines, ``#`` comments, ``[network]`` sections; the key is
    the bare option name (its section is reported separately)."""
    out: Flat = {}
    sections: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise FormatError(f"line {n}: unterminated section header")
            sections.append(line[1:-1].strip())
            continue
        if "=" not in line:
            raise FormatError(f"line {n}: expected option=value")
        key, value = (s.strip() for s in line.split("=", 1))
        _add(out, key, value)
    return out, sections
