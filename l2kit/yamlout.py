"""YAML as l2kit writes it: manifests, values, rules, diffs.

Multi-line strings (config files, scripts, dashboard JSON) become literal ``|`` blocks so
files and diffs read line by line; lines are never folded; libyaml's emitter when available
(about 10x faster, the same YAML).
"""

from __future__ import annotations

from typing import Any

import yaml

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[valid-type,misc]
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(value: Any, *, sort_keys: bool = False) -> str:
    """One YAML document (no ``---``), keys in insertion order unless ``sort_keys``."""
    text: str = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=sort_keys,
        default_flow_style=False,
        width=1 << 30,
        allow_unicode=True,
    )
    return text
