"""Reading the files and documents users hand l2kit, with bounds and no silent coercion.

Every loader here refuses, with a ``BadDocument`` naming the problem and where it is:
duplicate mapping keys (YAML and JSON: the last one would silently win), NaN/Infinity in JSON,
YAML alias bombs (more than ``MAX_ALIASES`` aliases) and nesting deeper than ``MAX_DEPTH``, and
files larger than their cap or not UTF-8. Callers turn ``BadDocument`` into their own one-line
``error: <field>: <rule>``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

MAX_DEPTH = 64
MAX_ALIASES = 100
SPEC_MAX_BYTES = 16 * 1024 * 1024  # a 10,000-stack fleet spec is a few MiB


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


@functools.cache
def _strict_loader() -> type[Any]:
    """SafeLoader without duplicate keys, with bounded aliases and depth (built on first use:
    yaml stays out of the start-up of commands that never read YAML)."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._aliases = 0
            self._depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise BadDocument(f"more than {MAX_ALIASES} YAML aliases{_at(event)}")
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise BadDocument(f"nested deeper than {MAX_DEPTH} levels{_at(event)}")
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

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
            return super().construct_mapping(node, deep=deep)

    StrictLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, StrictLoader.construct_mapping
    )
    return StrictLoader


def _at(node_or_event: Any) -> str:
    mark = getattr(node_or_event, "start_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def load_yaml(text: str) -> Any:
    """One YAML document, strictly (see the module docstring)."""
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())  # a SafeLoader subclass
    except yaml.YAMLError as exc:  # one line: the problem and where (str(exc) spans lines)
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise BadDocument(f"not valid YAML: {problem}{where}") from None
    except RecursionError:
        raise BadDocument(f"nested deeper than {MAX_DEPTH} levels") from None


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
        raise BadDocument("nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise BadDocument(f"not valid JSON ({' '.join(str(exc).split())})") from None
