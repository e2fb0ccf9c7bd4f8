"""Reading the files and documents users hand l2kit, with bounds and no silent coercion.

Every loader here refuses, with a ``BadDocument`` naming the problem and where it is:
duplicate mapping keys (YAML and JSON: the last one would silently win), NaN/Infinity in JSON,
YAML alias bombs (more than ``MAX_ALIASES`` aliases, or ``MAX_NODES`` values once expanded) and
nesting deeper than ``MAX_DEPTH``, and
files larger than their cap or not UTF-8. Callers turn ``BadDocument`` into their own one-line
``error: <field>: <rule>``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pathlib costs start-up time; callers hand us a Path
    from pathlib import Path

MAX_DEPTH = 64
MAX_ALIASES = 10_000
MAX_NODES = 5_000_000  # a 10,000-stack spec is about 1M values
SPEC_MAX_BYTES = 16 * 1024 * 1024  # a 10,000-stack fleet spec is a few MiB
TX_MAX_BYTES = 16 * 1024 * 1024  # base64 of the largest standard transactions, with room


class BadDocument(ValueError):
    """A document l2kit refuses; ``str()`` is one line: the rule, then where."""


def read_text(path: Path, max_bytes: int) -> str:
    """The UTF-8 text of ``path``; ``OSError`` passes through (callers name the path)."""
    with path.open("rb") as handle:
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise BadDocument(f"larger than {max_bytes} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadDocument(f"not UTF-8 text (byte {exc.start})") from None


def tx_text(value: str, field: str) -> str:
    """A transaction or PSBT given on the command line, stripped: ``-`` → stdin, an existing
    file → its contents, anything else → the value itself; at most ``TX_MAX_BYTES``. Refusals
    are one ``InputError`` naming ``field``."""
    from l2kit.errors import InputError

    if value == "-":
        text = sys.stdin.read(TX_MAX_BYTES + 1)
        if len(text) > TX_MAX_BYTES:
            raise InputError(f"larger than {TX_MAX_BYTES} bytes", field=field)
        return text.strip()
    from pathlib import Path

    path = Path(value)
    if len(value) < 4096 and os.path.isfile(value):  # (False, not OSError, on a long name)
        try:
            return read_text(path, TX_MAX_BYTES).strip()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}", field=field) from None
        except BadDocument as exc:
            raise InputError(f"{path}: {exc}", field=field) from None
    if "/" in value and not value.startswith("cHNidP"):  # a path (base64 PSBTs start cHNidP)
        raise InputError(f"{value}: no such file (nor a base64/hex value)", field=field)
    return value.strip()


# An alias is "*name" where a value starts. Counting them in the text (an upper bound) lets the
# fast C parser do the parsing; its composer cannot be hooked to count them as it goes. (A
# pattern string: re compiles it on first use, not at the start-up of every command.)
_ALIAS = r"(?:^|[\s\[{,:-])\*[^\s\]},]+"


@functools.cache
def _strict_loader() -> type[Any]:
    """The C SafeLoader when available, refusing duplicate keys (built on first use: yaml stays
    out of the start-up of commands that never read YAML)."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key: SafeLoader reports it below
                    break
                if duplicate:
                    raise BadDocument(f"duplicate key {str(key)[:80]!r}{_at(key_node)}")
                seen.add(key)
            return dict(super().construct_mapping(node, deep=deep))

    StrictLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, StrictLoader.construct_mapping
    )
    return StrictLoader


def _too_big(value: Any) -> str | None:
    """Why ``value`` is too deep or, with aliases expanded, too large (a "billion laughs" tree
    is small in memory but every validator walks it in full). Sizes and depths are memoized per
    shared node, so this costs one visit per distinct node and never recurses."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded size, depth)
    open_: set[int] = set()  # containers whose children are being sized: a cycle if seen again
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, done = stack.pop()
        children = (
            list(item.values())
            if isinstance(item, dict)
            else item
            if isinstance(item, list)
            else []
        )
        if id(item) in sizes and children:
            continue
        if not done and children:
            if id(item) in open_:
                return "a recursive YAML alias"
            open_.add(id(item))
            stack.append((item, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        open_.discard(id(item))
        size = 1 + sum(sizes[id(c)][0] if id(c) in sizes else 1 for c in children)
        depth = 1 + max((sizes[id(c)][1] if id(c) in sizes else 1 for c in children), default=0)
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if size > MAX_NODES:
            return f"more than {MAX_NODES} values (with aliases expanded)"
        if children:
            sizes[id(item)] = (size, depth)
    return None


def _at(node_or_event: Any) -> str:
    mark = getattr(node_or_event, "start_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def load_yaml(text: str) -> Any:
    """One YAML document, strictly (see the module docstring)."""
    import yaml

    if len(re.findall(_ALIAS, text, re.MULTILINE)) > MAX_ALIASES:
        raise BadDocument(f"more than {MAX_ALIASES} YAML aliases")
    try:
        data = yaml.load(text, Loader=_strict_loader())  # a SafeLoader subclass
    except yaml.YAMLError as exc:  # one line: the problem and where (str(exc) spans lines)
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise BadDocument(f"not valid YAML: {problem}{where}") from None
    except RecursionError:
        raise BadDocument(f"nested deeper than {MAX_DEPTH} levels") from None
    if (why := _too_big(data)) is not None:
        raise BadDocument(why)
    return data


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadDocument(f"duplicate key {key[:80]!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise BadDocument(f"{name} is not a JSON number")


def load_json(text: str | bytes) -> Any:
    """One JSON document: no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except BadDocument:
        raise
    except RecursionError:
        raise BadDocument("not JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise BadDocument(f"not JSON ({' '.join(str(exc).split())})") from None
