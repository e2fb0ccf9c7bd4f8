"""Printing results: JSON for scripts (``--json``), aligned ``key  value`` lines for people.

No click here: the fast lane's commands print through this module too."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """``text`` and a newline on stdout (stderr with ``err``), flushed: click's ``echo`` without
    importing click (the commands of the fast lane print through here too)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


def human_value(value: Any) -> str:
    """One value for people: ``-`` for nothing, lists comma-joined, never a Python repr."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(human_value(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={human_value(v)}" for k, v in value.items()) if value else "-"
    return str(value)


def echo_fields(data: dict[str, Any], indent: str = "") -> None:
    """``key  value`` lines; nested dicts and long lists become indented blocks under their key."""
    width = max((len(str(k)) for k in data), default=0)
    for key, value in data.items():
        if isinstance(value, dict) and value:
            echo(f"{indent}{key}")
            echo_fields(value, indent + "  ")
        elif (
            isinstance(value, list | tuple)
            and value
            and (any(isinstance(v, dict) for v in value) or len(human_value(value)) > 80)
        ):
            echo(f"{indent}{key}")
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    echo(f"{indent}  [{i}]")
                    echo_fields(item, indent + "    ")
                else:
                    echo(f"{indent}  {human_value(item)}")
        else:
            echo(f"{indent}{key:<{width}}  {human_value(value)}")


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as one JSON document, or through ``human`` (default: key: value lines)."""
    if as_json:
        echo(json.dumps(data, indent=2, sort_keys=False, default=str))
    elif human is not None:
        human(data)
    elif isinstance(data, dict):
        echo_fields(data)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                echo("  ".join(human_value(v) for v in item.values()))
            else:
                echo(human_value(item))
    else:
        echo(str(data))
