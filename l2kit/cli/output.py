"""Printing results: JSON for scripts (``--json``), aligned ``key  value`` lines for people."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


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
            click.echo(f"{indent}{key}")
            echo_fields(value, indent + "  ")
        elif (
            isinstance(value, list | tuple)
            and value
            and (any(isinstance(v, dict) for v in value) or len(human_value(value)) > 80)
        ):
            click.echo(f"{indent}{key}")
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    click.echo(f"{indent}  [{i}]")
                    echo_fields(item, indent + "    ")
                else:
                    click.echo(f"{indent}  {human_value(item)}")
        else:
            click.echo(f"{indent}{key:<{width}}  {human_value(value)}")


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as one JSON document, or through ``human`` (default: key: value lines)."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
    elif human is not None:
        human(data)
    elif isinstance(data, dict):
        echo_fields(data)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                click.echo("  ".join(human_value(v) for v in item.values()))
            else:
                click.echo(human_value(item))
    else:
        click.echo(str(data))
