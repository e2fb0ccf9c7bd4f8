"""Check one rendered config file against a contract's ``config_files`` entry.

Rules, in the order a loader applies them: the file parses in its format; every key is known
(when the loader rejects unknown keys or would silently ignore them: ``strict_unknown``); every
``required`` key (no default applied) is present; each value has the type and passes
``enum``/``min``/``max``/``pattern``/``nonzero``. A value holding a secret placeholder (filled
in the pod from a Secret) is only checked for presence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from l2kit.contracts import ConfigFile, KeyRule
from l2kit.contracts.formats import FormatError, parse

SECRET_MARK = "l2kit-secret-"  # what @@NAME@@ placeholders become while checking
_DURATION = re.compile(r"^(0|-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$")
_BOOL = {"true", "false", "1", "0"}
_ZERO = (0, 0.0, "0", "", "0s", "0.0", None, False, "false")


def _norm(path: str, cf: ConfigFile) -> str:
    return path.lower() if cf.case_insensitive else path


def match(pattern: str, path: str) -> bool:
    """Dotted paths; a ``*`` segment matches exactly one segment."""
    ps, xs = pattern.split("."), path.split(".")
    return len(ps) == len(xs) and all(p in ("*", x) for p, x in zip(ps, xs, strict=True))


# id(cf) -> (cf, normalised key -> (key, rule)): built once per contract file, not per key
# looked up (a 1,000-stack fleet looks up ~100k keys); cf is held so its id is never reused.
_EXACT: dict[int, tuple[ConfigFile, dict[str, tuple[str, KeyRule]]]] = {}


def _exact(cf: ConfigFile) -> dict[str, tuple[str, KeyRule]]:
    if id(cf) not in _EXACT:
        _EXACT[id(cf)] = (cf, {_norm(k, cf): (k, r) for k, r in cf.keys.items()})
    return _EXACT[id(cf)][1]


def rule_for(cf: ConfigFile, path: str) -> tuple[str, KeyRule] | None:
    p = _norm(path, cf)
    exact = _exact(cf)
    if p in exact:
        return exact[p]
    for k, r in cf.keys.items():
        if "*" in k and match(_norm(k, cf), p):
            return k, r
    return None


def parse_file(cf: ConfigFile, text: str) -> tuple[dict[str, Any], list[str]]:
    """Raise FormatError when the file does not parse."""
    maps = {_norm(k, cf) for k, r in cf.keys.items() if r.type == "map"}

    def keep(path: str) -> bool:
        return _norm(path, cf) in maps or any(match(m, _norm(path, cf)) for m in maps)

    return parse(cf.format, text, keep)


def problems(cf: ConfigFile, text: str) -> Iterator[tuple[str, str, str]]:
    """(key, rule, provenance) for each problem of ``text``."""
    try:
        flat, sections = parse_file(cf, text)
    except FormatError as exc:
        yield "-", f"does not parse as {cf.format}: {exc}", cf.provenance
        return
    if cf.sections is not None:
        for s in sections:
            if s not in cf.sections:
                yield f"[{s}]", f"unknown section (one of {', '.join(cf.sections)})", cf.provenance
    seen: set[str] = set()
    for path, value in flat.items():
        found = rule_for(cf, path)
        if found is None:
            if cf.strict_unknown:
                yield path, "unknown key", cf.provenance
            continue
        key, rule = found
        seen.add(key)
        prov = rule.provenance or cf.provenance
        for problem in value_problems(rule, value, cf.format):
            yield path, problem, prov
    for key, rule in cf.keys.items():
        if rule.required and key not in seen and "*" not in key:
            yield (
                key,
                "missing required key (the loader applies no default)",
                (rule.provenance or cf.provenance),
            )


def _is_secret(value: Any) -> bool:
    return isinstance(value, str) and SECRET_MARK in value


def value_problems(rule: KeyRule, value: Any, fmt: str = "") -> Iterator[str]:
    if _is_secret(value):
        return
    if fmt == "bitcoin-conf" and rule.type == "bool":
        # InterpretBool is atoi(value) != 0: any integer is fine, a word is silently false.
        if not re.fullmatch(r"-?\d*", str(value)):
            yield f"must be an integer (Bitcoin Core reads {value!r} as 0, i.e. false)"
        return
    if rule.type != "list" and isinstance(value, list):
        yield f"given {len(value)} times, takes one value"
        return
    typed = _typed(rule.type, value)
    if typed is None:
        yield f"must be of type {rule.type}, got {value!r}"
        return
    if rule.enum is not None and typed not in rule.enum and str(value) not in map(str, rule.enum):
        yield f"must be one of {', '.join(map(str, rule.enum))}, got {value!r}"
    if isinstance(typed, int | float) and not isinstance(typed, bool):
        if rule.min is not None and typed < rule.min:
            yield f"must be >= {rule.min:g}, got {typed}"
        if rule.max is not None and typed > rule.max:
            yield f"must be <= {rule.max:g}, got {typed}"
    if rule.pattern is not None and not re.fullmatch(rule.pattern, str(value)):
        yield f"must match {rule.pattern}, got {value!r}"
    if rule.nonzero and (typed in _ZERO or typed in ([], {})):
        yield "must be non-zero (the loader applies no default and rejects zero)"


def _typed(kind: str, value: Any) -> Any:
    """The value as the loader would read it, or None when it cannot be that type."""
    if kind == "string":
        return value if isinstance(value, str) else None
    if kind == "int":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        return None
    if kind == "float":
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(value) if isinstance(value, str) else None
        except ValueError:
            return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        return value if isinstance(value, str) and value.lower() in _BOOL else None
    if kind == "duration":
        return value if isinstance(value, str) and _DURATION.match(value) else None
    if kind == "list":
        return value if isinstance(value, list | str) else None
    if kind == "map":
        return value if isinstance(value, dict) else None
    return None
